package integrations

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/catalog-lint/catalog-lint/internal/slugs"
	"github.com/catalog-lint/catalog-lint/sentry"
)

// SentryAnnotation links an entity to its Sentry project (@backstage-community/plugin-sentry).
const SentryAnnotation = "sentry.io/project-slug"

// Sentry's slug limits: project slugs are at most 100 characters (OpenAPI project PUT), organization
// slugs at most 50 (OpenAPI organization PUT).
const (
	maxProjectSlug = 100
	maxOrgSlug     = 50
)

// Sentry: sentry.io/project-slug names a project as `project` (in the organization configured) or
// `org/project`. Its settings include a token exchange and the repository's `sentry` section (which
// organization, which sentry.io region), so the CLI and serve connect it themselves
// (NewSentryService, Connected.With) rather than through Connect. Its lookups go by organization: a
// few projects are retrieved one by one, more are found in the organization's project list, read
// once (sentry.Index), which also gives a missing project's closest slug.
var Sentry = define(&Integration{
	Name: "sentry", Title: "Sentry", Object: "project", FormatID: "sentry-project-slug-format", InstanceNoun: "organization",
	Keys:  []string{SentryAnnotation},
	Parse: parseSentry,
	Settings: []Setting{
		{Env: "SENTRY_AUTH_TOKEN", Secret: true, NoInput: true, Doc: "a Sentry token that can read the organizations' projects (SENTRY_TOKEN, --sentry-token-file or a token exchange also do; see docs/sentry.md)"},
		{Env: "SENTRY_ORG", NoInput: true, Doc: "the organization of values without org/ (--sentry-org; also sentry.organization in .catalog-lint.yaml)"},
		{Env: "SENTRY_URL", NoInput: true, Doc: "Sentry's address (--sentry-url; default https://sentry.io)"},
	},
	Batched: true,
	Request: "by organization, at most 4 at a time: `GET /api/0/projects/{org}/{project}/` for up to 2 distinct projects of an " +
		"organization (at most 4 in flight), otherwise its project list (`GET /api/0/organizations/{org}/projects/`, every page) " +
		"read once, started while files are still being read; a slug the list lacks is retrieved to tell a renamed project (a " +
		"redirect: its new slug is a fix) from a missing one",
	Token: "`SENTRY_AUTH_TOKEN` (or `SENTRY_TOKEN`, `--sentry-token-file`, or a token exchange): `org:read` to list an organization's " +
		"projects, or `project:read` to retrieve them one by one",
	Fix: "a renamed project's old slug is replaced with its new one, the `org/` part and the quoting kept; a did-you-mean for a " +
		"missing project is only a suggestion",
	ExistsDoc: "With a Sentry token (see docs/sentry.md), catalog-lint asks Sentry whether the project exists: by slug, or by ID " +
		"for an all-digit value, in the organization the value names or else the configured one. A typo gets the closest " +
		"existing slug as a suggestion; a renamed project (Sentry answers the old slug with a redirect) gets its new slug.",
	FormatDoc: "The Sentry plugin reads `sentry.io/project-slug` as `project` (in the organization configured in Backstage) or " +
		"`org/project`, and puts it unchanged into Sentry's API URLs, so a malformed value only shows up later as an empty " +
		"Sentry card. A project slug is lowercase letters, digits, `_` and `-` (Sentry's `^(?![0-9]+$)[a-z0-9_-]+$`); an " +
		"all-digit value is a project ID and is accepted. An organization slug is letters, digits and `-`, starting with a " +
		"letter or digit and not ending with `-`. The plugin silently drops everything before the last two parts of `a/b/c`.",
	Good:          exampleEntity(SentryAnnotation, "acme/payments"),
	BadMissing:    exampleEntity(SentryAnnotation, "acme/paymnets"),
	BadFormat:     exampleEntity(SentryAnnotation, "Acme/Payments API"),
	BadUnverified: exampleEntity(SentryAnnotation, "flaky-org/payments"),
})

