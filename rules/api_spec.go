package rules

import "github.com/catalog-lint/catalog-lint/linter"

// APISpec follows catalog-model's API.v1alpha1.schema.json.
var APISpec = &linter.Rule{
	Fix:      quoteFix,
	ID:       "api-spec",
	Summary:  "an API's spec must have type, lifecycle, owner and definition",
	Severity: linter.SeverityError,
	Doc: "Backstage's API schema requires `spec.type` (such as `openapi`, `asyncapi`, `graphql` or `grpc`), " +
		"`spec.lifecycle`, `spec.owner` and `spec.definition`, all non-empty strings. The definition is " +
		"usually a placeholder that Backstage fills in at ingestion, such as `$text: ./openapi.yaml`; " +
		"placeholders are accepted wherever a string is expected.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: payments-api
spec:
  type: openapi
  lifecycle: production
  owner: team-payments
`,
	Good: `apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: payments-api
spec:
  type: openapi
  lifecycle: production
  owner: team-payments
  definition:
    $text: ./openapi.yaml
`,
	Check: specCheck("API", obj([]string{"type", "lifecycle", "owner", "definition"},
		prop{"type", nonEmptyStr}, prop{"lifecycle", nonEmptyStr}, prop{"owner", nonEmptyStr},
		prop{"system", nonEmptyStr}, prop{"definition", nonEmptyStr},
	)),
}
