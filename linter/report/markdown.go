package report

import (
	"strings"

	"github.com/catalog-lint/catalog-lint/linter"
)

// MarkdownText returns s as a Markdown code span, for a table cell or a line: whatever s holds (a
// file's name, a message quoting a file's values), it renders as the text itself. In a code span
// GitHub renders no link, image, HTML, heading or @mention; the span's fence is longer than any run
// of backticks in s, | is escaped for tables, and line breaks and other controls are escaped first.
func MarkdownText(s string) string {
	s = strings.ReplaceAll(linter.Printable(s), "|", `\|`)
	if s == "" {
		return ""
	}
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || strings.HasPrefix(s, " ") && strings.HasSuffix(s, " ") {
		pad = " "
	}
	return fence + pad + s + pad + fence
}
