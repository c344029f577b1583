package rules

import "github.com/catalog-lint/catalog-lint/linter"

// EntityNameFormat is catalog-model's isValidEntityName (isValidObjectName).
var EntityNameFormat = &linter.Rule{
	Fix:      quoteFix,
	ID:       "entity-name-format",
	Summary:  "metadata.name must be a valid entity name",
	Severity: linter.SeverityError,
	Doc: "`metadata.name` is 1 to 63 characters: letters and digits, with `-`, `_` or `.` between them " +
		"(it must start and end with a letter or digit). Spaces and slashes are the usual mistakes.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments service
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Good: componentExample,
	Check: func(p *linter.Pass) {
		k, v := metadataField(p.Entity, "name")
		if k == nil {
			return
		}
		s, ok := stringField(p, "metadata.name", v)
		if !ok {
			return
		}
		switch {
		case s == "":
			p.Report(v, "metadata.name must not be empty")
		case len(s) > 63:
			p.Report(v, "metadata.name is %d characters long; at most 63 are allowed%s", len(s), hint(s, suggest(s, false, nameChar)))
		case !isValidObjectName(s):
			p.Report(v, "metadata.name %q is not valid; use letters and digits separated by -, _ or .%s", s, hint(s, suggest(s, false, nameChar)))
		}
	},
}
