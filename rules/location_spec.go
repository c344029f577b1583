package rules

import "github.com/catalog-lint/catalog-lint/linter"

// LocationSpec follows catalog-model's Location.v1alpha1.schema.json.
var LocationSpec = &linter.Rule{
	Fix:      quoteFix,
	ID:       "location-spec",
	Summary:  "a Location's spec must be well-formed",
	Severity: linter.SeverityError,
	Doc: "Backstage's Location schema requires a `spec` mapping; `type` and `target` are non-empty " +
		"strings, `targets` a list of them, and `presence` is `required` or `optional`.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: all-services
spec:
  targets: ./services/*/catalog-info.yaml
  presence: maybe
`,
	Good: `apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: all-services
spec:
  targets: [./services/payments/catalog-info.yaml]
  presence: optional
`,
	Check: specCheck("Location", obj(nil,
		prop{"type", nonEmptyStr}, prop{"target", nonEmptyStr}, prop{"targets", refList},
		prop{"presence", &shape{types: nonEmptyStr.types, enum: []string{"required", "optional"}}},
	)),
}
