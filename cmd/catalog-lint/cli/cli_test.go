package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/catalog-lint/catalog-lint/linter/report"
)

const good = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments\nspec:\n  type: service\n  lifecycle: production\n  owner: team-payments\n"

const warnOnly = "apiVersion: example.com/v1\nkind: Pipeline\nmetadata:\n  name: deploy\n"

const bad = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments service\n  annotations:\n    sentry.io/project-slug: Payments\nspec:\n  type: service\n  lifecycle: production\n  owner: team-payments\n"

type run struct {
	code           int
	stdout, stderr string
}

// cli runs Main in dir with args and an environment made of env only, without waits between retries.
func cli(t *testing.T, dir string, env map[string]string, stdin string, args ...string) run {
	t.Helper()
	return cliDeps(t, dir, Deps{Env: func(k string) string { return env[k] }, Sleep: noWait}, stdin, args...)
}

// noWait is Deps.Sleep for tests: retries happen as in production, without the waits between them.
func noWait(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// cliDeps runs Main in dir with args and deps.
func cliDeps(t *testing.T, dir string, deps Deps, stdin string, args ...string) run {
	t.Helper()
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	var out, errOut bytes.Buffer
	code := MainDeps(args, strings.NewReader(stdin), &out, &errOut, deps)
	return run{code, out.String(), errOut.String()}
}

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestExitCodes(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"good/catalog-info.yaml": good,
		"warn/catalog-info.yaml": warnOnly,
		"bad/catalog-info.yaml":  bad,
	})
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"clean", []string{"check", "good"}, ExitOK},
		{"warnings pass by default", []string{"check", "warn"}, ExitOK},
		{"warnings fail with --fail-on warning", []string{"check", "--fail-on", "warning", "warn"}, ExitFindings},
		{"errors fail", []string{"check", "bad"}, ExitFindings},
		{"errors pass with --fail-on none", []string{"check", "bad", "--fail-on=none"}, ExitOK},
		{"everything", []string{"check"}, ExitFindings},
		{"missing path", []string{"check", "nope"}, ExitUsage},
		{"bad flag", []string{"check", "--frobnicate"}, ExitUsage},
		{"bad format", []string{"check", "--format", "xml", "good"}, ExitUsage},
		{"bad fail-on", []string{"check", "--fail-on", "loud", "good"}, ExitUsage},
		{"no command", nil, ExitUsage},
		{"unknown command", []string{"lint"}, ExitUsage},
		{"help", []string{"check", "--help"}, ExitOK},
		{"version", []string{"version"}, ExitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cli(t, dir, nil, "", tt.args...)
			if r.code != tt.want {
				t.Errorf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.want, r.stdout, r.stderr)
			}
		})
	}
}

func TestNoFilesFound(t *testing.T) {
	dir := writeTree(t, map[string]string{"docs/readme.md": "x"})
	r := cli(t, dir, nil, "", "check", "docs")
	if r.code != ExitOK || !strings.Contains(r.stderr, "no catalog files found under docs") || r.stdout != "no problems in 0 files (0 entities)\n" {
		t.Errorf("exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestTextOutput(t *testing.T) {
	dir := writeTree(t, map[string]string{"svc/catalog-info.yaml": bad})
	r := cli(t, dir, nil, "", "check", "svc")
	want := `svc/catalog-info.yaml:4:9: metadata.name "payments service" is not valid; use letters and digits separated by -, _ or .; for example "payments-service" [entity-name-format]
  |
4 |   name: payments service
  |         ^~~~~~~~~~~~~~~~
svc/catalog-info.yaml:6:29: sentry.io/project-slug "Payments": the project slug has upper-case letters; Sentry slugs are lowercase; for example "payments" [sentry-project-slug-format]
  |
6 |     sentry.io/project-slug: Payments
  |                             ^~~~~~~~
2 errors in 1 of 1 file (1 entity)
`
	if r.stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, want)
	}
	if strings.Contains(r.stdout, "\x1b[") {
		t.Error("no colour when stdout is not a terminal")
	}
	if r := cli(t, dir, map[string]string{"NO_COLOR": "1"}, "", "check", "--color", "always", "svc"); strings.Contains(r.stdout, "\x1b[") {
		t.Error("NO_COLOR must win over --color always")
	}
	if r := cli(t, dir, nil, "", "check", "--color", "always", "svc"); !strings.Contains(r.stdout, "\x1b[") {
		t.Error("--color always must colour")
	}
}

