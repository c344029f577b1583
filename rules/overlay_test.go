package rules

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/catalog-lint/catalog-lint/linter"
)

// TestDiskRepoWith: an editor's buffer (linter.DiskRepoWith) wins over the file on disk for the walk,
// the catalog-wide rules and the placing of findings: a relation edited in the buffer is what is
// checked, and the finding shows the buffer's line.
func TestDiskRepoWith(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	comp := func(owner string) string {
		return "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: a\nspec:\n  type: service\n  lifecycle: production\n  owner: " + owner + "\n"
	}
	write("a/catalog-info.yaml", comp("team-a"))
	write("org/catalog-info.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-a\nspec:\n  type: team\n  children: []\n")
	lint := func(files map[string]string) *linter.Result {
		repo, err := linter.DiskRepoWith(dir, files)
		if err != nil {
			t.Fatal(err)
		}
		defer repo.Close()
		res, err := (Run{Repo: repo, Config: linter.DefaultConfig(dir), Offline: true}).Lint(context.Background(), []string{dir})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := lint(nil); len(res.Findings) != 0 || res.Files != 2 {
		t.Fatalf("on disk: %d files, %+v", res.Files, res.Findings)
	}
	a := filepath.Join(dir, "a", "catalog-info.yaml")
	res := lint(map[string]string{a: comp("team-b"), filepath.Join(t.TempDir(), "elsewhere.yaml"): "ignored"})
	if len(res.Findings) != 1 || res.Findings[0].Rule != RelationTargetMissing.ID || res.Findings[0].File != a ||
		res.Findings[0].Source != "  owner: team-b" || res.Findings[0].Line != 8 {
		t.Errorf("with the buffer: %+v", res.Findings)
	}
	// The disk is untouched.
	if data, _ := os.ReadFile(a); string(data) != comp("team-a") {
		t.Errorf("the file on disk changed: %q", data)
	}
}
