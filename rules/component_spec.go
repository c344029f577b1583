package rules

import "github.com/catalog-lint/catalog-lint/linter"

// ComponentSpec follows catalog-model's Component.v1alpha1.schema.json.
var ComponentSpec = &linter.Rule{
	Fix:      quoteFix,
	ID:       "component-spec",
	Summary:  "a Component's spec must have type, lifecycle and owner",
	Severity: linter.SeverityError,
	Doc: "Backstage's Component schema requires `spec.type` (such as `service` or `website`), " +
		"`spec.lifecycle` (such as `production` or `experimental`) and `spec.owner` (an entity reference to " +
		"a Group or User), all non-empty strings. `system` and `subcomponentOf` are entity references; " +
		"`providesApis`, `consumesApis` and `dependsOn` are lists of them.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
spec:
  type: service
  providesApis: payments-api
`,
	Good: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
spec:
  type: service
  lifecycle: production
  owner: team-payments
  providesApis: [payments-api]
`,
	Check: specCheck("Component", obj([]string{"type", "lifecycle", "owner"},
		prop{"type", nonEmptyStr}, prop{"lifecycle", nonEmptyStr}, prop{"owner", nonEmptyStr},
		prop{"system", nonEmptyStr}, prop{"subcomponentOf", nonEmptyStr},
		prop{"providesApis", refList}, prop{"consumesApis", refList}, prop{"dependsOn", refList},
	)),
}