func parseSentry(_, value string, _ func(string) string) (Value, string) {
	if problem := SentrySlugProblem(value); problem != "" {
		return Value{}, problem
	}
	v := Value{Key: value, Name: value}
	if org, project, found := strings.Cut(value, "/"); found {
		v = Value{Key: value, Name: project, Instance: org, Prefix: org + "/"}
	}
	if sentryAllDigits(v.Name) {
		v.Object = "project ID"
	}
	return v, ""
}

// SentryLookup is what the Sentry check needs of Sentry: *sentry.Index.
type SentryLookup interface {
	Lookup(ctx context.Context, org string, refs []string) map[string]sentry.Answer
	Prefetch(ctx context.Context, org string)
}

// NewSentryService answers Sentry's questions with lookup; defaultOrg is the organization of values
// without an `org/` part ("" when none is configured: those are left unverified).
func NewSentryService(lookup SentryLookup, defaultOrg string) Service {
	return &sentryService{lookup: lookup, defaultOrg: defaultOrg, perProjectMax: 2, concurrency: 4}
}

type sentryService struct {
	lookup     SentryLookup
	defaultOrg string
	// perProjectMax must match the index's: above it, the organization's list will be read.
	perProjectMax int
	// concurrency bounds the organizations asked at once.
	concurrency int

	mu       sync.Mutex
	seen     map[string]map[string]bool // org -> distinct projects named so far
	prefetch map[string]bool
}

func (s *sentryService) org(v Value) string {
	if v.Instance != "" {
		return v.Instance
	}
	return s.defaultOrg
}

// Seen counts the distinct projects of each organization while files are read; once an
// organization has more than perProjectMax, its project list will be needed, so it starts loading.
func (s *sentryService) Seen(ctx context.Context, v Value) {
	org := s.org(v)
	s.mu.Lock()
	defer s.mu.Unlock()
	if org == "" || s.prefetch[org] {
		return
	}
	if s.seen == nil {
		s.seen, s.prefetch = map[string]map[string]bool{}, map[string]bool{}
	}
	if s.seen[org] == nil {
		s.seen[org] = map[string]bool{}
	}
	s.seen[org][v.Name] = true
	if len(s.seen[org]) > s.perProjectMax {
		s.prefetch[org] = true
		delete(s.seen, org)
		s.lookup.Prefetch(ctx, org)
	}
}

// Lookup answers one value (LookupAll is what the Resolver calls).
func (s *sentryService) Lookup(ctx context.Context, v Value) Result {
	return s.LookupAll(ctx, []Value{v})[0]
}

