package webhook

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/catalog-lint/catalog-lint/internal/redact"
	"github.com/catalog-lint/catalog-lint/linter"
	"github.com/catalog-lint/catalog-lint/linter/report"
	"github.com/catalog-lint/catalog-lint/rules"
)

// parityRepo is a repository of 36 files with everything that makes a catalog more than its files:
// a configuration file (exclude, a severity), app-config with an overlay and packages/backend,
// Locations with globs, a missing target and a target in a folder the walk skips, a Template with a
// skeleton and a missing one, a templated path, refs good and mistyped, a duplicate, TechDocs folders,
// YAML files that hold no entity, and plain mistakes.
func parityRepo() map[string]string {
	svc := func(name, owner, extra string) string {
		return "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: " + name + "\n" + extra +
			"spec:\n  type: service\n  lifecycle: production\n  owner: " + owner + "\n  system: payments\n"
	}
	files := map[string]string{
		".catalog-lint.yaml": "exclude:\n  - legacy/**\nrules:\n  tag-format: warning\n",
		"app-config.yaml": "app:\n  title: Acme\ncatalog:\n  rules:\n    - allow: [Component, API, System, Location, Template, User]\n" +
			"  locations:\n    - type: file\n      target: ../../catalog/all.yaml\n",
		"app-config.production.yaml": "catalog:\n  locations:\n    - type: file\n      target: ../../catalog/prod.yaml\n" +
			"      rules:\n        - allow: [Group]\n",
		"packages/backend/package.json": "{\"name\": \"backend\"}\n",
		"catalog/all.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: all\nspec:\n  targets:\n" +
			"    - ./org/*.yaml\n    - ./systems.yaml\n    - ./missing.yaml\n    - ../services/*/catalog-info.yaml\n    - ./vendor/shared.yaml\n",
		"catalog/prod.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: prod\nspec:\n  targets: [./org/teams.yaml]\n",
		"catalog/vendor/shared.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata:\n  name: shared-db\nspec:\n" +
			"  type: database\n  owner: team-a\n",
		"catalog/org/teams.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-a\nspec:\n  type: team\n  children: []\n" +
			"---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-b\nspec:\n  type: team\n  children: []\n  members: [alice, bobb]\n",
		"catalog/org/users.yaml": "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: alice\nspec:\n  memberOf: [team-a]\n" +
			"---\napiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: bob\nspec:\n  memberOf: [team-b]\n",
		"catalog/systems.yaml":         "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: payments\nspec:\n  owner: team-a\n",
		"services/a/catalog-info.yaml": svc("pay-api", "team-a", "  tags: [Payments]\n"),
		"services/b/catalog-info.yaml": svc("ledger", "team-a", "  annotations:\n    backstage.io/techdocs-ref: dir:.\n"),
		"services/b/mkdocs.yml":        "site_name: ledger\n",
		"services/b/docs/index.md":     "# Ledger\n",
		"services/c/catalog-info.yaml": svc("invoices", "team-aa", "  annotations:\n    backstage.io/techdocs-ref: dir:./docs\n"),
		"services/d/catalog-info.yaml": svc("Refunds Service", "team-b", ""),
		"services/e/catalog-info.yaml": svc("fraud", "team-b", "  annotations:\n    sentry.io/project-slug: Acme/Fraud Checks\n"),
		"services/f/catalog-info.yaml": strings.Replace(svc("payouts", "team-b", ""), "lifecycle: production", "lifecycle: 3", 1),
		"services/g/catalog-info.yaml": svc("payouts-worker", "group:default/team-b", "") +
			"  dependsOn: [component:pay-api, resource:shared-db, component:missing-thing]\n",
		"services/h/catalog-info.yaml":                svc("statements", "team-a", "  labels:\n    tier: \"1\"\n"),
		"services/i/catalog-info.yaml":                svc("pay-api", "team-a", ""), // a duplicate of services/a
		"services/j/catalog-info.yml":                 svc("reports", "team-c", ""), // not a Location target: found by the walk
		"services/j/deploy/values.yaml":               "replicas: 2\nimage: acme/reports\n",
		"apis/payments-api.yaml":                      "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: payments\nspec:\n  type: openapi\n  lifecycle: production\n  owner: team-a\n  definition: '{}'\n",
		"apis/openapi.yaml":                           "openapi: 3.0.0\ninfo:\n  title: Payments\n  version: 1.0.0\npaths: {}\n",
		"templates/new/template.yaml":                 "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: new-service\nspec:\n  owner: team-a\n  type: service\n  steps:\n    - id: fetch\n      action: fetch:template\n      input:\n        url: ./skeleton\n        values:\n          name: ${{ parameters.name }}\n    - id: docs\n      action: fetch:plain\n      input:\n        url: ./docs-skeleton\n",
		"templates/new/skeleton/catalog-info.yaml":    "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${{ values.name }}\nspec:\n  type: service\n  lifecycle: experimental\n  owner: ${{ values.owner }}\n",
		"templates/new/skeleton/README.md":            "# ${{ values.name }}\n",
		"templates/${{ values.x }}/catalog-info.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Component\n",
		"legacy/catalog-info.yaml":                    "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: Legacy Thing\n",
		".github/workflows/ci.yaml":                   "on: push\njobs: {}\n",
		"helm/values.yaml":                            "image: acme/x\n",
		"README.md":                                   "# Acme catalog\n",
		"docs/overview.md":                            "Overview\n",
		"catalog/empty.yaml":                          "",
	}
	return files
}

