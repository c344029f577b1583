package lsp

import (
	"sort"
	"unicode/utf8"

	protocol "github.com/tliron/glsp/protocol_3_16"

	"github.com/catalog-lint/catalog-lint/linter"
)

// text is a document's content with what converting between catalog-lint's positions and the
// editor's needs: the editor counts lines broken by LF, CR LF or CR (LSP), and characters in UTF-16
// code units; findings count lines as yaml.v3 does and characters as runes, and fixes carry byte
// offsets.
type text struct {
	data   []byte
	starts []int             // byte offset of each LSP line
	yaml   *linter.LineIndex // findings' lines, built on first use
}

// offsetOf is the byte offset of a finding's line and column (yaml.v3's lines, characters).
func (t *text) offsetOf(line, column int) int {
	if t.yaml == nil {
		t.yaml = linter.NewLineIndex(t.data)
	}
	return t.yaml.Offset(line, column)
}

func newText(s string) *text {
	t := &text{data: []byte(s), starts: []int{0}}
	t.yaml = linter.NewLineIndex(t.data)
	for i := 0; i < len(t.data); i++ {
		switch t.data[i] {
		case '\n':
			t.starts = append(t.starts, i+1)
		case '\r':
			if i+1 < len(t.data) && t.data[i+1] == '\n' {
				i++
			}
			t.starts = append(t.starts, i+1)
		}
	}
	return t
}

// position is the editor's position of byte offset off.
func (t *text) position(off int) protocol.Position {
	off = max(0, min(off, len(t.data)))
	line := sort.Search(len(t.starts), func(i int) bool { return t.starts[i] > off }) - 1
	units := 0
	for i := t.starts[line]; i < off; {
		r, size := utf8.DecodeRune(t.data[i:off])
		if r >= 0x10000 {
			units += 2
		} else {
			units++
		}
		i += size
	}
	return protocol.Position{Line: protocol.UInteger(line), Character: protocol.UInteger(units)}
}

// offset is the byte offset of the editor's position p (clamped to its line).
func (t *text) offset(p protocol.Position) int {
	line := int(p.Line)
	if line >= len(t.starts) {
		return len(t.data)
	}
	end := len(t.data)
	if line+1 < len(t.starts) {
		end = t.starts[line+1]
	}
	off, units := t.starts[line], 0
	for off < end && units < int(p.Character) {
		r, size := utf8.DecodeRune(t.data[off:end])
		if r == '\n' || r == '\r' {
			break
		}
		if r >= 0x10000 {
			units += 2
		} else {
			units++
		}
		off += size
	}
	return off
}

// findingRange is where a finding is in the editor: from its line and column to its end (inclusive
// in findings, exclusive here); a finding about the whole file (line 0) marks the first line.
func (t *text) findingRange(f linter.Finding) protocol.Range {
	if f.Line < 1 {
		end := len(t.data)
		if len(t.starts) > 1 {
			end = t.starts[1]
		}
		return protocol.Range{Start: t.position(0), End: t.position(trimBreak(t.data, 0, end))}
	}
	start := t.offsetOf(f.Line, f.Column)
	endLine, endCol := f.EndLine, f.EndColumn
	if endLine < f.Line || endLine == f.Line && endCol < f.Column {
		endLine, endCol = f.Line, f.Column
	}
	end := t.offsetOf(endLine, endCol+1)
	return protocol.Range{Start: t.position(start), End: t.position(max(start, end))}
}

func trimBreak(data []byte, start, end int) int {
	for end > start && (data[end-1] == '\n' || data[end-1] == '\r') {
		end--
	}
	return end
}
