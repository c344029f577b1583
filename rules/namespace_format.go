package rules

import "github.com/catalog-lint/catalog-lint/linter"

// NamespaceFormat is catalog-model's isValidNamespace (a DNS label).
var NamespaceFormat = &linter.Rule{
	Fix:      quoteFix,
	ID:       "namespace-format",
	Summary:  "metadata.namespace must be a lowercase DNS label",
	Severity: linter.SeverityError,
	Doc: "`metadata.namespace` is optional (Backstage uses `default`). When set it is 1 to 63 lowercase " +
		"letters and digits separated by hyphens: unlike names, no upper case, `_` or `.`.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  namespace: Team_Payments
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Good: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  namespace: team-payments
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Check: func(p *linter.Pass) {
		k, v := metadataField(p.Entity, "namespace")
		if k == nil {
			return
		}
		s, ok := stringField(p, "metadata.namespace", v)
		if ok && !isValidDNSLabel(s) {
			p.Report(v, "metadata.namespace %q is not valid; use lowercase letters and digits separated by hyphens (at most 63)%s", s, hint(s, suggest(s, true, dnsChar)))
		}
	},
}
