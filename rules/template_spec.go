package rules

import "github.com/catalog-lint/catalog-lint/linter"

var permissions = obj(nil, prop{"tags", strList})

var templateSpec = obj([]string{"type", "steps"},
	prop{"type", nonEmptyStr}, prop{"owner", nonEmptyStr}, prop{"lifecycle", nonEmptyStr},
	prop{"parameters", &shape{oneOf: []*shape{
		obj(nil, prop{"backstage:permissions", permissions}),
		list(obj(nil, prop{"backstage:permissions", permissions})),
	}}},
	prop{"secrets", obj(nil, prop{"schema", object})},
	prop{"presentation", obj(nil, prop{"buttonLabels", obj(nil,
		prop{"backButtonText", str}, prop{"createButtonText", str}, prop{"reviewButtonText", str})})},
	prop{"EXPERIMENTAL_recovery", obj(nil, prop{"EXPERIMENTAL_strategy", str})},
	prop{"formDecorators", list(obj(nil, prop{"id", str}, prop{"input", object}))},
	prop{"EXPERIMENTAL_formDecorators", list(obj(nil, prop{"id", str}, prop{"input", object}))},
	prop{"steps", list(obj([]string{"action"},
		prop{"id", str}, prop{"name", str}, prop{"action", str}, prop{"input", object},
		prop{"if", strOrBool}, prop{"backstage:permissions", permissions}))},
	prop{"output", &shape{types: object.types, extra: str, props: []prop{
		{"links", list(obj(nil, prop{"if", strOrBool}, prop{"url", nonEmptyStr}, prop{"entityRef", nonEmptyStr},
			prop{"title", nonEmptyStr}, prop{"icon", nonEmptyStr}))},
		{"text", list(obj(nil, prop{"if", strOrBool}, prop{"title", nonEmptyStr}, prop{"icon", nonEmptyStr},
			prop{"content", str}))},
	}}},
)

// TemplateSpec follows Template.v1beta3.schema.json of @backstage/plugin-scaffolder-common.
var TemplateSpec = &linter.Rule{
	Fix:      quoteFix,
	ID:       "template-spec",
	Summary:  "a scaffolder Template's spec must have type and steps",
	Severity: linter.SeverityError,
	Doc: "The scaffolder's `scaffolder.backstage.io/v1beta3` Template schema requires `spec.type` and " +
		"`spec.steps`, a list whose items each name an `action`. `parameters` is a mapping or a list of " +
		"mappings (form pages); `output` holds `links` and `text` lists and otherwise string values; a " +
		"step's `if` is a string or a boolean.",
	Bad: `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: new-service
spec:
  type: service
  steps:
    - id: fetch
      input:
        url: ./skeleton
`,
	Good: `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: new-service
spec:
  type: service
  steps:
    - id: fetch
      action: fetch:template
      input:
        url: ./skeleton
`,
	Check: specCheck("Template", templateSpec),
}
