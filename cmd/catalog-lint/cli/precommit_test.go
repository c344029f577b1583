package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPreCommitHook runs the real pre-commit (Debian's package; .ci/run installs it) with
// `pre-commit try-repo` against this repository: it builds the hook with `go install ./...` as
// pre-commit's golang language does, then runs it on a good and on a bad catalog file.
func TestPreCommitHook(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the hook with pre-commit")
	}
	if _, err := exec.LookPath("pre-commit"); err != nil {
		t.Skip("pre-commit is not installed (apt-get install pre-commit)")
	}
	repoRoot, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	modCache, _ := exec.Command("go", "env", "GOMODCACHE").Output()
	env := append(os.Environ(),
		"PRE_COMMIT_HOME="+filepath.Join(t.TempDir(), "pre-commit-cache"),
		"GOMODCACHE="+strings.TrimSpace(string(modCache)), // reuse downloaded modules
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
		"SENTRY_AUTH_TOKEN=", "SENTRY_TOKEN=")
	run := func(name string, args ...string) (string, error) {
		cmd := exec.Command(name, args...)
		cmd.Dir = work
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run("git", "init", "-q"); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	tryRepo := func(file, content string) (string, error) {
		if err := os.MkdirAll(filepath.Join(work, filepath.Dir(file)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, file), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := run("git", "add", file); err != nil {
			t.Fatalf("git add: %v\n%s", err, out)
		}
		return run("pre-commit", "try-repo", repoRoot, "catalog-lint", "--files", file, "--verbose")
	}

	out, err := tryRepo("svc/catalog-info.yaml", good)
	if err != nil {
		t.Fatalf("a good file must pass: %v\n%s", err, out)
	}
	// No file names a Sentry project or a GitHub repository: nothing is said of either.
	if !strings.Contains(out, "Passed") || strings.Contains(out, "Sentry") || strings.Contains(out, "GitHub") {
		t.Errorf("output:\n%s", out)
	}

	out, err = tryRepo("web/catalog-info.yaml", bad)
	if err == nil {
		t.Fatalf("a bad file must fail:\n%s", out)
	}
	for _, want := range []string{"Failed", `web/catalog-info.yaml:4:9: metadata.name "payments service" is not valid`, "[sentry-project-slug-format]"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if err := os.Remove(filepath.Join(work, "web", "catalog-info.yaml")); err != nil {
		t.Fatal(err)
	}
	if out, err := run("git", "add", "-A"); err != nil {
		t.Fatalf("git add: %v\n%s", err, out)
	}

	// The repository is the context: a staged file's owner is checked against the Groups of
	// org.yaml, which is not staged; a staged YAML file that holds no entity is not linted.
	if out, err := tryRepo("org.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-payments\nspec:\n  type: team\n  children: []\n"); err != nil {
		t.Fatalf("org.yaml must pass: %v\n%s", err, out)
	}
	out, err = tryRepo("pay/catalog-info.yaml", strings.NewReplacer("team-payments", "team-paymnets", "name: payments", "name: pay").Replace(good))
	if err != nil || !strings.Contains(out, "did you mean group:default/team-payments?") || !strings.Contains(out, "[relation-target-missing]") {
		t.Errorf("a relation is checked against the repository (a warning: the hook passes): %v\n%s", err, out)
	}
	if out, err := tryRepo(".github/workflows/ci.yaml", "on: push\njobs: {}\n"); err != nil {
		t.Errorf("a YAML file without an entity is not a catalog file: %v\n%s", err, out)
	}

	// catalog-lint-fix fixes the staged file; pre-commit then fails the hook because a file changed,
	// as it does for formatters, and the fixed file passes.
	fixable := strings.NewReplacer("kind: Component", "kind: component", "name: payments", "name: fixme").Replace(good)
	if err := os.MkdirAll(filepath.Join(work, "fixme"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "fixme", "catalog-info.yaml"), []byte(fixable), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := run("git", "add", "fixme/catalog-info.yaml"); err != nil {
		t.Fatalf("git add: %v\n%s", err, out)
	}
	out, err = run("pre-commit", "try-repo", repoRoot, "catalog-lint-fix", "--files", "fixme/catalog-info.yaml", "--verbose")
	if err == nil || !strings.Contains(out, "files were modified by this hook") {
		t.Errorf("the fix hook must modify the file and say so: %v\n%s", err, out)
	}
	if data, _ := os.ReadFile(filepath.Join(work, "fixme", "catalog-info.yaml")); !strings.Contains(string(data), "kind: Component\n") {
		t.Errorf("not fixed:\n%s", data)
	}
	if _, err := run("git", "add", "fixme/catalog-info.yaml"); err != nil {
		t.Fatal(err)
	}
	if out, err := run("pre-commit", "try-repo", repoRoot, "catalog-lint-fix", "--files", "fixme/catalog-info.yaml"); err != nil {
		t.Errorf("a second run must pass: %v\n%s", err, out)
	}

	// catalog-lint-system runs the catalog-lint on PATH and builds nothing.
	bin := t.TempDir()
	if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, "catalog-lint"), filepath.Join(repoRoot, "cmd", "catalog-lint")).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	env = append(env, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	if err := os.WriteFile(filepath.Join(work, "fixme", "catalog-info.yaml"), []byte(strings.NewReplacer("kind: component", "kind: Component", "name: fixme", "name: fix me").Replace(fixable)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := run("git", "add", "fixme/catalog-info.yaml"); err != nil {
		t.Fatal(err)
	}
	out, err = run("pre-commit", "try-repo", repoRoot, "catalog-lint-system", "--files", "fixme/catalog-info.yaml", "--verbose")
	if err == nil || !strings.Contains(out, "catalog-lint (installed binary)") || !strings.Contains(out, "[entity-name-format]") ||
		strings.Contains(out, "Installing environment") {
		t.Errorf("catalog-lint-system: %v\n%s", err, out)
	}
}
