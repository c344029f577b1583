package rules

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/catalog-lint/catalog-lint/linter"
	"github.com/catalog-lint/catalog-lint/sentry"
)

// SentryRef is the question SentryProjectExists defers: a project (slug or all-digit ID) and the
// organization the annotation names ("" for the configured one).
type SentryRef struct {
	Org, Project string
	// Value is the annotation as written, for messages.
	Value string
}

// SentryProjectExists asks Sentry whether each sentry.io/project-slug names an existing project.
var SentryProjectExists = &linter.Rule{
	Fix:      "a renamed project's old slug is replaced with its new one, the `org/` part and the quoting kept; a did-you-mean for a missing project is only a suggestion",
	ID:       "sentry-project-exists",
	Summary:  "sentry.io/project-slug must name a project that exists in Sentry",
	Severity: linter.SeverityError,
	Network:  true,
	Doc: "With a Sentry token and organization configured (see docs/sentry.md), catalog-lint asks Sentry " +
		"whether the project exists: by slug, or by ID for an all-digit value, in the organization the " +
		"value names or else the configured one. A typo gets the closest existing slug as a suggestion; a " +
		"renamed project (Sentry answers the old slug with a redirect) gets its new slug. When Sentry " +
		"cannot be asked, this rule reports nothing and sentry-project-unverified says so instead.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  annotations:
    sentry.io/project-slug: acme/paymnets
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
    sentry.io/project-slug: acme/payments
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Check: func(p *linter.Pass) {
		_, v := p.Entity.Annotation(SentryAnnotation)
		s, ok := linter.String(v)
		if !ok || SentrySlugProblem(s) != "" {
			return // sentry-project-slug-format and annotation-format report malformed values
		}
		ref := SentryRef{Project: s, Value: s}
		if org, project, found := strings.Cut(s, "/"); found {
			ref.Org, ref.Project = org, project
		}
		sentryQuestions.Ask(p, v, ref)
	},
}

// sentryQuestions are the questions sentry-project-exists asks, one per annotation; a SentryResolver
// answers them.
var sentryQuestions linter.Asks[SentryRef]

// SentryProjectUnverified carries the annotations Sentry could not be asked about.
var SentryProjectUnverified = &linter.Rule{
	ID:           "sentry-project-unverified",
	Summary:      "sentry.io/project-slug could not be checked against Sentry",
	Severity:     linter.SeverityWarning,
	Network:      true,
	Inconclusive: true,
	Doc: "Reported for each annotation whose project could not be looked up: Sentry was unreachable, " +
		"answered 5xx or kept rate limiting, rejected the token (401), or the token lacks the scopes to " +
		"read the organization (403). It is never a claim that the project is missing. The run then ends " +
		"with exit code 3 (unless errors already make it 1), and the reason is printed once.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  annotations:
    sentry.io/project-slug: flaky-org/payments
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
    sentry.io/project-slug: acme/payments
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
}

// SentryLookup is what the Sentry rules need of Sentry: *sentry.Index implements it.
type SentryLookup interface {
	Lookup(ctx context.Context, org string, refs []string) map[string]sentry.Answer
}

// sentryPrefetcher is implemented by lookups that can start reading an organization early.
type sentryPrefetcher interface {
	Prefetch(ctx context.Context, org string)
}

// SentryResolver answers SentryProjectExists's questions with lookup; defaultOrg applies to values
// without an organization part.
type SentryResolver struct {
	Lookup     SentryLookup
	DefaultOrg string
	// Concurrency bounds the organizations asked at once (default 4).
	Concurrency int
	// PerProjectMax must match the index's: above it, a list will be read (default 2).
	PerProjectMax int

	mu       sync.Mutex
	seen     map[string]map[string]bool // org -> distinct references observed so far
	prefetch map[string]bool
}

// Resolver is r as the resolver of sentry-project-exists (Options.Resolvers).
func (r *SentryResolver) Resolver() linter.Resolver { return sentryQuestions.AnsweredBy(r) }

