package rules

import "github.com/catalog-lint/catalog-lint/linter"

// DomainSpec follows catalog-model's Domain.v1alpha1.schema.json.
var DomainSpec = &linter.Rule{
	Fix:      quoteFix,
	ID:       "domain-spec",
	Summary:  "a Domain's spec must have an owner",
	Severity: linter.SeverityError,
	Doc: "Backstage's Domain schema requires `spec.owner`, a non-empty entity reference; `subdomainOf` " +
		"and `type` are optional non-empty strings.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Domain
metadata:
  name: finance
spec:
  owner: ""
`,
	Good: `apiVersion: backstage.io/v1alpha1
kind: Domain
metadata:
  name: finance
spec:
  owner: group:finance-leads
`,
	Check: specCheck("Domain", obj([]string{"owner"},
		prop{"owner", nonEmptyStr}, prop{"subdomainOf", nonEmptyStr}, prop{"type", nonEmptyStr},
	)),
}
