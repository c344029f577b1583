package rules

import (
	"fmt"
	"strings"

	"github.com/catalog-lint/catalog-lint/linter"
)

// TagFormat is catalog-model 1.10.1's makeValidator isValidTag plus the schema's types.
var TagFormat = &linter.Rule{
	Fix:      quoteFix + "; a tag whose only fault is its case is lowercased (`Python` becomes `python`)",
	ID:       "tag-format",
	Summary:  "tags must be lowercase words joined by single hyphens",
	Severity: linter.SeverityError,
	Doc: "`metadata.tags` is a list of strings of 1 to 63 characters: lowercase letters, digits and " +
		"`:`, `+` or `#`, in words joined by single hyphens (`/^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$/`). Upper " +
		"case, spaces, dots and underscores are rejected: `node.js` must be written `nodejs`.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  tags: [Java, go 1.22, node.js]
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Good: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  tags: [java, go-1-22, nodejs]
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Check: func(p *linter.Pass) {
		k, v := metadataField(p.Entity, "tags")
		if k == nil {
			return
		}
		if linter.TypeOf(v) != linter.TypeSequence {
			p.Report(v, "metadata.tags must be a list of strings, not %s", linter.Describe(v))
			return
		}
		for i, item := range linter.Items(v) {
			s, ok := stringFieldAt(p, func() string { return fmt.Sprintf("metadata.tags[%d]", i) }, item)
			if ok && !isValidTag(s) && strings.ToLower(s) != s && isValidTag(strings.ToLower(s)) {
				// Only the case is wrong: lowercase is the one right tag.
				p.ReportFix(item, linter.ReplaceValue(strings.ToLower(s), "lowercase the tag"), "tag %q is not valid; use lowercase letters, digits, :, + or # in words joined by single hyphens (at most 63)%s",
					s, hint(s, suggest(s, true, tagChar)))
			} else if ok && !isValidTag(s) {
				p.Report(item, "tag %q is not valid; use lowercase letters, digits, :, + or # in words joined by single hyphens (at most 63)%s",
					s, hint(s, suggest(s, true, tagChar)))
			}
		}
	},
}
