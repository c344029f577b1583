package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/catalog-lint/catalog-lint/integrations"
	"github.com/catalog-lint/catalog-lint/sentry/sentrytest"
	"github.com/catalog-lint/catalog-lint/sentry/tokenexchange"
	"github.com/catalog-lint/catalog-lint/sentry/tokenexchange/brokertest"
)

const (
	brokerClientID = "catalog-lint-ci"
	brokerSecret   = "kc_client_secret_d41d8cd98f00b204"
	brokerSubject  = "ci_subject_token_9b2e7c41aa"
)

// exchangeFixture is a broker in front of a Sentry that accepts only the broker's current tokens, and
// the environment of a CI job configured to use them.
type exchangeFixture struct {
	broker *brokertest.Broker
	sentry *sentrytest.Server
	env    map[string]string
	now    atomic.Int64 // the shared clock, in nanoseconds since the epoch
}

func (fx *exchangeFixture) Now() time.Time { return time.Unix(0, fx.now.Load()) }

func (fx *exchangeFixture) advance(d time.Duration) { fx.now.Add(int64(d)) }

func newExchangeFixture(t *testing.T) *exchangeFixture {
	t.Helper()
	fx := &exchangeFixture{}
	fx.now.Store(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC).UnixNano())
	fx.sentry = sentrytest.New()
	t.Cleanup(fx.sentry.Close)
	fx.sentry.AddProjects("acme", sentrytest.Project{ID: "11", Slug: "payments", Name: "Payments"},
		sentrytest.Project{ID: "12", Slug: "checkout", Name: "Checkout"})
	b := brokertest.New()
	t.Cleanup(b.Close)
	b.ClientID, b.ClientSecret = brokerClientID, brokerSecret
	b.Resource = fx.sentry.URL + "/api/0"
	b.AllowedScopes = []string{"org:read", "project:read"}
	b.Now = fx.Now
	b.AcceptSubject = func(token, _ string) error {
		if token != brokerSubject {
			return errors.New("untrusted subject")
		}
		return nil
	}
	fx.broker = b
	fx.sentry.Authorize = func(token string) (sentrytest.Token, bool) {
		scopes, ok := b.Valid(token)
		return sentrytest.Token{Scopes: scopes}, ok
	}
	fx.env = map[string]string{
		"SENTRY_URL": fx.sentry.URL, "SENTRY_ORG": "acme",
		envExchangeIssuer: b.Issuer(), envExchangeSubject: "env:BROKER_SUBJECT", "BROKER_SUBJECT": brokerSubject,
		envExchangeClientID: brokerClientID, envExchangeClientSecret: brokerSecret,
	}
	return fx
}

// deps are the command line's dependencies in env, on the fixture's clock, without waits.
func (fx *exchangeFixture) deps(env map[string]string) Deps {
	return Deps{Env: func(k string) string { return env[k] }, Sleep: noWait, Now: fx.Now}
}

// cli runs the command line on the fixture's clock.
func (fx *exchangeFixture) cli(t *testing.T, dir string, env map[string]string, stdin string, args ...string) run {
	t.Helper()
	return cliDeps(t, dir, fx.deps(env), stdin, args...)
}

func with(env map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(out, kv[i])
		} else {
			out[kv[i]] = kv[i+1]
		}
	}
	return out
}

// secretsShown returns the secrets that appear in text.
func secretsShown(text string, secrets ...string) []string {
	var out []string
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			out = append(out, s)
		}
	}
	return out
}

