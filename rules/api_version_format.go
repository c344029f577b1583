package rules

import "github.com/catalog-lint/catalog-lint/linter"

// APIVersionFormat is catalog-model's isValidApiVersion.
var APIVersionFormat = &linter.Rule{
	Fix:      quoteFix,
	ID:       "api-version-format",
	Summary:  "apiVersion must be a valid group/version string",
	Severity: linter.SeverityError,
	Doc: "`apiVersion` is `version` or `group/version`: the group a DNS name of lowercase labels " +
		"(`backstage.io`), the version letters and digits only (`v1alpha1`), at most 63 characters. " +
		"Built-in kinds use `backstage.io/v1alpha1`; Templates use `scaffolder.backstage.io/v1beta3`.",
	Bad: `apiVersion: backstage.io/v1-alpha1
kind: Component
metadata:
  name: payments
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Good: componentExample,
	Check: func(p *linter.Pass) {
		k, v := p.Entity.Field("apiVersion")
		if k == nil {
			return
		}
		s, ok := stringField(p, "apiVersion", v)
		if ok && !isValidAPIVersion(s) {
			p.Report(v, "apiVersion %q is not valid; use group/version with a lowercase DNS group and an alphanumeric version, such as \"backstage.io/v1alpha1\"", s)
		}
	},
}