// LookupAll asks about each organization once, at most concurrency at a time.
func (s *sentryService) LookupAll(ctx context.Context, vs []Value) []Result {
	byOrg := map[string][]int{}
	for i, v := range vs {
		byOrg[s.org(v)] = append(byOrg[s.org(v)], i)
	}
	orgs := make([]string, 0, len(byOrg))
	for org := range byOrg {
		orgs = append(orgs, org)
	}
	sort.Strings(orgs)
	out := make([]Result, len(vs))
	sem := make(chan struct{}, max(s.concurrency, 1))
	var wg sync.WaitGroup
	for _, org := range orgs {
		if org == "" {
			for _, i := range byOrg[org] {
				out[i] = Result{Verdict: Unverified,
					Reason: "no Sentry organization is configured for values without org/ (set SENTRY_ORG, --sentry-org or sentry.organization, or write org/project)"}
			}
			continue
		}
		refs := make([]string, 0, len(byOrg[org]))
		for _, i := range byOrg[org] {
			refs = append(refs, vs[i].Name)
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(org string, refs []string, at []int) {
			defer wg.Done()
			defer func() { <-sem }()
			answers := s.lookup.Lookup(ctx, org, refs)
			for n, i := range at {
				out[i] = sentryResult(answers[refs[n]])
				out[i].Instance = org
			}
		}(org, refs, byOrg[org])
	}
	wg.Wait()
	return out
}

// sentryResult reads the index's answer about one project.
func sentryResult(a sentry.Answer) Result {
	switch a.Status {
	case sentry.Found:
		return Result{Verdict: Found}
	case sentry.Renamed:
		return Result{Verdict: Moved, Current: a.NewSlug}
	case sentry.NotFound:
		r := Result{Verdict: Missing, Suggestion: a.Suggestion}
		if a.OrgUnchecked {
			r.Note = "the token cannot list the organization's projects, so the organization itself may not exist"
		}
		return r
	}
	r := Result{Verdict: Unverified, Reason: "Sentry could not be asked"}
	if a.Err != nil {
		r.Reason = strings.TrimPrefix(a.Err.Error(), "sentry: ")
	}
	var ue *sentry.UnavailableError
	if errors.As(a.Err, &ue) && ue.RetryAfter > 0 {
		r.RetryAfter = ue.RetryAfter
	}
	return r
}

// SentrySlugProblem explains what is wrong with a sentry.io/project-slug value, or returns "".
func SentrySlugProblem(value string) string {
	const form = "use project or org/project"
	if strings.TrimSpace(value) == "" {
		return fmt.Sprintf("%s is empty; set it to the Sentry project's slug (%s) or remove the annotation", SentryAnnotation, form)
	}
	parts := strings.Split(value, "/")
	if len(parts) > 2 {
		return fmt.Sprintf("%s %q has %d parts; %s (the Sentry plugin would silently ignore %q)",
			SentryAnnotation, value, len(parts), form, strings.Join(parts[:len(parts)-2], "/"))
	}
	project := parts[len(parts)-1]
	if len(parts) == 2 {
		if msg := orgSlugProblem(parts[0]); msg != "" {
			return fmt.Sprintf("%s %q: %s", SentryAnnotation, value, msg)
		}
	}
	if msg := projectSlugProblem(project); msg != "" {
		return fmt.Sprintf("%s %q: %s", SentryAnnotation, value, msg)
	}
	return ""
}

func projectSlugProblem(s string) string {
	fix := func(why string) string {
		return why + slugs.Hint(s, slugs.Suggest(s, true, func(c byte) bool { return slugs.IsLowerAlnum(c) || c == '_' || c == '-' }))
	}
	switch {
	case s == "":
		return "the project part is empty; use org/project"
	case sentryAllDigits(s):
		return "" // a project ID
	case len(s) > maxProjectSlug:
		return fmt.Sprintf("the project slug is %d characters long; Sentry allows at most %d", len(s), maxProjectSlug)
	case strings.ContainsAny(s, " \t"):
		return fix("the project slug contains spaces; Sentry slugs use hyphens instead")
	case strings.ToLower(s) != s:
		return fix("the project slug has upper-case letters; Sentry slugs are lowercase")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !slugs.IsLowerAlnum(c) && c != '_' && c != '-' {
			return fix(fmt.Sprintf("the project slug contains %q; Sentry slugs use only lowercase letters, digits, _ and -", string(rune(c))))
		}
	}
	return ""
}

func orgSlugProblem(s string) string {
	fix := func(why string) string {
		return why + slugs.Hint(s, slugs.Suggest(s, false, func(c byte) bool { return slugs.IsAlnum(c) || c == '-' }))
	}
	switch {
	case s == "":
		return "the organization part is empty; use project alone or org/project"
	case sentryAllDigits(s):
		return "" // an organization ID
	case len(s) > maxOrgSlug:
		return fmt.Sprintf("the organization slug is %d characters long; Sentry allows at most %d", len(s), maxOrgSlug)
	case strings.ContainsAny(s, " \t"):
		return fix("the organization slug contains spaces; Sentry slugs use hyphens instead")
	case !slugs.IsAlnum(s[0]) || s[len(s)-1] == '-':
		return fix("the organization slug must start with a letter or digit and must not end with -")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !slugs.IsAlnum(c) && c != '-' {
			return fix(fmt.Sprintf("the organization slug contains %q; Sentry organization slugs use only letters, digits and -", string(rune(c))))
		}
	}
	return ""
}

func sentryAllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
