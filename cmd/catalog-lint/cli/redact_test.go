package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSecretsNeverPrinted: a service whose error echoes secrets of the job (its own token is already
// masked by its client; here the Sentry and GitHub tokens and a client secret) gets them redacted
// from stdout and stderr, in every format (issue 19, case 8).
func TestSecretsNeverPrinted(t *testing.T) {
	secrets := map[string]string{
		"SENTRY_AUTH_TOKEN":                   "plain-sentry-secret-4242",
		"GITHUB_TOKEN":                        "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
		"SENTRY_TOKEN_EXCHANGE_CLIENT_SECRET": "kc-client-secret-9876",
	}
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		msg := "proxy saw " + strings.Join([]string{secrets["SENTRY_AUTH_TOKEN"], secrets["GITHUB_TOKEN"],
			secrets["SENTRY_TOKEN_EXCHANGE_CLIENT_SECRET"], "ghs_16C7e42F292c6912E7710c838347Ae178B4a"}, " ")
		json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"name": "ForbiddenError", "message": msg}})
	}))
	defer echo.Close()
	dir := writeTree(t, map[string]string{"svc/catalog-info.yaml": strings.Replace(good, "team-payments", "team-x", 1)})
	env := map[string]string{"BACKSTAGE_URL": echo.URL, "BACKSTAGE_TOKEN": "backstage-token-1234", "SENTRY_URL": echo.URL,
		"SENTRY_ORG": "acme", "GITHUB_API_URL": echo.URL}
	for k, v := range secrets {
		env[k] = v
	}
	for _, format := range []string{"text", "json", "sarif", "github"} {
		r := cli(t, dir, env, "", "check", "--format", format, "--repository-url", "https://github.com/acme/x", ".")
		out := r.stdout + r.stderr
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("%s: the echoed secrets should show as [redacted]:\n%s", format, out)
		}
		for _, s := range append([]string{"ghs_16C7e42F292c6912E7710c838347Ae178B4a", "backstage-token-1234"}, secrets["SENTRY_AUTH_TOKEN"],
			secrets["GITHUB_TOKEN"], secrets["SENTRY_TOKEN_EXCHANGE_CLIENT_SECRET"]) {
			if strings.Contains(out, s) {
				t.Errorf("%s: %s was printed:\n%s", format, s, out)
			}
		}
	}
}
