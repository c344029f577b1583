package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/catalog-lint/catalog-lint/backstage/backstagetest"
)

const liveToken = "bs-live-token-secret-42"

func TestLiveCatalog(t *testing.T) {
	srv := backstagetest.New(liveToken)
	defer srv.Close()
	srv.Add("Group", "default", "team-payments", "url:https://github.com/acme/org/blob/main/org.yaml")
	srv.Add("Component", "default", "payments", "url:https://github.com/acme/old/blob/main/catalog-info.yaml")
	dir := writeTree(t, map[string]string{"svc/catalog-info.yaml": good})
	env := map[string]string{"BACKSTAGE_URL": srv.URL, "BACKSTAGE_TOKEN": liveToken,
		"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/payments"}

	// The copy of payments conflicts; its owner exists in the live catalog.
	want := `svc/catalog-info.yaml:4:9: entity component:default/payments already exists in the Backstage catalog, registered from https://github.com/acme/old/blob/main/catalog-info.yaml`
	r := cli(t, dir, env, "", "check", "svc")
	if r.code != ExitFindings || !strings.Contains(r.stdout, want) || strings.Contains(r.stdout, "relation-target-missing") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n, batches := srv.Requests(); n != 1 || len(batches) != 1 || batches[0] != 2 {
		t.Errorf("%d requests, batches %v: want one request for the entity and its owner", n, batches)
	}

	// The same repository registered it: no conflict.
	env["GITHUB_REPOSITORY"] = "acme/old"
	if r := cli(t, dir, env, "", "check", "svc"); r.code != ExitOK {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// --offline asks nothing.
	before, _ := srv.Requests()
	if r := cli(t, dir, env, "", "check", "--offline", "svc"); r.code != ExitOK {
		t.Errorf("offline: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if after, _ := srv.Requests(); after != before {
		t.Errorf("--offline sent %d requests", after-before)
	}
}

func TestLiveCatalogUnreachable(t *testing.T) {
	srv := backstagetest.New(liveToken)
	defer srv.Close()
	srv.Add("Group", "default", "team-payments", "")
	dir := writeTree(t, map[string]string{"svc/catalog-info.yaml": good})
	for _, tt := range []struct {
		name  string
		env   map[string]string
		fail  []int
		cause string
	}{
		{"wrong token", map[string]string{"BACKSTAGE_URL": srv.URL, "BACKSTAGE_TOKEN": "not-" + liveToken}, nil, "401 Unauthorized"},
		{"503", map[string]string{"BACKSTAGE_URL": srv.URL, "BACKSTAGE_TOKEN": liveToken}, []int{503, 503, 503}, "503 Service Unavailable"},
		{"nothing listening", map[string]string{"BACKSTAGE_URL": "http://127.0.0.1:1", "BACKSTAGE_TOKEN": liveToken}, nil, "cannot connect"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv.Fail(tt.fail...)
			tt.env["GITHUB_SERVER_URL"], tt.env["GITHUB_REPOSITORY"] = "https://github.com", "acme/payments"
			r := cli(t, dir, tt.env, "", "check", "svc")
			if r.code != ExitUnverified || !strings.Contains(r.stdout, "[catalog-unverified]") || !strings.Contains(r.stdout, tt.cause) ||
				strings.Contains(r.stdout, "relation-target-missing") || strings.Contains(r.stdout, "entity-conflict") {
				t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, "could not be verified (the Backstage catalog); exit code 3") {
				t.Errorf("stderr:\n%s", r.stderr)
			}
			if strings.Contains(r.stdout+r.stderr, liveToken) {
				t.Error("the token was printed")
			}
		})
	}
}

// TestLiveCatalogNotFromRepository: a repository's configuration cannot name the Backstage address
// (the token would go there): the key is unknown.
func TestLiveCatalogNotFromRepository(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"svc/catalog-info.yaml": good,
		".catalog-lint.yaml":    "backstage:\n  url: https://evil.example.com\n",
	})
	r := cli(t, dir, map[string]string{"BACKSTAGE_TOKEN": liveToken}, "", "check", "svc")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "backstage") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestRepositoryURL(t *testing.T) {
	for remote, want := range map[string]string{
		"git@github.com:acme/pay.git":                        "https://github.com/acme/pay",
		"https://github.com/acme/pay.git":                    "https://github.com/acme/pay",
		"https://x-access-token:ghs_abc@github.com/acme/pay": "https://github.com/acme/pay",
		"ssh://git@github.example.com:22/acme/pay.git":       "https://github.example.com/acme/pay",
		"/srv/git/pay": "",
	} {
		if got := httpsRemote(remote); got != want {
			t.Errorf("httpsRemote(%q) = %q, want %q", remote, got, want)
		}
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := "[core]\n\tbare = false\n[remote \"upstream\"]\n\turl = git@github.com:other/x.git\n[remote \"origin\"]\n\turl = git@github.com:acme/pay.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n"
	if err := os.WriteFile(filepath.Join(dir, ".git", "config"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := originRemote(dir); got != "https://github.com/acme/pay" {
		t.Errorf("originRemote = %q", got)
	}
}
