package rules

import (
	"strconv"
	"strings"

	"github.com/catalog-lint/catalog-lint/internal/slugs"
)

// The field formats of @backstage/catalog-model 1.10.1 (KubernetesValidatorFunctions,
// CommonValidatorFunctions and makeValidator), written out by hand: they run on every entity and Go's
// regexp has no lookaround anyway. Every pattern is ASCII-only, so byte length equals JavaScript's
// string length for any value that can pass.

func isAlnum(c byte) bool { return slugs.IsAlnum(c) }

func isLowerAlnum(c byte) bool { return slugs.IsLowerAlnum(c) }

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

// suggest and hint are slugs.Suggest and slugs.Hint, which the integrations' format rules share.
func suggest(s string, lower bool, keep func(c byte) bool) string {
	return slugs.Suggest(s, lower, keep)
}

func hint(s, suggestion string) string { return slugs.Hint(s, suggestion) }

func nameChar(c byte) bool { return isAlnum(c) || c == '-' || c == '_' || c == '.' }

func dnsChar(c byte) bool { return isLowerAlnum(c) || c == '-' }

func tagChar(c byte) bool { return isLowerAlnum(c) || c == ':' || c == '+' || c == '#' || c == '-' }

func quote(s string) string { return strconv.Quote(s) }
