package rules

import "github.com/catalog-lint/catalog-lint/linter"

// UserSpec follows catalog-model's User.v1alpha1.schema.json.
var UserSpec = &linter.Rule{
	Fix:      quoteFix,
	ID:       "user-spec",
	Summary:  "a User's spec must have memberOf",
	Severity: linter.SeverityError,
	Doc: "Backstage's User schema requires `spec.memberOf`, a list of group references that may be " +
		"empty (`memberOf: []`); `profile` may hold `displayName`, `email` and `picture`.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: jdoe
spec:
  memberOf: team-payments
`,
	Good: `apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: jdoe
spec:
  memberOf: [team-payments]
`,
	Check: specCheck("User", obj([]string{"memberOf"},
		prop{"profile", profile}, prop{"memberOf", refList},
	)),
}
