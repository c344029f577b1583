// Package slugs turns an invalid identifier into a close valid one for "for example …" hints: the
// rules of Backstage's own formats and the integrations' format rules share it.
package slugs

import (
	"strconv"
	"strings"
)

// Suggest turns an invalid value into a close valid one: characters outside keep become '-', runs of
// '-' collapse, the ends are trimmed to alphanumerics, and the result is cut to 63 characters. It
// returns "" when nothing usable is left.
func Suggest(s string, lower bool, keep func(c byte) bool) string {
	if lower {
		s = strings.ToLower(s)
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !keep(c) {
			c = '-'
		}
		if c == '-' && (b.Len() == 0 || strings.HasSuffix(b.String(), "-")) {
			continue
		}
		b.WriteByte(c)
	}
	out := b.String()
	if len(out) > 63 {
		out = out[:63]
	}
	out = strings.TrimRightFunc(out, func(r rune) bool { return r > 127 || !IsAlnum(byte(r)) })
	out = strings.TrimLeftFunc(out, func(r rune) bool { return r > 127 || !IsAlnum(byte(r)) })
	return out
}

// Hint formats a suggestion as "; for example %q" when there is one and it differs from s.
func Hint(s, suggestion string) string {
	if suggestion == "" || suggestion == s {
		return ""
	}
	return "; for example " + strconv.Quote(suggestion)
}

// IsAlnum reports whether c is an ASCII letter or digit.
func IsAlnum(c byte) bool { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z') }

// IsLowerAlnum reports whether c is a lowercase ASCII letter or a digit.
func IsLowerAlnum(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') }
