package rules

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"github.com/catalog-lint/catalog-lint/backstage"
	"github.com/catalog-lint/catalog-lint/backstage/backstagetest"
	"github.com/catalog-lint/catalog-lint/linter"
)

// lintRepository lints the folder dir as `catalog-lint check .` run in it would: a Catalog rooted
// there, every rule, no network.
func lintRepository(t *testing.T, dir string) *linter.Result {
	return lintRepositoryLive(t, dir, nil, "")
}

// lintRepositoryLive is lintRepository asking live, a Backstage catalog, with this repository's URL.
func lintRepositoryLive(t *testing.T, dir string, live LiveCatalog, repo string) *linter.Result {
	t.Helper()
	t.Chdir(dir)
	cfg := linter.DefaultConfig(".")
	if _, err := os.Stat(linter.ConfigFileName); err == nil {
		if cfg, err = LoadConfig(linter.ConfigFileName, "."); err != nil {
			t.Fatal(err)
		}
	}
	disk, err := linter.DiskRepo(".", false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { disk.Close() })
	res, err := Run{Repo: disk, Config: cfg, RepositoryURL: repo, Offline: live == nil, Live: live}.Lint(context.Background(), []string{"."})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// extractTxtar writes an archive's files (all but want, linted, skipped and notices) into a new
// folder and returns it with those four sections.
func extractTxtar(t *testing.T, path string) (dir string, sections map[string]string) {
	t.Helper()
	ar, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dir = filepath.Join(t.TempDir(), "repo")
	sections = map[string]string{}
	for _, f := range ar.Files {
		switch f.Name {
		case "want", "linted", "skipped", "notices", "live", "repository":
			sections[f.Name] = string(f.Data)
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, sections
}

// liveFromArchive starts the Backstage catalog an archive's live section describes: lines
// "repository URL" (this repository), "fail STATUS..." (the next answers), "token T" (the token sent;
// the catalog accepts "tok"), and "Kind namespace name [origin]" entities. No section: no catalog.
func liveFromArchive(t *testing.T, section string) (LiveCatalog, string) {
	t.Helper()
	if strings.TrimSpace(section) == "" {
		return nil, ""
	}
	srv := backstagetest.New("tok")
	t.Cleanup(srv.Close)
	repo, token := "", "tok"
	for _, line := range lines(section) {
		f := strings.Fields(line)
		switch {
		case f[0] == "repository":
			repo = f[1]
		case f[0] == "token":
			token = f[1]
		case f[0] == "fail":
			for _, s := range f[1:] {
				var status int
				fmt.Sscan(s, &status)
				srv.Fail(status)
			}
		case len(f) >= 3:
			origin := ""
			if len(f) > 3 {
				origin = f[3]
			}
			srv.Add(f[0], f[1], f[2], origin)
		}
	}
	c, err := backstage.NewClient(backstage.Config{BaseURL: srv.URL, Token: token,
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	return c, repo
}

func lines(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// TestCatalogGolden lints each testdata/catalog archive as a repository and compares the findings,
// the files linted and skipped, and the notices with the archive's want, linted, skipped and notices.
func TestCatalogGolden(t *testing.T) {
	archives, _ := filepath.Glob(filepath.Join("..", "testdata", "catalog", "*.txtar"))
	if len(archives) == 0 {
		t.Fatal("no testdata/catalog archives")
	}
	for _, a := range archives {
		abs, _ := filepath.Abs(a)
		t.Run(filepath.Base(a), func(t *testing.T) {
			dir, want := extractTxtar(t, abs)
			live, repo := liveFromArchive(t, want["live"])
			if r := strings.TrimSpace(want["repository"]); r != "" {
				repo = r
			}
			res := lintRepositoryLive(t, dir, live, repo)
			got := map[string][]string{}
			for _, f := range res.Findings {
				got["want"] = append(got["want"], formatFinding(f))
			}
			got["linted"] = res.Linted
			for _, s := range res.SkippedFiles {
				got["skipped"] = append(got["skipped"], fmt.Sprintf("%s: %s", filepath.ToSlash(s.File), s.Reason))
			}
			got["notices"] = res.Notices
			for _, line := range append(append(append([]string{}, got["want"]...), got["notices"]...), got["skipped"]...) {
				if strings.Contains(line, "secret-token-value") {
					t.Errorf("the token leaked: %s", line)
				}
			}
			for _, section := range []string{"want", "linted", "skipped", "notices"} {
				if diff := cmp.Diff(lines(want[section]), got[section]); diff != "" {
					t.Errorf("%s (-want +got):\n%s", section, diff)
				}
			}
		})
	}
}

// realRepos are the repositories of ../shared/corpus/real-repos (their YAML files only) with what
// Backstage would ingest from each: the files reachable from a root and holding entities, the
// Templates' skeletons left out.
var realRepos = []struct {
	name    string
	linted  []string
	skipped []string
}{
	{"0GiS0+nodejs-backstage-template", []string{"catalog-info.yaml"}, []string{"skeleton/catalog-info.yaml"}},
	{"2fd5+backstage-monorepo", []string{"airship/3d-models-generator/catalog-info.yaml", "airship/poc/catalog-info.yaml",
		"catalog-info.yaml", "top-level-app/catalog-info.yaml"}, nil},
	{"RoadieHQ+sample-service", []string{"another-service/catalog-info.yaml", "catalog-info.yaml", "discovery-location.yaml"}, nil},
	{"RoadieHQ+software-templates", []string{
		"examples/azure-actions/template.yaml", "examples/update-json-file/template.yaml", "examples/update-yaml-file/template.yaml",
		"scaffolder-templates/add-branch-protection/template.yaml", "scaffolder-templates/add-codeowners/template.yaml",
		"scaffolder-templates/add-security-tools-yaml/template.yaml", "scaffolder-templates/create-aws-serverless-backend/template.yaml",
		"scaffolder-templates/create-aws-serverless-frontend-and-backend/template.yaml", "scaffolder-templates/create-empty-project/template.yaml",
		"scaffolder-templates/create-readme/template.yaml", "scaffolder-templates/create-rfc/template.yaml",
		"scaffolder-templates/debug-template/template.yaml", "scaffolder-templates/delete-entities/template.yaml",
		"scaffolder-templates/github-pages-site/template.yaml", "scaffolder-templates/ian-testing/template.yaml",
		"scaffolder-templates/oneof-example/oneof-example.yaml", "scaffolder-templates/pr-with-catalog-entry/template.yaml",
		"scaffolder-templates/pull-request-test/template.yaml", "scaffolder-templates/roadie-agent-entity-provider/template.yaml",
		"scaffolder-templates/roadie-agent-scaffolder-action/template.yaml", "scaffolder-templates/roadie-plugin/template.yaml",
	}, []string{
		"scaffolder-templates/create-aws-serverless-backend/skeleton/catalog-info.yaml",
		"scaffolder-templates/create-aws-serverless-frontend-and-backend/skeleton/catalog-info.yaml",
		"scaffolder-templates/create-empty-project/skeleton/catalog-info.yaml",
		"scaffolder-templates/github-pages-site/skeleton/catalog-info.yaml",
	}},
}

// TestRealRepositories lints the real repositories of the shared corpus as `check .` would: every
// file Backstage would ingest is linted, every skeleton is skipped, and no finding is in a skeleton.
func TestRealRepositories(t *testing.T) {
	shared := sharedDir()
	if shared == "" {
		t.Skip("../shared is absent")
	}
	for _, repo := range realRepos {
		dir, err := filepath.Abs(filepath.Join(shared, "corpus", "real-repos", repo.name))
		if err != nil {
			t.Fatal(err)
		}
		t.Run(repo.name, func(t *testing.T) {
			res := lintRepository(t, dir)
			if diff := cmp.Diff(repo.linted, res.Linted); diff != "" {
				t.Errorf("linted (-want +got):\n%s", diff)
			}
			var skipped []string
			for _, s := range res.SkippedFiles {
				skipped = append(skipped, s.File)
			}
			if diff := cmp.Diff(repo.skipped, skipped); diff != "" {
				t.Errorf("skipped (-want +got):\n%s", diff)
			}
			for _, f := range res.Findings {
				if strings.Contains(f.File, "skeleton/") || linter.HasTemplateMarker(f.File) {
					t.Errorf("finding in a skeleton: %s", formatFinding(f))
				}
			}
		})
	}
}

func TestParseRef(t *testing.T) {
	tests := []struct {
		ref, defaultKind, namespace string
		want                        string
		ok                          bool
	}{
		{"team-a", "group", "default", "group:default/team-a", true},
		{"Group:Team-A", "", "default", "group:default/team-a", true},
		{"ops/team-a", "group", "default", "group:ops/team-a", true},
		{"team-a", "group", "payments", "group:payments/team-a", true},
		{"component:other/svc", "", "default", "component:other/svc", true},
		{"svc", "", "default", "", false}, // dependsOn needs a kind
		{"group:", "group", "default", "", false},
		{"a/b/c", "group", "default", "", false},
	}
	for _, tt := range tests {
		got, ok := ParseRef(tt.ref, tt.defaultKind, tt.namespace)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRef(%q, %q, %q) = %q, %v; want %q, %v", tt.ref, tt.defaultKind, tt.namespace, got, ok, tt.want, tt.ok)
		}
	}
}

// TestRelationMessageQuotes: the message of a missing relation quotes its value as strconv.Quote
// does, whether the value is plain (quoted by concatenation) or not: quotes, backslashes, control
// characters, DEL, non-ASCII and invalid UTF-8, and every single byte.
func TestRelationMessageQuotes(t *testing.T) {
	values := []string{"", "team-a", "group:default/team-a", `say "hi"`, `a\b`, "a\tb", "line\nbreak", "del\x7f", "ünïcode", "\xff\xfe", "~ !#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}"}
	for c := 0; c < 256; c++ {
		values = append(values, "x"+string(rune(c)), "y"+string([]byte{byte(c)}))
	}
	for field := range relationFieldList {
		for _, v := range values {
			want := "spec." + relationFieldList[field].field + " " + strconv.Quote(v) + " refers to group:default/x, which is not defined in the files linted; did you mean group:default/y?"
			if got := relationMessage(int32(field), v, "group:default/x", ", which is not defined in the files linted", "; did you mean group:default/y?"); got != want {
				t.Fatalf("%q: got %s, want %s", v, got, want)
			}
		}
	}
}
