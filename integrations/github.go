package integrations

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/catalog-lint/catalog-lint/internal/credentials"
	"github.com/catalog-lint/catalog-lint/linter"
)

// GitHubAnnotation links an entity to its GitHub repository.
const GitHubAnnotation = "github.com/project-slug"

// GitHub: github.com/project-slug names a repository as owner/name. The CLI and the Action ask with
// GITHUB_TOKEN; serve asks with each job's installation token (Connected.With).
var GitHub = define(&Integration{
	Name: "github", Title: "GitHub", Object: "repo", Noun: "repository",
	Keys:  []string{GitHubAnnotation},
	Parse: parseGitHub,
	Settings: []Setting{
		{Env: "GITHUB_API_URL", NoInput: true, Doc: "GitHub Enterprise Server's API address (default https://api.github.com; the runner sets it in Actions)"},
		// Not the Action's github-token input: the job's own token sees no other private repository,
		// and its 404s would read as "missing". A token that can read the repositories is passed in env.
		{Env: "GITHUB_TOKEN", Secret: true, NoInput: true, Doc: "a token that can read the repositories the catalog names"},
	},
	Connect: connectGitHub,
	Request: "`GET /repos/{owner}/{repo}` through go-github; 200 is found (a rename or a transfer: GitHub redirects, and the new name is a fix), 404 missing",
	Token: "`GITHUB_TOKEN` for check and the Action (a fine-grained token or an App installation token that can read the repositories named: " +
		"GitHub answers 404 for those it cannot see; `GITHUB_API_URL` for GitHub Enterprise Server); the installation token in serve",
	Fix:           "a repository that moved (GitHub answers its old name with a redirect) gets its new `owner/name`",
	MissingCaveat: "or the token cannot see it",
	ExistsDoc: "A repository GitHub does not show the token (404) is reported; one that moved (a rename or a transfer: GitHub " +
		"redirects) gets its new name, as a fix; an archived one is github-repo-archived's.",
	FormatDoc: "`github.com/project-slug` is `owner/name`: an owner of letters, digits and `-` (at most 39), a name of letters, digits, " +
		"`.`, `_` and `-`. The GitHub plugins put it into API paths as it is, so a URL, a `.git` suffix or a third part is never found.",
	Good:          exampleEntity(GitHubAnnotation, "acme/payments"),
	BadMissing:    exampleEntity(GitHubAnnotation, "acme/paymnets"),
	BadFormat:     exampleEntity(GitHubAnnotation, "https://github.com/acme/payments"),
	BadUnverified: exampleEntity(GitHubAnnotation, "flaky-org/payments"),
	Warn:          GitHubRepoArchived,
	Extra:         []*linter.Rule{GitHubRepoArchived},
})

// GitHubRepoArchived reports repositories that exist but are archived.
var GitHubRepoArchived = &linter.Rule{
	ID:       "github-repo-archived",
	Summary:  "github.com/project-slug should not name an archived repository",
	Severity: linter.SeverityWarning,
	Network:  true,
	Doc: "The repository exists but is archived: read-only, usually because the service moved or was retired. " +
		"Point the annotation at the current repository, or mark the entity's lifecycle as deprecated.",
	Bad:  exampleEntity(GitHubAnnotation, "acme/payments-legacy"),
	Good: exampleEntity(GitHubAnnotation, "acme/payments"),
}

