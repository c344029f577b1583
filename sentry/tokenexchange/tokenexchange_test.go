package tokenexchange_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/catalog-lint/catalog-lint/sentry"
	"github.com/catalog-lint/catalog-lint/sentry/sentrytest"
	"github.com/catalog-lint/catalog-lint/sentry/tokenexchange"
	"github.com/catalog-lint/catalog-lint/sentry/tokenexchange/brokertest"
)

const (
	clientID      = "catalog-lint-ci"
	clientSecret  = "kc_secret_Zz9/+:%&=" // characters that must be form-urlencoded inside Basic auth
	subjectToken  = "subject_token_7f3a9c0e5b"
	sentryAPI     = "https://sentry.io/api/0"
	sentryScopes  = "org:read project:read"
	brokerLifetim = 5 * time.Second
)

// clock is a settable time shared by the broker and the source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func noSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// broker starts a broker that trusts subjectToken (as an access token) from the test client and
// issues tokens for Sentry's API that live five seconds.
func broker(t testing.TB, clk *clock) *brokertest.Broker {
	t.Helper()
	b := brokertest.New()
	t.Cleanup(b.Close)
	b.ClientID, b.ClientSecret = clientID, clientSecret
	b.Resource = sentryAPI
	b.AllowedScopes = strings.Fields(sentryScopes)
	b.Lifetime = brokerLifetim
	b.Now = clk.Now
	b.AcceptSubject = func(token, tokenType string) error {
		if token != subjectToken {
			return errors.New("subject token signature is invalid")
		}
		if tokenType != tokenexchange.TokenTypeAccessToken {
			return fmt.Errorf("subject token type %s is not accepted", tokenType)
		}
		return nil
	}
	return b
}

func baseConfig(b *brokertest.Broker, clk *clock) tokenexchange.Config {
	return tokenexchange.Config{
		TokenEndpoint: b.TokenEndpoint(),
		ClientID:      clientID, ClientSecret: clientSecret,
		Subject:  tokenexchange.Subject{Kind: "env", Name: "BROKER_SUBJECT"},
		Resource: sentryAPI,
		Scopes:   strings.Fields(sentryScopes),
		Getenv:   func(k string) string { return map[string]string{"BROKER_SUBJECT": subjectToken}[k] },
		Now:      clk.Now,
		Sleep:    noSleep,
	}
}