// TestAppEqualsCheck: the App's errors and warnings on a commit are those of `catalog-lint check .` on
// a checkout of that commit (the pipeline check runs: rules.Run over the disk with the configuration
// found there), file for file and line for line, the catalog-wide rules included.
func TestAppEqualsCheck(t *testing.T) {
	files := parityRepo()
	if len(files) < 30 {
		t.Fatalf("the repository must have at least 30 files, has %d", len(files))
	}

	// The checkout, linted as `catalog-lint check --offline .` run in it does.
	dir := filepath.Join(t.TempDir(), "checkout")
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	cfg, err := rules.LoadConfig(linter.ConfigFileName, ".")
	if err != nil {
		t.Fatal(err)
	}
	disk, err := linter.DiskRepo(".", false)
	if err != nil {
		t.Fatal(err)
	}
	defer disk.Close()
	cli, err := rules.Run{Repo: disk, Config: cfg, RepositoryURL: "https://github.com/o/r", Offline: true}.Lint(context.Background(), []string{"."})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range cli.Findings {
		if f.Severity >= linter.SeverityWarning {
			want = append(want, fmt.Sprintf("%s:%d:%d: %s: %s [%s]", f.File, f.Line, f.Column, f.Severity, f.Message, f.Rule))
		}
	}

	// The same commit through the App: a push whose change cannot be listed, so every file is annotated.
	g := newFakeGitHub(t, files)
	p := processor(t, g, nil)
	job := pushJob(headSHA)
	job.BaseSHA = ""
	if err := p.Process(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	var got []string
	var summary string
	for _, u := range g.updates[1] {
		for _, a := range u.GetOutput().Annotations {
			sev := map[string]string{"failure": "error", "warning": "warning"}[a.GetAnnotationLevel()]
			if sev == "" {
				continue
			}
			got = append(got, fmt.Sprintf("%s:%d:%d: %s: %s [%s]", a.GetPath(), a.GetStartLine(), a.GetStartColumn(), sev, a.GetMessage(), a.GetTitle()))
		}
		summary = u.GetOutput().GetSummary()
	}
	g.mu.Unlock()
	sort.Strings(got)
	sort.Strings(want)
	t.Logf("check and the App:\n%s", strings.Join(want, "\n"))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the App's annotations differ from check's findings (-check +App):\n%s", diff)
	}
	if first := report.Summary(cli) + "."; !strings.HasPrefix(summary, first) {
		t.Errorf("the App's summary does not start with check's %q:\n%s", first, summary)
	}
	// Not a vacuous comparison: every kind of catalog-wide finding is there.
	for _, rule := range []string{"location-target-missing", "template-skeleton-missing", "entity-duplicate", "relation-target-missing",
		"techdocs-dir-missing", "kind-not-allowed", "entity-name-format", "sentry-project-slug-format", "tag-format", "component-spec"} {
		if !strings.Contains(strings.Join(want, "\n"), "["+rule+"]") {
			t.Errorf("check found no %s: the repository no longer exercises it:\n%s", rule, strings.Join(want, "\n"))
		}
	}
	for _, f := range cli.Linted {
		if strings.HasPrefix(f, "legacy/") || strings.Contains(f, "skeleton/") || strings.Contains(f, "values.x") {
			t.Errorf("check linted %s", f)
		}
	}
}

