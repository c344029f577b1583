// Package credentials keeps credentials on the host they are for: an HTTP client whose token is added
// by a transport (go-github's WithAuthToken, a GitHub App's installation transport) would add it again
// to a request that a redirect sends to another host.
package credentials

import (
	"net/http"
	"strings"
)

// headers carry credentials: none of them may reach another host.
var headers = []string{"Authorization", "Proxy-Authorization", "Cookie", "Private-Token", "Job-Token"}

// OnlyTo returns a transport that sends requests on through next (nil: http.DefaultTransport),
// removing every credential header from a request to any host but host (host[:port], as in a URL).
// Put it beneath the layer that adds the credentials.
func OnlyTo(host string, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return transport{host: strings.ToLower(host), next: next}
}

type transport struct {
	host string
	next http.RoundTripper
}

func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.EqualFold(req.URL.Host, t.host) {
		return t.next.RoundTrip(req)
	}
	carries := false
	for _, h := range headers {
		carries = carries || req.Header.Get(h) != ""
	}
	if !carries {
		return t.next.RoundTrip(req)
	}
	req = req.Clone(req.Context()) // a RoundTripper must not change the request it is given
	for _, h := range headers {
		req.Header.Del(h)
	}
	return t.next.RoundTrip(req)
}
