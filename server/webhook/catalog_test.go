package webhook

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/catalog-lint/catalog-lint/backstage"
	"github.com/catalog-lint/catalog-lint/backstage/backstagetest"
)

const group = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-a\nspec:\n  type: team\n  children: []\n"

// TestCatalogContext: the changed files are linted with the repository's whole catalog as context
// (a Location, org.yaml it names, the other services), and only they are annotated.
func TestCatalogContext(t *testing.T) {
	g := newFakeGitHub(t, map[string]string{
		// changed: a typo in the owner, and a copy of an existing service
		"svc/catalog-info.yaml":  strings.Replace(component("svc", "payments"), "owner: team-a", "owner: team-b", 1),
		"copy/catalog-info.yaml": component("old", "payments"),
		"ci/workflow.yaml":       "on: push\n",
	})
	g.untouched = map[string]string{
		"catalog-info.yaml":                     "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: root\nspec:\n  targets: [./org/teams.yaml, ./missing.yaml]\n",
		"org/teams.yaml":                        group,
		"old/catalog-info.yaml":                 component("old", "payments"),
		"tpl/template.yaml":                     "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: t\nspec:\n  type: service\n  steps:\n    - id: f\n      action: fetch:template\n      input:\n        url: ./skeleton\n",
		"tpl/skeleton/catalog-info.yaml":        strings.Replace(component("Not Valid", "x"), "Not Valid", "${{ values.name }}", 1),
		"tpl/skeleton/service.yaml":             component("Not Valid", "x"), // fetched by the Template: not a catalog file
		"tpl/${{ values.x }}/catalog-info.yaml": "name: ${{ values.x }}\n",
		"README.md":                             "# readme\n",
	}
	p := processor(t, g, nil)
	p.Blobs = NewBlobCache(1 << 20)
	if err := p.Process(context.Background(), pushJob(headSHA)); err != nil {
		t.Fatal(err)
	}
	final := g.final(t, 1)
	out := final.GetOutput()
	var got []string
	for _, a := range out.Annotations {
		got = append(got, a.GetPath()+" "+a.GetTitle())
	}
	want := []string{
		"copy/catalog-info.yaml entity-duplicate",
		"svc/catalog-info.yaml relation-target-missing",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("annotations (-want +got):\n%s\nsummary:\n%s", diff, out.GetSummary())
	}
	summary := out.GetSummary()
	for _, s := range []string{"old/catalog-info.yaml` (not changed)", "missing.yaml", "did you mean group:default/team-a?"} {
		if !strings.Contains(summary, s) {
			t.Errorf("summary lacks %q:\n%s", s, summary)
		}
	}
	if strings.Contains(summary, "Not Valid") || strings.Contains(summary, "tpl/skeleton") {
		t.Errorf("a skeleton was linted:\n%s", summary)
	}
	for _, b := range g.blobsServed {
		if strings.Contains(b, "README") || strings.Contains(b, "values.x") {
			t.Errorf("fetched %s", b)
		}
	}

	// A second push of the same tree fetches nothing again: blobs are cached by SHA.
	before := len(g.blobsServed)
	if err := p.Process(context.Background(), pushJob(headSHA)); err != nil {
		t.Fatal(err)
	}
	if n := len(g.blobsServed) - before; n != 0 {
		t.Errorf("the second push fetched %d blobs again", n)
	}
}