// TestBlobsOverTheLimitAreNeverDownloaded: a file whose tree entry is larger than max_file_size is
// never downloaded; a catalog file of that size is reported as too large, as check reports it.
func TestBlobsOverTheLimitAreNeverDownloaded(t *testing.T) {
	big := component("big", "payments") + strings.Repeat("# padding\n", 300)
	g := newFakeGitHub(t, map[string]string{
		".catalog-lint.yaml":    "max_file_size: 2KiB\n",
		"big/catalog-info.yaml": big,
		"generated/values.yaml": "replicas: 1\n" + strings.Repeat("# padding\n", 300),
		"svc/catalog-info.yaml": component("svc", "payments"),
	})
	job := pushJob(headSHA)
	job.BaseSHA = ""
	if err := processor(t, g, nil).Process(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	served := append([]string(nil), g.blobsServed...)
	g.mu.Unlock()
	for _, b := range served {
		if b == "big/catalog-info.yaml" || b == "generated/values.yaml" {
			t.Errorf("downloaded %s, over max_file_size", b)
		}
	}
	final := g.final(t, 1)
	var got []string
	for _, a := range final.GetOutput().Annotations {
		got = append(got, a.GetPath()+" "+a.GetTitle())
	}
	if diff := cmp.Diff([]string{"big/catalog-info.yaml file-too-large"}, got); diff != "" {
		t.Errorf("annotations (-want +got):\n%s", diff)
	}
}

// TestFailedDownloadFailsTheJob: a blob GitHub does not serve fails the job (it is tried again); it
// never becomes a finding about the file.
func TestFailedDownloadFailsTheJob(t *testing.T) {
	g := newFakeGitHub(t, map[string]string{
		"svc/catalog-info.yaml": component("svc", "payments"),
		"org.yaml":              group,
	})
	g.intercept = func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/git/blobs/blob-org.yaml") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, `{"message":"Server Error"}`)
			return true
		}
		return false
	}
	err := processor(t, g, nil).Process(context.Background(), pushJob(headSHA))
	if err == nil || !strings.Contains(err.Error(), "org.yaml") {
		t.Fatalf("the job must fail naming the file, got %v", err)
	}
	final := g.final(t, 1)
	if final.GetConclusion() != "failure" || len(final.GetOutput().Annotations) != 0 ||
		!strings.Contains(final.GetOutput().GetSummary(), "org.yaml") {
		t.Errorf("the check run must say catalog-lint could not run: %s %+v", final.GetConclusion(), final.GetOutput())
	}
}

// TestRedirectCarriesNoInstallationToken: GitHub (or a proxy before GitHub Enterprise Server)
// redirecting a request to another host never gets the installation token sent there.
func TestRedirectCarriesNoInstallationToken(t *testing.T) {
	var mu sync.Mutex
	var got []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message":"Not Found"}`)
	}))
	defer other.Close()
	g := newFakeGitHub(t, map[string]string{"svc/catalog-info.yaml": component("svc", "payments")})
	g.intercept = func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/contents/.catalog-lint.yaml") {
			http.Redirect(w, r, other.URL+r.URL.Path+"?"+r.URL.RawQuery, http.StatusTemporaryRedirect)
			return true
		}
		return false
	}
	if err := processor(t, g, nil).Process(context.Background(), pushJob(headSHA)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) == 0 {
		t.Fatal("the redirect was not followed")
	}
	for _, a := range got {
		if a != "" {
			t.Errorf("the other host got credentials: %q", a)
		}
	}
}

