package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/catalog-lint/catalog-lint/integrations"
)

// gitRepo makes a workspace with two commits: base (a good and a bad file) and head (the bad file
// fixed... differently broken, a new broken file, an unrelated change). It returns the SHAs.
func gitRepo(t *testing.T) (dir, base, head string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir = t.TempDir()
	run := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	write := func(name, content string) {
		p := filepath.Join(dir, name)
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run("init", "-q", "-b", "main")
	write("untouched/catalog-info.yaml", annotated("untouched-bad", "Untouched"))
	write("changed/catalog-info.yaml", annotated("changed", "payments"))
	run("add", ".")
	run("commit", "-q", "-m", "base")
	base = run("rev-parse", "HEAD")
	write("changed/catalog-info.yaml", annotated("changed", "paymnets"))
	write("added/catalog-info.yaml", annotated("added bad", "checkout"))
	write("README.md", "docs\n")
	run("add", ".")
	run("commit", "-q", "-m", "head")
	head = run("rev-parse", "HEAD")
	return dir, base, head
}

// actionEnv is what the runner gives a container action, for a pull_request event.
func actionEnv(t *testing.T, workspace, base, head string, inputs map[string]string) (map[string]string, string, string) {
	t.Helper()
	meta := t.TempDir()
	event := map[string]any{
		"action": "synchronize", "number": 7, "before": base, "after": head,
		"pull_request": map[string]any{"number": 7, "state": "open",
			"base": map[string]any{"ref": "main", "sha": base}, "head": map[string]any{"ref": "feature", "sha": head}},
		"repository": map[string]any{"full_name": "acme/catalog", "default_branch": "main"},
	}
	data, _ := json.Marshal(event)
	eventPath := filepath.Join(meta, "event.json")
	if err := os.WriteFile(eventPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	output, summary := filepath.Join(meta, "output"), filepath.Join(meta, "summary.md")
	env := map[string]string{
		"GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_WORKSPACE": workspace, "GITHUB_EVENT_NAME": "pull_request",
		"GITHUB_EVENT_PATH": eventPath, "GITHUB_OUTPUT": output, "GITHUB_STEP_SUMMARY": summary,
		"GITHUB_SHA": head, "GITHUB_REF": "refs/pull/7/merge", "GITHUB_REPOSITORY": "acme/catalog",
	}
	// The runner sets every declared input, with its default when the workflow gives none.
	for name, def := range actionDefaults(t) {
		env["INPUT_"+strings.ToUpper(name)] = def
	}
	for k, v := range inputs {
		env["INPUT_"+strings.ToUpper(k)] = v
	}
	return env, output, summary
}

func actionDefaults(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Inputs map[string]struct {
			Description string `yaml:"description"`
			Default     string `yaml:"default"`
		} `yaml:"inputs"`
		Outputs map[string]struct {
			Description string `yaml:"description"`
		} `yaml:"outputs"`
		Runs struct {
			Using string   `yaml:"using"`
			Image string   `yaml:"image"`
			Args  []string `yaml:"args"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(data, &meta); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for name, in := range meta.Inputs {
		out[name] = in.Default
	}
	return out
}

func TestActionPullRequest(t *testing.T) {
	srv := sentryServer(t)
	dir, base, head := gitRepo(t)
	env, output, summary := actionEnv(t, dir, base, head, map[string]string{
		"only-changed": "true", "sentry-token": testToken, "sentry-org": "acme", "sentry-url": srv.URL,
		"sarif-file": "catalog-lint.sarif",
	})
	r := cli(t, dir, env, "", "action")
	if r.code != ExitFindings {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	wantAnnotations := []string{
		"::error file=added/catalog-info.yaml,line=4,endLine=4,col=9,endColumn=17,title=entity-name-format::metadata.name \"added bad\" is not valid; use letters and digits separated by -, _ or .; for example \"added-bad\"",
		"::error file=changed/catalog-info.yaml,line=6,endLine=6,col=29,endColumn=36,title=sentry-project-exists::Sentry project \"paymnets\" does not exist in organization \"acme\"; did you mean \"payments\"?",
		"catalog-lint: 2 errors in 2 of 2 files (2 entities)",
	}
	if diff := cmp.Diff(wantAnnotations, strings.Split(strings.TrimSpace(r.stdout), "\n")); diff != "" {
		t.Errorf("annotations (-want +got):\n%s", diff)
	}
	if strings.Contains(r.stdout+r.stderr, testToken) {
		t.Error("the token appears in the output")
	}
	outputs, _ := os.ReadFile(output)
	if string(outputs) != "errors=2\nwarnings=0\nunverified=0\nfiles=2\n" {
		t.Errorf("GITHUB_OUTPUT:\n%s", outputs)
	}
	md, _ := os.ReadFile(summary)
	for _, want := range []string{
		"## catalog-lint", "2 errors in 2 of 2 files (2 entities).", "Sentry: every referenced project was checked.",
		"### `changed/catalog-info.yaml`", "| 6:29 | error | `sentry-project-exists` | `Sentry project \"paymnets\" does not exist",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
	var sarif struct {
		Runs []struct {
			Results []struct {
				RuleID string `json:"ruleId"`
			} `json:"results"`
		} `json:"runs"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "catalog-lint.sarif"))
	if err != nil || json.Unmarshal(data, &sarif) != nil || len(sarif.Runs[0].Results) != 2 {
		t.Errorf("SARIF file: %v %s", err, data)
	}
}

// TestActionWithoutTokenAllFiles: a fork's pull request has no secrets: the format rules run on every
// file, the summary says Sentry was not checked, and more than ten errors are all in the summary.
func TestActionWithoutTokenAllFiles(t *testing.T) {
	dir, base, head := gitRepo(t)
	var many strings.Builder
	many.WriteString("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: many\n  tags:\n")
	for i := 0; i < 15; i++ {
		many.WriteString("    - Bad Tag\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "many", "catalog-info.yaml"), []byte(many.String()), 0o644); err != nil {
		_ = os.MkdirAll(filepath.Join(dir, "many"), 0o755)
		_ = os.WriteFile(filepath.Join(dir, "many", "catalog-info.yaml"), []byte(many.String()), 0o644)
	}
	env, output, summary := actionEnv(t, dir, base, head, nil)
	r := cli(t, dir, env, "", "action")
	if r.code != ExitFindings || !strings.Contains(r.stderr, "no token") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	md, _ := os.ReadFile(summary)
	if !strings.Contains(string(md), "Sentry: not checked: no token (pull requests from forks get no secrets)") || strings.Count(string(md), "`tag-format`") != 15 {
		t.Errorf("summary:\n%s", md)
	}
	outputs, _ := os.ReadFile(output)
	if !strings.Contains(string(outputs), "files=4\n") {
		t.Errorf("every file must be linted:\n%s", outputs)
	}
}

func TestActionConfigChangeLintsEverything(t *testing.T) {
	dir, base, _ := gitRepo(t)
	_ = os.WriteFile(filepath.Join(dir, ".catalog-lint.yaml"), []byte("rules:\n  tag-format: warning\n"), 0o644)
	for _, args := range [][]string{{"add", "."}, {"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "config"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v %s", err, out)
		}
	}
	out, _ := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output()
	env, output, _ := actionEnv(t, dir, base, strings.TrimSpace(string(out)), map[string]string{"only-changed": "true"})
	r := cli(t, dir, env, "", "action")
	outputs, _ := os.ReadFile(output)
	if !strings.Contains(string(outputs), "files=3\n") || !strings.Contains(r.stdout, ".catalog-lint.yaml changed; linting every file") {
		t.Errorf("outputs %s\nstdout %s", outputs, r.stdout)
	}
}

// TestActionInputsMatchActionYAML: every input action.yml declares is read by the action, and the
// action reads no input it does not declare.
func TestActionInputsMatchActionYAML(t *testing.T) {
	src, err := os.ReadFile("action.go")
	if err != nil {
		t.Fatal(err)
	}
	var used []string
	for _, m := range regexp.MustCompile(`in\.get\("([a-z-]+)"\)`).FindAllSubmatch(src, -1) {
		used = append(used, string(m[1]))
	}
	for _, i := range integrations.All() { // read by name, in.get(integrations.InputName(s.Env))
		for _, s := range i.Settings {
			if !s.NoInput {
				used = append(used, integrations.InputName(s.Env))
			}
		}
	}
	used = uniqueSorted(used)
	var declared []string
	for name := range actionDefaults(t) {
		if name != "version" { // read by action/install.sh, which picks the release to run
			declared = append(declared, name)
		}
	}
	declared = uniqueSorted(declared)
	if diff := cmp.Diff(declared, used); diff != "" {
		t.Errorf("inputs declared in action.yml (-) and read in action.go (+) differ:\n%s", diff)
	}
	// The composite action passes each input to `catalog-lint action` as the INPUT_* variable a
	// container action gets, and the version to the installer.
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Runs struct {
			Using string `yaml:"using"`
			Steps []struct {
				ID  string            `yaml:"id"`
				Run string            `yaml:"run"`
				Env map[string]string `yaml:"env"`
			} `yaml:"steps"`
		} `yaml:"runs"`
		Outputs map[string]struct{ Value string } `yaml:"outputs"`
	}
	if err := yaml.Unmarshal(data, &meta); err != nil {
		t.Fatal(err)
	}
	if meta.Runs.Using != "composite" {
		t.Errorf("runs.using is %q, want composite", meta.Runs.Using)
	}
	steps := map[string]map[string]string{}
	runs := map[string]string{}
	for _, st := range meta.Runs.Steps {
		steps[st.ID], runs[st.ID] = st.Env, st.Run
	}
	if runs["lint"] != "catalog-lint action" {
		t.Errorf("the lint step runs %q", runs["lint"])
	}
	for _, name := range declared {
		key := "INPUT_" + strings.ToUpper(name)
		if want := "${{ inputs." + name + " }}"; steps["lint"][key] != want {
			t.Errorf("the lint step's %s is %q, want %q", key, steps["lint"][key], want)
		}
	}
	if len(steps["lint"]) != len(declared) {
		t.Errorf("the lint step has %d INPUT_* variables for %d inputs", len(steps["lint"]), len(declared))
	}
	if steps["version"]["INPUT_VERSION"] != "${{ inputs.version }}" || !strings.Contains(runs["version"], "install.sh\" resolve") {
		t.Errorf("the version step: %v %q", steps["version"], runs["version"])
	}
	for _, out := range []string{"errors", "warnings", "unverified", "files"} {
		if meta.Outputs[out].Value != "${{ steps.lint.outputs."+out+" }}" {
			t.Errorf("output %s is %q", out, meta.Outputs[out].Value)
		}
	}
}

func uniqueSorted(list []string) []string {
	sort.Strings(list)
	out := list[:0]
	for i, s := range list {
		if i == 0 || s != list[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// TestDocsWorkflowPathsFilter: the example workflow of docs/github-action.md runs for a change to any
// file the catalog reads, not only catalog-info.yaml.
func TestDocsWorkflowPathsFilter(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "github-action.md"))
	if err != nil {
		t.Fatal(err)
	}
	block := ""
	for _, part := range strings.Split(string(data), "```yaml\n")[1:] {
		if b, _, _ := strings.Cut(part, "```"); strings.HasPrefix(b, "name: ") {
			block = b // the complete workflow
			break
		}
	}
	var wf struct {
		On struct {
			PullRequest struct {
				Paths []string `yaml:"paths"`
			} `yaml:"pull_request"`
		} `yaml:"on"`
	}
	if err := yaml.Unmarshal([]byte(block), &wf); err != nil {
		t.Fatal(err)
	}
	// GitHub's path filters: ** matches any characters, * any but /.
	match := func(pattern, file string) bool {
		re := regexp.QuoteMeta(pattern)
		re = strings.ReplaceAll(re, `\*\*`, "\x00")
		re = strings.ReplaceAll(re, `\*`, "[^/]*")
		re = strings.ReplaceAll(re, "\x00", ".*")
		return regexp.MustCompile("^" + re + "$").MatchString(file)
	}
	for _, file := range []string{"catalog-info.yaml", "services/pay/catalog-info.yml", "org.yaml", "catalog/systems/payments.yaml",
		"templates/service/template.yaml", "app-config.yaml", "app-config.production.yaml", ".catalog-lint.yaml"} {
		ok := false
		for _, p := range wf.On.PullRequest.Paths {
			ok = ok || match(p, file)
		}
		if !ok {
			t.Errorf("the example workflow does not run for a change to %s (paths %q)", file, wf.On.PullRequest.Paths)
		}
	}
}
