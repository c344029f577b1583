package rules

import (
	"github.com/catalog-lint/catalog-lint/linter"
)

// catalogAPIVersions are the apiVersions catalog-model's kind schemas accept.
var catalogAPIVersions = []string{"backstage.io/v1alpha1", "backstage.io/v1beta1"}

// builtinKinds maps each kind Backstage validates out of the box to the apiVersions it accepts.
var builtinKinds = map[string][]string{
	"API": catalogAPIVersions, "Component": catalogAPIVersions, "Domain": catalogAPIVersions,
	"Group": catalogAPIVersions, "Location": catalogAPIVersions, "Resource": catalogAPIVersions,
	"System": catalogAPIVersions, "User": catalogAPIVersions,
	"Template": {"scaffolder.backstage.io/v1beta3"},
}

// specCheck returns a Check that judges spec against s for entities of kind, as the kind's JSON
// schema does. Like Backstage, it applies only when both kind and apiVersion match: otherwise the
// entity is not of this kind at all (unknown-kind reports it).
func specCheck(kind string, s *shape) func(p *linter.Pass) {
	return func(p *linter.Pass) {
		e := p.Entity
		if e.Kind != kind || !contains(builtinKinds[kind], e.APIVersion) {
			return
		}
		k, v := e.Field("spec")
		if k == nil {
			_, kindNode := e.Field("kind")
			if len(s.required) == 0 {
				p.Report(kindNode, "a %s entity must have a spec mapping", kind)
			} else {
				p.Report(kindNode, "a %s entity must have a spec with %s", kind, quoteList(s.required))
			}
			return
		}
		if _, _, placeholder := linter.Placeholder(v); !placeholder && linter.TypeOf(v) != linter.TypeMapping {
			return // field-types reports a spec that is not a mapping
		}
		checkShape(p, "spec", k, v, s)
	}
}

const componentExample = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
spec:
  type: service
  lifecycle: production
  owner: team-payments
`