var githubSlug = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$`)

func parseGitHub(key, value string, _ func(string) string) (Value, string) {
	v := strings.TrimSpace(value)
	switch {
	case v == "":
		return Value{}, fmt.Sprintf("%s is empty; set it to owner/name or remove it", key)
	case strings.Contains(v, "://") || strings.HasPrefix(v, "github.com/"):
		path := v
		if u, err := url.Parse(v); err == nil && u.Host != "" {
			path = u.Path
		}
		path = strings.TrimSuffix(strings.Trim(strings.TrimPrefix(path, "github.com/"), "/"), ".git")
		return Value{}, fmt.Sprintf("%s %q is an address; set it to %q (owner/name)", key, value, path)
	case strings.HasSuffix(v, ".git"):
		return Value{}, fmt.Sprintf("%s %q ends in .git; set it to %q", key, value, strings.TrimSuffix(v, ".git"))
	case !githubSlug.MatchString(v):
		return Value{}, fmt.Sprintf("%s %q is not owner/name (an owner of letters, digits and -, a name of letters, digits, ., _ and -)", key, value)
	case v != value:
		return Value{}, fmt.Sprintf("%s %q has spaces around it; set it to %q", key, value, v)
	}
	return Value{Key: strings.ToLower(v), Name: v, ID: v}, ""
}

func connectGitHub(s Settings) (Service, error) {
	token := s.Get("GITHUB_TOKEN")
	if token == "" {
		return nil, &NotConfigured{Missing: "GITHUB_TOKEN"}
	}
	c, err := NewGitHubClient(token, s.Get("GITHUB_API_URL"))
	if err != nil {
		return nil, err
	}
	return NewGitHubService(c), nil
}

// NewGitHubClient is a GitHub REST client with token, at apiURL ("" for api.github.com). The token
// goes to that host only: a redirect elsewhere gets none.
func NewGitHubClient(token, apiURL string) (*github.Client, error) {
	base, _ := url.Parse("https://api.github.com/")
	if api := strings.TrimRight(apiURL, "/"); api != "" && api != "https://api.github.com" {
		u, err := url.Parse(api + "/")
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("GITHUB_API_URL %q is not an http(s) address", api)
		}
		base = u
	}
	c := github.NewClient(&http.Client{Timeout: 30 * time.Second, Transport: credentials.OnlyTo(base.Host, nil)}).WithAuthToken(token)
	c.BaseURL = base
	return c, nil
}

// NewGitHubService asks GitHub with client (serve: the job's installation client).
func NewGitHubService(client *github.Client) Service { return gitHub{client} }

type gitHub struct{ client *github.Client }

// Lookup asks GitHub about one repository. A moved repository is followed (GitHub answers 301 and
// the client follows it to the repository under its new name).
func (g gitHub) Lookup(ctx context.Context, v Value) Result {
	owner, repo, _ := strings.Cut(v.ID, "/")
	r, resp, err := g.client.Repositories.Get(ctx, owner, repo)
	if err == nil {
		res := Result{Verdict: Found}
		if !strings.EqualFold(r.GetFullName(), v.ID) && r.GetFullName() != "" {
			res = Result{Verdict: Moved, Current: r.GetFullName()}
		}
		if r.GetArchived() {
			res.Warn = fmt.Sprintf("GitHub repository %q is archived; point %s at the current repository", r.GetFullName(), GitHubAnnotation)
		}
		return res
	}
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	var rle *github.RateLimitError
	var arle *github.AbuseRateLimitError
	switch {
	case status == http.StatusNotFound:
		return Result{Verdict: Missing}
	case errors.As(err, &rle):
		return Result{Verdict: Unverified, Reason: "GitHub's rate limit is exhausted; try again after it resets",
			RetryAfter: max(time.Until(rle.Rate.Reset.Time)+time.Second, time.Second)}
	case errors.As(err, &arle):
		wait := time.Minute
		if arle.RetryAfter != nil {
			wait = max(*arle.RetryAfter, time.Second)
		}
		return Result{Verdict: Unverified, Reason: "GitHub's secondary rate limit was reached", RetryAfter: wait}
	case resp != nil && resp.Header.Get("X-RateLimit-Remaining") == "0" && (status == http.StatusForbidden || status == http.StatusTooManyRequests):
		return Result{Verdict: Unverified, Reason: "GitHub's rate limit is exhausted; try again after it resets", RetryAfter: retryAfter(resp.Header, time.Now())}
	case status == http.StatusUnauthorized:
		return Result{Verdict: Unverified, Reason: "GitHub rejected the token (401); set GITHUB_TOKEN to a valid token"}
	case status == http.StatusForbidden:
		return Result{Verdict: Unverified, Reason: "GitHub refused the token (403); it may lack access to the repository's organization"}
	case ctx.Err() != nil:
		return Result{Verdict: Unverified, Reason: "interrupted"}
	case status == 0:
		return Result{Verdict: Unverified, Reason: "GitHub could not be reached"}
	}
	return Result{Verdict: Unverified, Reason: fmt.Sprintf("GitHub answered %d %s", status, http.StatusText(status))}
}
