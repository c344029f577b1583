package rules

import "github.com/catalog-lint/catalog-lint/linter"

// ResourceSpec follows catalog-model's Resource.v1alpha1.schema.json.
var ResourceSpec = &linter.Rule{
	Fix:      quoteFix,
	ID:       "resource-spec",
	Summary:  "a Resource's spec must have type and owner",
	Severity: linter.SeverityError,
	Doc: "Backstage's Resource schema requires `spec.type` (such as `database` or `s3-bucket`) and " +
		"`spec.owner`, both non-empty strings; `system` is an entity reference and `dependsOn` a list of them.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: payments-db
spec:
  type: database
`,
	Good: `apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: payments-db
spec:
  type: database
  owner: team-payments
`,
	Check: specCheck("Resource", obj([]string{"type", "owner"},
		prop{"type", nonEmptyStr}, prop{"owner", nonEmptyStr},
		prop{"dependsOn", refList}, prop{"system", nonEmptyStr},
	)),
}
