// Package brokertest is an in-process access broker for tests: an OAuth 2.0 authorization server that
// publishes RFC 8414 metadata and implements RFC 8693 token exchange at its token endpoint, as a broker
// in front of Sentry does. It checks client authentication (HTTP Basic with form-urlencoded parts, RFC
// 6749 section 2.3.1), the grant type, the subject token and its type, the resource and the scopes, in
// that order, and answers errors as RFC 6749 section 5.2 says: 400 (401 with WWW-Authenticate for
// invalid_client), a JSON body with error and error_description, Cache-Control: no-store. The tokens
// it issues expire after Lifetime; Valid tells a resource server (the fake Sentry) whether one is
// current.
//
// GitHubOIDC stands in for the GitHub Actions token service a job with `id-token: write` can ask.
package brokertest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/catalog-lint/catalog-lint/sentry/tokenexchange"
)

// Broker is a fake authorization server. Configure it before the first request.
type Broker struct {
	*httptest.Server

	// ClientID and ClientSecret, when ClientSecret is set, must come as HTTP Basic credentials.
	ClientID, ClientSecret string
	// AcceptSubject decides whether a subject token of a type is acceptable; nil accepts none.
	AcceptSubject func(token, tokenType string) error
	// Resource is the only resource tokens are issued for ("" accepts any, and none).
	Resource string
	// AllowedScopes are the scopes a client may ask for (nil: any).
	AllowedScopes []string
	// Lifetime of issued tokens; 0 leaves expires_in out of the answer (and the tokens never expire).
	Lifetime time.Duration
	// Now is the broker's clock.
	Now func() time.Time
	// Fail, when set, may take over a token request with a status to answer (0: answer normally).
	Fail func(n int) int
	// Refuse, when set, answers every exchange with this OAuth error code and description.
	Refuse            string
	RefuseDescription string
	// IssuerPath is added to the server URL to make the issuer (for RFC 8414 path-inserted metadata).
	IssuerPath string
	// MetadataIssuer, when set, is what the metadata claims as issuer (to test the RFC 8414 check).
	MetadataIssuer string
	// NoExchangeGrant leaves token exchange out of grant_types_supported.
	NoExchangeGrant bool

	mu        sync.Mutex
	issued    map[string]issuedToken
	exchanges int
	metadata  int
	last      url.Values
}

type issuedToken struct {
	expires  time.Time
	resource string
	scopes   []string
}

// New starts a broker. Stop it with Close.
func New() *Broker {
	b := &Broker{Now: time.Now, issued: map[string]issuedToken{}, Lifetime: 5 * time.Second}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/", b.serveMetadata)
	mux.HandleFunc("/oauth2/token", b.serveToken)
	b.Server = httptest.NewServer(mux)
	return b
}

// Issuer is the broker's issuer identifier.
func (b *Broker) Issuer() string { return b.URL + b.IssuerPath }

// TokenEndpoint is where exchanges go.
func (b *Broker) TokenEndpoint() string { return b.URL + "/oauth2/token" }

// Exchanges returns how many token requests arrived, successful or not.
func (b *Broker) Exchanges() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.exchanges
}

// MetadataRequests returns how many metadata requests arrived.
func (b *Broker) MetadataRequests() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.metadata
}

// LastRequest returns the form of the last token request.
func (b *Broker) LastRequest() url.Values {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.last
}

// Valid reports whether the broker issued token and it has not expired by the broker's clock; it
// returns the scopes granted.
func (b *Broker) Valid(token string) ([]string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, ok := b.issued[token]
	if !ok || (!t.expires.IsZero() && !b.Now().Before(t.expires)) {
		return nil, false
	}
	return t.scopes, true
}

func (b *Broker) serveMetadata(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	b.metadata++
	b.mu.Unlock()
	if r.URL.Path != "/.well-known/oauth-authorization-server"+b.IssuerPath {
		http.NotFound(w, r)
		return
	}
	grants := []string{"client_credentials", tokenexchange.GrantType}
	if b.NoExchangeGrant {
		grants = grants[:1]
	}
	issuer := b.Issuer()
	if b.MetadataIssuer != "" {
		issuer = b.MetadataIssuer
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"issuer":                                issuer,
		"token_endpoint":                        b.TokenEndpoint(),
		"grant_types_supported":                 grants,
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic"},
		"response_types_supported":              []string{"code"},
	})
}

