package linter

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Printable returns s with every character that could change how an output is read written as an
// escape: control characters (a newline would start a new line of a log, where a CI runner may read
// it as a command such as ##[warning] or ::error::), the line and paragraph separators, and the
// bidirectional controls that reorder text on screen. Messages and notices carry values from the
// files; the engine passes each through Printable, so that no output format has to trust them.
func Printable(s string) string {
	if printableASCII(s) { // nearly every message
		return s
	}
	clean := true
	for _, r := range s {
		if unprintable(r) {
			clean = false
			break
		}
	}
	if clean && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case unprintable(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// printableASCII reports whether every byte of s is printable ASCII (0x20 to 0x7e), eight bytes at a
// time: every message of a run goes through Printable, 300,000 at 100,000 services.
func printableASCII(s string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		// A byte under 0x20 borrows into its high bit, one over 0x7e carries into it, one of 0x80 or
		// more has it set (bit tricks of "hasless" and "hasmore"; a borrow or carry into the next
		// byte only follows a byte already found).
		if (w-0x20*ones)&^w&highs != 0 || (w+ones|w)&highs != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

func unprintable(r rune) bool {
	switch {
	case r >= 0x20 && r < 0x7f: // printable ASCII, nearly every character
		return false
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f: // C0, DEL, C1 (NEL is 0x85)
		return true
	case r == 0x2028, r == 0x2029: // line and paragraph separators
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c: // bidi
		return true
	}
	return !unicode.IsPrint(r) && !unicode.IsSpace(r) && r != utf8.RuneError
}
