package rules

import "github.com/catalog-lint/catalog-lint/linter"

// FieldTypes covers the types catalog-model's Entity and EntityMeta schemas give the envelope's
// containers and free-text fields; the formatted fields have rules of their own.
var FieldTypes = &linter.Rule{
	Fix:      quoteFix,
	ID:       "field-types",
	Summary:  "metadata and spec must be mappings, and metadata's text fields strings",
	Severity: linter.SeverityError,
	Doc: "`metadata` and `spec` must be mappings. In metadata, `title`, `uid` and `etag` are non-empty " +
		"strings and `description` is a string: a number or a list there is rejected by Backstage's schema " +
		"check. Quote values that YAML would otherwise read as numbers or booleans.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  title: 2024
  description:
    - takes payments
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Good: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  title: "2024"
  description: takes payments
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Check: func(p *linter.Pass) {
		e := p.Entity
		if k, v := e.Field("metadata"); k != nil && linter.TypeOf(v) != linter.TypeMapping {
			p.Report(v, "metadata must be a mapping, not %s", linter.Describe(v))
		}
		if k, v := e.Field("spec"); k != nil && linter.TypeOf(v) != linter.TypeMapping {
			if _, _, ok := linter.Placeholder(v); !ok {
				p.Report(v, "spec must be a mapping, not %s", linter.Describe(v))
			}
		}
		for _, f := range []string{"uid", "etag", "title"} {
			if k, v := metadataField(e, f); k != nil {
				if s, ok := stringField(p, "metadata."+f, v); ok && s == "" {
					p.Report(v, "metadata.%s must not be empty; remove it or give it a value", f)
				}
			}
		}
		if k, v := metadataField(e, "description"); k != nil {
			stringField(p, "metadata.description", v)
		}
	},
}
