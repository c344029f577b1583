package rules

import "github.com/catalog-lint/catalog-lint/linter"

var profile = obj(nil, prop{"displayName", nonEmptyStr}, prop{"email", nonEmptyStr}, prop{"picture", nonEmptyStr})

// GroupSpec follows catalog-model's Group.v1alpha1.schema.json.
var GroupSpec = &linter.Rule{
	Fix:      quoteFix,
	ID:       "group-spec",
	Summary:  "a Group's spec must have type and children",
	Severity: linter.SeverityError,
	Doc: "Backstage's Group schema requires `spec.type` (such as `team` or `business-unit`) and " +
		"`spec.children`, a list of group references that may be empty (`children: []`). `parent` is a " +
		"group reference, `members` a list of user references, and `profile` may hold `displayName`, " +
		"`email` and `picture`.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-payments
spec:
  type: team
`,
	Good: `apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-payments
spec:
  type: team
  children: []
`,
	Check: specCheck("Group", obj([]string{"type", "children"},
		prop{"type", nonEmptyStr}, prop{"profile", profile}, prop{"parent", nonEmptyStr},
		prop{"children", refList}, prop{"members", refList},
	)),
}
