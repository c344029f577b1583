package rules

import (
	"strconv"
	"strings"
)

var tabNewline = strings.NewReplacer("\t", "", "\n", "", "\r", "")

// specialSchemes are the WHATWG URL Standard's special schemes (other than file), which need a host.
var specialSchemes = map[string]bool{"http": true, "https": true, "ws": true, "wss": true, "ftp": true}

// isValidURL reports whether JavaScript's `new URL(value)` accepts value without a base, which is
// what catalog-model's isValidUrl asks. Go's net/url is far more lenient (it accepts relative
// references), so the WHATWG rules that matter for catalog links are written out: a scheme is
// required; special schemes need a non-empty host without forbidden code points and a valid port.
func isValidURL(s string) bool {
	// The parser strips leading and trailing C0 controls and spaces, and removes tabs and newlines.
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	if strings.ContainsAny(s, "\t\n\r") {
		s = tabNewline.Replace(s)
	}
	colon := strings.IndexByte(s, ':')
	if colon < 1 {
		return false
	}
	scheme := strings.ToLower(s[:colon])
	for i := 0; i < len(scheme); i++ {
		c := scheme[i]
		if !(c >= 'a' && c <= 'z') && (i == 0 || !(isDigit(c) || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	rest := s[colon+1:]
	if scheme == "file" {
		return true
	}
	if !specialSchemes[scheme] {
		if !strings.HasPrefix(rest, "//") {
			return true // opaque path: mailto:x, urn:y
		}
		return validAuthority(rest[2:], false)
	}
	// Special schemes: any number of slashes or backslashes, then the authority.
	return validAuthority(strings.TrimLeft(rest, `/\`), true)
}

func validAuthority(rest string, special bool) bool {
	end := strings.IndexAny(rest, `/?#`)
	if special {
		end = strings.IndexAny(rest, `/\?#`)
	}
	if end >= 0 {
		rest = rest[:end]
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		rest = rest[at+1:]
	}
	host, port := rest, ""
	if strings.HasPrefix(rest, "[") {
		close := strings.IndexByte(rest, ']')
		if close < 0 {
			return false
		}
		host, port = rest[:close+1], strings.TrimPrefix(rest[close+1:], ":")
		if rest[close+1:] != "" && !strings.HasPrefix(rest[close+1:], ":") {
			return false
		}
	} else if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		host, port = rest[:i], rest[i+1:]
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 0 || n > 65535 || strings.ContainsAny(port, "+-") {
			return false
		}
	}
	if host == "" {
		return !special
	}
	if strings.HasPrefix(host, "[") {
		return validIPv6(host[1 : len(host)-1])
	}
	forbidden := " #/:<>?@[\\]^|"
	if special {
		forbidden += "%"
	}
	for _, r := range host {
		if r < ' ' || r == 0x7f || strings.ContainsRune(forbidden, r) {
			return false
		}
	}
	if special && endsInNumber(host) {
		return validIPv4(host)
	}
	return true
}

func validIPv6(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(isDigit(byte(r)) || (r >= 'a' && r <= 'f') || (r >= 'A' && r <= 'F') || r == ':' || r == '.') || r > 127 {
			return false
		}
	}
	return strings.Contains(s, ":")
}

// endsInNumber is the URL Standard's "ends in a number" check: a host whose last label is numeric
// must parse as an IPv4 address.
func endsInNumber(host string) bool {
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	last := labels[len(labels)-1]
	if last == "" {
		return false
	}
	if strings.HasPrefix(strings.ToLower(last), "0x") {
		return true
	}
	for i := 0; i < len(last); i++ {
		if !isDigit(last[i]) {
			return false
		}
	}
	return true
}

func validIPv4(host string) bool {
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	if len(labels) > 4 {
		return false
	}
	for i, l := range labels {
		base := 10
		switch {
		case strings.HasPrefix(strings.ToLower(l), "0x"):
			base, l = 16, l[2:]
		case len(l) > 1 && l[0] == '0':
			base, l = 8, l[1:]
		}
		if l == "" {
			continue
		}
		n, err := strconv.ParseUint(l, base, 64)
		if err != nil {
			return false
		}
		limit := uint64(255)
		if i == len(labels)-1 {
			limit = 1<<(8*(5-len(labels))) - 1
		}
		if n > limit {
			return false
		}
	}
	return true
}
