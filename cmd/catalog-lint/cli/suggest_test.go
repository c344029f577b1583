package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakePullRequestAPI answers the pull request files and reviews endpoints as GitHub does, for
// pull request 7 of acme/catalog, checking the token.
type fakePullRequestAPI struct {
	*httptest.Server
	mu      sync.Mutex
	files   map[string]string // path -> content of an added file
	reviews []map[string]any
}

func newFakePullRequestAPI(t *testing.T, token string, files map[string]string) *fakePullRequestAPI {
	f := &fakePullRequestAPI{files: files}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(401)
			fmt.Fprint(w, `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}`)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		switch {
		case r.Method == "GET" && r.URL.Path == "/repos/acme/catalog/pulls/7/files":
			var out []map[string]string
			for path, content := range f.files {
				lines := strings.Split(strings.TrimSuffix(content, "\n"), "\n")
				out = append(out, map[string]string{"filename": path, "status": "added",
					"patch": fmt.Sprintf("@@ -0,0 +1,%d @@\n+%s", len(lines), strings.Join(lines, "\n+"))})
			}
			_ = json.NewEncoder(w).Encode(out)
		case r.Method == "GET" && r.URL.Path == "/repos/acme/catalog/pulls/7/reviews":
			out := []map[string]any{}
			for i, rv := range f.reviews {
				out = append(out, map[string]any{"id": i + 1, "commit_id": rv["commit_id"], "body": rv["body"]})
			}
			_ = json.NewEncoder(w).Encode(out)
		case r.Method == "POST" && r.URL.Path == "/repos/acme/catalog/pulls/7/reviews":
			var rv map[string]any
			_ = json.NewDecoder(r.Body).Decode(&rv)
			f.reviews = append(f.reviews, rv)
			_ = json.NewEncoder(w).Encode(map[string]any{"id": len(f.reviews), "commit_id": rv["commit_id"], "body": rv["body"]})
		default:
			w.WriteHeader(404)
			fmt.Fprint(w, `{"message":"Not Found"}`)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func TestActionSuggestFixes(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	git := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q", "-b", "main")
	git("commit", "-q", "--allow-empty", "-m", "base")
	base := git("rev-parse", "HEAD")
	fixable := strings.Replace(good, "kind: Component", "kind: component", 1)
	if err := os.MkdirAll(filepath.Join(dir, "svc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "svc", "catalog-info.yaml"), []byte(fixable), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", ".")
	git("commit", "-q", "-m", "head")
	head := git("rev-parse", "HEAD")

	api := newFakePullRequestAPI(t, "ghs_suggest_token", map[string]string{"svc/catalog-info.yaml": fixable})
	env, _, _ := actionEnv(t, dir, base, head, map[string]string{"suggest-fixes": "true", "github-token": "ghs_suggest_token"})
	env["GITHUB_API_URL"] = api.URL
	r := cli(t, dir, env, "", "action")
	if !strings.Contains(r.stdout, "suggested fixes were posted as a review") || len(api.reviews) != 1 {
		t.Fatalf("exit %d, %d reviews\n%s%s", r.code, len(api.reviews), r.stdout, r.stderr)
	}
	rv := api.reviews[0]
	comments, _ := rv["comments"].([]any)
	if rv["commit_id"] != head || len(comments) != 1 {
		t.Fatalf("review %v", rv)
	}
	c := comments[0].(map[string]any)
	if c["path"] != "svc/catalog-info.yaml" || c["line"] != 2.0 || c["side"] != "RIGHT" ||
		!strings.HasSuffix(c["body"].(string), "```suggestion\nkind: Component\n```") {
		t.Errorf("comment %v", c)
	}
	if strings.Contains(r.stdout+r.stderr, "ghs_suggest_token") {
		t.Error("the token was printed")
	}
	// Once per commit.
	cli(t, dir, env, "", "action")
	if len(api.reviews) != 1 {
		t.Errorf("%d reviews after a second run", len(api.reviews))
	}
	// A token that may not post: a warning, and the exit code is the lint's.
	env["INPUT_GITHUB-TOKEN"] = "ghs_read_only"
	r2 := cli(t, dir, env, "", "action")
	if !strings.Contains(r2.stdout, "::warning title=catalog-lint::suggest-fixes: could not list") || r2.code != r.code {
		t.Errorf("exit %d\n%s", r2.code, r2.stdout)
	}
}
