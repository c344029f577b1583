package rules

import (
	"gopkg.in/yaml.v3"

	"github.com/catalog-lint/catalog-lint/linter"
)

// AnnotationFormat is catalog-model's isValidAnnotationKey and isValidAnnotationValue.
var AnnotationFormat = &linter.Rule{
	Fix:      quoteFix,
	ID:       "annotation-format",
	Summary:  "annotations must have valid keys and string values",
	Severity: linter.SeverityError,
	Doc: "`metadata.annotations` is a mapping. Keys are `name` or `prefix/name` like label keys " +
		"(`sentry.io/project-slug`). Every value must be a string: YAML reads `123`, `true` or `~` as a " +
		"number, a boolean or null, which Backstage rejects, so quote them. (Dates such as `2021-01-01` " +
		"are strings for Backstage.)",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  annotations:
    example.com/cost-center: 4711
    example.com/on-call: true
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Good: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  annotations:
    example.com/cost-center: "4711"
    example.com/on-call: "true"
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Check: func(p *linter.Pass) {
		k, v := metadataField(p.Entity, "annotations")
		if k == nil {
			return
		}
		if linter.TypeOf(v) != linter.TypeMapping {
			p.Report(v, "metadata.annotations must be a mapping of keys to string values, not %s", linter.Describe(v))
			return
		}
		linter.Pairs(v, func(ak, av *yaml.Node) {
			checkKey(p, "annotation", ak)
			stringFieldAt(p, func() string { return "annotation " + quote(linter.Resolve(ak).Value) }, av)
		})
	},
}
