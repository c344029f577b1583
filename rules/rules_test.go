package rules

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"

	"github.com/catalog-lint/catalog-lint/backstage"
	"github.com/catalog-lint/catalog-lint/backstage/backstagetest"
	"github.com/catalog-lint/catalog-lint/integrations"
	"github.com/catalog-lint/catalog-lint/integrations/integrationstest"
	"github.com/catalog-lint/catalog-lint/linter"
	"github.com/catalog-lint/catalog-lint/rules/githubtest"
	"github.com/catalog-lint/catalog-lint/sentry"
	"github.com/catalog-lint/catalog-lint/sentry/sentrytest"
)

var update = flag.Bool("update", false, "rewrite testdata/err/*.out and docs/rules.md from the current output")

// sentryFixture is the Sentry the rule tests ask: a fake serving the Web API over HTTP, read through
// the real client and index. Organization acme (the default) and Acme-Corp exist; flaky-org always
// answers 503; anything else is unknown.
func sentryFixture(t *testing.T) ExampleServices {
	t.Helper()
	srv := sentrytest.New()
	t.Cleanup(srv.Close)
	srv.AddToken("sntryu_rules_test", sentrytest.Token{Scopes: []string{"org:read", "project:read"}})
	srv.AddProjects("acme",
		sentrytest.Project{ID: "4505278496", Slug: "payments", Name: "Payments"},
		sentrytest.Project{ID: "4505278497", Slug: "payments-api", Name: "Payments API"},
		sentrytest.Project{ID: "4505278498", Slug: "payments-service", Name: "Payments service"},
		sentrytest.Project{ID: "4505278499", Slug: "payments_v2-api", Name: "Payments v2"},
		sentrytest.Project{ID: "4505278500", Slug: "checkout-web", Name: "Checkout"},
		sentrytest.Project{ID: "4505278501", Slug: "sample-service", Name: "Sample"})
	srv.AddProjects("Acme-Corp", sentrytest.Project{ID: "77", Slug: "payments", Name: "Payments"})
	srv.AddProjects("flaky-org", sentrytest.Project{ID: "78", Slug: "payments", Name: "Payments"})
	srv.Rename("acme", "old-payments", "payments")
	srv.Fail = func(r *http.Request, _ int) int {
		if strings.Contains(r.URL.Path, "/flaky-org/") {
			return http.StatusServiceUnavailable
		}
		return 0
	}
	c, err := sentry.NewClient(sentry.Config{BaseURL: srv.URL, Token: "sntryu_rules_test",
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	return ExampleServices{
		Resolvers: integrationsFixture(t).With(integrations.Sentry, integrations.NewSentryService(sentry.NewIndex(c), "acme"), nil, nil).
			Register(map[*linter.Rule]linter.Resolver{GitHubRepoExists: githubFixture(t)}),
		// The live Backstage catalog of the examples: payments was registered from another repository;
		// the second one rejects the token.
		Live:       liveFixture(t, "tok"),
		LiveDown:   liveFixture(t, "wrong-token"),
		Repository: "https://github.com/acme/payments",
	}
}

// integrationsFixture are the SonarQube, PagerDuty, Jira and GitLab the rule examples ask, over
// HTTP: each knows the Good example's object, and answers 503 for values that start with "flaky".
func integrationsFixture(t *testing.T) integrations.Connected {
	t.Helper()
	flaky := func(r *http.Request) int {
		if strings.Contains(strings.ToLower(r.URL.String()), "flaky") {
			return http.StatusServiceUnavailable
		}
		return 0
	}
	servers := []*integrationstest.Server{
		integrationstest.SonarQube("squ_examples", "acme_payments"),
		integrationstest.PagerDuty("pd_examples", "PPAY001", "PABC123"),
		integrationstest.Jira("", "jira_examples", []string{"PAY"}, map[string]string{"PAYOLD": "PAY"}),
		integrationstest.GitLab("glpat-examples", []string{"acme/payments"}, map[string]string{"acme/payments-old": "acme/payments"}),
	}
	for _, s := range servers {
		s.Fail = flaky
		t.Cleanup(s.Close)
	}
	env := map[string]string{"SONARQUBE_URL": servers[0].URL, "SONARQUBE_TOKEN": "squ_examples",
		"PAGERDUTY_URL": servers[1].URL, "PAGERDUTY_TOKEN": "pd_examples",
		"JIRA_URL": servers[2].URL, "JIRA_TOKEN": "jira_examples",
		"GITLAB_URL": servers[3].URL, "GITLAB_TOKEN": "glpat-examples"}
	c, err := integrations.Connect(func(k string) string { return env[k] }, nil)
	if err != nil || len(c.Resolvers) != 4 {
		t.Fatalf("integrations: %v (%d connected)", err, len(c.Resolvers))
	}
	return c
}

// githubFixture is the GitHub the rule tests ask, over HTTP through go-github: acme/payments exists,
// acme/payments-legacy is archived, acme/payments-old moved to acme/payments, flaky-org answers 503.
func githubFixture(t *testing.T) linter.Resolver {
	t.Helper()
	srv := githubtest.New("ghs_rules_test")
	t.Cleanup(srv.Close)
	srv.AddRepo("acme/payments", false)
	srv.AddRepo("acme/payments-legacy", true)
	srv.Move("acme/payments-old", "acme/payments")
	srv.Fail = func(owner, _ string) int {
		if owner == "flaky-org" {
			return http.StatusServiceUnavailable
		}
		return 0
	}
	return githubResolver(githubClient(t, srv.URL, "ghs_rules_test")).Register(nil)[GitHubRepoExists]
}

// githubResolver is GitHub's integration asking with client, waits cut short.
func githubResolver(client *github.Client) *integrations.Resolver {
	return &integrations.Resolver{Integration: integrations.GitHub, Service: integrations.NewGitHubService(client),
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}
}

// githubClient is go-github pointed at a fake.
func githubClient(t *testing.T, url, token string) *github.Client {
	t.Helper()
	c, err := githubClientFor(url, token)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func githubClientFor(url, token string) (*github.Client, error) {
	c, err := github.NewClient(nil).WithAuthToken(token).WithEnterpriseURLs(url, url)
	if err != nil {
		return nil, err
	}
	c.BaseURL.Path = "/"
	return c, nil
}

// liveFixture is a fake Backstage catalog over HTTP, read through the real client with token.
func liveFixture(t *testing.T, token string) LiveCatalog {
	t.Helper()
	srv := backstagetest.New("tok")
	t.Cleanup(srv.Close)
	srv.Add("Component", "default", "payments", "url:https://github.com/acme/old-payments/blob/main/catalog-info.yaml")
	srv.Add("Group", "default", "team-payments", "url:https://github.com/acme/org/blob/main/org.yaml")
	c, err := backstage.NewClient(backstage.Config{BaseURL: srv.URL, Token: token,
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newLinter(t *testing.T) *linter.Linter {
	t.Helper()
	l, err := linter.New(linter.Options{Rules: All(), Jobs: 1, Resolvers: sentryFixture(t).Resolvers})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// formatFinding is the golden line format: the text output's first line, path relative to testdata.
func formatFinding(f linter.Finding) string {
	loc := filepath.ToSlash(f.File)
	if f.Line > 0 {
		loc = fmt.Sprintf("%s:%d", loc, f.Line)
		if f.Column > 0 {
			loc = fmt.Sprintf("%s:%d", loc, f.Column)
		}
	}
	sev := ""
	if f.Severity != linter.SeverityError {
		sev = f.Severity.String() + ": "
	}
	return fmt.Sprintf("%s: %s%s [%s]", loc, sev, f.Message, f.Rule)
}

func lintTestdata(t *testing.T, l *linter.Linter, rel string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", rel))
	if err != nil {
		t.Fatal(err)
	}
	findings, _ := l.LintBytes(context.Background(), rel, data)
	var lines []string
	for _, f := range findings {
		lines = append(lines, formatFinding(f))
	}
	return lines
}

// TestGoldenOK requires every testdata/ok file to be clean.
func TestGoldenOK(t *testing.T) {
	l := newLinter(t)
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "ok", "*.yaml"))
	if len(files) == 0 {
		t.Fatal("no testdata/ok files")
	}
	for _, f := range files {
		rel := filepath.ToSlash(filepath.Join("ok", filepath.Base(f)))
		if got := lintTestdata(t, l, rel); len(got) > 0 {
			t.Errorf("%s: want no findings, got:\n%s", rel, strings.Join(got, "\n"))
		}
	}
}

// TestGoldenErr compares every testdata/err file's findings with its .out file, line by line.
func TestGoldenErr(t *testing.T) {
	l := newLinter(t)
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "err", "*.yaml"))
	if len(files) == 0 {
		t.Fatal("no testdata/err files")
	}
	for _, f := range files {
		rel := filepath.ToSlash(filepath.Join("err", filepath.Base(f)))
		t.Run(filepath.Base(f), func(t *testing.T) {
			got := lintTestdata(t, l, rel)
			golden := strings.TrimSuffix(f, ".yaml") + ".out"
			if *update {
				if err := os.WriteFile(golden, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			data, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./rules -update to create it)", err)
			}
			want := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
			if len(got) == 0 {
				t.Fatalf("want findings, got none")
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s findings differ (-want +got):\n%s", rel, diff)
			}
		})
	}
}

// TestEveryRuleHasGoldenCase requires each rule with a Check to fire in some testdata/err file.
func TestEveryRuleHasGoldenCase(t *testing.T) {
	outs, _ := filepath.Glob(filepath.Join("..", "testdata", "err", "*.out"))
	archives, _ := filepath.Glob(filepath.Join("..", "testdata", "catalog", "*.txtar")) // catalog-wide rules
	outs = append(outs, archives...)
	var all strings.Builder
	for _, o := range outs {
		data, _ := os.ReadFile(o)
		all.Write(data)
	}
	for _, r := range All() {
		if r == linter.RuleFileTooLarge || r == linter.RuleFileUnreadable || r == linter.RuleFindingsLimit {
			continue // exercised by the linter and budget tests: they need files, or thousands of findings
		}
		if !strings.Contains(all.String(), "["+r.ID+"]") {
			t.Errorf("rule %s has no golden case in testdata/err or testdata/catalog", r.ID)
		}
	}
}

// TestRulesWellFormed checks every rule's metadata, so a rule cannot land half-described.
func TestRulesWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for i, r := range All() {
		if err := r.Validate(); err != nil {
			t.Error(err)
		}
		if seen[r.ID] {
			t.Errorf("duplicate rule ID %s", r.ID)
		}
		seen[r.ID] = true
		if i > 0 && All()[i-1].ID >= r.ID {
			t.Errorf("registry not sorted at %s", r.ID)
		}
		if Lookup(r.ID) != r {
			t.Errorf("Lookup(%q) does not return the rule", r.ID)
		}
	}
	if Lookup("no-such-rule") != nil {
		t.Error("Lookup of an unknown ID must return nil")
	}
}

// TestRuleExamples lints each rule's documented examples: Bad must trigger the rule, Good must be
// entirely clean.
func TestRuleExamples(t *testing.T) {
	services := sentryFixture(t)
	resolvers := services.Resolvers
	l, err := linter.New(linter.Options{Rules: All(), Jobs: 1, Resolvers: resolvers})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range All() {
		t.Run(r.ID, func(t *testing.T) {
			if r != linter.RuleFileUnreadable && len(ExampleFindings(r, services)) == 0 {
				t.Errorf("the Bad example does not trigger %s", r.ID)
			}
			good := l
			if r == AnnotationRequired || r == AnnotationPattern {
				if good, err = linter.New(linter.Options{Rules: All(), Jobs: 1, Config: exampleConfig(), Resolvers: resolvers}); err != nil {
					t.Fatal(err)
				}
			}
			if r.Catalog || r == EntityConflict || r == CatalogUnverified {
				// Good examples of the catalog rules are clean in a catalog, with the working live one.
				cat := exampleCatalog(r)
				cr := &CatalogResolver{Catalog: cat, Live: services.Live, Repository: services.Repository}
				var finishers []linter.Finisher
				if r.Catalog {
					cr.Live = nil
				} else {
					finishers = []linter.Finisher{cr}
				}
				if good, err = linter.New(linter.Options{Rules: All(), Jobs: 1, Catalog: cat, Resolvers: cr.Register(copyResolvers(resolvers)), Finishers: finishers}); err != nil {
					t.Fatal(err)
				}
			}
			found, _ := good.LintBytes(context.Background(), "catalog-info.yaml", []byte(r.Good))
			for _, f := range found {
				t.Errorf("the Good example is not clean: %s", formatFinding(f))
			}
		})
	}
}

// TestDocsUpToDate fails when docs/rules.md differs from what the registry generates.
func TestDocsUpToDate(t *testing.T) {
	path := filepath.Join("..", "docs", "rules.md")
	want := Markdown(sentryFixture(t))
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("docs/rules.md is out of date; run: go test ./rules -run TestDocsUpToDate -update\n%s",
			cmp.Diff(string(got), want))
	}
}

// TestFixesDocumented: every rule whose findings carry a fix in the golden cases says so (Rule.Fix,
// printed in docs/rules.md), and a rule that says so has a fix somewhere in them.
func TestFixesDocumented(t *testing.T) {
	l := newLinter(t)
	var files []string
	for _, dir := range []string{"err", "fix"} {
		found, _ := filepath.Glob(filepath.Join("..", "testdata", dir, "*.yaml"))
		files = append(files, found...)
	}
	fixed := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		findings, _ := l.LintBytes(context.Background(), f, data)
		for _, fd := range findings {
			if fd.Fix != nil {
				fixed[fd.Rule] = true
				if Lookup(fd.Rule).Fix == "" {
					t.Errorf("%s has a fix in %s but its docs do not say so: %s", fd.Rule, f, fd.Message)
				}
			}
		}
	}
	for _, r := range All() {
		if r.Fix != "" && !fixed[r.ID] && r != SentryProjectExists {
			t.Errorf("%s says it fixes, but no golden case shows a fix", r.ID)
		}
	}
}

// TestFixesDocListsEveryFix: docs/fixes.md's table names every rule that has a fix.
func TestFixesDocListsEveryFix(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docs", "fixes.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range All() {
		if r.Fix != "" && r.Fix != quoteFix && !strings.Contains(string(data), "| `"+r.ID+"` |") {
			t.Errorf("docs/fixes.md does not list %s, which fixes: %s", r.ID, r.Fix)
		}
	}
}

// TestTestdataREADMEListsEveryFolder: testdata/README.md says what each of its folders holds.
func TestTestdataREADMEListsEveryFolder(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "testdata", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join("..", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && !strings.Contains(string(readme), "| `"+e.Name()+"/` |") {
			t.Errorf("testdata/README.md does not describe testdata/%s/", e.Name())
		}
	}
}

// TestKnownKinds: the kinds configuration accepts in annotations.*.required are the built-in ones.
func TestKnownKinds(t *testing.T) {
	var kinds []string
	for k := range builtinKinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	if diff := cmp.Diff(kinds, linter.KnownKinds); diff != "" {
		t.Errorf("linter.KnownKinds differs from builtinKinds (-builtin +known):\n%s", diff)
	}
}
