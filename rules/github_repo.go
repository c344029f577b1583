package rules

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/google/go-github/v60/github"

	"github.com/catalog-lint/catalog-lint/linter"
)

// GitHubAnnotation links an entity to its GitHub repository.
const GitHubAnnotation = "github.com/project-slug"

var githubSlug = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$`)

// GitHubRef is the question GitHubRepoExists defers: a repository as the annotation names it.
type GitHubRef struct {
	Owner, Repo string
}

func (r GitHubRef) key() string { return strings.ToLower(r.Owner + "/" + r.Repo) }

// GitHubRepoExists asks GitHub whether github.com/project-slug names a repository the token can see.
var GitHubRepoExists = &linter.Rule{
	ID:       "github-repo-exists",
	Summary:  "github.com/project-slug must name a repository that exists",
	Severity: linter.SeverityError,
	Network:  true,
	Fix:      "a repository that moved (GitHub answers its old name with a redirect) gets its new `owner/name`",
	Doc: "With a GitHub token (`GITHUB_TOKEN` for check and the Action, the installation token in serve; it " +
		"must be able to read the repositories named, as GitHub answers 404 for those it cannot see; " +
		"`GITHUB_API_URL` for GitHub Enterprise Server), each distinct repository is asked once per run " +
		"(`GET /repos/{owner}/{repo}`, at most 8 at a time). A repository GitHub does not show the token (404) " +
		"is reported; one that moved (a rename or a transfer: GitHub redirects) gets its new name, as a fix. " +
		"When GitHub cannot be asked (401, 403, a rate limit, 5xx, a timeout) nothing is reported here: " +
		"github-repo-unverified says so instead.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  annotations:
    github.com/project-slug: acme/paymnets
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Good: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  annotations:
    github.com/project-slug: acme/payments
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Check: func(p *linter.Pass) {
		_, v := p.Entity.Annotation(GitHubAnnotation)
		s, ok := linter.String(v)
		if !ok || !githubSlug.MatchString(s) {
			return
		}
		owner, repo, _ := strings.Cut(s, "/")
		githubQuestions.Ask(p, v, GitHubRef{Owner: owner, Repo: repo})
	},
}

// githubQuestions are the questions github-repo-exists asks, one per annotation; a GitHubResolver
// answers them.
var githubQuestions linter.Asks[GitHubRef]

// GitHubRepoArchived reports repositories that exist but are archived.
var GitHubRepoArchived = &linter.Rule{
	ID:       "github-repo-archived",
	Summary:  "github.com/project-slug should not name an archived repository",
	Severity: linter.SeverityWarning,
	Network:  true,
	Doc: "The repository exists but is archived: read-only, usually because the service moved or was retired. " +
		"Point the annotation at the current repository, or mark the entity's lifecycle as deprecated.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  annotations:
    github.com/project-slug: acme/payments-legacy
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Good: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  annotations:
    github.com/project-slug: acme/payments
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
}

// GitHubRepoUnverified carries the repositories GitHub could not be asked about.
var GitHubRepoUnverified = &linter.Rule{
	ID:           "github-repo-unverified",
	Summary:      "github.com/project-slug could not be checked against GitHub",
	Severity:     linter.SeverityWarning,
	Network:      true,
	Inconclusive: true,
	Doc: "Reported for each annotation whose repository could not be looked up: GitHub rejected the token " +
		"(401), refused it (403), its rate limit was exhausted (403 or 429 with `X-RateLimit-Remaining: 0`), " +
		"it answered 5xx, or it did not answer. It is never a claim that the repository is missing. The run " +
		"then ends with exit code 3 (unless errors already make it 1), and the reason is printed once.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  annotations:
    github.com/project-slug: flaky-org/payments
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Good: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  annotations:
    github.com/project-slug: acme/payments
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
}

// GitHubResolver answers GitHubRepoExists' questions with the GitHub API. Lookups start as soon as
// a file names a repository (Observe), so that they overlap with reading the other files.
type GitHubResolver struct {
	Client *github.Client
	// Concurrency bounds the requests in flight (default 8).
	Concurrency int

	once    sync.Once
	sem     chan struct{}
	mu      sync.Mutex
	pending map[string]*repoLookup
}

// repoLookup is one repository's lookup, done once per run.
type repoLookup struct {
	done   chan struct{}
	answer repoAnswer
}

func (r *GitHubResolver) init() {
	r.once.Do(func() {
		n := r.Concurrency
		if n <= 0 {
			n = 8
		}
		r.sem = make(chan struct{}, n)
		r.pending = map[string]*repoLookup{}
	})
}

// start begins the lookup of ref unless one is under way or done, and returns it.
func (r *GitHubResolver) start(ctx context.Context, ref GitHubRef) *repoLookup {
	r.init()
	r.mu.Lock()
	defer r.mu.Unlock()
	if l, ok := r.pending[ref.key()]; ok {
		return l
	}
	l := &repoLookup{done: make(chan struct{})}
	r.pending[ref.key()] = l
	go func() {
		defer close(l.done)
		select {
		case r.sem <- struct{}{}:
		case <-ctx.Done():
			l.answer = repoAnswer{err: "interrupted"}
			return
		}
		defer func() { <-r.sem }()
		l.answer = r.lookup(ctx, ref)
	}()
	return l
}

// Watch implements linter.Watcher: the lookup starts while files are still being read.
func (r *GitHubResolver) Watch(ctx context.Context, ref GitHubRef) { r.start(ctx, ref) }

// Register makes r the resolver of the GitHub repository rules in into.
func (r *GitHubResolver) Register(into map[*linter.Rule]linter.Resolver) map[*linter.Rule]linter.Resolver {
	if into == nil {
		into = map[*linter.Rule]linter.Resolver{}
	}
	into[GitHubRepoExists] = githubQuestions.AnsweredBy(r)
	return into
}

type repoAnswer struct {
	fullName string // as GitHub names it now
	archived bool
	missing  bool
	err      string // why GitHub could not be asked
}

// Answer implements linter.Answerer.
func (r *GitHubResolver) Answer(ctx context.Context, questions []GitHubRef) ([]linter.Answer, []string) {
	answers := map[string]repoAnswer{}
	for _, ref := range questions {
		if _, done := answers[ref.key()]; !done {
			l := r.start(ctx, ref)
			<-l.done
			answers[ref.key()] = l.answer
		}
	}

	var out []linter.Answer
	var notices []string
	seen := map[string]bool{}
	for i, ref := range questions {
		name := ref.Owner + "/" + ref.Repo
		a := answers[ref.key()]
		switch {
		case a.err != "":
			out = append(out, linter.Answer{Question: i, Rule: GitHubRepoUnverified,
				Message: fmt.Sprintf("github repository %q could not be verified: %s", name, a.err)})
			if !seen[a.err] {
				seen[a.err] = true
				notices = append(notices, "github: "+a.err)
			}
		case a.missing:
			out = append(out, linter.Answer{Question: i, Rule: GitHubRepoExists,
				Message: fmt.Sprintf("github repository %q does not exist, or the token cannot see it", name)})
		case a.fullName != "" && !strings.EqualFold(a.fullName, name):
			moved := a.fullName
			out = append(out, linter.Answer{Question: i, Rule: GitHubRepoExists, Replace: &moved,
				Message: fmt.Sprintf("github repository %q moved to %q; set %s to %q", name, a.fullName, GitHubAnnotation, a.fullName)})
		case a.archived:
			out = append(out, linter.Answer{Question: i, Rule: GitHubRepoArchived,
				Message: fmt.Sprintf("github repository %q is archived; point %s at the current repository", name, GitHubAnnotation)})
		}
	}
	return out, notices
}

// lookup asks GitHub about one repository. A moved repository is followed (GitHub answers 301 and
// the client follows it to the repository under its new name).
func (r *GitHubResolver) lookup(ctx context.Context, ref GitHubRef) repoAnswer {
	repo, resp, err := r.Client.Repositories.Get(ctx, ref.Owner, ref.Repo)
	if err == nil {
		return repoAnswer{fullName: repo.GetFullName(), archived: repo.GetArchived()}
	}
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	var rle *github.RateLimitError
	var arle *github.AbuseRateLimitError
	switch {
	case status == http.StatusNotFound:
		return repoAnswer{missing: true}
	case errors.As(err, &rle), errors.As(err, &arle),
		resp != nil && resp.Header.Get("X-RateLimit-Remaining") == "0" && (status == http.StatusForbidden || status == http.StatusTooManyRequests):
		return repoAnswer{err: "GitHub's rate limit is exhausted; try again after it resets"}
	case status == http.StatusUnauthorized:
		return repoAnswer{err: "GitHub rejected the token (401); set GITHUB_TOKEN to a valid token"}
	case status == http.StatusForbidden:
		return repoAnswer{err: "GitHub refused the token (403); it may lack access to the repository's organization"}
	case status >= 500:
		return repoAnswer{err: fmt.Sprintf("GitHub answered %d %s", status, http.StatusText(status))}
	case ctx.Err() != nil:
		return repoAnswer{err: "interrupted"}
	case status == 0:
		return repoAnswer{err: "GitHub could not be reached"}
	}
	return repoAnswer{err: fmt.Sprintf("GitHub answered %d %s", status, http.StatusText(status))}
}
