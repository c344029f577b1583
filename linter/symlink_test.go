package linter

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const symlinkGood = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments\nspec:\n  type: service\n  lifecycle: production\n  owner: team-payments\n"

// symlinkTree makes a repository beside a folder outside it that holds a "secret" catalog file, and
// links of every kind from the repository.
func symlinkTree(t *testing.T) (repo string) {
	t.Helper()
	base := t.TempDir()
	repo, outside := filepath.Join(base, "repo"), filepath.Join(base, "outside")
	for _, d := range []string{repo + "/svc", repo + "/real", repo + "/loop", outside + "/dir"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	secret := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: SECRET-VALUE-1234\n"
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(outside+"/secret.yaml", secret)
	write(outside+"/dir/catalog-info.yaml", secret)
	write(repo+"/real/catalog-info.yaml", symlinkGood)
	write(repo+"/real/component.yaml", symlinkGood)
	link := func(target, name string) {
		if err := os.Symlink(target, filepath.Join(repo, name)); err != nil {
			t.Skipf("symbolic links are not available: %v", err)
		}
	}
	link(outside+"/secret.yaml", "svc/catalog-info.yaml")      // absolute, outside
	link("../outside/dir", "outside-dir")                      // relative folder, outside
	link("../real/component.yaml", "loop/catalog-info.yaml")   // file inside: linted under the link's name
	link("real", "mirror")                                     // folder inside: reached under its own name
	link("..", "real/up")                                      // a folder holding the link: a loop
	link("self.yaml", "self.yaml")                             // a link to itself
	link("nowhere/catalog-info.yaml", "real/catalog-info.yml") // dangling: reported as unreadable
	return repo
}

func TestWalkKeepsSymlinksInside(t *testing.T) {
	repo := symlinkTree(t)
	cfg := DefaultConfig(repo)
	cfg.Include = []string{"**/*.yaml"}
	files, skips, err := DiscoverAll([]string{repo}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rel := func(p string) string { r, _ := filepath.Rel(repo, p); return filepath.ToSlash(r) }
	var got []string
	for _, f := range files {
		got = append(got, rel(f))
	}
	// loop/catalog-info.yaml links to real/component.yaml, which is linted once, under the first name.
	want := []string{"loop/catalog-info.yaml", "real/catalog-info.yaml", "real/catalog-info.yml"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("linted (-want +got):\n%s", diff)
	}
	var gotSkips []Skip
	for _, s := range skips {
		gotSkips = append(gotSkips, Skip{File: rel(s.File), Reason: s.Reason})
	}
	wantSkips := []Skip{
		{File: "outside-dir", Reason: SkipSymlinkOutside},
		{File: "real/up", Reason: SkipSymlinkLoop},
		{File: "self.yaml", Reason: SkipSymlinkLoop},
		{File: "svc/catalog-info.yaml", Reason: SkipSymlinkOutside},
	}
	if diff := cmp.Diff(wantSkips, gotSkips); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
}

// TestLintNeverReadsOutside lints a repository whose links point at a file of the machine: the file's
// content must appear nowhere in the result.
func TestLintNeverReadsOutside(t *testing.T) {
	repo := symlinkTree(t)
	cfg := DefaultConfig(repo)
	l, err := New(Options{Rules: BuiltinRules(), Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	res, err := l.LintPaths(context.Background(), []string{repo}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		if strings.Contains(f.Message, "SECRET") || strings.Contains(f.Source, "SECRET") {
			t.Errorf("a file outside the repository was read: %+v", f)
		}
	}
	if len(res.SkippedFiles) != 4 {
		t.Errorf("SkippedFiles = %v", res.SkippedFiles)
	}
	for _, f := range res.Linted {
		if strings.Contains(f, "svc") || strings.Contains(f, "outside") {
			t.Errorf("linted %s", f)
		}
	}
	// The dangling link is linted, so that its finding says it is broken.
	found := false
	for _, f := range res.Findings {
		found = found || (f.Rule == RuleFileUnreadable.ID && strings.HasSuffix(f.File, "catalog-info.yml"))
	}
	if !found {
		t.Errorf("the dangling link must be reported as unreadable: %+v", res.Findings)
	}
}

// TestWalkRootIsALink: the folder named on the command line may itself be a link.
func TestWalkRootIsALink(t *testing.T) {
	repo := symlinkTree(t)
	alias := filepath.Join(t.TempDir(), "alias")
	if err := os.Symlink(repo, alias); err != nil {
		t.Skip(err)
	}
	files, skips, err := DiscoverAll([]string{alias}, DefaultConfig(alias))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 || len(skips) != 4 {
		t.Errorf("files %v, skips %v", files, skips)
	}
}

// TestLocationTargetsStayInside: Location targets, named or matched by a glob, that lead out of the
// repository through a symbolic link are never read.
func TestLocationTargetsStayInside(t *testing.T) {
	repo := symlinkTree(t)
	root := "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: r\nspec:\n  targets: [./svc/catalog-info.yaml, ./**/catalog-info.yaml, ./outside-dir/catalog-info.yaml]\n"
	if err := os.WriteFile(filepath.Join(repo, "catalog-info.yaml"), []byte(root), 0o644); err != nil {
		t.Fatal(err)
	}
	cat := NewCatalog(diskRepo(t, repo))
	cat.AddTarget("catalog-info.yaml", "./svc/catalog-info.yaml")
	cat.AddTarget("catalog-info.yaml", "./**/catalog-info.yaml")
	cat.AddTarget("catalog-info.yaml", "./outside-dir/catalog-info.yaml")
	for _, in := range cat.More(context.Background()) {
		if strings.Contains(in.Path, "svc") || strings.Contains(in.Path, "outside") {
			t.Errorf("would read %s", in.Path)
		}
	}
	if _, _, outside := cat.ResolveTarget("catalog-info.yaml", "./svc/catalog-info.yaml"); !outside {
		t.Error("a target linked outside must be reported as outside")
	}
	// Nothing outside can be opened through the repository, whatever the path.
	for _, p := range []string{"svc/catalog-info.yaml", "outside-dir/catalog-info.yaml", "../outside/secret.yaml"} {
		if f, err := cat.Repo.FS.Open(p); err == nil {
			f.Close()
			t.Errorf("opened %s", p)
		}
	}
}

// TestGlobDoesNotWalkThroughLinks: with a link to a folder outside the repository (lroot -> /), a
// glob target such as ./lr*/**/*.yaml finds nothing, and the walk cannot even list the folder the
// link leads to: containment applies while walking, not to the matches afterwards.
func TestGlobDoesNotWalkThroughLinks(t *testing.T) {
	repo := symlinkTree(t)
	outside := filepath.Join(filepath.Dir(repo), "outside")
	if err := os.Symlink(outside, filepath.Join(repo, "lroot")); err != nil {
		t.Skip(err)
	}
	if err := os.MkdirAll(filepath.Join(outside, "deep", "er"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "deep", "er", "x.yaml"), []byte("kind: SECRET\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cat := NewCatalog(diskRepo(t, repo))
	if entries, err := cat.Repo.FS.ReadDir("lroot"); err == nil {
		t.Errorf("listed the folder outside through the link: %v", entries)
	}
	if entries, err := cat.Repo.FS.ReadDir("lroot/deep"); err == nil {
		t.Errorf("listed a folder outside through the link: %v", entries)
	}
	if got := globFS(cat.Repo.FS, "lr*/**/*.yaml"); len(got) != 0 {
		t.Errorf("the glob matched through the link: %v", got)
	}
	files, _, outsideTarget := cat.ResolveTarget("catalog-info.yaml", "./lr*/**/*.yaml")
	if len(files) != 0 || outsideTarget {
		t.Errorf("ResolveTarget = %v, outside %v", files, outsideTarget)
	}
}
