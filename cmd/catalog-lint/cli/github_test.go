package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/catalog-lint/catalog-lint/rules/githubtest"
)

func withGitHubRepo(slug string) string {
	return strings.Replace(good, "metadata:\n  name: payments\n", "metadata:\n  name: payments\n  annotations:\n    github.com/project-slug: "+slug+"\n", 1)
}

func TestGitHubRepoCheck(t *testing.T) {
	const token = "ghp_cli_test_token_1234"
	srv := githubtest.New(token)
	defer srv.Close()
	srv.AddRepo("acme/payments", false)
	srv.Move("acme/pay", "acme/payments")
	dir := writeTree(t, map[string]string{"svc/catalog-info.yaml": withGitHubRepo("acme/pay"), "ok/catalog-info.yaml": strings.Replace(withGitHubRepo("acme/payments"), "name: payments", "name: ok", 1)})
	env := map[string]string{"GITHUB_TOKEN": token, "GITHUB_API_URL": srv.URL}

	r := cli(t, dir, env, "", "check", "--fix", ".")
	if r.code != ExitOK || !strings.Contains(r.stderr, "fixed 1 problem in 1 file") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "svc", "catalog-info.yaml")); !strings.Contains(string(data), "github.com/project-slug: acme/payments\n") {
		t.Errorf("not fixed:\n%s", data)
	}
	if strings.Contains(r.stdout+r.stderr, token) {
		t.Error("the token was printed")
	}

	// A rejected token: exit 3, never "does not exist".
	env["GITHUB_TOKEN"] = "ghp_wrong"
	r = cli(t, dir, env, "", "check", ".")
	if r.code != ExitUnverified || !strings.Contains(r.stdout, "[github-repo-unverified]") || strings.Contains(r.stdout, "[github-repo-exists]") ||
		!strings.Contains(r.stderr, "could not be verified (GitHub)") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// No token: skipped, with one notice.
	delete(env, "GITHUB_TOKEN")
	before, _ := srv.Requests()
	r = cli(t, dir, env, "", "check", ".")
	if after, _ := srv.Requests(); r.code != ExitOK || after != before || strings.Count(r.stderr, "github: GITHUB_TOKEN is not set, so 2 github.com/project-slug annotations were not checked against GitHub") != 1 {
		t.Errorf("exit %d, %d requests\n%s", r.code, after-before, r.stderr)
	}
}
