package rules

import (
	"strconv"
	"strings"
)

// The field formats of @backstage/catalog-model 1.10.1 (KubernetesValidatorFunctions,
// CommonValidatorFunctions and makeValidator), written out by hand: they run on every entity and Go's
// regexp has no lookaround anyway. Every pattern is ASCII-only, so byte length equals JavaScript's
// string length for any value that can pass.

func isAlnum(c byte) bool { return isLowerAlnum(c) || (c >= 'A' && c <= 'Z') }

func isLowerAlnum(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') }

// isValidDNSLabel: 1..63 characters, /^[a-z0-9]+(?:\-+[a-z0-9]+)*$/ (runs of hyphens are allowed
// between alphanumerics since 1.10).
func isValidDNSLabel(s string) bool {
	if len(s) < 1 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isLowerAlnum(s[i]) && s[i] != '-' {
			return false
		}
	}
	return true
}

// isValidDNSSubdomain: 1..253 characters of dot-separated DNS labels.
func isValidDNSSubdomain(s string) bool {
	if len(s) < 1 || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if !isValidDNSLabel(label) {
			return false
		}
	}
	return true
}

// isValidObjectName: 1..63 characters, /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/.
func isValidObjectName(s string) bool {
	if len(s) < 1 || len(s) > 63 || !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

// isValidPrefixAndOrSuffix: `suffix` or `prefix/suffix`; more than one separator fails.
func isValidPrefixAndOrSuffix(s string, prefix, suffix func(string) bool) bool {
	parts := strings.Split(s, "/")
	switch len(parts) {
	case 1:
		return suffix(parts[0])
	case 2:
		return prefix(parts[0]) && suffix(parts[1])
	}
	return false
}

// isValidAPIVersion: optional DNS-subdomain prefix, suffix /^[a-z0-9A-Z]+$/ of 1..63 characters.
func isValidAPIVersion(s string) bool {
	return isValidPrefixAndOrSuffix(s, isValidDNSSubdomain, func(v string) bool {
		if len(v) < 1 || len(v) > 63 {
			return false
		}
		for i := 0; i < len(v); i++ {
			if !isAlnum(v[i]) {
				return false
			}
		}
		return true
	})
}

// isValidKind: 1..63 characters, /^[a-zA-Z][a-z0-9A-Z]*$/.
func isValidKind(s string) bool {
	if len(s) < 1 || len(s) > 63 || isDigit(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isValidKey is the label and annotation key format: optional DNS-subdomain prefix, object-name suffix.
func isValidKey(s string) bool {
	return isValidPrefixAndOrSuffix(s, isValidDNSSubdomain, isValidObjectName)
}

// isValidLabelValue: empty, or an object name.
func isValidLabelValue(s string) bool { return s == "" || isValidObjectName(s) }

// isValidTag: 1..63 characters, /^[a-z0-9:+#]+(\-[a-z0-9:+#]+)*$/ (single hyphens only).
func isValidTag(s string) bool {
	if len(s) < 1 || len(s) > 63 {
		return false
	}
	prevHyphen := true // a tag must not start with a hyphen
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isLowerAlnum(c) || c == ':' || c == '+' || c == '#':
			prevHyphen = false
		case c == '-' && !prevHyphen:
			prevHyphen = true
		default:
			return false
		}
	}
	return !prevHyphen
}

// suggest turns an invalid value into a close valid one for "did you mean" hints: characters
// outside keep become '-', runs of '-' collapse, the ends are trimmed to alphanumerics, and the
// result is cut to 63 characters. It returns "" when nothing usable is left.
func suggest(s string, lower bool, keep func(c byte) bool) string {
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
	out = strings.TrimRightFunc(out, func(r rune) bool { return r > 127 || !isAlnum(byte(r)) })
	out = strings.TrimLeftFunc(out, func(r rune) bool { return r > 127 || !isAlnum(byte(r)) })
	return out
}

func nameChar(c byte) bool { return isAlnum(c) || c == '-' || c == '_' || c == '.' }

func dnsChar(c byte) bool { return isLowerAlnum(c) || c == '-' }

func tagChar(c byte) bool { return isLowerAlnum(c) || c == ':' || c == '+' || c == '#' || c == '-' }

// hint formats a suggestion as "; use %q" when there is one and it differs from s.
func hint(s, suggestion string) string {
	if suggestion == "" || suggestion == s {
		return ""
	}
	return "; for example " + quote(suggestion)
}

func quote(s string) string { return strconv.Quote(s) }
