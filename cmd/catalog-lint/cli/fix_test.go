package cli

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var updateFix = flag.Bool("update", false, "rewrite testdata/fix/*.fixed and *.diff")

// TestFixGolden: for each testdata/fix/NAME.yaml, check --diff prints NAME.diff (which git apply
// accepts), check --fix turns the file into NAME.fixed, and a second --fix changes nothing.
func TestFixGolden(t *testing.T) {
	inputs, _ := filepath.Glob(filepath.Join("..", "..", "..", "testdata", "fix", "*.yaml"))
	if len(inputs) == 0 {
		t.Fatal("no testdata/fix cases")
	}
	for _, in := range inputs {
		name := filepath.Base(in)
		golden := strings.TrimSuffix(in, ".yaml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			dir := writeTree(t, map[string]string{name: string(data)})

			diff := cli(t, dir, nil, "", "check", "--offline", "--diff", name)
			if diff.code == ExitUsage {
				t.Fatalf("--diff: %s", diff.stderr)
			}
			if after, _ := os.ReadFile(filepath.Join(dir, name)); string(after) != string(data) {
				t.Fatal("--diff changed the file")
			}
			fix := cli(t, dir, nil, "", "check", "--offline", "--fix", name)
			fixed, _ := os.ReadFile(filepath.Join(dir, name))
			if *updateFix {
				_ = os.WriteFile(golden+".diff", []byte(diff.stdout), 0o644)
				_ = os.WriteFile(golden+".fixed", fixed, 0o644)
			}
			wantDiff, _ := os.ReadFile(golden + ".diff")
			wantFixed, _ := os.ReadFile(golden + ".fixed")
			if d := cmp.Diff(string(wantDiff), diff.stdout); d != "" {
				t.Errorf("--diff output (-want +got):\n%s", d)
			}
			if d := cmp.Diff(string(wantFixed), string(fixed)); d != "" {
				t.Errorf("--fix result (-want +got):\n%s", d)
			}
			if !strings.Contains(fix.stderr, "catalog-lint: fixed ") || strings.Contains(fix.stderr, "fixed 0 ") {
				t.Errorf("--fix said: %s", fix.stderr)
			}
			// What --fix reports is what is left: none of the fixed findings.
			for _, line := range strings.Split(fix.stdout, "\n") {
				if strings.Contains(line, "quote it") || strings.Contains(line, "did you mean \"Component\"") {
					t.Errorf("left after --fix: %s", line)
				}
			}
			again := cli(t, dir, nil, "", "check", "--offline", "--fix", name)
			if twice, _ := os.ReadFile(filepath.Join(dir, name)); string(twice) != string(fixed) || !strings.Contains(again.stderr, "fixed 0 problems in 0 files") {
				t.Errorf("a second --fix changed something: %s", again.stderr)
			}

			// The diff applies with git, to the same result as --fix.
			if _, err := exec.LookPath("git"); err != nil {
				return
			}
			copyDir := writeTree(t, map[string]string{name: string(data)})
			patch := filepath.Join(t.TempDir(), "fix.diff")
			if err := os.WriteFile(patch, []byte(diff.stdout), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("git", "apply", "--unsafe-paths", patch)
			cmd.Dir = copyDir
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("git apply: %v\n%s", err, out)
			}
			if applied, _ := os.ReadFile(filepath.Join(copyDir, name)); string(applied) != string(fixed) {
				t.Errorf("git apply of the diff differs from --fix:\n%q\n%q", applied, fixed)
			}
		})
	}
}

func TestFixFlags(t *testing.T) {
	dir := writeTree(t, map[string]string{"a/catalog-info.yaml": good})
	if r := cli(t, dir, nil, "", "check", "--fix", "--diff", "a"); r.code != ExitUsage || !strings.Contains(r.stderr, "do not go together") {
		t.Errorf("exit %d: %s", r.code, r.stderr)
	}
	if r := cli(t, dir, nil, good, "check", "--fix", "-"); r.code != ExitUsage || !strings.Contains(r.stderr, "cannot change standard input") {
		t.Errorf("exit %d: %s", r.code, r.stderr)
	}
}

// TestFixKeepsModeAndLinks: the fixed file keeps its permissions, and a symbolic link stays a link
// (its target is fixed).
func TestFixKeepsModeAndLinks(t *testing.T) {
	bad := strings.Replace(good, "kind: Component", "kind: component", 1)
	dir := writeTree(t, map[string]string{"real/catalog-info.yaml": bad})
	target := filepath.Join(dir, "real", "catalog-info.yaml")
	if err := os.Chmod(target, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "link"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../real/catalog-info.yaml", filepath.Join(dir, "link", "catalog-info.yaml")); err != nil {
		t.Skip(err)
	}
	cli(t, dir, nil, "", "check", "--offline", "--fix", "link/catalog-info.yaml")
	st, err := os.Lstat(filepath.Join(dir, "link", "catalog-info.yaml"))
	if err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v", err)
	}
	if st, _ := os.Stat(target); st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v", st.Mode())
	}
	if data, _ := os.ReadFile(target); !strings.Contains(string(data), "kind: Component") {
		t.Errorf("not fixed:\n%s", data)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "real"))
	if len(entries) != 1 {
		t.Errorf("a temporary file was left: %v", entries)
	}
}

// TestFixRenamedSentryProject: Sentry answers a renamed project's old slug with its new one; --fix
// writes the new slug, keeping the org/ part and the quoting, and the file then passes.
func TestFixRenamedSentryProject(t *testing.T) {
	srv := sentryServer(t)
	srv.Rename("acme", "payments-old", "payments")
	env := map[string]string{"SENTRY_AUTH_TOKEN": testToken, "SENTRY_ORG": "acme", "SENTRY_URL": srv.URL}
	dir := writeTree(t, map[string]string{
		"a/catalog-info.yaml": annotated("a", "acme/payments-old"),
		"b/catalog-info.yaml": annotated("b", `'payments-old'`),
	})
	r := cli(t, dir, env, "", "check", "--diff", ".")
	for _, want := range []string{"-    sentry.io/project-slug: acme/payments-old\n+    sentry.io/project-slug: acme/payments\n",
		"-    sentry.io/project-slug: 'payments-old'\n+    sentry.io/project-slug: 'payments'\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("diff lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := cli(t, dir, env, "", "check", "--fix", "."); r.code != ExitOK || !strings.Contains(r.stderr, "fixed 2 problems in 2 files") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "a", "catalog-info.yaml")); !strings.Contains(string(data), "sentry.io/project-slug: acme/payments\n") {
		t.Errorf("a:\n%s", data)
	}
}
