package linter

import (
	"bytes"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// maxSnippet is the longest line shown under a finding; a longer line (minified or generated YAML)
// is not repeated in the output.
const maxSnippet = 1000

// source gives line text and node extents for one file. The line index is built on first use, so a
// file without findings costs nothing here, and each line is decoded once however many findings it
// has: a hostile file can put thousands of findings on one long line.
type source struct {
	data   []byte
	starts []int
	lines  map[int]*lineText
	// nodes are the value nodes by position, parsed again on first use (nodeAt).
	nodes map[[2]int]*yaml.Node
}

// nodeAt returns the node at line and column (1-based) of the source's YAML, preferring a scalar or
// an alias to the mapping that starts there; nil when there is none. The file is parsed again, once:
// a question does not keep its node, and only an answer with a fix needs the value's style and text.
func (s *source) nodeAt(line, col int) *yaml.Node {
	if s.nodes == nil {
		s.nodes = map[[2]int]*yaml.Node{}
		var walk func(n *yaml.Node)
		walk = func(n *yaml.Node) {
			at := [2]int{n.Line, n.Column}
			if prev := s.nodes[at]; prev == nil || n.Kind == yaml.ScalarNode || n.Kind == yaml.AliasNode {
				s.nodes[at] = n
			}
			for _, c := range n.Content {
				walk(c)
			}
		}
		docs, _ := parseFile(s.data)
		for _, d := range docs {
			walk(d.root)
		}
	}
	return s.nodes[[2]int{line, col}]
}

type lineText struct {
	text string
	// raw is the line in the source's data (no copy), and ascii says whether it is all ASCII, one
	// byte a character (nearly every line): such a line's extents are measured on its bytes.
	raw   []byte
	ascii bool
	// runes are the line's characters, decoded on first use for a line that is not ASCII.
	runes []rune
	// offsets[i] is the byte offset of rune i in text, built on first use for lines that are not
	// ASCII (fixes need byte offsets; a hostile line can carry thousands of fixes).
	offsets []int
}

// chars returns the line's characters, for a line that is not ASCII.
func (lt *lineText) chars() []rune {
	if lt.runes == nil {
		lt.runes = []rune(lt.text)
	}
	return lt.runes
}

// length is the line's length in characters.
func (lt *lineText) length() int {
	if lt.ascii {
		return len(lt.text)
	}
	return len(lt.chars())
}

// byteOffset returns the byte offset in the line of the rune at index i (0-based).
func (lt *lineText) byteOffset(i int) int {
	if lt.ascii { // one byte a character
		return i
	}
	if lt.offsets == nil {
		lt.offsets = make([]int, 0, len(lt.chars())+1)
		for off := range lt.text {
			lt.offsets = append(lt.offsets, off)
		}
		lt.offsets = append(lt.offsets, len(lt.text))
	}
	return lt.offsets[i]
}

func (s *source) get(n int) *lineText {
	if n < 1 {
		return &lineText{ascii: true}
	}
	if lt, ok := s.lines[n]; ok {
		return lt
	}
	if s.starts == nil {
		s.starts = lineStarts(s.data)
		s.lines = map[int]*lineText{}
	}
	lt := &lineText{ascii: true} // empty, past the end
	if n <= len(s.starts) {
		start := s.starts[n-1]
		end := len(s.data)
		if n < len(s.starts) {
			end = s.starts[n]
		}
		// Drop the line break itself, whichever it is.
		text := s.data[start:end]
		lt.raw = text[:len(text)-lastBreakLen(text)]
		lt.text = string(lt.raw)
		lt.ascii = isASCII(lt.raw)
	}
	s.lines[n] = lt
	return lt
}

// line returns the text of line n (1-based), or "" when it is too long to show.
func (s *source) line(n int) string {
	if lt := s.get(n); len(lt.text) <= maxSnippet {
		return lt.text
	}
	return ""
}

// breakLen returns the length of the line break starting at data[i], or 0. Line breaks are what
// yaml.v3 (libyaml) counts when it numbers lines: CR LF, CR, LF, NEL, LS and PS. Every line number
// catalog-lint computes itself must agree with the ones yaml.v3 puts in nodes and errors.
func breakLen(data []byte, i int) int {
	switch c := data[i]; {
	case c == '\r':
		if i+1 < len(data) && data[i+1] == '\n' {
			return 2
		}
		return 1
	case c == '\n':
		return 1
	case c == 0xC2 && i+1 < len(data) && data[i+1] == 0x85:
		return 2
	case c == 0xE2 && i+2 < len(data) && data[i+1] == 0x80 && (data[i+2] == 0xA8 || data[i+2] == 0xA9):
		return 3
	}
	return 0
}

// lastBreakLen returns the length of a line break ending text, or 0.
func lastBreakLen(text []byte) int {
	n := len(text)
	switch {
	case n >= 2 && text[n-2] == '\r' && text[n-1] == '\n':
		return 2
	case n >= 1 && (text[n-1] == '\r' || text[n-1] == '\n'):
		return 1
	case n >= 2 && text[n-2] == 0xC2 && text[n-1] == 0x85:
		return 2
	case n >= 3 && text[n-3] == 0xE2 && text[n-2] == 0x80 && (text[n-1] == 0xA8 || text[n-1] == 0xA9):
		return 3
	}
	return 0
}

// lineStarts returns the byte offset at which each line of data starts; lineStarts(data)[0] is 0.
func lineStarts(data []byte) []int {
	starts := append(make([]int, 0, 64), 0)
	if bytes.IndexByte(data, '\r') < 0 && bytes.IndexByte(data, 0xC2) < 0 && bytes.IndexByte(data, 0xE2) < 0 {
		// Only LF breaks the lines (nearly every file): found a vector at a time.
		for i := 0; ; {
			n := bytes.IndexByte(data[i:], '\n')
			if n < 0 {
				return starts
			}
			i += n + 1
			starts = append(starts, i)
		}
	}
	return lineStartsAnyBreak(data, starts)
}

// lineStartsAnyBreak appends to starts the offsets after each line break of every kind.
func lineStartsAnyBreak(data []byte, starts []int) []int {
	for i := 0; i < len(data); {
		if l := breakLen(data, i); l > 0 {
			i += l
			starts = append(starts, i)
			continue
		}
		i++
	}
	return starts
}

// span returns the last line and column (inclusive, 1-based, in characters) that node n occupies
// on its first line. Multi-line values end at the end of their first line: a finding's caret points
// at the start of the value, and editors only need a sensible range.
func (s *source) span(n *yaml.Node) (endLine, endCol int) {
	if n == nil || n.Line < 1 {
		return 0, 0
	}
	lt := s.get(n.Line)
	if lt.ascii {
		return spanIn(lt.raw, n)
	}
	return spanIn(lt.chars(), n)
}

// isASCII reports whether b is all ASCII.
func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// spanIn is span for node n on its line's characters: bytes for an ASCII line, runes for another.
func spanIn[C byte | rune](text []C, n *yaml.Node) (endLine, endCol int) {
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

func hasRunePrefix[C byte | rune](r []C, s string) bool {
	i := 0
	for _, c := range s {
		if i >= len(r) || rune(r[i]) != c {
			return false
		}
		i++
	}
	return true
}

func quotedWidth[C byte | rune](r []C, q C) int {
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
func plainWidth[C byte | rune](r []C) int {
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

func flowWidth[C byte | rune](r []C) int {
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

// LineIndex places findings' lines and columns in a text: lines counted as yaml.v3 counts them
// (CR LF, CR, LF, NEL, LS, PS), columns in characters, whatever an editor's own idea of a line. Build
// it once per text: each lookup is then a step along one line.
type LineIndex struct {
	data   []byte
	starts []int
}

// NewLineIndex indexes the lines of data.
func NewLineIndex(data []byte) *LineIndex { return &LineIndex{data: data, starts: lineStarts(data)} }

// Offset returns the byte offset of a finding's line and column (1-based, the column in
// characters). A column past the end of its line gives the line's end; a line past the end of the
// data, the end of the data.
func (li *LineIndex) Offset(line, column int) int {
	if line < 1 {
		return 0
	}
	if line > len(li.starts) {
		return len(li.data)
	}
	start, end := li.starts[line-1], len(li.data)
	if line < len(li.starts) {
		end = li.starts[line]
		end -= lastBreakLen(li.data[start:end])
	}
	off := start
	for c := 1; c < column && off < end; c++ {
		_, size := utf8.DecodeRune(li.data[off:end])
		off += size
	}
	return off
}

// ByteOffset is NewLineIndex(data).Offset(line, column), for one lookup.
func ByteOffset(data []byte, line, column int) int { return NewLineIndex(data).Offset(line, column) }
