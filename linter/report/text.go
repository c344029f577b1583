package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/catalog-lint/catalog-lint/linter"
)

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiGray   = "\x1b[90m"
	ansiGreen  = "\x1b[32m"
)

// textWriter prints `file:line:col: message [rule-id]`, then the source line with a caret under the
// place, like actionlint. Warnings and notices say so before the message.
type textWriter struct{ opts Options }

func (t *textWriter) paint(code, s string) string {
	if !t.opts.Color || s == "" {
		return s
	}
	return code + s + ansiReset
}

func (t *textWriter) Write(w io.Writer, res *linter.Result) error {
	bw := bufio.NewWriter(w)
	for _, f := range res.Findings {
		loc := linter.Printable(f.File)
		if f.Line > 0 {
			loc = fmt.Sprintf("%s:%d", loc, f.Line)
			if f.Column > 0 {
				loc = fmt.Sprintf("%s:%d", loc, f.Column)
			}
		}
		prefix := ""
		color := ansiRed
		switch f.Severity {
		case linter.SeverityWarning:
			prefix, color = "warning: ", ansiYellow
		case linter.SeverityInfo:
			prefix, color = "notice: ", ansiCyan
		}
		fmt.Fprintf(bw, "%s: %s%s %s\n", t.paint(ansiBold, loc), t.paint(color, prefix), f.Message, t.paint(ansiGray, "["+f.Rule+"]"))
		if f.Line > 0 && f.Column > 0 && f.Source != "" {
			t.snippet(bw, f)
		}
	}
	for _, s := range res.SkippedFiles {
		fmt.Fprintf(bw, "%s: %s\n", t.paint(ansiBold, linter.Printable(s.File)), t.paint(ansiGray, "skipped: "+s.Reason))
	}
	summary := Summary(res)
	if len(res.Findings) == 0 {
		summary = t.paint(ansiGreen, summary)
	}
	fmt.Fprintln(bw, summary)
	return bw.Flush()
}

func (t *textWriter) snippet(w io.Writer, f linter.Finding) {
	num := fmt.Sprint(f.Line)
	gutter := strings.Repeat(" ", len(num))
	src := []rune(f.Source)
	col := f.Column - 1
	if col > len(src) {
		col = len(src)
	}
	// Keep tabs in the padding so that the caret lines up however the terminal expands them.
	var pad strings.Builder
	for _, r := range src[:col] {
		if r == '\t' {
			pad.WriteRune('\t')
		} else {
			pad.WriteByte(' ')
		}
	}
	width := 1
	if f.EndLine == f.Line && f.EndColumn >= f.Column {
		width = f.EndColumn - f.Column + 1
	}
	if max := utf8.RuneCountInString(f.Source) - col; width > max && max > 0 {
		width = max
	}
	caret := "^" + strings.Repeat("~", width-1)
	fmt.Fprintf(w, "%s |\n%s | %s\n%s | %s%s\n", gutter, t.paint(ansiGray, num), f.Source, gutter, pad.String(), t.paint(ansiGreen, caret))
}