func TestCheckWithTokenExchange(t *testing.T) {
	fx := newExchangeFixture(t)
	good := writeTree(t, map[string]string{"a/catalog-info.yaml": annotated("a", "payments"), "b/catalog-info.yaml": annotated("b", "acme/checkout")})
	// A long-lived token in the environment too: the configured exchange wins.
	env := with(fx.env, "SENTRY_AUTH_TOKEN", "sntryu_static_token_should_not_be_used")
	r := fx.cli(t, good, env, "", "check", "--debug")
	if r.code != ExitOK || !strings.Contains(r.stdout, "no problems in 2 files") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if fx.broker.Exchanges() != 1 || fx.broker.MetadataRequests() != 1 {
		t.Errorf("%d exchanges, %d metadata requests; want 1 and 1", fx.broker.Exchanges(), fx.broker.MetadataRequests())
	}
	for _, want := range []string{
		"catalog-lint: debug: Sentry token: by token exchange at " + fx.broker.Issuer() + ", subject env:BROKER_SUBJECT, resource " + fx.sentry.URL + "/api/0",
		"catalog-lint: debug: the static token from SENTRY_AUTH_TOKEN is not used: the token exchange is configured",
		"catalog-lint: debug: token exchange: exchanged the subject token from $BROKER_SUBJECT at " + fx.broker.TokenEndpoint() + " for resource " + fx.sentry.URL + "/api/0; expires 2026-11-23T10:00:05Z (in 5s)",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	form := fx.broker.LastRequest()
	if form.Get("scope") != "" || form.Get("resource") != fx.sentry.URL+"/api/0" {
		t.Errorf("exchange form: %v", form)
	}
	issued := form.Get("subject_token") // the broker saw it; the output must not
	if shown := secretsShown(r.stdout+r.stderr, brokerSecret, brokerSubject, issued, "sntryu_static"); len(shown) > 0 {
		t.Errorf("secrets in the output: %q", shown)
	}

	typo := writeTree(t, map[string]string{"svc/catalog-info.yaml": annotated("svc", "paymnets")})
	r = fx.cli(t, typo, with(fx.env, envExchangeScopes, "org:read,project:read"), "", "check")
	if r.code != ExitFindings || !strings.Contains(r.stdout, `Sentry project "paymnets" does not exist in organization "acme"; did you mean "payments"?`) {
		t.Errorf("typo: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := fx.broker.LastRequest().Get("scope"); got != "org:read project:read" {
		t.Errorf("scope = %q", got)
	}
	if strings.Contains(r.stderr, "debug") {
		t.Errorf("debug lines without --debug:\n%s", r.stderr)
	}
}

// A broker that refuses gives "could not verify" (exit 3) with its reason, never "missing".
func TestCheckTokenExchangeRefused(t *testing.T) {
	fx := newExchangeFixture(t)
	dir := writeTree(t, map[string]string{
		"a/catalog-info.yaml": annotated("a", "payments"), "b/catalog-info.yaml": annotated("b", "nonexistent"),
		"c/catalog-info.yaml": annotated("c", "checkout"),
	})
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"wrong secret", with(fx.env, envExchangeClientSecret, "wrong-secret-0000"),
			"token exchange: the broker did not accept the client credentials (invalid_client: Client authentication failed)"},
		{"untrusted subject", with(fx.env, "BROKER_SUBJECT", "someone-elses-token"),
			"the broker did not accept the subject token (invalid_grant: untrusted subject); the subject token came from $BROKER_SUBJECT"},
		{"wrong resource", with(fx.env, envExchangeResource, "https://de.sentry.io/api/0"),
			"invalid_target"},
		{"subject variable unset", with(fx.env, "BROKER_SUBJECT", ""),
			"the subject token variable BROKER_SUBJECT is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := fx.broker.Exchanges()
			r := fx.cli(t, dir, tt.env, "", "check")
			if r.code != ExitUnverified {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, ExitUnverified, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) || strings.Count(r.stderr, "token exchange:") != 1 {
				t.Errorf("stderr should say once %q:\n%s", tt.want, r.stderr)
			}
			if strings.Contains(r.stdout, "does not exist") || strings.Count(r.stdout, "[sentry-project-unverified]") != 3 {
				t.Errorf("every reference is unverified, none missing:\n%s", r.stdout)
			}
			// One exchange for the whole run, however many lookups failed.
			if n := fx.broker.Exchanges() - before; n > 1 {
				t.Errorf("%d exchanges in one run", n)
			}
			if shown := secretsShown(r.stdout+r.stderr, brokerSecret, brokerSubject, "someone-elses-token", "wrong-secret-0000"); len(shown) > 0 {
				t.Errorf("secrets in the output: %q", shown)
			}
		})
	}
}

