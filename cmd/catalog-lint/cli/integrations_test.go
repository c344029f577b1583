package cli

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/catalog-lint/catalog-lint/integrations/integrationstest"
)

func withAnnotations(name string, kv ...string) string {
	s := strings.Replace(good, "name: payments", "name: "+name, 1)
	ann := "metadata:\n  name: " + name + "\n  annotations:\n"
	for i := 0; i+1 < len(kv); i += 2 {
		ann += "    " + kv[i] + ": " + kv[i+1] + "\n"
	}
	return strings.Replace(s, "metadata:\n  name: "+name+"\n", ann, 1)
}

// TestIntegrationsCheck runs check against fake SonarQube, PagerDuty, Jira and GitLab: settings from
// the environment and flags, missing objects are errors (exit 1), a moved project is fixed, a service
// that cannot be asked gives exit 3, JSON names the services, and no token is printed.
func TestIntegrationsCheck(t *testing.T) {
	sonar := integrationstest.SonarQube("squ_cli_token_0001", "acme_payments")
	pd := integrationstest.PagerDuty("pd_cli_token_0001", "PPAY001")
	jira := integrationstest.Jira("", "jira_cli_token_0001", []string{"PAY"}, nil)
	gitlab := integrationstest.GitLab("glpat-cli-token-0001", []string{"acme/payments"}, map[string]string{"acme/pay": "acme/payments"})
	for _, s := range []*integrationstest.Server{sonar, pd, jira, gitlab} {
		defer s.Close()
	}
	env := map[string]string{"SONARQUBE_TOKEN": "squ_cli_token_0001",
		"PAGERDUTY_URL": pd.URL, "PAGERDUTY_TOKEN": "pd_cli_token_0001",
		"JIRA_URL": jira.URL, "JIRA_TOKEN": "jira_cli_token_0001",
		"GITLAB_URL": gitlab.URL, "GITLAB_TOKEN": "glpat-cli-token-0001"}
	tokens := []string{"squ_cli_token_0001", "pd_cli_token_0001", "jira_cli_token_0001", "glpat-cli-token-0001"}
	noTokens := func(r run) {
		t.Helper()
		for _, tok := range tokens {
			if strings.Contains(r.stdout+r.stderr, tok) {
				t.Errorf("a token was printed: %s", tok)
			}
		}
	}
	dir := writeTree(t, map[string]string{
		"ok/catalog-info.yaml": withAnnotations("ok", "sonarqube.org/project-key", "acme_payments", "pagerduty.com/service-id", "PPAY001",
			"jira/project-key", "PAY", "gitlab.com/project-slug", "acme/payments"),
		"moved/catalog-info.yaml": withAnnotations("moved", "gitlab.com/project-slug", "acme/pay"),
	})

	// SonarQube's address from the flag; everything exists once the move is fixed.
	r := cli(t, dir, env, "", "check", "--sonarqube-url", sonar.URL, "--fix", ".")
	if r.code != ExitOK || !strings.Contains(r.stderr, "fixed 1 problem in 1 file") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "moved", "catalog-info.yaml")); !strings.Contains(string(data), "gitlab.com/project-slug: acme/payments\n") {
		t.Errorf("not fixed:\n%s", data)
	}
	noTokens(r)

	// Missing objects are errors; JSON names the services asked.
	if err := os.MkdirAll(filepath.Join(dir, "bad"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad", "catalog-info.yaml"), []byte(withAnnotations("bad", "sonarqube.org/project-key", "acme_paymnets",
		"pagerduty.com/service-id", "PPAY404", "jira.com/project-key", "PYA", "gitlab.com/project-slug", "acme/paymnets")), 0o644); err != nil {
		t.Fatal(err)
	}
	env["SONARQUBE_URL"] = sonar.URL
	r = cli(t, dir, env, "", "check", "--format", "json", ".")
	var out struct {
		Services []string
		Findings []struct{ Rule string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	var rules []string
	for _, f := range out.Findings {
		rules = append(rules, f.Rule)
	}
	sort.Strings(rules)
	if r.code != ExitFindings || strings.Join(rules, " ") != "gitlab-project-exists jira-project-exists pagerduty-service-exists sonarqube-project-exists" ||
		strings.Join(out.Services, " ") != "gitlab jira pagerduty sonarqube" {
		t.Errorf("exit %d, rules %v, services %v\n%s", r.code, rules, out.Services, r.stderr)
	}
	noTokens(r)

	// One service cannot be asked: its values are unverified (exit 3), never missing.
	if err := os.RemoveAll(filepath.Join(dir, "bad")); err != nil {
		t.Fatal(err)
	}
	jira.Fail = func(*http.Request) int { return http.StatusServiceUnavailable }
	r = cli(t, dir, env, "", "check", ".")
	if r.code != ExitUnverified || !strings.Contains(r.stdout, "[jira-project-unverified]") || strings.Contains(r.stdout, "[jira-project-exists]") ||
		!strings.Contains(r.stderr, "could not be verified (Jira)") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	noTokens(r)

	// A wrong token echoed back by the service never reaches the output.
	jira.Fail = nil
	env["PAGERDUTY_TOKEN"] = "pd_wrong_token_0002"
	tokens = append(tokens, "pd_wrong_token_0002")
	pd.Fail = func(*http.Request) int { return http.StatusUnauthorized }
	r = cli(t, dir, env, "", "check", ".")
	if r.code != ExitUnverified || !strings.Contains(r.stderr, "PagerDuty rejected the token (401)") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	noTokens(r)

	// Without tokens: skipped with one notice per integration whose annotations the files use.
	r = cli(t, dir, map[string]string{}, "", "check", ".")
	if r.code != ExitOK || strings.Count(r.stderr, "is not set, so") != 4 || !strings.Contains(r.stderr, "gitlab: GITLAB_TOKEN is not set, so 2 gitlab.com/project-slug annotations were not checked against GitLab") {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
	// --offline asks nothing and says nothing about them.
	r = cli(t, dir, env, "", "check", "--offline", ".")
	if r.code != ExitOK || strings.Contains(r.stderr, "is not set, so") {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
}

// TestIntegrationFlags: addresses are flags of check and serve's CLI side; tokens never are (they would
// show in process lists), and the Action takes no GitHub token for them from its github-token input.
func TestIntegrationFlags(t *testing.T) {
	r := cli(t, t.TempDir(), map[string]string{}, "", "check", "--help")
	for _, want := range []string{"-sonarqube-url", "-pagerduty-url", "-jira-url", "-jira-email", "-gitlab-url"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("check --help lacks %s", want)
		}
	}
	if m := regexp.MustCompile(`-(sonarqube|pagerduty|jira|gitlab|github)-token`).FindString(r.stderr); m != "" {
		t.Errorf("a token is a flag: %s", m)
	}
}
