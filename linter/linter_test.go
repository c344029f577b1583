package linter

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"
	"gopkg.in/yaml.v3"
)

// extract writes a txtar archive's files (all but "want") into a temporary folder.
func extract(t *testing.T, archive string) (dir string, want []string) {
	t.Helper()
	a, err := txtar.ParseFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	for _, f := range a.Files {
		if f.Name == "want" {
			want = strings.Fields(string(f.Data))
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
	return dir, want
}

// relPaths returns files relative to dir, slash-separated.
func relPaths(dir string, files []string) []string {
	var out []string
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		out = append(out, filepath.ToSlash(rel))
	}
	return out
}

func TestDiscover(t *testing.T) {
	dir, want := extract(t, filepath.Join("testdata", "discover.txtar"))
	cfg, err := LoadConfig(filepath.Join(dir, ConfigFileName))
	if err != nil {
		t.Fatal(err)
	}
	files, err := Discover([]string{dir}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := relPaths(dir, files)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("discovered files differ (-want +got):\n%s", diff)
	}

	// An explicit file is always linted, even when excluded or not named like a catalog file, and
	// a path given twice is linted once.
	explicit := filepath.Join(dir, "legacy", "catalog-info.yaml")
	other := filepath.Join(dir, "services", "web", "other.yaml")
	files, err = Discover([]string{explicit, other, explicit}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{explicit, other}, files); diff != "" {
		t.Errorf("explicit files (-want +got):\n%s", diff)
	}

	if _, err := Discover([]string{filepath.Join(dir, "missing")}, cfg); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("a missing path must be an error naming it, got %v", err)
	}
}