// TestRepositoryCannotChooseTheSecret: a repository's .catalog-lint.yaml naming which file or variable
// is sent to the broker (subject_token file:/env:, client_*_env, audience) is a configuration error
// (exit 2) that says where to set it, and nothing is sent anywhere.
func TestRepositoryCannotChooseTheSecret(t *testing.T) {
	fx := newExchangeFixture(t)
	hostFile := filepath.Join(t.TempDir(), "host-secret")
	if err := os.WriteFile(hostFile, []byte("host_file_secret_contents_77"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, setting := range []string{"subject_token: file:" + hostFile, "subject_token: env:AWS_SECRET_ACCESS_KEY",
		"client_secret_env: AWS_SECRET_ACCESS_KEY", "client_id_env: HOME", "audience: sts.amazonaws.com"} {
		config := "sentry:\n  auth:\n    token_exchange:\n      issuer: " + fx.broker.Issuer() + "\n      " + setting + "\n"
		dir := writeTree(t, map[string]string{".catalog-lint.yaml": config, "a/catalog-info.yaml": annotated("a", "payments")})
		before := fx.broker.Exchanges()
		r := fx.cli(t, dir, with(fx.env, "AWS_SECRET_ACCESS_KEY", "aws_secret_value_88"), "", "check")
		if r.code != ExitUsage || !strings.Contains(r.stderr, "SENTRY_TOKEN_EXCHANGE_") || fx.broker.Exchanges() != before {
			t.Errorf("%s: exit %d, %d exchanges\n%s", setting, r.code, fx.broker.Exchanges()-before, r.stderr)
		}
		for _, secret := range []string{"host_file_secret_contents_77", "aws_secret_value_88"} {
			if strings.Contains(r.stdout+r.stderr, secret) || strings.Contains(fx.broker.LastRequest().Encode(), secret) {
				t.Errorf("%s: %s was shown or sent", setting, secret)
			}
		}
	}
}

// A repository's .catalog-lint.yaml cannot send the client secret or the subject token anywhere the
// environment does not name.
func TestRepositoryCannotChooseTheBroker(t *testing.T) {
	fx := newExchangeFixture(t)
	var stolen atomic.Int64
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"issuer":%q,"token_endpoint":%q,"access_token":"x","token_type":"Bearer"}`, "http://"+r.Host, "http://"+r.Host+"/token")
	}))
	defer evil.Close()
	config := "sentry:\n  auth:\n    token_exchange:\n      issuer: " + evil.URL + "\n"
	dir := writeTree(t, map[string]string{".catalog-lint.yaml": config, "a/catalog-info.yaml": annotated("a", "payments")})

	// No broker in the environment: nothing is sent, and the check is skipped with the way out.
	untrusted := with(fx.env, envExchangeIssuer, "")
	r := fx.cli(t, dir, untrusted, "", "check")
	want := "a repository's file cannot choose where credentials are sent; to trust that broker, set " + envExchangeIssuer + "=" + evil.URL
	if r.code != ExitOK || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "not checked against Sentry") {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}

	// With a static token, that token is used and the exchange's refusal is explained.
	fx.sentry.AddToken("sntryu_static_ci_token", sentrytest.Token{Scopes: []string{"org:read", "project:read"}})
	r = fx.cli(t, dir, with(untrusted, "SENTRY_AUTH_TOKEN", "sntryu_static_ci_token"), "", "check")
	if r.code != ExitOK || !strings.Contains(r.stderr, "the Sentry token exchange is not used") || fx.sentry.Requests() == 0 {
		t.Errorf("static fallback: exit %d, %d Sentry requests\n%s", r.code, fx.sentry.Requests(), r.stderr)
	}

	// The environment names the real broker: the file's issuer is ignored, with a note.
	r = fx.cli(t, dir, fx.env, "", "check")
	if r.code != ExitOK || !strings.Contains(r.stderr, "token_exchange.issuer "+evil.URL+" is not used") || fx.broker.Exchanges() != 1 {
		t.Errorf("trusted broker: exit %d, %d exchanges\n%s", r.code, fx.broker.Exchanges(), r.stderr)
	}
	if stolen.Load() != 0 {
		t.Errorf("the repository's broker received %d requests", stolen.Load())
	}

	// The same issuer in the file and the environment is simply used.
	same := "sentry:\n  auth:\n    token_exchange:\n      issuer: " + fx.broker.Issuer() + "\n"
	dir2 := writeTree(t, map[string]string{".catalog-lint.yaml": same, "a/catalog-info.yaml": annotated("a", "payments")})
	r = fx.cli(t, dir2, fx.env, "", "check")
	if r.code != ExitOK || strings.Contains(r.stderr, "not used") {
		t.Errorf("same issuer: exit %d\n%s", r.code, r.stderr)
	}
}

// Outside GitHub Actions there is no OIDC token: the check is skipped with a notice, as without a
// token, so that pre-commit hooks keep working on laptops.
func TestGitHubOIDCOutsideActions(t *testing.T) {
	fx := newExchangeFixture(t)
	dir := writeTree(t, map[string]string{"a/catalog-info.yaml": annotated("a", "payments")})
	r := fx.cli(t, dir, with(fx.env, envExchangeSubject, "github-oidc"), "", "check")
	if r.code != ExitOK || !strings.Contains(r.stderr, "only exists inside a GitHub Actions job") || fx.broker.Exchanges() != 0 {
		t.Errorf("exit %d, %d exchanges\n%s", r.code, fx.broker.Exchanges(), r.stderr)
	}
}

func oidcBroker(t *testing.T, fx *exchangeFixture) *brokertest.GitHubOIDC {
	t.Helper()
	gh := brokertest.NewGitHubOIDC()
	t.Cleanup(gh.Close)
	fx.broker.ClientSecret = "" // keyless: the OIDC token is the only credential
	fx.broker.AcceptSubject = func(token, tokenType string) error {
		if aud, ok := gh.Audience(token); !ok || aud != "catalog-lint" || tokenType != tokenexchange.TokenTypeIDToken {
			return fmt.Errorf("not a trusted GitHub Actions token (aud %q, type %s)", aud, tokenType)
		}
		return nil
	}
	return gh
}

func TestActionKeyless(t *testing.T) {
	fx := newExchangeFixture(t)
	gh := oidcBroker(t, fx)
	dir, base, head := gitRepo(t)
	inputs := map[string]string{
		"only-changed": "true", "sentry-org": "acme", "sentry-url": fx.sentry.URL,
		"token-exchange-issuer": fx.broker.Issuer(), "token-exchange-audience": "catalog-lint",
		"token-exchange-scopes": "org:read project:read",
	}
	env, output, summary := actionEnv(t, dir, base, head, inputs)
	for k, v := range gh.Env() {
		env[k] = v
	}
	env["RUNNER_DEBUG"] = "1"
	r := fx.cli(t, dir, env, "", "action")
	if r.code != ExitFindings || !strings.Contains(r.stdout, `Sentry project \"paymnets\" does not exist`) &&
		!strings.Contains(r.stdout, `Sentry project "paymnets" does not exist`) {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "::debug::token exchange: exchanged the GitHub OIDC token at "+fx.broker.TokenEndpoint()) {
		t.Errorf("no debug line for the exchange:\n%s", r.stdout)
	}
	if gh.Requests() != 1 || fx.broker.Exchanges() != 1 {
		t.Errorf("%d OIDC requests, %d exchanges; want 1 and 1", gh.Requests(), fx.broker.Exchanges())
	}
	oidcToken := fx.broker.LastRequest().Get("subject_token")
	if shown := secretsShown(r.stdout+r.stderr, oidcToken, gh.RequestToken); len(shown) > 0 {
		t.Errorf("secrets in the output: %q", shown)
	}
	md, _ := os.ReadFile(summary)
	outputs, _ := os.ReadFile(output)
	if !strings.Contains(string(md), "Sentry: every referenced project was checked.") || !strings.Contains(string(outputs), "unverified=0") {
		t.Errorf("summary:\n%s\noutputs:\n%s", md, outputs)
	}

	t.Run("without id-token permission", func(t *testing.T) {
		env, output, _ := actionEnv(t, dir, base, head, inputs)
		r := fx.cli(t, dir, env, "", "action")
		outputs, _ := os.ReadFile(output)
		if !strings.Contains(r.stderr, "the workflow or job needs `permissions: id-token: write`") || !strings.Contains(string(outputs), "unverified=2") {
			t.Errorf("exit %d\nstderr:\n%s\noutputs:\n%s", r.code, r.stderr, outputs)
		}
	})

	t.Run("fork pull request", func(t *testing.T) {
		env, _, summary := actionEnv(t, dir, base, head, inputs)
		event := map[string]any{"pull_request": map[string]any{
			"head": map[string]any{"sha": head, "repo": map[string]any{"full_name": "mallory/catalog"}},
			"base": map[string]any{"sha": base, "repo": map[string]any{"full_name": "acme/catalog"}},
		}}
		data, _ := json.Marshal(event)
		if err := os.WriteFile(env["GITHUB_EVENT_PATH"], data, 0o644); err != nil {
			t.Fatal(err)
		}
		env["INPUT_ONLY-CHANGED"] = "false"
		r := fx.cli(t, dir, env, "", "action")
		md, _ := os.ReadFile(summary)
		if !strings.Contains(r.stderr, "pull requests from forks get no GitHub OIDC token") ||
			!strings.Contains(string(md), "Sentry: not checked: pull requests from forks get no GitHub OIDC token") {
			t.Errorf("exit %d\nstderr:\n%s\nsummary:\n%s", r.code, r.stderr, md)
		}
	})
}

// syncBuffer collects log lines written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The webhook server presents a token file the platform rotates (a Kubernetes projected service
// account token): read again at every exchange.
func TestServeTokenExchangeWithRotatedFile(t *testing.T) {
	fx := newExchangeFixture(t)
	path := filepath.Join(t.TempDir(), "token")
	current := "k8s-projected-token-generation-1"
	var mu sync.Mutex
	fx.broker.AcceptSubject = func(token, _ string) error {
		mu.Lock()
		defer mu.Unlock()
		if token != current {
			return errors.New("token is not the current projected token")
		}
		return nil
	}
	rotate := func(token string) {
		mu.Lock()
		current = token
		mu.Unlock()
		if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	rotate(current)
	env := with(fx.env, envExchangeIssuer, "", envExchangeEndpoint, fx.broker.TokenEndpoint(), envExchangeSubject, "file:"+path)
	var logs syncBuffer
	log := zerolog.New(&logs).Level(zerolog.DebugLevel)
	getenv := func(k string) string { return env[k] }
	factory, err := serverSentry(checkFlags{}, Deps{Env: getenv, Sleep: noWait, Now: fx.Now}, ServeHooks{}, log)
	if err != nil || factory == nil {
		t.Fatalf("serverSentry: %v", err)
	}
	lookup := func() integrations.Result {
		return factory("acme").Lookup(context.Background(), integrations.Value{Key: "payments", Name: "payments"})
	}
	if a := lookup(); a.Verdict != integrations.Found {
		t.Fatalf("first job: %+v", a)
	}
	rotate("k8s-projected-token-generation-2")
	// Jobs within the token's life reuse it; the next after expiry exchanges with the new file.
	if a := lookup(); a.Verdict != integrations.Found || fx.broker.Exchanges() != 1 {
		t.Fatalf("second job: %+v, %d exchanges", a, fx.broker.Exchanges())
	}
	fx.advance(time.Minute)
	if a := lookup(); a.Verdict != integrations.Found || fx.broker.Exchanges() != 2 {
		t.Fatalf("after expiry: %+v, %d exchanges", a, fx.broker.Exchanges())
	}
	if got := fx.broker.LastRequest().Get("subject_token"); got != "k8s-projected-token-generation-2" {
		t.Errorf("exchanged with %q, want the rotated token", got)
	}
	text := logs.String()
	if !strings.Contains(text, "exchanged the subject token from "+path+" at "+fx.broker.TokenEndpoint()) {
		t.Errorf("debug log lacks the exchange:\n%s", text)
	}
	if shown := secretsShown(text, "k8s-projected-token-generation", brokerSecret); len(shown) > 0 {
		t.Errorf("secrets in the log: %q", shown)
	}

	// A token exchange the server cannot use stops it at startup.
	oidcEnv := with(env, envExchangeSubject, "github-oidc")
	if _, err := serverSentry(checkFlags{}, Deps{Env: func(k string) string { return oidcEnv[k] }, Sleep: noWait}, ServeHooks{}, log); err == nil ||
		!strings.Contains(err.Error(), "the Sentry token exchange cannot be used") {
		t.Errorf("github-oidc outside Actions: %v", err)
	}
}
