package linter

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTemplatedDocuments(t *testing.T) {
	tests := []struct {
		name, input string
		want        bool
	}{
		{"plain entity", "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: a\n", false},
		{"nunjucks value", "kind: Component\nmetadata:\n  name: ${{ values.name | dump }}\n", true},
		{"jinja block", "kind: Component\n{%- if values.x %}\nmetadata: {}\n{%- endif %}\n", true},
		{"cookiecutter", "kind: Component\nmetadata:\n  name: {{ cookiecutter.name }}\n", true},
		{"a Template's own parameters", "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nspec:\n  steps:\n    - input: {name: '${{ parameters.name }}'}\n", false},
		{"a Template beside a skeleton document", "kind: Template\nspec: {x: '${{ parameters.a }}'}\n---\nkind: Component\nmetadata: {name: '${{ values.a }}'}\n", true},
		{"markers in comments only", "# name: ${{ values.name }}\nkind: Component\nmetadata:\n  name: a\n", false},
	}
	for _, tt := range tests {
		if got := templatedDocuments([]byte(tt.input)); got != tt.want {
			t.Errorf("%s: templatedDocuments = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestHoldsBackstageEntity(t *testing.T) {
	tests := []struct {
		input string
		want  bool
	}{
		{"apiVersion: backstage.io/v1alpha1\nkind: Group\n", true},
		{"apiVersion: \"scaffolder.backstage.io/v1beta3\"\nkind: Template\n", true},
		{"---\n- apiVersion: backstage.io/v1alpha1\n", true},
		{"on: push\njobs: {}\n", false},
		{"description: see https://backstage.io/docs\n", false},
		{"apiVersion: apps/v1\nkind: Deployment\nmetadata: {annotations: {a: backstage.io/x}}\n", false},
	}
	for _, tt := range tests {
		if got := HoldsBackstageEntity([]byte(tt.input)); got != tt.want {
			t.Errorf("HoldsBackstageEntity(%q) = %v, want %v", tt.input, got, tt.want)
		}
	}
}

// walkedCatalog writes files (slash paths, each a Component) into a new folder, makes it the working
// folder, and walks it into a new Catalog of its repository.
func walkedCatalog(t *testing.T, files ...string) (*Repo, *Catalog) {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("kind: Component\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	repo := diskRepo(t, ".")
	cat := NewCatalog(repo)
	if err := walkRepo(repo, []string{"."}, []string{"."}, DefaultConfig("."), cat, func(Input) {}); err != nil {
		t.Fatal(err)
	}
	return repo, cat
}

// TestGlobsAgree: a glob matched against the files the walk saw gives what the disk gives.
func TestGlobsAgree(t *testing.T) {
	repo, cat := walkedCatalog(t, "a/x/catalog-info.yaml", "a/y/catalog-info.yaml", "a/y/other.yaml", "b/catalog-info.yaml", "a/z/deeper/catalog-info.yaml")
	cat.More(context.Background()) // the walk is over
	for _, pattern := range []string{"a/*/catalog-info.yaml", "a/*/*.yaml", "*/catalog-info.yaml", "a/?/catalog-info.yaml", "c/*.yaml"} {
		mem, ok := cat.globWalked(pattern)
		if !ok {
			t.Fatalf("%s: not matched in memory", pattern)
		}
		if diff := cmp.Diff(globFS(repo.FS, pattern), mem); diff != "" {
			t.Errorf("%s (-disk +memory):\n%s", pattern, diff)
		}
	}
	// ** too is matched in memory (the walk and ** skip the same folders), the same as on disk.
	want := []string{"a/x/catalog-info.yaml", "a/y/catalog-info.yaml", "a/z/deeper/catalog-info.yaml"}
	for _, pattern := range []string{"a/**/catalog-info.yaml", "**/catalog-info.yaml", "a/**", "a/**/deeper/*.yaml", "**/y/*.yaml",
		"**/x/**", "a/**/other.yaml", "**/b/catalog-info.yaml", "*/y/other.yaml", "**/nothing/*.yaml", "a/*/deeper/catalog-info.yaml"} {
		mem, ok := cat.globWalked(pattern)
		if !ok {
			t.Fatalf("%s: not matched in memory", pattern)
		}
		if diff := cmp.Diff(globFS(repo.FS, pattern), mem); diff != "" {
			t.Errorf("%s (-disk +memory):\n%s", pattern, diff)
		}
	}
	if diff := cmp.Diff(want, globFS(repo.FS, "a/**/catalog-info.yaml")); diff != "" {
		t.Errorf("** on disk (-want +got):\n%s", diff)
	}
}

// TestLargeSniffedFiles: a YAML file over the size limit is reported when it holds entities (Backstage
// would ingest it), and left alone when it does not (a generated manifest).
func TestLargeSniffedFiles(t *testing.T) {
	dir := t.TempDir()
	entities := "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: a\n" + strings.Repeat("# padding\n", 200)
	manifest := "apiVersion: apps/v1\nkind: Deployment\n" + strings.Repeat("# padding\n", 200)
	for name, content := range map[string]string{"org.yaml": entities, "deploy.yaml": manifest} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := DefaultConfig(dir)
	cfg.MaxFileSize = 1024
	cat := NewCatalog(diskRepo(t, dir))
	l, err := New(Options{Rules: BuiltinRules(), Config: cfg, Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	res, err := l.LintPaths(context.Background(), []string{dir}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].Rule != RuleFileTooLarge.ID || filepath.Base(res.Findings[0].File) != "org.yaml" {
		t.Errorf("findings %+v", res.Findings)
	}
}

// TestAnnotationsConfig: the annotations section is checked when it is loaded, each mistake with its
// line.
func TestAnnotationsConfig(t *testing.T) {
	good := "annotations:\n  sentry.io/project-slug:\n    required: [Component:service, API]\n  pagerduty.com/service-id:\n    pattern: '^P[A-Z0-9]{6}$'\n    message: like PABC123\n"
	cfg, err := ParseConfig(ConfigFileName, ".", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Annotations) != 2 || cfg.Annotations[0].Required[0] != (KindType{"Component", "service"}) ||
		cfg.Annotations[0].Required[1] != (KindType{"API", ""}) || !cfg.Annotations[1].Pattern.MatchString("PABC123") ||
		cfg.Annotations[1].Pattern.MatchString("xPABC123") || cfg.Annotations[1].Line != 4 {
		t.Errorf("parsed %+v", cfg.Annotations)
	}
	tests := []struct{ input, want string }{
		{"annotations:\n  a.io/b:\n    pattern: '[unclosed'\n", `.catalog-lint.yaml:3: annotations.a.io/b.pattern "[unclosed" is not a valid regular expression (RE2)`},
		{"annotations:\n  a.io/b:\n    pattern: '(?<=x)y'\n", `.catalog-lint.yaml:3: annotations.a.io/b.pattern "(?<=x)y" is not a valid regular expression`},
		{"annotations:\n  a.io/b:\n    required: [component service]\n", `.catalog-lint.yaml:3: annotations.a.io/b.required: "component service" is not Kind or Kind:type`},
		{"annotations:\n  a.io/b:\n    required: ['Component:']\n", `.catalog-lint.yaml:3: annotations.a.io/b.required: "Component:" is not Kind or Kind:type`},
		{"annotations:\n  a.io/b:\n    required: Component\n", `.catalog-lint.yaml:3: annotations.a.io/b.required must be a list`},
		{"annotations:\n  a.io/b:\n    requird: [API]\n", `.catalog-lint.yaml:3: annotations.a.io/b: unknown key "requird"`},
		{"annotations:\n  not a key:\n    required: [API]\n", `.catalog-lint.yaml:2: annotations: "not a key" is not an annotation key`},
		{"annotations:\n  a.io/b:\n    message: hello\n", `.catalog-lint.yaml:2: annotations.a.io/b: message is for values that do not match the pattern`},
		{"annotations: [a]\n", `.catalog-lint.yaml:1: annotations must be a mapping`},
	}
	for _, tt := range tests {
		_, err := ParseConfig(ConfigFileName, ".", []byte(tt.input))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %q...", tt.input, err, tt.want)
		}
	}
}

// diskRepo is DiskRepo(root), relative names, or the test fails.
func diskRepo(t testing.TB, root string) *Repo {
	t.Helper()
	r, err := DiskRepo(root, filepath.IsAbs(root))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// TestGlobIndexAgreesWithScan: the index holds every file walked, sorted, once, and the
// literal-segment index gives, for random globs over a random tree, exactly what matching every
// walked file gives.
func TestGlobIndexAgreesWithScan(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	names := []string{"a", "b", "svc", "x", "deep", "catalog-info.yaml", "api.yaml", "a.yaml"}
	var files []string
	for i := 0; i < 300; i++ {
		depth := 1 + rng.IntN(4)
		var parts []string
		for d := 0; d < depth; d++ {
			parts = append(parts, names[rng.IntN(5)])
		}
		parts = append(parts, names[5+rng.IntN(3)])
		f := strings.Join(parts, "/")
		p := filepath.Join(dir, filepath.FromSlash(f))
		if os.MkdirAll(filepath.Dir(p), 0o755) != nil || os.WriteFile(p, []byte("kind: Component\n"), 0o644) != nil {
			continue // a file where a folder is wanted: leave it
		}
		files = append(files, f)
	}
	t.Chdir(dir)
	repo := diskRepo(t, ".")
	cat := NewCatalog(repo)
	// "a" is walked twice, once on its own: each of its files is in the index once.
	if err := walkRepo(repo, []string{".", "a"}, []string{".", "a"}, DefaultConfig("."), cat, func(Input) {}); err != nil {
		t.Fatal(err)
	}
	cat.More(context.Background())
	slices.Sort(files)
	if _, ok := cat.globWalked("**/*.yaml"); !ok || !slices.Equal(cat.walkList, slices.Compact(files)) {
		t.Fatalf("the index holds %d files, want the %d written, sorted, each once", len(cat.walkList), len(slices.Compact(files)))
	}
	segs := []string{"a", "b", "svc", "x", "deep", "*", "**", "?", "*.yaml", "catalog-info.yaml", "a.yaml", "[ab]"}
	scanned := 0 // globs matched by a pass over their folder, before the segment index is made
	for n := 0; n < 2000; n++ {
		if cat.segIndex == nil {
			scanned++
		}
		var parts []string
		for d := 0; d < 1+rng.IntN(4); d++ {
			parts = append(parts, segs[rng.IntN(len(segs))])
		}
		pattern := strings.Join(parts, "/")
		got, ok := cat.globWalked(pattern)
		if !ok {
			continue
		}
		var want []string
		for _, f := range cat.walkList {
			base := globBase(pattern)
			if (base == "." || strings.HasPrefix(f, base+"/")) && matchGlob(pattern, f) {
				want = append(want, f)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s: index gives %v, a scan %v", pattern, got, want)
		}
	}
	if len(files) < 100 {
		t.Fatalf("only %d files", len(files))
	}
	if cat.segIndex == nil || scanned < segIndexAfter {
		t.Fatalf("%d globs were matched by a pass, and the index made: %t; want both ways compared", scanned, cat.segIndex != nil)
	}
}

// TestDefinedForGood: a relation is answered while files are read only when its target's definition
// cannot be left out later as Template input: in a catalog-info.yaml, or in a file a Location names
// as it is (a glob needs the whole walk).
func TestDefinedForGood(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"catalog-info.yaml", "org.yaml", "teams/a.yaml", "skeleton/entity.yaml"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte("kind: Group\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	repo, err := DiskRepo(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	c := NewCatalog(repo)
	for ref, p := range map[string]string{"group:default/root": "catalog-info.yaml", "group:default/org": "org.yaml",
		"group:default/a": "teams/a.yaml", "group:default/skel": "skeleton/entity.yaml", "group:default/stdin": ""} {
		c.Define(Definition{Ref: ref, Path: p})
	}
	want := map[string]bool{"group:default/root": true}
	check := func(when string) {
		t.Helper()
		for _, ref := range []string{"group:default/root", "group:default/org", "group:default/a", "group:default/skel", "group:default/stdin", "group:default/none"} {
			if got := c.Defined(ref); got != want[ref] {
				t.Errorf("%s: Defined(%s) = %v, want %v", when, ref, got, want[ref])
			}
		}
	}
	check("before any Location")
	c.AddTarget("catalog-info.yaml", "./org.yaml")
	c.AddTarget("catalog-info.yaml", "./teams/*.yaml")
	want["group:default/org"] = true
	check("after a Location names org.yaml, and teams/ by a glob")
}

// TestRefsByPrefix: Refs gives a kind and namespace's refs, sorted, each once (group:default/a is
// defined twice), Template input left out, and sorts only the prefixes asked for (a large run's
// components are never sorted for a suggestion).
func TestRefsByPrefix(t *testing.T) {
	c := NewCatalog(NewTreeRepo(NewTreeFS(TreeFiles("catalog-info.yaml"), nil)))
	for _, d := range []Definition{
		{Ref: "group:default/c", Path: "c.yaml"}, {Ref: "component:default/z", Path: "z.yaml"},
		{Ref: "group:default/a", Path: "a.yaml"}, {Ref: "group:other/b", Path: "b.yaml"},
		{Ref: "component:default/y", Path: "y.yaml"}, {Ref: "group:default/skel", Path: "skeleton/t.yaml"},
		{Ref: "group:default/b", Path: "b.yaml"}, {Ref: "group:default/a", Path: "again.yaml"},
	} {
		c.Define(d)
	}
	c.AddSkeleton("template.yaml", "./skeleton")
	if got, want := c.Refs("group:default/"), []string{"group:default/a", "group:default/b", "group:default/c"}; !slices.Equal(got, want) {
		t.Errorf("Refs(group:default/) = %v, want %v", got, want)
	}
	if got := c.Refs("api:default/"); len(got) != 0 {
		t.Errorf("Refs(api:default/) = %v, want none", got)
	}
	if sorted := c.index.sorted; len(sorted) != 2 || !sorted["group:default/"] || sorted["component:default/"] {
		t.Errorf("prefixes sorted: %v, want only those asked for", sorted)
	}
	if got, want := c.Refs("component:default/"), []string{"component:default/y", "component:default/z"}; !slices.Equal(got, want) {
		t.Errorf("Refs(component:default/) = %v, want %v", got, want)
	}
}

// TestMoreStopsWhenTheTimeIsUp: once the run's context is done, More follows no more Location
// targets (a repository can name 20,000 globs, each matched against every file under its folder):
// it returns nothing, and the targets stay to follow, for a run that goes on.
func TestMoreStopsWhenTheTimeIsUp(t *testing.T) {
	_, cat := walkedCatalog(t, "a/one.yaml", "a/two.yaml", "b/three.yaml")
	for i := 0; i < 50; i++ {
		cat.AddTarget("catalog-info.yaml", fmt.Sprintf("./**/*%d*.yaml", i))
	}
	cat.AddTarget("catalog-info.yaml", "./**/*.yaml")
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if more := cat.More(done); len(more) != 0 || len(cat.toFollow) != 51 || cat.globbed != 0 {
		t.Fatalf("with the time up: %d files to lint, %d targets left to follow, %d globs matched; want 0, 51, 0", len(more), len(cat.toFollow), cat.globbed)
	}
	if more := cat.More(context.Background()); len(more) != 3 || len(cat.toFollow) != 0 {
		t.Fatalf("then: %d files to lint, %d targets left; want 3, 0", len(more), len(cat.toFollow))
	}
}