// TestLiveCatalogConflict: with the server's Backstage catalog, a changed file that copies an entity
// another repository registered is annotated; one this repository registered is not.
func TestLiveCatalogConflict(t *testing.T) {
	srv := backstagetest.New("bs-server-token")
	defer srv.Close()
	srv.Add("Component", "default", "copied", "url:https://github.com/o/other/blob/main/catalog-info.yaml")
	srv.Add("Component", "default", "own", "url:https://github.com/o/r/blob/main/own/catalog-info.yaml")
	srv.Add("Group", "default", "team-a", "")
	live, err := backstage.NewClient(backstage.Config{BaseURL: srv.URL, Token: "bs-server-token"})
	if err != nil {
		t.Fatal(err)
	}
	g := newFakeGitHub(t, map[string]string{
		"copied/catalog-info.yaml": component("copied", "payments"),
		"own/catalog-info.yaml":    component("own", "payments"),
	})
	p := processor(t, g, nil)
	p.Live = live
	if err := p.Process(context.Background(), pushJob(headSHA)); err != nil {
		t.Fatal(err)
	}
	final := g.final(t, 1)
	out := final.GetOutput()
	if len(out.Annotations) != 1 || out.Annotations[0].GetPath() != "copied/catalog-info.yaml" || out.Annotations[0].GetTitle() != "entity-conflict" {
		t.Errorf("annotations %+v\n%s", out.Annotations, out.GetSummary())
	}
	if WebURL("https://ghe.example.com/api/v3/") != "https://ghe.example.com" || WebURL("") != "https://github.com" {
		t.Error("WebURL")
	}
}

// TestSuggestions: with suggestions on, a pull request gets one review per commit with a suggestion
// block per line of fixable findings; a second run of the same commit posts nothing.
func TestSuggestions(t *testing.T) {
	fixable := strings.NewReplacer("kind: Component", "kind: component").Replace(component("svc", "4711"))
	g := newFakeGitHub(t, map[string]string{"svc/catalog-info.yaml": fixable, "ok/catalog-info.yaml": component("ok", "payments")})
	p := processor(t, g, nil)
	p.Suggestions = true
	job := &Job{Key: jobKey("o", "r", headSHA), Event: "pull_request", Owner: "o", Repo: "r", HeadSHA: headSHA, PullRequest: 5, Installation: 234}
	if err := p.Process(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	if len(g.reviews) != 1 {
		t.Fatalf("%d reviews, want 1", len(g.reviews))
	}
	rv := g.reviews[0]
	comments := rv["comments"].([]any)
	if rv["commit_id"] != headSHA || rv["event"] != "COMMENT" || len(comments) != 2 {
		t.Fatalf("review %v", rv)
	}
	var got []string
	for _, c := range comments {
		cm := c.(map[string]any)
		body := cm["body"].(string)
		got = append(got, fmt.Sprintf("%s:%v %s", cm["path"], cm["line"], body[strings.Index(body, "```suggestion"):]))
	}
	want := []string{
		"svc/catalog-info.yaml:2 ```suggestion\nkind: Component\n```",
		"svc/catalog-info.yaml:6 ```suggestion\n    sentry.io/project-slug: \"4711\"\n```",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("suggestions (-want +got):\n%s", diff)
	}
	if err := p.Process(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	if len(g.reviews) != 1 {
		t.Errorf("a second run of the same commit posted another review")
	}

	// Off by default.
	g2 := newFakeGitHub(t, map[string]string{"svc/catalog-info.yaml": fixable})
	if err := processor(t, g2, nil).Process(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	if len(g2.reviews) != 0 {
		t.Error("suggestions were posted without being asked for")
	}
}

// TestGitHubRepoWithInstallationToken: serve asks GitHub about github.com/project-slug with the
// installation's token.
func TestGitHubRepoWithInstallationToken(t *testing.T) {
	withRepo := func(name, slug string) string {
		return strings.Replace(component(name, "payments"), "  annotations:\n", "  annotations:\n    github.com/project-slug: "+slug+"\n", 1)
	}
	g := newFakeGitHub(t, map[string]string{
		"a/catalog-info.yaml": withRepo("a", "o/r"),
		"b/catalog-info.yaml": withRepo("b", "o/missing"),
	})
	if err := processor(t, g, nil).Process(context.Background(), pushJob(headSHA)); err != nil {
		t.Fatal(err)
	}
	final := g.final(t, 1)
	out := final.GetOutput()
	if len(out.Annotations) != 1 || out.Annotations[0].GetPath() != "b/catalog-info.yaml" || out.Annotations[0].GetTitle() != "github-repo-exists" {
		t.Errorf("annotations %+v\n%s", out.Annotations, out.GetSummary())
	}
}