func oauthError(w http.ResponseWriter, status int, code, description string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	if status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Basic realm="broker"`)
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}

func (b *Broker) serveToken(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	b.exchanges++
	n := b.exchanges
	b.mu.Unlock()
	if b.Fail != nil {
		if status := b.Fail(n); status != 0 {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(status)
			_, _ = w.Write([]byte("<html><body>upstream unavailable</body></html>"))
			return
		}
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "the token endpoint takes POST")
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "unreadable form")
		return
	}
	form := r.PostForm
	b.mu.Lock()
	b.last = form
	b.mu.Unlock()

	// Client authentication comes first (RFC 6749 section 3.2.1).
	if b.ClientSecret != "" {
		id, secret, ok := basicAuth(r)
		if !ok || id != b.ClientID || secret != b.ClientSecret {
			oauthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed")
			return
		}
	}
	if b.Refuse != "" {
		oauthError(w, http.StatusBadRequest, b.Refuse, b.RefuseDescription)
		return
	}
	if form.Get("grant_type") != tokenexchange.GrantType {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("grant type %q is not supported", form.Get("grant_type")))
		return
	}
	subject, subjectType := form.Get("subject_token"), form.Get("subject_token_type")
	if subject == "" || subjectType == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "subject_token and subject_token_type are required")
		return
	}
	if b.AcceptSubject == nil {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "no subject tokens are trusted")
		return
	}
	if err := b.AcceptSubject(subject, subjectType); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_grant", err.Error())
		return
	}
	resource := form.Get("resource")
	if b.Resource != "" && resource != b.Resource {
		oauthError(w, http.StatusBadRequest, "invalid_target", fmt.Sprintf("no policy allows access to resource %q", resource))
		return
	}
	var scopes []string
	if s := form.Get("scope"); s != "" {
		scopes = strings.Fields(s)
	}
	for _, sc := range scopes {
		if b.AllowedScopes != nil && !has(b.AllowedScopes, sc) {
			oauthError(w, http.StatusBadRequest, "invalid_scope", fmt.Sprintf("scope %q is not allowed for this resource", sc))
			return
		}
	}
	if scopes == nil {
		scopes = b.AllowedScopes
	}
	token := "kc_at_" + randomHex(16)
	t := issuedToken{resource: resource, scopes: scopes}
	answer := map[string]any{
		"access_token":      token,
		"issued_token_type": tokenexchange.TokenTypeAccessToken,
		"token_type":        "Bearer",
	}
	if b.Lifetime > 0 {
		t.expires = b.Now().Add(b.Lifetime)
		answer["expires_in"] = int(b.Lifetime / time.Second)
	}
	if len(scopes) > 0 {
		answer["scope"] = strings.Join(scopes, " ")
	}
	b.mu.Lock()
	b.issued[token] = t
	b.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(answer)
}

// basicAuth reads HTTP Basic credentials whose parts are form-urlencoded (RFC 6749 section 2.3.1).
func basicAuth(r *http.Request) (string, string, bool) {
	h, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Basic ")
	if !ok {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(h)
	if err != nil {
		return "", "", false
	}
	id, secret, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", false
	}
	id, err1 := url.QueryUnescape(id)
	secret, err2 := url.QueryUnescape(secret)
	return id, secret, ok && err1 == nil && err2 == nil
}

func has(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func randomHex(n int) string {
	buf := make([]byte, n)
	_, _ = rand.Read(buf)
	return hex.EncodeToString(buf)
}

// GitHubOIDC stands in for the GitHub Actions OIDC token service: a GET to RequestURL with
// `Authorization: Bearer RequestToken` and an optional audience parameter returns {"count": n,
// "value": "<JWT>"}. The JWTs it issues carry the audience; Audience tells it back.
type GitHubOIDC struct {
	*httptest.Server
	// RequestToken is the runtime token a job gets in ACTIONS_ID_TOKEN_REQUEST_TOKEN.
	RequestToken string

	mu       sync.Mutex
	issued   map[string]string // token -> audience
	requests int
}

// NewGitHubOIDC starts the fake token service.
func NewGitHubOIDC() *GitHubOIDC {
	g := &GitHubOIDC{RequestToken: "ghs_runtime_" + randomHex(12), issued: map[string]string{}}
	g.Server = httptest.NewServer(http.HandlerFunc(g.serve))
	return g
}

// RequestURL is what a job gets in ACTIONS_ID_TOKEN_REQUEST_URL: it already has a query.
func (g *GitHubOIDC) RequestURL() string {
	return g.URL + "/00000000-0000-0000-0000-000000000000/_apis/distributedtask/hubs/Actions/plans/1/jobs/2/idtoken?api-version=2.0"
}

// Env returns the two variables a job with `id-token: write` has.
func (g *GitHubOIDC) Env() map[string]string {
	return map[string]string{tokenexchange.EnvOIDCRequestURL: g.RequestURL(), tokenexchange.EnvOIDCRequestToken: g.RequestToken}
}

// Audience returns the audience token was issued for, and whether the service issued it.
func (g *GitHubOIDC) Audience(token string) (string, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	aud, ok := g.issued[token]
	return aud, ok
}

// Requests returns how many token requests arrived.
func (g *GitHubOIDC) Requests() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.requests
}

func (g *GitHubOIDC) serve(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	g.requests++
	g.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/idtoken") || r.URL.Query().Get("api-version") == "" {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"message":"not found"}`))
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+g.RequestToken {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"message":"Unauthorized"}`))
		return
	}
	aud := r.URL.Query().Get("audience")
	if aud == "" {
		aud = "https://github.com/acme" // GitHub's default: the URL of the repository owner
	}
	claims, _ := json.Marshal(map[string]any{
		"iss": "https://token.actions.githubusercontent.com", "aud": aud,
		"sub": "repo:acme/payments:ref:refs/heads/main", "repository": "acme/payments",
		"exp": time.Now().Add(5 * time.Minute).Unix(), "jti": randomHex(8),
	})
	enc := base64.RawURLEncoding
	token := enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT","kid":"test"}`)) + "." +
		enc.EncodeToString(claims) + "." + enc.EncodeToString([]byte(randomHex(32)))
	g.mu.Lock()
	g.issued[token] = aud
	g.mu.Unlock()
	_ = json.NewEncoder(w).Encode(map[string]any{"count": len(token), "value": token})
}
