package cli

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/catalog-lint/catalog-lint/integrations"
	"github.com/catalog-lint/catalog-lint/sentry/sentrytest"
)

const testToken = "sntryu_cli_test_token_0123456789"

func annotated(name, value string) string {
	return "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: " + name +
		"\n  annotations:\n    sentry.io/project-slug: " + value +
		"\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"
}

func sentryServer(t *testing.T) *sentrytest.Server {
	t.Helper()
	srv := sentrytest.New()
	t.Cleanup(srv.Close)
	srv.AddToken(testToken, sentrytest.Token{Scopes: []string{"org:read", "project:read"}})
	srv.AddProjects("acme", sentrytest.Project{ID: "11", Slug: "payments", Name: "Payments"},
		sentrytest.Project{ID: "12", Slug: "checkout", Name: "Checkout"})
	return srv
}

func TestSentryCheck(t *testing.T) {
	srv := sentryServer(t)
	env := map[string]string{"SENTRY_AUTH_TOKEN": testToken, "SENTRY_ORG": "acme", "SENTRY_URL": srv.URL}
	good := writeTree(t, map[string]string{"a/catalog-info.yaml": annotated("a", "payments"), "b/catalog-info.yaml": annotated("b", "acme/12")})
	r := cli(t, good, env, "", "check")
	if r.code != ExitOK || !strings.Contains(r.stdout, "no problems in 2 files") {
		t.Errorf("all projects exist: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	typo := writeTree(t, map[string]string{"svc/catalog-info.yaml": annotated("svc", "paymnets")})
	r = cli(t, typo, env, "", "check")
	want := `svc/catalog-info.yaml:6:29: Sentry project "paymnets" does not exist in organization "acme"; did you mean "payments"? [sentry-project-exists]`
	if r.code != ExitFindings || !strings.HasPrefix(r.stdout, want+"\n") {
		t.Errorf("typo: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// --offline asks nothing and says nothing about Sentry.
	srv.ResetCounts()
	r = cli(t, typo, env, "", "check", "--offline")
	if r.code != ExitOK || srv.Requests() != 0 || strings.Contains(r.stderr, "Sentry") {
		t.Errorf("offline: exit %d, %d requests, stderr %q", r.code, srv.Requests(), r.stderr)
	}

	// The token can come from SENTRY_TOKEN or a file; flags win over the environment.
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, e := range []map[string]string{
		{"SENTRY_TOKEN": testToken, "SENTRY_ORG": "acme", "SENTRY_URL": srv.URL},
		{"SENTRY_AUTH_TOKEN": "wrong", "SENTRY_ORG": "other", "SENTRY_URL": "https://sentry.invalid"},
	} {
		args := []string{"check"}
		if e["SENTRY_TOKEN"] == "" {
			args = append(args, "--sentry-token-file", tokenFile, "--sentry-org", "acme", "--sentry-url", srv.URL)
		}
		if r := cli(t, typo, e, "", args...); r.code != ExitFindings || !strings.Contains(r.stdout, "did you mean") {
			t.Errorf("%v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}
}

// TestSentryWithoutToken: without a token the format rule runs, and one notice, after the output,
// says that the projects were not checked, only when a file names one (also with --fix's two
// rounds); a repository without Sentry annotations hears nothing of Sentry.
func TestSentryWithoutToken(t *testing.T) {
	dir := writeTree(t, map[string]string{"svc/catalog-info.yaml": annotated("svc", "Payments"), "ok/catalog-info.yaml": annotated("ok", "payments")})
	for _, args := range [][]string{{"check"}, {"check", "--fix"}} {
		r := cli(t, dir, map[string]string{"SENTRY_ORG": "acme"}, "", args...)
		if r.code != ExitFindings || !strings.Contains(r.stdout, "[sentry-project-slug-format]") ||
			strings.Count(r.stderr, "sentry: no token (") != 1 {
			t.Errorf("%v: exit %d\nstdout:\n%s\nstderr:\n%s", args, r.code, r.stdout, r.stderr)
		}
	}
	plain := writeTree(t, map[string]string{"svc/catalog-info.yaml": good})
	if r := cli(t, plain, map[string]string{}, "", "check"); r.code != ExitOK || strings.Contains(r.stderr, "Sentry") || strings.Contains(r.stderr, "GitHub") {
		t.Errorf("without annotations: exit %d\n%s", r.code, r.stderr)
	}
}

func TestSentryCouldNotVerify(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"a/catalog-info.yaml": annotated("a", "payments"),
		"b/catalog-info.yaml": annotated("b", "checkout"),
	})
	tests := []struct {
		name   string
		setup  func(*sentrytest.Server) map[string]string
		cause  string
		broken bool // a lint error as well
	}{
		{"invalid token", func(s *sentrytest.Server) map[string]string {
			return map[string]string{"SENTRY_AUTH_TOKEN": "sntryu_revoked_token", "SENTRY_ORG": "acme", "SENTRY_URL": s.URL}
		}, "token invalid or expired", false},
		{"outage", func(s *sentrytest.Server) map[string]string {
			s.Fail = func(*http.Request, int) int { return http.StatusBadGateway }
			return map[string]string{"SENTRY_AUTH_TOKEN": testToken, "SENTRY_ORG": "acme", "SENTRY_URL": s.URL}
		}, "502 bad gateway", false},
		{"unreachable", func(s *sentrytest.Server) map[string]string {
			return map[string]string{"SENTRY_AUTH_TOKEN": testToken, "SENTRY_ORG": "acme", "SENTRY_URL": "http://127.0.0.1:1"}
		}, "connection refused", false},
		{"missing scopes", func(s *sentrytest.Server) map[string]string {
			s.AddToken("sntrys_ci_only", sentrytest.Token{Scopes: []string{"org:ci"}})
			return map[string]string{"SENTRY_AUTH_TOKEN": "sntrys_ci_only", "SENTRY_ORG": "acme", "SENTRY_URL": s.URL}
		}, "project:read", false},
		{"unknown organization", func(s *sentrytest.Server) map[string]string {
			return map[string]string{"SENTRY_AUTH_TOKEN": testToken, "SENTRY_ORG": "acme-typo", "SENTRY_URL": s.URL}
		}, `organization "acme-typo" not found`, false},
		{"no organization", func(s *sentrytest.Server) map[string]string {
			return map[string]string{"SENTRY_AUTH_TOKEN": testToken, "SENTRY_URL": s.URL}
		}, "no Sentry organization is configured", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := sentryServer(t)
			env := tt.setup(srv)
			r := cli(t, dir, env, "", "check")
			if r.code != ExitUnverified {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, ExitUnverified, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.cause) || strings.Contains(r.stdout, "does not exist") {
				t.Errorf("stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			}
			if strings.Count(r.stdout, "[sentry-project-unverified]") != 2 {
				t.Errorf("want one unverified warning per annotation:\n%s", r.stdout)
			}
			for _, secret := range []string{env["SENTRY_AUTH_TOKEN"]} {
				if strings.Contains(r.stdout+r.stderr, secret) {
					t.Errorf("the token appears in the output")
				}
			}
		})
	}

	// A lint error wins: exit code 1, not 3.
	srv := sentryServer(t)
	broken := writeTree(t, map[string]string{"a/catalog-info.yaml": annotated("a b", "payments")})
	r := cli(t, broken, map[string]string{"SENTRY_AUTH_TOKEN": "sntryu_revoked_token", "SENTRY_ORG": "acme", "SENTRY_URL": srv.URL}, "", "check")
	if r.code != ExitFindings {
		t.Errorf("errors and unverified: exit %d", r.code)
	}
}

// TestRepositoryConfigCannotRedirectToken: a .catalog-lint.yaml may not send the token to another host.
func TestRepositoryConfigCannotRedirectToken(t *testing.T) {
	dir := writeTree(t, map[string]string{
		".catalog-lint.yaml":    "sentry:\n  organization: acme\n  url: https://attacker.example\n",
		"svc/catalog-info.yaml": annotated("svc", "payments"),
	})
	r := cli(t, dir, map[string]string{"SENTRY_AUTH_TOKEN": testToken}, "", "check")
	if r.code != ExitUsage || !strings.Contains(r.stderr, `.catalog-lint.yaml:3: sentry.url "https://attacker.example": a repository file may only name sentry.io`) {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	ok := writeTree(t, map[string]string{".catalog-lint.yaml": "sentry:\n  url: https://de.sentry.io\n"})
	if r := cli(t, ok, nil, "", "check"); r.code != ExitOK {
		t.Errorf("a sentry.io region must be accepted: exit %d %s", r.code, r.stderr)
	}
}

// TestServeSharesSentryIndex: serve's jobs share one index, so several pushes within
// --sentry-cache-ttl make one list request per organization; 0 gives each job its own.
func TestServeSharesSentryIndex(t *testing.T) {
	for _, tt := range []struct {
		ttl   time.Duration
		lists int
	}{{time.Minute, 1}, {0, 3}} {
		srv := sentryServer(t)
		env := map[string]string{"SENTRY_AUTH_TOKEN": testToken, "SENTRY_URL": srv.URL}
		factory, err := serverSentry(checkFlags{sentryCacheTTL: tt.ttl}, Deps{Env: func(k string) string { return env[k] }, Sleep: noWait}, ServeHooks{}, zerolog.Nop())
		if err != nil || factory == nil {
			t.Fatalf("serverSentry: %v", err)
		}
		for job := 0; job < 3; job++ {
			var vs []integrations.Value
			for _, p := range []string{"payments", "checkout", "nope"} {
				vs = append(vs, integrations.Value{Key: p, Name: p})
			}
			got := factory("acme").(integrations.Batcher).LookupAll(context.Background(), vs)
			if got[0].Verdict != integrations.Found || got[2].Verdict != integrations.Missing {
				t.Fatalf("job %d: %+v", job, got)
			}
		}
		if n := srv.Count("/api/0/organizations/acme/projects/"); n != tt.lists {
			t.Errorf("ttl %v: %d list requests for 3 jobs, want %d", tt.ttl, n, tt.lists)
		}
	}
}