func newSource(t testing.TB, cfg tokenexchange.Config) *tokenexchange.Source {
	t.Helper()
	s, err := tokenexchange.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestExchangeRequest(t *testing.T) {
	clk := newClock()
	b := broker(t, clk)
	src := newSource(t, baseConfig(b, clk))
	token, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := b.Valid(token); !ok {
		t.Errorf("token %q was not issued by the broker", token)
	}
	got := b.LastRequest()
	want := map[string][]string{
		"grant_type":         {tokenexchange.GrantType},
		"subject_token":      {subjectToken},
		"subject_token_type": {tokenexchange.TokenTypeAccessToken},
		"resource":           {sentryAPI},
		"scope":              {sentryScopes},
	}
	if diff := cmp.Diff(want, map[string][]string(got)); diff != "" {
		t.Errorf("token request form (-want +got):\n%s", diff)
	}
	if b.MetadataRequests() != 0 {
		t.Errorf("a configured token endpoint needs no metadata; %d requests", b.MetadataRequests())
	}
}

func TestDiscovery(t *testing.T) {
	for _, path := range []string{"", "/zone-123"} {
		t.Run("issuer path "+path, func(t *testing.T) {
			clk := newClock()
			b := broker(t, clk)
			b.IssuerPath = path
			cfg := baseConfig(b, clk)
			cfg.TokenEndpoint, cfg.Issuer = "", b.Issuer()
			var debug []string
			cfg.Debugf = func(format string, args ...any) { debug = append(debug, fmt.Sprintf(format, args...)) }
			src := newSource(t, cfg)
			for i := 0; i < 3; i++ {
				if _, err := src.Token(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			if b.MetadataRequests() != 1 || b.Exchanges() != 1 {
				t.Errorf("got %d metadata requests and %d exchanges, want 1 and 1", b.MetadataRequests(), b.Exchanges())
			}
			if len(debug) != 2 || !strings.Contains(debug[0], "/oauth2/token") ||
				!strings.Contains(debug[1], "for resource "+sentryAPI) || !strings.Contains(debug[1], "expires 2026-11-23T10:00:05Z (in 5s)") {
				t.Errorf("debug lines: %q", debug)
			}
		})
	}
}

func TestDiscoveryFailures(t *testing.T) {
	tests := []struct {
		name  string
		setup func(b *brokertest.Broker, cfg *tokenexchange.Config)
		want  string
	}{
		{"issuer mismatch", func(b *brokertest.Broker, cfg *tokenexchange.Config) { b.MetadataIssuer = "https://evil.example" },
			`names the issuer "https://evil.example"`},
		{"no token exchange grant", func(b *brokertest.Broker, cfg *tokenexchange.Config) { b.NoExchangeGrant = true },
			"does not offer token exchange"},
		{"no metadata", func(b *brokertest.Broker, cfg *tokenexchange.Config) { cfg.Issuer = b.URL + "/other" },
			"has no authorization server metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			b := broker(t, clk)
			cfg := baseConfig(b, clk)
			cfg.TokenEndpoint, cfg.Issuer = "", b.Issuer()
			tt.setup(b, &cfg)
			_, err := newSource(t, cfg).Token(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
			if b.Exchanges() != 0 {
				t.Errorf("%d exchanges after failed discovery", b.Exchanges())
			}
		})
	}
}

// An issuer that publishes only OpenID Connect discovery is found there.
func TestDiscoveryOpenIDConfiguration(t *testing.T) {
	clk := newClock()
	b := broker(t, clk)
	var issuer string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/tenant/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `{"issuer": %q, "token_endpoint": %q}`, issuer, b.TokenEndpoint())
	}))
	defer srv.Close()
	issuer = srv.URL + "/tenant"
	cfg := baseConfig(b, clk)
	cfg.TokenEndpoint, cfg.Issuer = "", issuer
	if _, err := newSource(t, cfg).Token(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestOAuthErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(b *brokertest.Broker, cfg *tokenexchange.Config)
		want  []string
	}{
		{"invalid_client", func(b *brokertest.Broker, cfg *tokenexchange.Config) { cfg.ClientSecret = "wrong" },
			[]string{"did not accept the client credentials (invalid_client: Client authentication failed)"}},
		{"invalid_grant", func(b *brokertest.Broker, cfg *tokenexchange.Config) {
			cfg.Getenv = func(string) string { return "someone-elses-token" }
		}, []string{"did not accept the subject token (invalid_grant: subject token signature is invalid)", "came from $BROKER_SUBJECT"}},
		{"invalid_target", func(b *brokertest.Broker, cfg *tokenexchange.Config) { cfg.Resource = "https://de.sentry.io/api/0" },
			[]string{`will not issue a token for the requested resource or audience (invalid_target: no policy allows access to resource "https://de.sentry.io/api/0")`,
				"requested resource https://de.sentry.io/api/0"}},
		{"invalid_scope", func(b *brokertest.Broker, cfg *tokenexchange.Config) { cfg.Scopes = []string{"org:admin"} },
			[]string{`will not grant the requested scopes (invalid_scope: scope "org:admin" is not allowed for this resource)`}},
		{"unsupported_grant_type", func(b *brokertest.Broker, cfg *tokenexchange.Config) {
			b.Refuse, b.RefuseDescription = "unsupported_grant_type", "grant type not supported"
		}, []string{"does not support token exchange (RFC 8693) (unsupported_grant_type: grant type not supported)"}},
		{"unauthorized_client", func(b *brokertest.Broker, cfg *tokenexchange.Config) {
			b.Refuse, b.RefuseDescription = "unauthorized_client", "client is not allowed to exchange tokens"
		}, []string{"this client may not use token exchange (unauthorized_client: client is not allowed to exchange tokens)"}},
		{"invalid_request", func(b *brokertest.Broker, cfg *tokenexchange.Config) {
			b.Refuse, b.RefuseDescription = "invalid_request", "missing parameter"
		}, []string{"found the request malformed (invalid_request: missing parameter)"}},
		{"access_denied", func(b *brokertest.Broker, cfg *tokenexchange.Config) {
			b.Refuse, b.RefuseDescription = "access_denied", "policy pol_123 denies repo acme/payments"
		}, []string{"policy denied the exchange (access_denied: policy pol_123 denies repo acme/payments)"}},
		{"unknown code", func(b *brokertest.Broker, cfg *tokenexchange.Config) {
			b.Refuse, b.RefuseDescription = "quota_exceeded", "monthly exchange quota reached"
		}, []string{"answered 400 bad request (quota_exceeded: monthly exchange quota reached)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			b := broker(t, clk)
			cfg := baseConfig(b, clk)
			tt.setup(b, &cfg)
			_, err := newSource(t, cfg).Token(context.Background())
			var te *tokenexchange.Error
			if !errors.As(err, &te) {
				t.Fatalf("got %v, want a *tokenexchange.Error", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
			if te.Temporary {
				t.Error("an OAuth error is not temporary")
			}
		})
	}
}

// A public client sends its ID as client_id and no Authorization header.
func TestPublicClient(t *testing.T) {
	clk := newClock()
	b := broker(t, clk)
	b.ClientSecret = ""
	cfg := baseConfig(b, clk)
	cfg.ClientSecret = ""
	if _, err := newSource(t, cfg).Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := b.LastRequest().Get("client_id"); got != clientID {
		t.Errorf("client_id = %q", got)
	}
}

func TestExpiryAndReexchange(t *testing.T) {
	clk := newClock()
	b := broker(t, clk)
	src := newSource(t, baseConfig(b, clk))
	first, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The token lives 5 s and is replaced a fifth of that before the end.
	clk.Advance(3900 * time.Millisecond)
	if tok, _ := src.Token(context.Background()); tok != first || b.Exchanges() != 1 {
		t.Errorf("at 3.9 s: new token %v, %d exchanges; want the cached one", tok != first, b.Exchanges())
	}
	clk.Advance(200 * time.Millisecond)
	second, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if second == first || b.Exchanges() != 2 {
		t.Errorf("at 4.1 s: same token %v, %d exchanges; want a new one", second == first, b.Exchanges())
	}
	if _, ok := b.Valid(second); !ok {
		t.Error("the new token is not valid at the broker")
	}
	clk.Advance(6 * time.Second)
	if _, ok := b.Valid(second); ok {
		t.Error("the broker's tokens should expire")
	}
}

// sentryBehindBroker is the fake Sentry accepting only the broker's current tokens.
func sentryBehindBroker(t *testing.T, b *brokertest.Broker) *sentrytest.Server {
	t.Helper()
	srv := sentrytest.New()
	t.Cleanup(srv.Close)
	srv.AddProjects("acme", sentrytest.Project{ID: "11", Slug: "payments", Name: "Payments"})
	srv.Authorize = func(token string) (sentrytest.Token, bool) {
		scopes, ok := b.Valid(token)
		return sentrytest.Token{Scopes: scopes}, ok
	}
	return srv
}

func sentryClient(t *testing.T, srv *sentrytest.Server, src sentry.TokenSource) *sentry.Client {
	t.Helper()
	c, err := sentry.NewClient(sentry.Config{BaseURL: srv.URL, Tokens: src, Sleep: noSleep})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSentryWithExchangedTokens(t *testing.T) {
	clk := newClock()
	b := broker(t, clk)
	srv := sentryBehindBroker(t, b)
	src := newSource(t, baseConfig(b, clk))
	c := sentryClient(t, srv, src)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := c.GetProject(ctx, "acme", "payments"); err != nil {
			t.Fatal(err)
		}
	}
	if b.Exchanges() != 1 {
		t.Errorf("%d exchanges for 3 requests within the token's life, want 1", b.Exchanges())
	}
	// Ten seconds later the first token is long gone: a new one is exchanged before asking.
	clk.Advance(10 * time.Second)
	if _, err := c.GetProject(ctx, "acme", "payments"); err != nil {
		t.Fatal(err)
	}
	if b.Exchanges() != 2 || srv.Requests() != 4 {
		t.Errorf("%d exchanges and %d Sentry requests, want 2 and 4 (no request with an expired token)", b.Exchanges(), srv.Requests())
	}
}

// A token Sentry refuses (revoked, or the broker's clock runs ahead) is exchanged again once and the
// request repeated once.
func TestSentry401RetriesOnce(t *testing.T) {
	clk := newClock()
	b := broker(t, clk)
	srv := sentryBehindBroker(t, b)
	src := newSource(t, baseConfig(b, clk))
	c := sentryClient(t, srv, src)
	ctx := context.Background()
	if _, err := c.GetProject(ctx, "acme", "payments"); err != nil {
		t.Fatal(err)
	}
	// The broker's clock (which Sentry trusts) jumps ahead; ours does not: the cached token looks
	// valid to us, and Sentry answers 401.
	brokerClock := newClock()
	brokerClock.Advance(time.Minute)
	b.Now = brokerClock.Now
	srv.ResetCounts()
	if _, err := c.GetProject(ctx, "acme", "payments"); err != nil {
		t.Fatalf("after one re-exchange the request should succeed: %v", err)
	}
	if b.Exchanges() != 2 || srv.Requests() != 2 {
		t.Errorf("%d exchanges, %d Sentry requests; want 2 and 2", b.Exchanges(), srv.Requests())
	}

	// Sentry refuses every token: one re-exchange, one retry, then the 401 is the answer.
	srv.Authorize = func(string) (sentrytest.Token, bool) { return sentrytest.Token{}, false }
	srv.ResetCounts()
	before := b.Exchanges()
	_, err := c.GetProject(ctx, "acme", "payments")
	var ae *sentry.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized || !ae.Renewed {
		t.Fatalf("got %v, want a 401 after renewal", err)
	}
	if n := b.Exchanges() - before; n != 1 || srv.Requests() != 2 {
		t.Errorf("%d exchanges, %d Sentry requests; want 1 and 2, never a loop", n, srv.Requests())
	}
	ans := sentry.NewIndex(c).Lookup(ctx, "acme", []string{"payments"})["payments"]
	if ans.Status != sentry.Unverified || !strings.Contains(ans.Err.Error(), "also when freshly exchanged") {
		t.Errorf("index answer: %+v", ans)
	}
}

// Concurrent lookups with an expired token share one exchange.
func TestConcurrentCallersShareOneExchange(t *testing.T) {
	clk := newClock()
	b := broker(t, clk)
	srv := sentryBehindBroker(t, b)
	srv.Latency = 5 * time.Millisecond
	src := newSource(t, baseConfig(b, clk))
	c := sentryClient(t, srv, src)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.GetProject(context.Background(), "acme", "payments"); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if b.Exchanges() != 1 {
		t.Errorf("%d exchanges for 16 concurrent requests, want 1", b.Exchanges())
	}
}

func TestGitHubOIDC(t *testing.T) {
	clk := newClock()
	b := broker(t, clk)
	gh := brokertest.NewGitHubOIDC()
	defer gh.Close()
	b.ClientSecret = ""
	b.AcceptSubject = func(token, tokenType string) error {
		aud, ok := gh.Audience(token)
		switch {
		case !ok:
			return errors.New("not a GitHub Actions token")
		case aud != "catalog-lint":
			return fmt.Errorf("audience %q is not trusted", aud)
		case tokenType != tokenexchange.TokenTypeIDToken:
			return fmt.Errorf("type %s", tokenType)
		}
		return nil
	}
	env := gh.Env()
	cfg := baseConfig(b, clk)
	cfg.ClientSecret = ""
	cfg.Subject = tokenexchange.Subject{Kind: "github-oidc"}
	cfg.Audience = "catalog-lint"
	cfg.Getenv = func(k string) string { return env[k] }
	src := newSource(t, cfg)
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	if gh.Requests() != 1 || b.LastRequest().Get("audience") != "catalog-lint" ||
		b.LastRequest().Get("subject_token_type") != tokenexchange.TokenTypeIDToken {
		t.Errorf("%d OIDC requests; exchange form %v", gh.Requests(), b.LastRequest())
	}

	t.Run("wrong audience", func(t *testing.T) {
		cfg := cfg
		cfg.Audience = "sts.amazonaws.com"
		_, err := newSource(t, cfg).Token(context.Background())
		if err == nil || !strings.Contains(err.Error(), `audience "sts.amazonaws.com" is not trusted`) ||
			!strings.Contains(err.Error(), "GitHub OIDC token") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("no id-token permission", func(t *testing.T) {
		cfg := cfg
		cfg.Getenv = func(string) string { return "" }
		_, err := newSource(t, cfg).Token(context.Background())
		if err == nil || !strings.Contains(err.Error(), "needs `permissions: id-token: write`") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("bad request token", func(t *testing.T) {
		cfg := cfg
		cfg.Getenv = func(k string) string {
			if k == tokenexchange.EnvOIDCRequestToken {
				return "expired-runtime-token"
			}
			return env[k]
		}
		_, err := newSource(t, cfg).Token(context.Background())
		if err == nil || !strings.Contains(err.Error(), "GitHub's OIDC token service answered 401 unauthorized: Unauthorized") {
			t.Errorf("got %v", err)
		}
	})
}

// A subject token file is read again for every exchange, as a rotated Kubernetes projected token.
func TestFileSubjectIsReread(t *testing.T) {
	clk := newClock()
	b := broker(t, clk)
	path := filepath.Join(t.TempDir(), "token")
	current := "k8s-sa-token-one"
	b.AcceptSubject = func(token, _ string) error {
		if token != current {
			return errors.New("token expired")
		}
		return nil
	}
	if err := os.WriteFile(path, []byte(current+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := baseConfig(b, clk)
	cfg.Subject = tokenexchange.Subject{Kind: "file", Name: path}
	src := newSource(t, cfg)
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	current = "k8s-sa-token-two"
	if err := os.WriteFile(path, []byte(current), 0o600); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	if got := b.LastRequest().Get("subject_token"); got != current {
		t.Errorf("subject token %q, want the rotated one", got)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	if _, err := src.Token(context.Background()); err == nil || !strings.Contains(err.Error(), "read the subject token from "+path) {
		t.Errorf("missing file: %v", err)
	}
}

// An outage is retried, then held for a while so that a run's many lookups do not each wait for it.
func TestBrokerOutage(t *testing.T) {
	clk := newClock()
	b := broker(t, clk)
	b.Fail = func(int) int { return http.StatusServiceUnavailable }
	src := newSource(t, baseConfig(b, clk))
	_, err := src.Token(context.Background())
	var te *tokenexchange.Error
	if !errors.As(err, &te) || !te.Temporary || !strings.Contains(err.Error(), "503 service unavailable (after 3 attempts)") {
		t.Fatalf("got %v", err)
	}
	if _, err2 := src.Token(context.Background()); err2 == nil || b.Exchanges() != 3 {
		t.Errorf("within the hold: %v, %d requests; want the same error and no new request", err2, b.Exchanges())
	}
	b.Fail = nil
	clk.Advance(11 * time.Second)
	if _, err := src.Token(context.Background()); err != nil {
		t.Errorf("after the hold: %v", err)
	}
}

// A redirect from the token endpoint is not followed: it would carry the subject token elsewhere.
func TestNoRedirects(t *testing.T) {
	clk := newClock()
	b := broker(t, clk)
	elsewhere := 0
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere++ }))
	defer other.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/token", http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	cfg := baseConfig(b, clk)
	cfg.TokenEndpoint = redirect.URL + "/token"
	_, err := newSource(t, cfg).Token(context.Background())
	if err == nil || elsewhere != 0 || !strings.Contains(err.Error(), "answered 307") {
		t.Errorf("got %v, %d requests elsewhere", err, elsewhere)
	}
}

// Nothing secret reaches an error or a debug line, even when the broker echoes it.
func TestNothingSecretShown(t *testing.T) {
	clk := newClock()
	b := broker(t, clk)
	gh := brokertest.NewGitHubOIDC()
	defer gh.Close()
	var oidcToken string
	b.AcceptSubject = func(token, _ string) error {
		oidcToken = token
		return fmt.Errorf("subject %s rejected for client secret %s\x1b[31m", token, clientSecret)
	}
	env := gh.Env()
	cfg := baseConfig(b, clk)
	cfg.Subject = tokenexchange.Subject{Kind: "github-oidc"}
	cfg.Getenv = func(k string) string { return env[k] }
	var debug []string
	cfg.Debugf = func(format string, args ...any) { debug = append(debug, fmt.Sprintf(format, args...)) }
	src := newSource(t, cfg)
	_, err := src.Token(context.Background())
	if err == nil {
		t.Fatal("want an error")
	}
	// A success afterwards, to see the debug line of a real exchange.
	b.AcceptSubject = func(string, string) error { return nil }
	b.Refuse = ""
	clk.Advance(time.Minute)
	issued, err2 := src.Token(context.Background())
	if err2 != nil {
		t.Fatal(err2)
	}
	shown := err.Error() + "\n" + strings.Join(debug, "\n")
	for _, secret := range []string{clientSecret, oidcToken, gh.RequestToken, issued, "\x1b"} {
		if secret == "" || strings.Contains(shown, secret) {
			t.Errorf("%q shown in:\n%s", secret, shown)
		}
	}
	if !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("error %q should keep the broker's words, redacted", err)
	}
	if got := src.Redact("x " + issued + " y"); got != "x [redacted] y" {
		t.Errorf("Redact = %q", got)
	}
}

func TestAnswerShapes(t *testing.T) {
	tests := []struct {
		name, body string
		want       string // error substring; "" for success
	}{
		{"expires_in as a string", `{"access_token":"t1","token_type":"bearer","expires_in":"300"}`, ""},
		{"no expires_in", `{"access_token":"t2","token_type":"Bearer"}`, ""},
		{"not a bearer token", `{"access_token":"t3","token_type":"N_A"}`, `issued a token of type "N_A"`},
		{"no access token", `{"token_type":"Bearer"}`, "has no access_token"},
		{"bad expires_in", `{"access_token":"t4","expires_in":"soon"}`, "unreadable expires_in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, tt.body)
			}))
			defer srv.Close()
			clk := newClock()
			cfg := tokenexchange.Config{TokenEndpoint: srv.URL, Subject: tokenexchange.Subject{Kind: "env", Name: "S"},
				Getenv: func(string) string { return "subject" }, Now: clk.Now, Sleep: noSleep}
			_, err := newSource(t, cfg).Token(context.Background())
			if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestInvalidateIgnoresReplacedTokens(t *testing.T) {
	clk := newClock()
	b := broker(t, clk)
	src := newSource(t, baseConfig(b, clk))
	first, _ := src.Token(context.Background())
	src.Invalidate(first)
	second, _ := src.Token(context.Background())
	src.Invalidate(first) // a late 401 for the old token
	third, _ := src.Token(context.Background())
	if first == second || second != third || b.Exchanges() != 2 {
		t.Errorf("exchanges %d; tokens %v %v", b.Exchanges(), first == second, second == third)
	}
}

func TestParse(t *testing.T) {
	subjects := []struct {
		spec string
		want tokenexchange.Subject
		err  bool
	}{
		{"github-oidc", tokenexchange.Subject{Kind: "github-oidc"}, false},
		{"env:BROKER_TOKEN", tokenexchange.Subject{Kind: "env", Name: "BROKER_TOKEN"}, false},
		{"file:/var/run/secrets/tokens/broker", tokenexchange.Subject{Kind: "file", Name: "/var/run/secrets/tokens/broker"}, false},
		{"env:", tokenexchange.Subject{}, true},
		{"env:1BAD", tokenexchange.Subject{}, true},
		{"file:", tokenexchange.Subject{}, true},
		{"github", tokenexchange.Subject{}, true},
		{"", tokenexchange.Subject{}, true},
	}
	for _, tt := range subjects {
		got, err := tokenexchange.ParseSubject(tt.spec)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseSubject(%q) = %+v, %v", tt.spec, got, err)
		}
		if err == nil && got.String() != tt.spec {
			t.Errorf("String() = %q, want %q", got.String(), tt.spec)
		}
	}
	for _, tt := range []struct{ in, want string }{
		{"jwt", tokenexchange.TokenTypeJWT}, {"id_token", tokenexchange.TokenTypeIDToken},
		{"access_token", tokenexchange.TokenTypeAccessToken}, {"urn:example:token", "urn:example:token"}, {"saml", ""},
	} {
		got, err := tokenexchange.ParseTokenType(tt.in)
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("ParseTokenType(%q) = %q, %v", tt.in, got, err)
		}
	}
	for _, tt := range []struct {
		url string
		ok  bool
	}{
		{"https://zone-123.keycard.cloud", true}, {"http://127.0.0.1:8080/token", true}, {"http://localhost/x", true},
		{"http://broker.example.com", false}, {"https://user:pw@broker.example.com", false}, {"/token", false},
		{"ftp://broker.example.com", false},
	} {
		if err := tokenexchange.CheckURL(tt.url); (err == nil) != tt.ok {
			t.Errorf("CheckURL(%q) = %v", tt.url, err)
		}
	}
}

// A refresh that fails inside the refresh margin keeps the token until it actually expires.
func TestRefreshFailureKeepsValidToken(t *testing.T) {
	clk := newClock()
	b := broker(t, clk)
	src := newSource(t, baseConfig(b, clk))
	first, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b.Fail = func(int) int { return http.StatusBadGateway }
	clk.Advance(4500 * time.Millisecond) // past the refresh point (4 s), before the end (5 s)
	if tok, err := src.Token(context.Background()); err != nil || tok != first {
		t.Errorf("inside the margin: %v, same token %v", err, tok == first)
	}
	clk.Advance(time.Second)
	if _, err := src.Token(context.Background()); err == nil || !strings.Contains(err.Error(), "502 bad gateway") {
		t.Errorf("after the end: %v", err)
	}
}

// A caller that gives up does not make the next callers wait out the failure hold.
func TestCancelledCallerIsNotAFailure(t *testing.T) {
	clk := newClock()
	b := broker(t, clk)
	src := newSource(t, baseConfig(b, clk))
	ctx, cancel := context.WithCancel(context.Background())
	// The caller gives up while the broker is answering.
	b.Fail = func(int) int { cancel(); return http.StatusServiceUnavailable }
	if _, err := src.Token(ctx); err == nil {
		t.Fatal("a cancelled caller got a token")
	}
	b.Fail = nil
	if _, err := src.Token(context.Background()); err != nil {
		t.Errorf("the next caller: %v", err)
	}
}
