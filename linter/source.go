package linter

import (
	"bytes"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// source gives line text and node extents for one file. The line index is built on first use, so
// a file without findings costs nothing here.
type source struct {
	data   []byte
	starts []int
}

func (s *source) line(n int) string {
	if n < 1 {
		return ""
	}
	if s.starts == nil {
		s.starts = append(make([]int, 0, 64), 0)
		for i, c := range s.data {
			if c == '\n' {
				s.starts = append(s.starts, i+1)
			}
		}
	}
	if n > len(s.starts) {
		return ""
	}
	start := s.starts[n-1]
	end := len(s.data)
	if n < len(s.starts) {
		end = s.starts[n] - 1
	}
	if end < start {
		end = start
	}
	return string(bytes.TrimSuffix(s.data[start:end], []byte{'\r'}))
}

// span returns the last line and column (inclusive, 1-based, in characters) that node n occupies
// on its first line. Multi-line values end at the end of their first line: a finding's caret points
// at the start of the value, and editors only need a sensible range.
func (s *source) span(n *yaml.Node) (endLine, endCol int) {
	if n == nil || n.Line < 1 {
		return 0, 0
	}
	text := []rune(s.line(n.Line))
	start := n.Column - 1
	if start < 0 || start >= len(text) {
		return n.Line, n.Column
	}
	rest := text[start:]
	width := 1
	switch {
	case n.Kind == yaml.AliasNode:
		width = 1 + utf8.RuneCountInString(n.Value)
	case n.Kind == yaml.ScalarNode && n.Style&yaml.DoubleQuotedStyle != 0 && rest[0] == '"':
		width = quotedWidth(rest, '"')
	case n.Kind == yaml.ScalarNode && n.Style&yaml.SingleQuotedStyle != 0 && rest[0] == '\'':
		width = quotedWidth(rest, '\'')
	case n.Kind == yaml.ScalarNode && n.Style == 0 && n.Value != "" && hasRunePrefix(rest, n.Value):
		width = utf8.RuneCountInString(n.Value)
	case n.Kind == yaml.ScalarNode && n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0:
		width = plainWidth(rest)
	case n.Kind != yaml.ScalarNode && n.Style&yaml.FlowStyle != 0:
		width = flowWidth(rest)
	}
	if width < 1 {
		width = 1
	}
	return n.Line, n.Column + width - 1
}

func hasRunePrefix(r []rune, s string) bool {
	i := 0
	for _, c := range s {
		if i >= len(r) || r[i] != c {
			return false
		}
		i++
	}
	return true
}

func quotedWidth(r []rune, q rune) int {
	for i := 1; i < len(r); i++ {
		switch {
		case q == '"' && r[i] == '\\':
			i++
		case q == '\'' && r[i] == '\'' && i+1 < len(r) && r[i+1] == '\'':
			i++
		case r[i] == q:
			return i + 1
		}
	}
	return len(r)
}

// plainWidth measures a plain scalar on its line: it ends before ": ", " #", a flow indicator
// (which may end it inside a flow collection) or the end of the line.
func plainWidth(r []rune) int {
	end := 0
	for i := 0; i < len(r); i++ {
		c := r[i]
		if c == ':' && (i+1 == len(r) || r[i+1] == ' ' || r[i+1] == '\t') {
			break
		}
		if c == '#' && i > 0 && (r[i-1] == ' ' || r[i-1] == '\t') {
			break
		}
		if (c == ',' || c == ']' || c == '}') && i > 0 {
			break
		}
		if c != ' ' && c != '\t' {
			end = i + 1
		}
	}
	return end
}

func flowWidth(r []rune) int {
	depth := 0
	for i, c := range r {
		switch c {
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return 1
}