func TestGitHubActionsDefaultFormat(t *testing.T) {
	dir := writeTree(t, map[string]string{"svc/catalog-info.yaml": bad})
	r := cli(t, dir, map[string]string{"GITHUB_ACTIONS": "true"}, "", "check")
	if !strings.HasPrefix(r.stdout, "::error file=svc/catalog-info.yaml,line=4,endLine=4,col=9,endColumn=24,title=entity-name-format::") {
		t.Errorf("want workflow commands under GitHub Actions, got:\n%s", r.stdout)
	}
	r = cli(t, dir, map[string]string{"GITHUB_ACTIONS": "true"}, "", "check", "--format", "text")
	if strings.HasPrefix(r.stdout, "::") {
		t.Error("--format text must win over the GitHub Actions default")
	}
}

func TestJSONAndStdin(t *testing.T) {
	dir := writeTree(t, map[string]string{"a/catalog-info.yaml": good})
	r := cli(t, dir, nil, bad, "check", "--format", "json", "--stdin-filename", "piped.yaml", "a", "-")
	if r.code != ExitFindings {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var out report.JSONOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	if out.Version != 1 || out.Files != 2 || out.Entities != 2 || len(out.Findings) != 2 || out.Counts["error"] != 2 {
		t.Fatalf("unexpected output: %+v", out)
	}
	f := out.Findings[0]
	if f.File != "piped.yaml" || f.Line != 4 || f.Column != 9 || f.EndColumn != 24 || f.Entity != "component:default/payments service" {
		t.Errorf("first finding: %+v", f)
	}
	if r := cli(t, dir, nil, "", "check", "-", "-"); r.code != ExitUsage {
		t.Errorf("stdin twice: exit %d", r.code)
	}
}

func TestConfig(t *testing.T) {
	dir := writeTree(t, map[string]string{
		".catalog-lint.yaml":        "rules:\n  entity-name-format: off\n  sentry-project-slug-format: warning\n",
		"svc/catalog-info.yaml":     bad,
		"deep/er/x/placeholder":     "",
		"broken/.catalog-lint.yaml": "rules:\n  no-such-rule: off\n",
	})
	r := cli(t, dir, nil, "", "check", "svc")
	if r.code != ExitOK || !strings.Contains(r.stdout, "warning: sentry.io/project-slug") || strings.Contains(r.stdout, "entity-name-format") {
		t.Errorf("config not applied (exit %d):\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Found from a subfolder, upward.
	r = cli(t, filepath.Join(dir, "deep", "er"), nil, "", "check", filepath.Join(dir, "svc"))
	if strings.Contains(r.stdout, "entity-name-format") {
		t.Errorf("config above the current folder not found:\n%s", r.stdout)
	}
	r = cli(t, dir, nil, "", "check", "--config", filepath.Join(dir, "broken", ".catalog-lint.yaml"), "svc")
	if r.code != ExitUsage || !strings.Contains(r.stderr, `.catalog-lint.yaml:2: unknown rule "no-such-rule"`) {
		t.Errorf("unknown rule in config: exit %d, stderr %q", r.code, r.stderr)
	}
	r = cli(t, dir, nil, "", "check", "--config", filepath.Join(dir, "missing.yaml"), "svc")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "missing.yaml") {
		t.Errorf("missing config: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestRulesCommand(t *testing.T) {
	dir := t.TempDir()
	r := cli(t, dir, nil, "", "rules")
	if r.code != ExitOK || !strings.Contains(r.stdout, "sentry-project-slug-format") {
		t.Errorf("rules: %d %s", r.code, r.stdout)
	}
	r = cli(t, dir, nil, "", "rules", "--format", "json")
	var list []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) < 20 {
		t.Errorf("rules --format json: %v, %d rules", err, len(list))
	}
	if r := cli(t, dir, nil, "", "rules", "--format", "xml"); r.code != ExitUsage {
		t.Errorf("bad rules format: exit %d", r.code)
	}
}

// TestServeNotInTheCLIBuild: the CLI's own build leaves the server out and says where it is.
func TestServeNotInTheCLIBuild(t *testing.T) {
	r := cli(t, t.TempDir(), map[string]string{}, "", "serve")
	if Serve != nil || r.code != ExitUsage || !strings.Contains(r.stderr, "serve is not part of this build") || !strings.Contains(r.stderr, "cd server && go build ./cmd/catalog-lint") {
		t.Errorf("exit %d: %s", r.code, r.stderr)
	}
}
