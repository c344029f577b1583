package rules

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"github.com/catalog-lint/catalog-lint/linter"
)

// lintRepository lints the folder dir as `catalog-lint check .` run in it would: a Catalog rooted
// there, every rule, no network.
func lintRepository(t *testing.T, dir string) *linter.Result {
	t.Helper()
	t.Chdir(dir)
	cfg := linter.DefaultConfig(".")
	cat := linter.NewCatalog(".")
	l, err := linter.New(linter.Options{Rules: All(), Config: cfg, Offline: true, Catalog: cat, Resolvers: CatalogResolvers(cat, nil)})
	if err != nil {
		t.Fatal(err)
	}
	res, err := l.LintPaths(context.Background(), []string{"."}, cfg)
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
		case "want", "linted", "skipped", "notices":
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
			res := lintRepository(t, dir)
			got := map[string][]string{}
			for _, f := range res.Findings {
				got["want"] = append(got["want"], formatFinding(f))
			}
			got["linted"] = res.Linted
			for _, s := range res.SkippedFiles {
				got["skipped"] = append(got["skipped"], fmt.Sprintf("%s: %s", filepath.ToSlash(s.File), s.Reason))
			}
			got["notices"] = res.Notices
			for _, section := range []string{"want", "linted", "skipped", "notices"} {
				if diff := cmp.Diff(lines(want[section]), got[section]); diff != "" {
					t.Errorf("%s (-want +got):\n%s", section, diff)
				}
			}
		})
	}
}