// TestCheckRunShowsFileContentAsText: file names and values reach the Check Run's summary as text,
// never as Markdown: no link, @mention, image or heading they wrote comes alive (issue 19, case 10).
func TestCheckRunShowsFileContentAsText(t *testing.T) {
	bad := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: \"x\\n# Heading [x](https://evil.example) @octocat <img src=x>\"\n" +
		"spec:\n  type: service\n  lifecycle: production\n  owner: team-a\n  dependsOn: [\"resource\\n##[error]pwned @octocat:default/db\"]\n"
	g := newFakeGitHub(t, map[string]string{
		"svc/catalog-info.yaml":                    bad,
		"docs/@octocat [x](evil.example) `a`.yaml": bad,
	})
	job := pushJob(headSHA)
	job.BaseSHA = ""
	if err := processor(t, g, nil).Process(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	final := g.final(t, 1)
	summary := final.GetOutput().GetSummary()
	code := regexp.MustCompile("`+[^`]*`+")
	for _, line := range strings.Split(summary, "\n") {
		outside := code.ReplaceAllString(line, "")
		for _, live := range []string{"@octocat", "](", "<img", "##[error]"} {
			if strings.Contains(outside, live) {
				t.Errorf("%q outside code in: %s", live, line)
			}
		}
		if strings.HasPrefix(line, "# ") || strings.HasPrefix(line, "##[") {
			t.Errorf("a line from the file: %s", line)
		}
	}
	if !strings.Contains(summary, "@octocat") {
		t.Errorf("the values must still be shown:\n%s", summary)
	}
}

// TestPublishedErrorsAreRedacted: an error GitHub (or a proxy) answers with, echoing the installation
// token, is published on the Check Run without it (issue 19, case 8).
func TestPublishedErrorsAreRedacted(t *testing.T) {
	g := newFakeGitHub(t, map[string]string{"svc/catalog-info.yaml": component("svc", "payments")})
	g.intercept = func(w http.ResponseWriter, r *http.Request) bool {
		if strings.Contains(r.URL.Path, "/git/trees/") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnprocessableEntity)
			fmt.Fprintf(w, `{"message":"proxy rejected Authorization: token %s for secret-of-the-server-77"}`, installToken)
			return true
		}
		return false
	}
	p := processor(t, g, nil)
	p.Redact = redact.New("secret-of-the-server-77").String
	if err := p.Process(context.Background(), pushJob(headSHA)); err == nil {
		t.Fatal("the job must fail")
	}
	final := g.final(t, 1)
	summary := final.GetOutput().GetSummary()
	if !strings.Contains(summary, "[redacted]") || strings.Contains(summary, installToken) || strings.Contains(summary, "secret-of-the-server-77") {
		t.Errorf("summary:\n%s", summary)
	}
}

// TestJobTimeLimitSaysSo: a job whose time runs out while reading the repository completes its Check
// Run as timed_out with the reason, and reports nothing as missing (issue 19, case 1).
func TestJobTimeLimitSaysSo(t *testing.T) {
	files := map[string]string{
		"catalog-info.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: all\nspec:\n  targets: [./missing.yaml]\n",
	}
	for i := 0; i < 40; i++ {
		files[fmt.Sprintf("s%02d/catalog-info.yaml", i)] = component(fmt.Sprintf("s%02d", i), "payments")
	}
	g := newFakeGitHub(t, files)
	g.onBlob = func() { time.Sleep(50 * time.Millisecond) }
	p := processor(t, g, nil)
	p.Fetches = 1
	job := pushJob(headSHA)
	job.BaseSHA = ""
	ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
	defer cancel()
	if err := p.Process(ctx, job); err != nil {
		t.Fatalf("the job must end with its Check Run completed: %v", err)
	}
	final := g.final(t, 1)
	out := final.GetOutput()
	if final.GetConclusion() != "timed_out" || !strings.Contains(out.GetTitle(), "the time limit was reached") ||
		!strings.Contains(out.GetSummary(), "Nothing was reported as missing") {
		t.Errorf("conclusion %s, title %q\n%s", final.GetConclusion(), out.GetTitle(), out.GetSummary())
	}
	for _, a := range out.Annotations {
		if a.GetTitle() == "location-target-missing" {
			t.Errorf("reported as missing: %s", a.GetMessage())
		}
	}
}
