package rules

import (
	"gopkg.in/yaml.v3"

	"github.com/catalog-lint/catalog-lint/linter"
)

// LabelFormat is catalog-model's isValidLabelKey and isValidLabelValue plus the schema's types.
var LabelFormat = &linter.Rule{
	Fix:      quoteFix,
	ID:       "label-format",
	Summary:  "labels must have valid keys and short string values",
	Severity: linter.SeverityError,
	Doc: "`metadata.labels` is a mapping. Keys are `name` or `prefix/name`, the prefix a lowercase DNS " +
		"name and the name like an entity name. Values are strings that are empty or look like entity names " +
		"(letters and digits separated by `-`, `_` or `.`, at most 63): use annotations for free text.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  labels:
    Team/Owner: payments team
    tier:
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Good: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  labels:
    example.com/owner: payments-team
    tier: "1"
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Check: func(p *linter.Pass) {
		k, v := metadataField(p.Entity, "labels")
		if k == nil {
			return
		}
		if linter.TypeOf(v) != linter.TypeMapping {
			p.Report(v, "metadata.labels must be a mapping of keys to values, not %s", linter.Describe(v))
			return
		}
		linter.Pairs(v, func(lk, lv *yaml.Node) {
			key := linter.Resolve(lk).Value
			checkKey(p, "label", lk)
			s, ok := stringFieldAt(p, func() string { return "label " + quote(key) }, lv)
			if ok && !isValidLabelValue(s) {
				p.Report(lv, "label %q has value %q, which is not valid; use letters and digits separated by -, _ or . (at most 63), or move free text to an annotation%s",
					key, s, hint(s, suggest(s, false, nameChar)))
			}
		})
	},
}

// checkKey reports a label or annotation key that is not `name` or `prefix/name`.
func checkKey(p *linter.Pass, what string, k *yaml.Node) {
	s, ok := linter.String(k)
	if !ok {
		s = linter.Resolve(k).Value
	}
	if isValidKey(s) {
		return
	}
	p.Report(k, "%s key %q is not valid; use name or prefix/name, with a lowercase DNS prefix (example.com) and a name of letters and digits separated by -, _ or .", what, s)
}
