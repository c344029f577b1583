package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/catalog-lint/catalog-lint/sentry/sentrytest"
	"github.com/catalog-lint/catalog-lint/sentry/tokenexchange/brokertest"
)

// component is templates/catalog-lint.yml as GitLab reads it: the spec's inputs with their defaults,
// and the job with the inputs interpolated ($[[ inputs.name ]]) as GitLab does before it parses the
// job.
type component struct {
	defaults map[string]string
	job      struct {
		Image struct {
			Name       string   `yaml:"name"`
			Entrypoint []string `yaml:"entrypoint"`
		} `yaml:"image"`
		Variables    map[string]string `yaml:"variables"`
		Script       []string          `yaml:"script"`
		AllowFailure struct {
			ExitCodes []int `yaml:"exit_codes"`
		} `yaml:"allow_failure"`
		Artifacts struct {
			Reports struct {
				CodeQuality string `yaml:"codequality"`
			} `yaml:"reports"`
		} `yaml:"artifacts"`
		IDTokens map[string]map[string]string `yaml:"id_tokens"`
	}
}

var inputRef = regexp.MustCompile(`\$\[\[ inputs\.([a-z-]+) \]\]`)

func loadComponent(t *testing.T, inputs map[string]string) component {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "templates", "catalog-lint.yml"))
	if err != nil {
		t.Fatal(err)
	}
	head, body, ok := strings.Cut(string(data), "\n---\n")
	if !ok {
		t.Fatal("the component has no spec header followed by ---")
	}
	var spec struct {
		Spec struct {
			Inputs map[string]struct {
				Default any `yaml:"default"`
			} `yaml:"inputs"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal([]byte(head), &spec); err != nil {
		t.Fatal(err)
	}
	c := component{defaults: map[string]string{}}
	for name, in := range spec.Spec.Inputs {
		b, _ := json.Marshal(in.Default)
		c.defaults[name] = strings.Trim(string(b), `"`)
	}
	body = inputRef.ReplaceAllStringFunc(body, func(ref string) string {
		name := inputRef.FindStringSubmatch(ref)[1]
		if v, ok := inputs[name]; ok {
			return v
		}
		v, ok := c.defaults[name]
		if !ok {
			t.Errorf("the job uses input %q, which the spec does not declare", name)
		}
		return v
	})
	var jobs map[string]yaml.Node
	if err := yaml.Unmarshal([]byte(body), &jobs); err != nil {
		t.Fatal(err)
	}
	node, ok := jobs["catalog-lint"]
	if !ok {
		t.Fatal("no catalog-lint job")
	}
	if err := node.Decode(&c.job); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestGitLabComponent runs the component's script as GitLab's runner would, with the variables GitLab
// sets in a merge request pipeline, on a small repository, with this commit's catalog-lint on PATH.
func TestGitLabComponent(t *testing.T) {
	for _, tool := range []string{"git", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	c := loadComponent(t, nil)
	if c.job.Image.Name != "ghcr.io/catalog-lint/catalog-lint:latest" || len(c.job.Image.Entrypoint) != 1 ||
		c.job.Artifacts.Reports.CodeQuality != "gl-code-quality-report.json" || len(c.job.AllowFailure.ExitCodes) != 1 ||
		c.job.AllowFailure.ExitCodes[0] != 3 || c.job.IDTokens["CATALOG_LINT_ID_TOKEN"]["aud"] != "catalog-lint" {
		t.Errorf("job: %+v", c.job)
	}
	bin := filepath.Dir(catalogLintBinary(t)) // the folder holding catalog-lint, put on PATH

	repo := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(repo, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	entity := func(name string) string {
		return "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: " + name + "\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"
	}
	git("init", "-q")
	write("old/catalog-info.yaml", entity("old one")) // an error already on the target branch
	write("org.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-a\nspec:\n  type: team\n  children: []\n")
	git("add", "-A")
	git("commit", "-qm", "base")
	base := git("rev-parse", "HEAD")
	write("new/catalog-info.yaml", entity("new one"))
	write("README.md", "not YAML\n")
	git("add", "-A")
	git("commit", "-qm", "merge request")
	head := git("rev-parse", "HEAD")

	run := func(c component, extra map[string]string) (int, string, []map[string]any) {
		t.Helper()
		os.Remove(filepath.Join(repo, "gl-code-quality-report.json"))
		env := []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + t.TempDir(),
			"CI=true", "GITLAB_CI=true", "CI_PROJECT_DIR=" + repo, "CI_PROJECT_URL=https://gitlab.example.com/acme/catalog",
			"CI_PIPELINE_SOURCE=merge_request_event", "CI_COMMIT_SHA=" + head, "CI_MERGE_REQUEST_IID=7",
			"CI_MERGE_REQUEST_DIFF_BASE_SHA=" + base, "CATALOG_LINT_ID_TOKEN=", "GIT_CONFIG_GLOBAL=/dev/null"}
		keys := make([]string, 0, len(c.job.Variables))
		for k := range c.job.Variables {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			env = append(env, k+"="+c.job.Variables[k])
		}
		for k, v := range extra {
			env = append(env, k+"="+v)
		}
		cmd := exec.Command("sh", "-c", strings.Join(c.job.Script, "\n"))
		cmd.Dir, cmd.Env = repo, env
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		var issues []map[string]any
		data, rerr := os.ReadFile(filepath.Join(repo, "gl-code-quality-report.json"))
		if rerr != nil {
			t.Fatalf("no Code Quality report: %v\n%s", rerr, out)
		}
		if err := json.Unmarshal(data, &issues); err != nil {
			t.Fatalf("report: %v\n%s", err, data)
		}
		return code, string(out), issues
	}
	paths := func(issues []map[string]any) []string {
		var out []string
		for _, is := range issues {
			out = append(out, is["location"].(map[string]any)["path"].(string))
		}
		return out
	}

	// Defaults: the whole project; the job fails on the errors, the report has them all.
	code, out, issues := run(c, nil)
	if code != 1 || strings.Join(paths(issues), " ") != "new/catalog-info.yaml old/catalog-info.yaml" || !strings.Contains(out, "[entity-name-format]") {
		t.Errorf("defaults: exit %d, issues in %v\n%s", code, paths(issues), out)
	}
	// only-changed: the merge request's files, against the whole catalog (its owner, team-a, is in org.yaml).
	code, out, issues = run(loadComponent(t, map[string]string{"only-changed": "true"}), nil)
	if code != 1 || strings.Join(paths(issues), " ") != "new/catalog-info.yaml" || strings.Contains(out, "relation-target-missing") {
		t.Errorf("only-changed: exit %d, issues in %v\n%s", code, paths(issues), out)
	}
	// fail-on none: the report, and a job that passes.
	if code, out, issues = run(loadComponent(t, map[string]string{"fail-on": "none"}), nil); code != 0 || len(issues) != 2 {
		t.Errorf("fail-on none: exit %d, %d issues\n%s", code, len(issues), out)
	}
	// A Backstage catalog that cannot be asked: exit 3, which allow_failure.exit_codes makes a warning.
	if code, out, _ = run(loadComponent(t, map[string]string{"backstage-url": "http://127.0.0.1:1", "only-changed": "true"}), nil); code != 1 ||
		!strings.Contains(out, "catalog-unverified") {
		t.Errorf("backstage down: exit %d\n%s", code, out)
	}
	if code, out, _ = run(loadComponent(t, map[string]string{"backstage-url": "http://127.0.0.1:1", "fail-on": "none"}), nil); code != 3 {
		t.Errorf("backstage down, fail-on none: exit %d, want 3 (allow_failure: exit_codes: [3])\n%s", code, out)
	}
	// A merge request that changes no YAML file: an empty report, a passing job.
	git("checkout", "-q", "-b", "docs", base)
	write("docs.md", "text\n")
	git("add", "-A")
	git("commit", "-qm", "docs only")
	head = git("rev-parse", "HEAD")
	if code, out, issues = run(loadComponent(t, map[string]string{"only-changed": "true"}), nil); code != 0 || len(issues) != 0 {
		t.Errorf("no YAML changed: exit %d, %d issues\n%s", code, len(issues), out)
	}

	// Keyless Sentry: the job's GitLab OIDC token (id_tokens: CATALOG_LINT_ID_TOKEN) is exchanged at
	// the broker for a short-lived Sentry token, with which the project is looked up.
	sentry := sentrytest.New()
	defer sentry.Close()
	sentry.AddProjects("acme", sentrytest.Project{ID: "11", Slug: "payments", Name: "Payments"})
	broker := brokertest.New()
	defer broker.Close()
	broker.Resource = sentry.URL + "/api/0"
	broker.AcceptSubject = func(token, _ string) error {
		if token != "gitlab-oidc-jwt-of-this-job" {
			return errors.New("untrusted subject")
		}
		return nil
	}
	sentry.Authorize = func(token string) (sentrytest.Token, bool) {
		_, ok := broker.Valid(token)
		return sentrytest.Token{Scopes: []string{"org:read", "project:read"}}, ok
	}
	write("sentry/catalog-info.yaml", strings.Replace(entity("pay"), "metadata:\n  name: pay\n",
		"metadata:\n  name: pay\n  annotations:\n    sentry.io/project-slug: acme/paymnets\n", 1))
	git("add", "-A")
	git("commit", "-qm", "sentry")
	head = git("rev-parse", "HEAD")
	keyless := loadComponent(t, map[string]string{"only-changed": "true", "sentry-url": sentry.URL, "sentry-token-exchange-issuer": broker.Issuer()})
	code, out, issues = run(keyless, map[string]string{"CATALOG_LINT_ID_TOKEN": "gitlab-oidc-jwt-of-this-job"})
	if code != 1 || len(issues) != 1 || issues[0]["check_name"] != "sentry-project-exists" || broker.Exchanges() != 1 {
		t.Errorf("keyless Sentry: exit %d, %d exchanges, issues %v\n%s", code, broker.Exchanges(), issues, out)
	}
	if got := broker.LastRequest(); got.Get("subject_token") != "gitlab-oidc-jwt-of-this-job" || got.Get("audience") != "catalog-lint" {
		t.Errorf("exchange request: %v", got)
	}
	if strings.Contains(out, "gitlab-oidc-jwt-of-this-job") {
		t.Error("the job's OIDC token was printed")
	}
}

// TestGitLabDocsExample: the .gitlab-ci.yml of docs/gitlab.md includes the component with inputs it
// declares.
func TestGitLabDocsExample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "gitlab.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(data), "```yaml\n")
	block, _, _ := strings.Cut(rest, "```")
	var ci struct {
		Include []struct {
			Component string         `yaml:"component"`
			Inputs    map[string]any `yaml:"inputs"`
		} `yaml:"include"`
	}
	if err := yaml.Unmarshal([]byte(block), &ci); err != nil || len(ci.Include) != 1 {
		t.Fatalf("%v: %+v", err, ci)
	}
	c := loadComponent(t, nil)
	if !strings.HasSuffix(strings.Split(ci.Include[0].Component, "@")[0], "/catalog-lint") {
		t.Errorf("component %q", ci.Include[0].Component)
	}
	for name := range ci.Include[0].Inputs {
		if _, ok := c.defaults[name]; !ok {
			t.Errorf("the example sets input %q, which the component does not declare", name)
		}
	}
}