// Watch counts the distinct references of each organization while files are read; once an
// organization has more than PerProjectMax, its project list will be needed, so it starts loading
// while the lint goes on.
func (r *SentryResolver) Watch(ctx context.Context, ref SentryRef) {
	p, canPrefetch := r.Lookup.(sentryPrefetcher)
	if !canPrefetch {
		return
	}
	org := ref.Org
	if org == "" {
		org = r.DefaultOrg
	}
	limit := r.PerProjectMax
	if limit <= 0 {
		limit = 2
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if org == "" || r.prefetch[org] {
		return
	}
	if r.seen == nil {
		r.seen, r.prefetch = map[string]map[string]bool{}, map[string]bool{}
	}
	if r.seen[org] == nil {
		r.seen[org] = map[string]bool{}
	}
	r.seen[org][ref.Project] = true
	if len(r.seen[org]) > limit {
		r.prefetch[org] = true
		delete(r.seen, org)
		p.Prefetch(ctx, org)
	}
}

// Answer groups the questions by organization and asks about each organization once.
func (r *SentryResolver) Answer(ctx context.Context, questions []SentryRef) ([]linter.Answer, []string) {
	byOrg := map[string][]int{}
	for i, ref := range questions {
		org := ref.Org
		if org == "" {
			org = r.DefaultOrg
		}
		byOrg[org] = append(byOrg[org], i)
	}
	orgs := make([]string, 0, len(byOrg))
	for org := range byOrg {
		orgs = append(orgs, org)
	}
	sort.Strings(orgs)

	results := make([]map[string]sentry.Answer, len(orgs))
	n := r.Concurrency
	if n <= 0 {
		n = 4
	}
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i, org := range orgs {
		if org == "" {
			continue
		}
		var refs []string
		for _, qi := range byOrg[org] {
			refs = append(refs, questions[qi].Project)
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(i int, org string, refs []string) {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = r.Lookup.Lookup(ctx, org, refs)
		}(i, org, refs)
	}
	wg.Wait()

	var answers []linter.Answer
	var notices []string
	noticed := map[string]bool{}
	notice := func(s string) {
		if !noticed[s] {
			noticed[s] = true
			notices = append(notices, s)
		}
	}
	for i, org := range orgs {
		for _, qi := range byOrg[org] {
			ref := questions[qi]
			if org == "" {
				answers = append(answers, linter.Answer{Question: qi, Rule: SentryProjectUnverified, Message: fmt.Sprintf(
					"sentry project %q could not be checked: no Sentry organization is configured (set SENTRY_ORG, --sentry-org or sentry.organization, or write org/project)", ref.Project)})
				notice("sentry: no organization configured; values without an org/ part were not checked")
				continue
			}
			a := results[i][ref.Project]
			if msg := sentryMessage(org, ref, a); msg != "" {
				rule := SentryProjectExists
				if a.Status == sentry.Unverified {
					rule = SentryProjectUnverified
					notice("sentry: " + strings.TrimPrefix(a.Err.Error(), "sentry: "))
				}
				ans := linter.Answer{Question: qi, Rule: rule, Message: msg}
				if a.Status == sentry.Renamed {
					// The one right value: the new slug, with the organization as written.
					fixed := a.NewSlug
					if ref.Org != "" {
						fixed = ref.Org + "/" + a.NewSlug
					}
					ans.Replace = &fixed
				}
				answers = append(answers, ans)
			}
		}
	}
	return answers, notices
}

// sentryMessage says what a lookup answer means for the annotation, or "" when all is well.
func sentryMessage(org string, ref SentryRef, a sentry.Answer) string {
	what := fmt.Sprintf("sentry project %q", ref.Project)
	if allDigits(ref.Project) {
		what = fmt.Sprintf("sentry project ID %s", ref.Project)
	}
	switch a.Status {
	case sentry.Found:
		return ""
	case sentry.Renamed:
		fixed := a.NewSlug
		if ref.Org != "" {
			fixed = ref.Org + "/" + a.NewSlug
		}
		return fmt.Sprintf("sentry project %q was renamed to %q in organization %q; set %s to %q", ref.Project, a.NewSlug, org, SentryAnnotation, fixed)
	case sentry.NotFound:
		msg := fmt.Sprintf("%s does not exist in organization %q", what, org)
		if a.Suggestion != "" {
			msg += fmt.Sprintf("; did you mean %q?", a.Suggestion)
		}
		if a.OrgUnchecked {
			msg += " (the token cannot list the organization's projects, so the organization itself may not exist)"
		}
		return msg
	case sentry.Unverified:
		reason := "Sentry could not be asked"
		if a.Err != nil {
			reason = strings.TrimPrefix(a.Err.Error(), "sentry: ")
		}
		return fmt.Sprintf("%s in organization %q could not be verified: %s", what, org, reason)
	}
	return fmt.Sprintf("%s in organization %q could not be verified", what, org)
}
