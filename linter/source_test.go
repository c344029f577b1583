package linter

import (
	"math/rand"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestLineStartsFastPathAgrees: files broken by LF only take the fast path, and it finds the lines
// that the scan for every kind of break finds; files with CR, NEL, LS or PS take the scan.
func TestLineStartsFastPathAgrees(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	pieces := []string{"a", "key: value", "\n", "\n", " ", "é", "\r\n", "\r", "\u0085", "\u2028", "\u2029", "\u00e9t\u00e9"}
	for i := 0; i < 5000; i++ {
		var data []byte
		lfOnly := i%2 == 0
		for n := rng.Intn(12); n > 0; n-- {
			p := pieces[rng.Intn(len(pieces))]
			if lfOnly && p != "a" && p != "key: value" && p != "\n" && p != " " {
				continue
			}
			data = append(data, p...)
		}
		if got, want := lineStarts(data), lineStartsAnyBreak(data, []int{0}); !slices.Equal(got, want) {
			t.Fatalf("lineStarts(%q) = %v, want %v", data, got, want)
		}
	}
}

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"spec.owner \"team-a\" refers to group:default/team-a": "spec.owner \"team-a\" refers to group:default/team-a",
		"été ok":                  "été ok",
		"a\nb\tc\rd":              `a\nb\tc\rd`,
		"del\x7f":                 `del\u007f`,
		"nel\u0085":               `nel\u0085`,
		"rtl\u202eevil":           `rtl\u202eevil`,
		"ls\u2028":                `ls\u2028`,
		"bad\xffutf8":             `bad\xffutf8`,
		"::error::x\n##[warning]": `::error::x\n##[warning]`,
	} {
		if got := Printable(in); got != want {
			t.Errorf("Printable(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPrintableASCII: eight bytes at a time, every byte value at every place of strings up to 19
// bytes long (a word and a tail on either side) is told as the byte-by-byte test tells it.
func TestPrintableASCII(t *testing.T) {
	naive := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] >= 0x7f {
				return false
			}
		}
		return true
	}
	for n := 0; n < 20; n++ {
		base := []byte(strings.Repeat("a~ Z", 5)[:n])
		if !printableASCII(string(base)) {
			t.Fatalf("%q: not printable", base)
		}
		for at := 0; at < n; at++ {
			for c := 0; c < 256; c++ {
				b := slices.Clone(base)
				b[at] = byte(c)
				if got, want := printableASCII(string(b)), naive(string(b)); got != want {
					t.Fatalf("%q: printableASCII %v, want %v", b, got, want)
				}
			}
		}
	}
	// Bytes at the edges of the range, side by side, where a borrow or a carry could reach a neighbour.
	edges := []byte{0x00, 0x1f, 0x20, 0x21, 0x7d, 0x7e, 0x7f, 0x80, 0xfe, 0xff}
	rng := rand.New(rand.NewSource(5))
	for round := 0; round < 100_000; round++ {
		b := make([]byte, rng.Intn(24))
		for i := range b {
			b[i] = edges[rng.Intn(len(edges))]
		}
		if got, want := printableASCII(string(b)), naive(string(b)); got != want {
			t.Fatalf("%q: printableASCII %v, want %v", b, got, want)
		}
	}
}

func TestByteOffset(t *testing.T) {
	data := []byte("a: 1\r\nné: x\u2028z: 2\nlast")
	for _, tt := range []struct{ line, col, want int }{
		{1, 1, 0}, {1, 4, 3}, {1, 99, 4}, // past the end of a line: its end, before CR LF
		{2, 1, 6}, {2, 2, 7}, {2, 3, 9}, // é is two bytes
		{3, 1, 15}, {3, 4, 18}, {3, 9, 19}, // LS ends line 2, as for yaml.v3
		{4, 3, 22}, {5, 1, len(data)}, {0, 5, 0},
	} {
		if got := ByteOffset(data, tt.line, tt.col); got != tt.want {
			t.Errorf("ByteOffset(%d, %d) = %d, want %d", tt.line, tt.col, got, tt.want)
		}
	}
}

// TestSpanOnBytesAgreesWithRunes: an ASCII line's extents, measured on its bytes, are those measured
// on its runes, for every node of values of each style; a line that is not ASCII is measured in
// characters.
func TestSpanOnBytesAgreesWithRunes(t *testing.T) {
	data := []byte(`a: plain value # comment
b: "double \" quoted" # x
c: 'single '' quoted'
d: [x, "y", {z: 1}]
e: &anchor {k: v}
f: *anchor
g: key:with:colons
h: |
  literal
i: héllo wörld
j: "naïve"
`)
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	s := &source{data: data}
	checked := 0
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Line > 0 && n.Kind != yaml.DocumentNode {
			lt := s.get(n.Line)
			if lt.ascii {
				bl, bc := spanIn(lt.raw, n)
				rl, rc := spanIn([]rune(lt.text), n)
				if bl != rl || bc != rc {
					t.Errorf("line %d column %d: on bytes %d:%d, on runes %d:%d", n.Line, n.Column, bl, bc, rl, rc)
				}
				checked++
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	if checked < 20 {
		t.Fatalf("%d nodes on ASCII lines checked", checked)
	}
	// "héllo wörld" starts at column 4 and is 11 characters (13 bytes) long.
	if s.get(10).ascii {
		t.Fatal("line 10 taken for ASCII")
	}
	if _, end := s.span(doc.Content[0].Content[17]); end != 14 {
		t.Errorf("héllo wörld ends at column %d, want 14", end)
	}
}
