package rules

import "testing"

// urlCases were produced by Node.js's WHATWG URL parser: new URL(value) succeeds or throws. They pin
// isValidURL to what catalog-model's isValidUrl accepts.
var urlCases = []struct {
	input string
	want  bool
}{
	{"https://example.com", true},
	{"http://example.com:8080/x?y#z", true},
	{"https://", false},
	{"http://", false},
	{"https:example.com", true},
	{"http:/example.com", true},
	{"https://exa mple.com", false},
	{"https://example.com:99999", false},
	{"https://example.com:65535", true},
	{"https://example.com:-1", false},
	{"https://example.com:abc", false},
	{"mailto:team@example.com", true},
	{"urn:isbn:123", true},
	{"file:///etc/hosts", true},
	{"file:", true},
	{"dashboards/payments", false},
	{"/relative", false},
	{"//host/path", false},
	{"example.com", false},
	{"ftp://ftp.example.com", true},
	{"ws://x", true},
	{"wss://x:1", true},
	{"https://user:pass@example.com", true},
	{"https://@example.com", true},
	{"https://[::1]:8080/", true},
	{"https://[::1", false},
	{"https://[zz]/", false},
	{"https://999.1.1.1", false},
	{"https://1.2.3.4", true},
	{"https://0x7f.0.0.1", true},
	{"https://256.0.0.0", false},
	{"https://example.com/a b", true},
	{"https://exa%mple.com", false},
	{"foo://exa%mple.com", true},
	{"foo://a b", false},
	{"https://example.com/<x>", true},
	{"https://ex<ample.com", false},
	{" https://example.com ", true},
	{"https://example.com\n/x", true},
	{"1http://x", false},
	{"ht tp://x", false},
	{"h+t-t.p://x", true},
	{"https://example.com#frag ment", true},
	{"https://xn--nxasmq6b.com", true},
	{"https://b\u00fccher.de", true},
	{"https://a..b", true},
	{"https://.", true},
	{"https://a.b.", true},
	{"https://123", true},
	{"https://12345678901", false},
	{"https://0", true},
	{"C:\\path\\file", true},
	{"c:/x", true},
	{"https:\\\\example.com\\x", true},
	{"https://exam^ple.com", false},
	{"https://exam|ple.com", false},
	{"https://example.com:", true},
	{"https://example.com:0080", true},
	{"foo:", true},
	{"a:", true},
	{"-x:y", false},
	{":x", false},
	{"https://ex_ample.com", true},
	{"https://example.com?x", true},
	{"https://example.com\t/x", true},
	{"HTTPS://EXAMPLE.COM", true},
	{"javascript:alert(1)", true},
	{"data:text/plain,hi", true},
	{"https://a/b/../c", true},
	{"sentry://x", true},
}

func TestIsValidURLMatchesWHATWG(t *testing.T) {
	for _, c := range urlCases {
		if got := isValidURL(c.input); got != c.want {
			t.Errorf("isValidURL(%q) = %v, want %v (new URL in Node.js)", c.input, got, c.want)
		}
	}
}
