package linter

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Fix is the one right edit for a finding: replace the bytes from Start to End (exclusive) of the file
// with Replacement. Fixes only ever replace a single-line scalar, so they never add or remove lines
// and leave every other byte (comments, indentation, line endings, a BOM) as it is.
type Fix struct {
	Start, End  Position
	Replacement string
	Description string
}

// Position is a place in a file: 1-based line and column (in characters) and the 0-based byte offset.
type Position struct {
	Line, Column, Offset int
}

// Edit is what a rule asks of a fix, before the engine knows the bytes: quote the value as written, or
// replace the value by another, keeping its quoting style.
type Edit struct {
	quote       bool
	value       string
	Description string
}

// QuoteValue is the fix for a number, boolean or null where a string is required: the same text,
// quoted.
func QuoteValue(description string) Edit { return Edit{quote: true, Description: description} }

// ReplaceValue is the fix that sets a scalar to value, keeping its quoting style when value can be
// written in it.
func ReplaceValue(value, description string) Edit {
	return Edit{value: value, Description: description}
}

// ReportFix is Report with the finding's fix. The fix is dropped (the finding stays) when the node is
// not a single-line scalar whose text the engine can replace with certainty.
func (p *Pass) ReportFix(n *yaml.Node, edit Edit, format string, args ...any) {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	p.emit(p.rule, n, msg, &edit)
}

// makeFix turns edit into the bytes to replace for the scalar at line/col in src: the scalar must sit
// on one line, and its text must be what yaml.v3 read (so a mistake about the extent cannot corrupt
// the file).
func makeFix(src *source, line, col int, kind yaml.Kind, style yaml.Style, value string, edit Edit) *Fix {
	if src == nil || kind != yaml.ScalarNode || line < 1 || col < 1 || style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return nil
	}
	lt := src.get(line)
	if col > lt.length() {
		return nil
	}
	endLine, endCol := src.span(&yaml.Node{Kind: kind, Style: style, Value: value, Line: line, Column: col})
	if endLine != line || endCol < col || endCol > lt.length() {
		return nil
	}
	text := lt.text[lt.byteOffset(col-1):lt.byteOffset(endCol)]
	if !scalarTextIs(text, style, value) {
		return nil
	}
	var replacement string
	switch {
	case edit.quote:
		if style != 0 {
			return nil // already quoted: nothing certain to do
		}
		replacement = doubleQuoted(text)
	case style&yaml.SingleQuotedStyle != 0:
		replacement = "'" + strings.ReplaceAll(edit.value, "'", "''") + "'"
	case style&yaml.DoubleQuotedStyle != 0 || !plainSafe(edit.value):
		replacement = doubleQuoted(edit.value)
	default:
		replacement = edit.value
	}
	if !validUTF8Line(replacement) {
		return nil
	}
	lineStart := src.starts[line-1]
	start := lineStart + lt.byteOffset(col-1)
	end := start + len(text)
	return &Fix{
		Start:       Position{Line: line, Column: col, Offset: start},
		End:         Position{Line: line, Column: endCol + 1, Offset: end},
		Replacement: replacement,
		Description: edit.Description,
	}
}

// scalarTextIs reports whether text, a scalar's source, is the value yaml.v3 read, in its style.
func scalarTextIs(text string, style yaml.Style, value string) bool {
	switch {
	case style&yaml.DoubleQuotedStyle != 0:
		return len(text) >= 2 && text[0] == '"' && text[len(text)-1] == '"' && !strings.Contains(text[1:len(text)-1], `\`) &&
			text[1:len(text)-1] == value
	case style&yaml.SingleQuotedStyle != 0:
		return len(text) >= 2 && text[0] == '\'' && text[len(text)-1] == '\'' &&
			strings.ReplaceAll(text[1:len(text)-1], "''", "'") == value
	case style == 0:
		return text == value && text != ""
	}
	return false
}

var plainSafeValue = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.+/-]*$`)

// plainSafe reports whether value can be written without quotes and still read as that string.
func plainSafe(value string) bool {
	return plainSafeValue.MatchString(value) && CoreSchemaType(value) == TypeString
}

func doubleQuoted(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// ApplyFixes applies fixes to data: in file order, each once, leaving out a fix that overlaps one
// already applied (it is returned in skipped, to be reported again). Every byte outside the applied
// ranges is unchanged.
func ApplyFixes(data []byte, fixes []Fix) (out []byte, applied, skipped []Fix) {
	sorted := append([]Fix(nil), fixes...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Start.Offset < sorted[j].Start.Offset })
	var b strings.Builder
	b.Grow(len(data))
	at := 0
	for _, f := range sorted {
		if f.Start.Offset < at || f.End.Offset > len(data) || f.End.Offset < f.Start.Offset {
			skipped = append(skipped, f)
			continue
		}
		b.Write(data[at:f.Start.Offset])
		b.WriteString(f.Replacement)
		at = f.End.Offset
		applied = append(applied, f)
	}
	b.Write(data[at:])
	return []byte(b.String()), applied, skipped
}

// FixedLines returns the lines of data (each with its line break) and of fixed, for a diff: fixes
// never change the number of lines.
func FixedLines(data []byte) []string {
	var lines []string
	for i := 0; i < len(data); {
		j := i
		for j < len(data) {
			if l := breakLen(data, j); l > 0 {
				j += l
				break
			}
			j++
		}
		lines = append(lines, string(data[i:j]))
		i = j
	}
	return lines
}

// validUTF8Line is a guard for replacements: they are single-line text.
func validUTF8Line(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsAny(s, "\r\n\u0085\u2028\u2029")
}
