package rules

import "github.com/catalog-lint/catalog-lint/linter"

// RequiredFields is the envelope catalog-model's Entity and EntityMeta schemas require.
var RequiredFields = &linter.Rule{
	ID:       "required-fields",
	Summary:  "an entity must have apiVersion, kind, metadata and metadata.name",
	Severity: linter.SeverityError,
	Doc: "Every entity needs `apiVersion`, `kind` and `metadata` at the root, and `metadata.name`. " +
		"Backstage rejects a document without them (\"Malformed envelope\").",
	Bad: `kind: Component
metadata:
  title: Payments
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Good: componentExample,
	Check: func(p *linter.Pass) {
		e := p.Entity
		var missing []string
		for _, f := range []string{"apiVersion", "kind", "metadata"} {
			if k, _ := e.Field(f); k == nil {
				missing = append(missing, f)
			}
		}
		if len(missing) > 0 {
			p.Report(e.Root, "entity is missing required %s %s", plural(len(missing), "field", "fields"), quoteList(missing))
		}
		mk, mv := e.Field("metadata")
		if mk != nil && linter.TypeOf(mv) == linter.TypeMapping {
			if k, _ := linter.Lookup(mv, "name"); k == nil {
				p.Report(mk, "metadata is missing required field \"name\"")
			}
		}
	},
}
