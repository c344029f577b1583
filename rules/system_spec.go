package rules

import "github.com/catalog-lint/catalog-lint/linter"

// SystemSpec follows catalog-model's System.v1alpha1.schema.json.
var SystemSpec = &linter.Rule{
	Fix:      quoteFix,
	ID:       "system-spec",
	Summary:  "a System's spec must have an owner",
	Severity: linter.SeverityError,
	Doc: "Backstage's System schema requires `spec.owner`, a non-empty entity reference; `domain` and " +
		"`type` are optional non-empty strings.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: billing
spec:
  domain: finance
`,
	Good: `apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: billing
spec:
  owner: team-payments
  domain: finance
`,
	Check: specCheck("System", obj([]string{"owner"},
		prop{"owner", nonEmptyStr}, prop{"domain", nonEmptyStr}, prop{"type", nonEmptyStr},
	)),
}
