package rules

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/catalog-lint/catalog-lint/integrations"
	"github.com/catalog-lint/catalog-lint/linter"
	"github.com/catalog-lint/catalog-lint/rules/githubtest"
)

func lintGitHub(t *testing.T, r *integrations.Resolver, doc string) *linter.Result {
	t.Helper()
	l, err := linter.New(linter.Options{Rules: All(), Jobs: 1, Resolvers: r.Register(nil)})
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan linter.Input, 1)
	ch <- linter.Input{Name: "catalog-info.yaml", Reader: strings.NewReader(doc)}
	close(ch)
	return l.LintStream(context.Background(), ch)
}

func repoDoc(slugs ...string) string {
	var b strings.Builder
	for i, s := range slugs {
		fmt.Fprintf(&b, "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: c%d\n  annotations:\n    github.com/project-slug: %s\nspec: {type: service, lifecycle: production, owner: team-a}\n", i, s)
	}
	return b.String()
}

// TestGitHubUnverified: a rejected token, an exhausted rate limit and 5xx never say "does not
// exist"; the token never appears.
func TestGitHubUnverified(t *testing.T) {
	const token = "ghs_secret_token_value"
	tests := []struct {
		name, token string
		fail        int
		want        string
	}{
		{"bad token", "ghs_wrong", 0, "GitHub rejected the token (401)"},
		{"rate limit", token, http.StatusForbidden, "GitHub's rate limit is exhausted"},
		{"5xx", token, http.StatusBadGateway, "GitHub answered 502 Bad Gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := githubtest.New(token)
			defer srv.Close()
			srv.AddRepo("acme/payments", false)
			srv.Fail = func(string, string) int { return tt.fail }
			res := lintGitHub(t, githubResolver(githubClient(t, srv.URL, tt.token)), repoDoc("acme/payments", "acme/missing"))
			if res.Inconclusive != 2 || len(res.Findings) != 2 {
				t.Fatalf("inconclusive %d, findings %+v", res.Inconclusive, res.Findings)
			}
			for _, f := range res.Findings {
				if f.Rule != GitHubRepoUnverified.ID || !strings.Contains(f.Message, tt.want) || strings.Contains(f.Message, token) {
					t.Errorf("finding %s: %s", f.Rule, f.Message)
				}
			}
			if len(res.Notices) != 1 || strings.Contains(res.Notices[0], token) {
				t.Errorf("notices %v", res.Notices)
			}
		})
	}
}

// TestGitHubAskedOncePerRepository: 200 annotations naming 50 repositories make 50 requests, at most
// 8 at a time.
func TestGitHubAskedOncePerRepository(t *testing.T) {
	srv := githubtest.New("ghs_t")
	defer srv.Close()
	srv.Latency = 5 * time.Millisecond
	var slugs []string
	for i := 0; i < 200; i++ {
		name := fmt.Sprintf("acme/repo-%02d", i%50)
		if i < 50 {
			srv.AddRepo(name, false)
		}
		slugs = append(slugs, name)
	}
	res := lintGitHub(t, githubResolver(githubClient(t, srv.URL, "ghs_t")), repoDoc(slugs...))
	total, maxIn := srv.Requests()
	if total != 50 || maxIn > 8 || maxIn < 2 || len(res.Findings) != 0 {
		t.Errorf("%d requests, %d at once, findings %v", total, maxIn, res.Findings)
	}
}
