package rules

import "github.com/catalog-lint/catalog-lint/linter"

// KindFormat is catalog-model's isValidKind.
var KindFormat = &linter.Rule{
	Fix:      quoteFix,
	ID:       "kind-format",
	Summary:  "kind must be letters and digits, starting with a letter",
	Severity: linter.SeverityError,
	Doc: "`kind` is a letter followed by letters and digits, at most 63 characters " +
		"(`/^[a-zA-Z][a-z0-9A-Z]*$/`), such as `Component` or `API`.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Web-Service
metadata:
  name: payments
`,
	Good: componentExample,
	Check: func(p *linter.Pass) {
		k, v := p.Entity.Field("kind")
		if k == nil {
			return
		}
		s, ok := stringField(p, "kind", v)
		if ok && !isValidKind(s) {
			p.Report(v, "kind %q is not valid; use a letter followed by letters and digits (at most 63), such as \"Component\"", s)
		}
	},
}