func TestMatchGlob(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"catalog/**/*.yaml", "catalog/a.yaml", true},
		{"catalog/**/*.yaml", "catalog/x/y/a.yaml", true},
		{"catalog/**/*.yaml", "catalog/a.yml", false},
		{"catalog/**/*.yaml", "other/catalog/a.yaml", false},
		{"**/*.yaml", "a.yaml", true},
		{"**/catalog-*.yaml", "x/y/catalog-a.yaml", true},
		{"legacy/**", "legacy/a/b", true},
		{"legacy/**", "legacy", true},
		{"*.yaml", "a/b.yaml", false},
		{"a/*/c.yaml", "a/b/c.yaml", true},
	}
	for _, tt := range tests {
		if got := matchGlob(tt.pattern, tt.name); got != tt.want {
			t.Errorf("matchGlob(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		wantErr string
	}{
		{name: "empty", input: ""},
		{name: "full", input: "include: [catalog/**/*.yaml]\nexclude: [legacy/**]\nmax_file_size: 2MiB\nrules:\n  tag-format: warning\n  unknown-kind: off\n"},
		{name: "an integration's section without its parser", input: "sentry:\n  organization: acme\n", wantErr: `c.yaml:1: unknown key "sentry"; known keys are annotations, exclude, include, max_file_size and rules`},
		{name: "unknown key", input: "include: []\nexlude: [x]\n", wantErr: `c.yaml:2: unknown key "exlude"`},
		{name: "bad severity", input: "rules:\n  tag-format: loud\n", wantErr: `c.yaml:2: rule "tag-format": use off, error, warning or info, not "loud"`},
		{name: "bad glob", input: "include:\n  - \"[\"\n", wantErr: `c.yaml:2: include entry "[" is not a valid relative glob`},
		{name: "not a list", input: "exclude: legacy\n", wantErr: "c.yaml:1: exclude must be a list of globs, not a string"},
		{name: "bad size", input: "max_file_size: big\n", wantErr: `c.yaml:1: max_file_size must be a positive size`},
		{name: "syntax", input: "rules: [\n", wantErr: "c.yaml:1: yaml syntax error"},
		{name: "not a mapping", input: "- a\n", wantErr: "c.yaml:1: the configuration must be a mapping"},
		{name: "two errors", input: "a: 1\nb: 2\n", wantErr: "c.yaml:1: unknown key \"a\"; known keys are annotations, exclude, include, max_file_size and rules\nc.yaml:2: unknown key \"b\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig("c.yaml", "/repo", []byte(tt.input))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
			if cfg != nil {
				t.Error("a failed load must not return a configuration")
			}
		})
	}
	cfg, err := ParseConfig("c.yaml", "/repo", []byte("max_file_size: 2MiB\nrules:\n  tag-format: warning\n  x: off\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxFileSize != 2<<20 || cfg.Rules["tag-format"].Severity != SeverityWarning || !cfg.Rules["x"].Off {
		t.Errorf("config not read as written: %+v", cfg)
	}
	err = cfg.CheckRuleIDs(func(id string) bool { return id == "tag-format" })
	if err == nil || err.Error() != `c.yaml:4: unknown rule "x"; `+"`catalog-lint rules` lists them" {
		t.Errorf("CheckRuleIDs = %v", err)
	}

}

func TestFindConfig(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if p, err := FindConfig(sub); err != nil || (p != "" && strings.HasPrefix(p, dir)) {
		t.Fatalf("FindConfig without a file = %q, %v", p, err)
	}
	want := filepath.Join(dir, "a", ConfigFileName)
	if err := os.WriteFile(want, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if p, err := FindConfig(sub); err != nil || p != want {
		t.Fatalf("FindConfig = %q, %v; want %q", p, err, want)
	}
}

// A rule for engine tests: it reports metadata.name.
var testRule = &Rule{ID: "test-name", Summary: "s", Doc: "d", Bad: "b", Good: "g", Severity: SeverityWarning,
	Check: func(p *Pass) {
		_, v := p.Entity.Field("metadata", "name")
		p.Report(v, "name is %q", p.Entity.Name)
	}}

var netRule = &Rule{ID: "test-net", Summary: "s", Doc: "d", Bad: "b", Good: "g", Severity: SeverityError, Network: true,
	Check: func(p *Pass) {
		_, v := p.Entity.Field("kind")
		nameQuestions.Ask(p, v, p.Entity.Name)
	}}

// nameQuestions are netRule's questions: an entity's name.
var nameQuestions Asks[string]

// unsureRule only carries the answers a resolver could not give.
var unsureRule = &Rule{ID: "test-unsure", Summary: "s", Doc: "d", Bad: "b", Good: "g", Severity: SeverityWarning,
	Network: true, Inconclusive: true}

// fakeResolver answers every question in one batch and records the batches it was given.
type fakeResolver struct{ batches [][]string }

func (f *fakeResolver) Answer(_ context.Context, qs []string) ([]Answer, []string) {
	f.batches = append(f.batches, qs)
	var out []Answer
	for i, q := range qs {
		if q == "b" {
			out = append(out, Answer{Question: i, Rule: unsureRule, Message: "could not ask about b"})
			continue
		}
		out = append(out, Answer{Question: i, Rule: netRule, Message: fmt.Sprintf("asked the network about %v", q)})
	}
	return out, []string{"the service said hello", "the service said hello"}
}

func newTestLinter(t *testing.T, cfg *Config, offline bool, res *fakeResolver) *Linter {
	t.Helper()
	opts := Options{Rules: append(BuiltinRules(), testRule, netRule, unsureRule), Config: cfg, Offline: offline}
	if res != nil {
		opts.Resolvers = map[*Rule]Resolver{netRule: nameQuestions.AnsweredBy(res)}
	}
	l, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestEngine(t *testing.T) {
	src := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: café-ü\n" +
		"---\n---\n" +
		"kind: Component\nmetadata:\n  name: b\n  namespace: Team\n  annotations:\n    catalog-lint.io/ignore: test-name\n"
	res := &fakeResolver{}
	l := newTestLinter(t, nil, false, res)
	findings, entities := l.LintBytes(context.Background(), "f.yaml", []byte(src))
	if entities != 2 {
		t.Errorf("entities = %d, want 2 (the empty document is skipped)", entities)
	}
	want := []Finding{
		{Rule: "test-net", Severity: SeverityError, File: "f.yaml", Line: 2, Column: 7, EndLine: 2, EndColumn: 15,
			Message: "asked the network about café-ü", Entity: "component:default/café-ü", Document: 1, Source: "kind: Component"},
		{Rule: "test-name", Severity: SeverityWarning, File: "f.yaml", Line: 4, Column: 9, EndLine: 4, EndColumn: 14,
			Message: `name is "café-ü"`, Entity: "component:default/café-ü", Document: 1, Source: "  name: café-ü"},
		{Rule: "test-unsure", Severity: SeverityWarning, File: "f.yaml", Line: 7, Column: 7, EndLine: 7, EndColumn: 15,
			Message: "could not ask about b", Entity: "component:team/b", Document: 3, Source: "kind: Component"},
	}
	if diff := cmp.Diff(want, findings); diff != "" {
		t.Errorf("findings differ (-want +got):\n%s", diff)
	}
	if len(res.batches) != 1 || len(res.batches[0]) != 2 {
		t.Errorf("want one batch of two questions, got %v", res.batches)
	}

	// Over many files the questions still arrive in one batch, with notices once and the
	// inconclusive answers counted.
	dir := t.TempDir()
	var files []string
	for i := 0; i < 20; i++ {
		p := filepath.Join(dir, fmt.Sprintf("f%02d.yaml", i))
		_ = os.WriteFile(p, []byte(src), 0o644)
		files = append(files, p)
	}
	res = &fakeResolver{}
	l = newTestLinter(t, nil, false, res)
	r := l.Lint(context.Background(), files)
	if len(res.batches) != 1 || len(res.batches[0]) != 40 || r.Inconclusive != 20 || len(r.Notices) != 1 {
		t.Errorf("batches %v, inconclusive %d, notices %v", len(res.batches), r.Inconclusive, r.Notices)
	}

	// Offline, or without a resolver, network rules are skipped and listed; configuration changes
	// severities or turns rules off.
	cfg := DefaultConfig(".")
	cfg.Rules["test-name"] = RuleSetting{Severity: SeverityError}
	for _, l := range []*Linter{newTestLinter(t, cfg, true, &fakeResolver{}), newTestLinter(t, cfg, false, nil)} {
		findings, _ = l.LintBytes(context.Background(), "f.yaml", []byte(src))
		if len(findings) != 1 || findings[0].Rule != "test-name" || findings[0].Severity != SeverityError {
			t.Errorf("without the network: %+v", findings)
		}
		if res := l.Lint(context.Background(), nil); len(res.Skipped) != 1 || res.Skipped[0] != netRule {
			t.Errorf("Skipped = %v, want the network rule", res.Skipped)
		}
	}
	cfg.Rules["test-name"] = RuleSetting{Off: true}
	l = newTestLinter(t, cfg, true, nil)
	if findings, _ = l.LintBytes(context.Background(), "f.yaml", []byte(src)); len(findings) != 0 {
		t.Errorf("rule turned off still reports: %+v", findings)
	}
}

func TestLintFilesInParallelIsDeterministic(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for i := 0; i < 50; i++ {
		p := filepath.Join(dir, "svc"+string(rune('a'+i%26))+strings.Repeat("x", i/26), "catalog-info.yaml")
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		_ = os.WriteFile(p, []byte("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: n\n"), 0o644)
		files = append(files, p)
	}
	l := newTestLinter(t, nil, true, nil)
	first := l.Lint(context.Background(), files)
	if first.Files != 50 || first.Entities != 50 || len(first.Findings) != 50 {
		t.Fatalf("result = %d files, %d entities, %d findings", first.Files, first.Entities, len(first.Findings))
	}
	for i := 0; i < 5; i++ {
		if diff := cmp.Diff(first.Findings, l.Lint(context.Background(), files).Findings); diff != "" {
			t.Fatalf("run %d differs:\n%s", i, diff)
		}
	}
	for i := 1; i < len(first.Findings); i++ {
		if first.Findings[i-1].File > first.Findings[i].File {
			t.Fatal("findings are not sorted by file")
		}
	}
}

func TestFileProblems(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, bytes.Repeat([]byte("# padding\n"), 300), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig(dir)
	cfg.MaxFileSize = 1024
	l := newTestLinter(t, cfg, true, nil)
	got, _ := l.LintFile(context.Background(), big)
	if len(got) != 1 || got[0].Rule != "file-too-large" || got[0].Line != 0 ||
		got[0].Message != "file is 2.9 KiB, over the 1.0 KiB limit; it was skipped (raise max_file_size in .catalog-lint.yaml to lint it)" {
		t.Errorf("too large: %+v", got)
	}
	got, _ = l.LintReader(context.Background(), "<stdin>", bytes.NewReader(bytes.Repeat([]byte("a"), 2000)))
	if len(got) != 1 || got[0].Rule != "file-too-large" {
		t.Errorf("too large on stdin: %+v", got)
	}
	got, _ = l.LintFile(context.Background(), filepath.Join(dir, "missing.yaml"))
	if len(got) != 1 || got[0].Rule != "file-unreadable" || !strings.Contains(got[0].Message, "no such file") {
		t.Errorf("missing: %+v", got)
	}
	got, _ = l.LintFile(context.Background(), dir)
	if len(got) != 1 || got[0].Rule != "file-unreadable" {
		t.Errorf("folder: %+v", got)
	}
}

func TestCoreSchemaType(t *testing.T) {
	tests := []struct {
		input string
		want  Type
	}{
		{"", TypeNull}, {"~", TypeNull}, {"null", TypeNull}, {"Null", TypeNull}, {"NULL", TypeNull}, {"nUll", TypeString},
		{"true", TypeBool}, {"True", TypeBool}, {"FALSE", TypeBool}, {"tRUE", TypeString}, {"yes", TypeString}, {"on", TypeString},
		{"123", TypeNumber}, {"-0", TypeNumber}, {"+12", TypeNumber}, {"0755", TypeNumber}, {"0o17", TypeNumber}, {"0o8", TypeString},
		{"0x1F", TypeNumber}, {"0xG", TypeString}, {"-0x1F", TypeString}, {"0x", TypeString}, {"1_000", TypeString}, {"0b101", TypeString},
		{"1.5", TypeNumber}, {".5", TypeNumber}, {"5.", TypeNumber}, {"+.5", TypeNumber}, {"1e3", TypeNumber}, {"1E+3", TypeNumber},
		{"1e", TypeString}, {"e3", TypeString}, {".", TypeString}, {"+", TypeString}, {"1.2.3", TypeString},
		{".inf", TypeNumber}, {"-.Inf", TypeNumber}, {".NaN", TypeNumber}, {"-.nan", TypeString},
		{"2021-01-01", TypeString}, {"12:30", TypeString}, {"payments", TypeString},
	}
	for _, tt := range tests {
		if got := CoreSchemaType(tt.input); got != tt.want {
			t.Errorf("CoreSchemaType(%q) = %v, want %v", tt.input, got, tt.want)
		}
	}
	// Quoting, block scalars and explicit tags decide before the plain-scalar patterns.
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("a: '12'\nb: !!str 12\nc: !!int '12'\nd: |\n  12\ne: !custom 12\n"), &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]Type{"a": TypeString, "b": TypeString, "c": TypeNumber, "d": TypeString, "e": TypeString}
	Pairs(doc.Content[0], func(k, v *yaml.Node) {
		if got := TypeOf(v); got != want[k.Value] {
			t.Errorf("%s: TypeOf = %v, want %v", k.Value, got, want[k.Value])
		}
	})
}

func TestSpan(t *testing.T) {
	src := "a: \"quo\\\"ted\" # c\nb: 'it''s'\nc: plain value # c\nd: [x, y]\ne: *anchor\nf: ünï\n"
	var doc yaml.Node
	_ = yaml.Unmarshal([]byte(strings.Replace(src, "*anchor", "x", 1)), &doc)
	s := &source{data: []byte(src)}
	want := map[string]int{"a": 13, "b": 10, "c": 14, "d": 9, "f": 6}
	Pairs(doc.Content[0], func(k, v *yaml.Node) {
		if w, ok := want[k.Value]; ok {
			if _, got := s.span(v); got != w {
				t.Errorf("%s: end column = %d, want %d", k.Value, got, w)
			}
		}
	})
}

// TestIsCatalogDocument: what an editor's document is, as a walk of its folder would find it.
func TestIsCatalogDocument(t *testing.T) {
	dir := t.TempDir()
	cfg, err := ParseConfig(filepath.Join(dir, ConfigFileName), dir, []byte("include: [\"teams/*.yaml\"]\nexclude: [\"legacy/**\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	entity := []byte("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: a\n")
	for _, tt := range []struct {
		path string
		data []byte
		want bool
	}{
		{"catalog-info.yaml", nil, true},         // by name, even empty
		{"svc/catalog-info.yml", nil, true},      // by name
		{"teams/platform.yaml", nil, true},       // an include glob
		{"services.yaml", entity, true},          // holds a Backstage entity
		{"legacy/catalog-info.yaml", nil, false}, // excluded
		{"node_modules/x/catalog-info.yaml", entity, false},
		{".github/workflows/ci.yml", []byte("name: ci\non: push\n"), false},
		{"deploy/web.yaml", []byte("apiVersion: apps/v1\nkind: Deployment\n"), false},
		{"app-config.yaml", []byte("catalog:\n  locations: []\n"), false},
		{ConfigFileName, nil, false},
		{"skeleton/${{ values.name }}/catalog-info.yaml", entity, false},
		{"notes.txt", entity, false}, // not YAML
	} {
		if got := cfg.IsCatalogDocument(filepath.Join(dir, filepath.FromSlash(tt.path)), tt.data); got != tt.want {
			t.Errorf("IsCatalogDocument(%s) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

// TestCatalogDocuments: the files an editor's workspace index reads are those a walk lints.
func TestCatalogDocuments(t *testing.T) {
	dir := t.TempDir()
	entity := "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: a\n"
	for name, content := range map[string]string{
		"catalog-info.yaml": "", "org.yaml": entity, "teams/x.yaml": "name: x\n", "legacy/catalog-info.yaml": entity,
		"node_modules/p/catalog-info.yaml": entity, ".github/workflows/ci.yml": "on: push\n", "deploy/web.yaml": "apiVersion: apps/v1\nkind: Deployment\n",
	} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := ParseConfig(filepath.Join(dir, ConfigFileName), dir, []byte("include: [\"teams/*.yaml\"]\nexclude: [\"legacy/**\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := cfg.CatalogDocuments(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := relPaths(dir, files)
	if want := []string{"catalog-info.yaml", "org.yaml", "teams/x.yaml"}; !slices.Equal(got, want) {
		t.Errorf("CatalogDocuments = %v, want %v", got, want)
	}
}
