package integrations_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/catalog-lint/catalog-lint/integrations"
	"github.com/catalog-lint/catalog-lint/integrations/integrationstest"
	"github.com/catalog-lint/catalog-lint/linter"
)

// entity is a Component with the given annotations (key: value pairs).
func entity(name string, annotations ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: %s\n  annotations:\n", name)
	for i := 0; i+1 < len(annotations); i += 2 {
		fmt.Fprintf(&b, "    %s: %q\n", annotations[i], annotations[i+1])
	}
	b.WriteString("spec:\n  type: service\n  lifecycle: production\n  owner: team-a\n")
	return b.String()
}

// connect builds the integrations from env, waits cut short, and registers them.
func connect(t testing.TB, env map[string]string, tune func(r *integrations.Resolver)) (integrations.Connected, map[*linter.Rule]linter.Resolver) {
	t.Helper()
	c, err := integrations.Connect(func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range c.Resolvers {
		r.Sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
		r.MaxWait = time.Minute
		if tune != nil {
			tune(r)
		}
	}
	return c, c.Register(nil)
}

// lint lints docs (one file each) with the integrations' rules.
func lint(t testing.TB, resolvers map[*linter.Rule]linter.Resolver, docs ...string) *linter.Result {
	t.Helper()
	l, err := linter.New(linter.Options{Rules: append(linter.BuiltinRules(), integrations.Rules()...), Resolvers: resolvers, Jobs: 4})
	if err != nil {
		t.Fatal(err)
	}
	var inputs []linter.Input
	for i, d := range docs {
		inputs = append(inputs, linter.Input{Name: fmt.Sprintf("e%04d/catalog-info.yaml", i), Reader: strings.NewReader(d)})
	}
	return l.LintInputs(context.Background(), inputs)
}

func messages(res *linter.Result) []string {
	var out []string
	for _, f := range res.Findings {
		s := f.Rule + ": " + f.Message
		if f.Fix != nil {
			s += " [fix: " + f.Fix.Replacement + "]"
		}
		out = append(out, s)
	}
	return out
}

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		i            *integrations.Integration
		key, value   string
		wantProblem  string // a part of the problem, "" for none
		wantKey      string
		wantInstance string
	}{
		{integrations.SonarQube, "sonarqube.org/project-key", "acme_payments", "", "acme_payments", ""},
		{integrations.SonarQube, "sonarqube.org/project-key", "eu/acme:payments", "", "acme:payments", "eu"},
		{integrations.SonarQube, "sonarqube.org/project-key", "acme payments", "is not a SonarQube project key", "", ""},
		{integrations.SonarQube, "sonarqube.org/project-key", "12345", "not only digits", "", ""},
		{integrations.SonarQube, "sonarqube.org/project-key", "e u/key", "is not an instance name", "", ""},
		{integrations.SonarQube, "sonarqube.org/project-key", "", "is empty", "", ""},
		{integrations.PagerDuty, "pagerduty.com/service-id", "PABC123", "", "PABC123", ""},
		{integrations.PagerDuty, "pagerduty.com/service-id", "pabc123", "is not a PagerDuty service ID", "", ""},
		{integrations.PagerDuty, "pagerduty.com/service-id", "https://acme.pagerduty.com/service-directory/PABC123", `set it to the service's ID "PABC123"`, "", ""},
		{integrations.PagerDuty, "pagerduty.com/service-id", " PABC123", "spaces around", "", ""},
		{integrations.Jira, "jira/project-key", "PAY", "", "PAY", ""},
		{integrations.Jira, "jira.com/project-key", "pay", "", "PAY", ""},
		{integrations.Jira, "jira/project-key", "PAY-123", `is an issue key; set it to the project's key "PAY"`, "", ""},
		{integrations.Jira, "jira/project-key", "1PAY", "is not a Jira project key", "", ""},
		{integrations.GitLab, "gitlab.com/project-slug", "acme/sub/payments", "", "path:acme/sub/payments", ""},
		{integrations.GitLab, "gitlab.com/project-slug", "payments", "has no group", "", ""},
		{integrations.GitLab, "gitlab.com/project-slug", "https://gitlab.com/acme/payments.git", `is an address; set it to the project's path "acme/payments"`, "", ""},
		{integrations.GitLab, "gitlab.com/project-slug", "acme/payments.git", "no .git", "", ""},
		{integrations.GitLab, "gitlab.com/project-id", "4242", "", "id:4242", ""},
		{integrations.GitLab, "gitlab.com/project-id", "acme", "is not a GitLab project ID", "", ""},
	} {
		v, problem := tt.i.Parse(tt.key, tt.value, func(string) string { return "" })
		switch {
		case tt.wantProblem == "" && problem != "":
			t.Errorf("%s %q: unexpected problem %q", tt.key, tt.value, problem)
		case tt.wantProblem != "" && !strings.Contains(problem, tt.wantProblem):
			t.Errorf("%s %q: problem %q, want one with %q", tt.key, tt.value, problem, tt.wantProblem)
		case tt.wantProblem == "" && (v.Key != tt.wantKey || v.Instance != tt.wantInstance):
			t.Errorf("%s %q: key %q instance %q, want %q %q", tt.key, tt.value, v.Key, v.Instance, tt.wantKey, tt.wantInstance)
		}
	}
}

func TestFormatRules(t *testing.T) {
	res := lint(t, nil, entity("a", "sonarqube.org/project-key", "acme payments", "pagerduty.com/service-id", "pabc",
		"jira/project-key", "PAY-1", "gitlab.com/project-slug", "payments", "pagerduty.com/integration-key", "0123456789abcdef"))
	got := strings.Join(messages(res), "\n")
	for _, want := range []string{"sonarqube-project-format:", "pagerduty-service-format:", "jira-project-format:", "gitlab-project-format:", "pagerduty-integration-key:"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %s finding in:\n%s", want, got)
		}
	}
	for _, r := range res.Skipped {
		if !r.Network {
			t.Errorf("%s skipped without resolvers, but it is not a network rule", r.ID)
		}
	}
	if len(res.Skipped) != len(integrations.All()) {
		t.Errorf("without tokens %d rules are skipped, want the %d exists rules", len(res.Skipped), len(integrations.All()))
	}
}

// fakes are the four services of a test, each knowing the objects it is given.
type fakes struct {
	sonar, pd, jira, gitlab *integrationstest.Server
}

func (f fakes) env() map[string]string {
	return map[string]string{
		"SONARQUBE_URL": f.sonar.URL, "SONARQUBE_TOKEN": "squ_sonar_secret_token",
		"PAGERDUTY_URL": f.pd.URL, "PAGERDUTY_TOKEN": "pd_secret_token_123",
		"JIRA_URL": f.jira.URL, "JIRA_EMAIL": "bot@acme.example", "JIRA_TOKEN": "jira_secret_token",
		"GITLAB_URL": f.gitlab.URL, "GITLAB_TOKEN": "glpat-secret-token-123",
	}
}

func (f fakes) close() {
	f.sonar.Close()
	f.pd.Close()
	f.jira.Close()
	f.gitlab.Close()
}

func newFakes() fakes {
	return fakes{
		sonar:  integrationstest.SonarQube("squ_sonar_secret_token", "acme_payments"),
		pd:     integrationstest.PagerDuty("pd_secret_token_123", "PPAY001"),
		jira:   integrationstest.Jira("bot@acme.example", "jira_secret_token", []string{"PAY"}, map[string]string{"PAYOLD": "PAY"}),
		gitlab: integrationstest.GitLab("glpat-secret-token-123", []string{"acme/payments", "acme/platform/checkout"}, map[string]string{"acme/checkout": "acme/platform/checkout"}),
	}
}

func TestVerdicts(t *testing.T) {
	f := newFakes()
	defer f.close()
	_, resolvers := connect(t, f.env(), nil)
	res := lint(t, resolvers,
		entity("found", "sonarqube.org/project-key", "acme_payments", "pagerduty.com/service-id", "PPAY001",
			"jira/project-key", "PAY", "gitlab.com/project-slug", "acme/payments"),
		entity("missing", "sonarqube.org/project-key", "acme_paymnets", "pagerduty.com/service-id", "PPAY404",
			"jira.com/project-key", "PYA", "gitlab.com/project-slug", "acme/paymnets"),
		entity("moved", "jira/project-key", "PAYOLD", "gitlab.com/project-slug", "acme/checkout", "gitlab.com/project-id", "2"),
		entity("by-id-missing", "gitlab.com/project-id", "99"),
	)
	want := []string{
		`sonarqube-project-exists: SonarQube project "acme_paymnets" does not exist`,
		`pagerduty-service-exists: PagerDuty service "PPAY404" does not exist`,
		`jira-project-exists: Jira project "PYA" does not exist, or the token's account cannot browse it (Jira answers 404 to both)`,
		`gitlab-project-exists: GitLab project "acme/paymnets" does not exist`,
		`jira-project-exists: Jira project "PAYOLD" moved to "PAY"; set jira/project-key to "PAY" [fix: "PAY"]`,
		`gitlab-project-exists: GitLab project "acme/checkout" moved to "acme/platform/checkout"; set gitlab.com/project-slug to "acme/platform/checkout" [fix: "acme/platform/checkout"]`,
		`gitlab-project-exists: GitLab project "99" does not exist`,
	}
	got := messages(res)
	if strings.Join(sorted(got), "\n") != strings.Join(sorted(want), "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if res.Inconclusive != 0 {
		t.Errorf("Inconclusive = %d, want 0", res.Inconclusive)
	}
	// The GitLab path is sent with its slashes escaped, as the API asks.
	if _, paths := f.gitlab.Requests(); paths["/api/v4/projects/acme%2Fcheckout?"] != 1 {
		t.Errorf("GitLab requests: %v", paths)
	}
}

func sorted(s []string) []string {
	out := append([]string{}, s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestUnverified: 401, 403, 5xx, a rate limit longer than the wait, a timeout and an instance that
// is not configured are "could not verify", never "missing"; no token reaches a message.
func TestUnverified(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status int
		want   string
	}{
		{"401", http.StatusUnauthorized, "rejected the token (401)"},
		{"403", http.StatusForbidden, "refused the token (403)"},
		{"500", http.StatusInternalServerError, "answered 500 Internal Server Error"},
		{"503", http.StatusServiceUnavailable, "answered 503 Service Unavailable"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakes()
			defer f.close()
			for _, s := range []*integrationstest.Server{f.sonar, f.pd, f.jira, f.gitlab} {
				s.Fail = func(*http.Request) int { return tt.status }
			}
			_, resolvers := connect(t, f.env(), nil)
			res := lint(t, resolvers, entity("x", "sonarqube.org/project-key", "acme_paymnets", "pagerduty.com/service-id", "PPAY404",
				"jira/project-key", "PYA", "gitlab.com/project-slug", "acme/paymnets"))
			checkUnverified(t, res, f.env(), 4, tt.want)
		})
	}
	t.Run("rate limit", func(t *testing.T) {
		f := newFakes()
		defer f.close()
		var mu sync.Mutex // lookups run in parallel
		var snoozed []string
		_, resolvers := connect(t, f.env(), func(r *integrations.Resolver) {
			r.MaxWait = 0 // serve: a rate limit is never waited out in the job
			r.OnRateLimit = func(_ context.Context, wait time.Duration, reason string) {
				mu.Lock()
				defer mu.Unlock()
				snoozed = append(snoozed, fmt.Sprintf("%s %s", reason, wait))
			}
		})
		for _, s := range []*integrationstest.Server{f.sonar, f.pd, f.jira, f.gitlab} {
			s.Throttle(1, 90*time.Second)
		}
		res := lint(t, resolvers, entity("x", "sonarqube.org/project-key", "acme_paymnets", "pagerduty.com/service-id", "PPAY404",
			"jira/project-key", "PYA", "gitlab.com/project-slug", "acme/paymnets"))
		checkUnverified(t, res, f.env(), 4, "rate limit was reached")
		if len(snoozed) != 4 {
			t.Errorf("OnRateLimit told %v, want the 4 services", snoozed)
		}
		for _, s := range snoozed {
			if !strings.HasSuffix(s, "rate limit 1m30s") && !strings.HasSuffix(s, "rate limit 1m29s") {
				t.Errorf("snoozed %q, want the 90 s the headers say", s)
			}
		}
	})
	t.Run("rate limit waited out", func(t *testing.T) {
		f := newFakes()
		defer f.close()
		var mu sync.Mutex
		var waits []time.Duration
		_, resolvers := connect(t, f.env(), func(r *integrations.Resolver) {
			r.Sleep = func(_ context.Context, d time.Duration) error {
				mu.Lock()
				defer mu.Unlock()
				waits = append(waits, d)
				return nil
			}
		})
		for _, s := range []*integrationstest.Server{f.sonar, f.pd, f.jira, f.gitlab} {
			s.Throttle(1, 20*time.Second)
		}
		res := lint(t, resolvers, entity("x", "sonarqube.org/project-key", "acme_paymnets", "pagerduty.com/service-id", "PPAY404",
			"jira/project-key", "PYA", "gitlab.com/project-slug", "acme/paymnets"))
		if n := len(res.Findings); n != 4 || res.Inconclusive != 0 {
			t.Errorf("after the waits: %d findings, %d inconclusive, want the 4 missing:\n%s", n, res.Inconclusive, strings.Join(messages(res), "\n"))
		}
		if len(waits) != 4 {
			t.Errorf("waited %v, want once per service", waits)
		}
		for _, w := range waits {
			if w < 15*time.Second || w > 21*time.Second {
				t.Errorf("waited %s, want the 20 s the headers say", w)
			}
		}
	})
	t.Run("timeout", func(t *testing.T) {
		f := newFakes()
		defer f.close()
		_, resolvers := connect(t, f.env(), nil)
		f.pd.Latency = 300 * time.Millisecond
		l, err := linter.New(linter.Options{Rules: append(linter.BuiltinRules(), integrations.Rules()...), Resolvers: resolvers, Jobs: 1})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		found, _ := l.LintBytes(ctx, "catalog-info.yaml", []byte(entity("x", "pagerduty.com/service-id", "PPAY404")))
		for _, f := range found {
			if f.Rule == "pagerduty-service-exists" {
				t.Errorf("a timeout was reported as missing: %s", f.Message)
			}
		}
	})
	t.Run("instances", func(t *testing.T) {
		f := newFakes()
		defer f.close()
		_, resolvers := connect(t, f.env(), nil)
		res := lint(t, resolvers, entity("x", "sonarqube.org/project-key", "eu/acme_payments",
			"gitlab.com/project-slug", "acme/paymnets", "gitlab.com/instance", "gitlab.evil.example"))
		checkUnverified(t, res, f.env(), 2, "is not")
		if total, _ := f.gitlab.Requests(); total != 0 {
			t.Errorf("%d requests went to GitLab for another instance's project", total)
		}
	})
}

func checkUnverified(t *testing.T, res *linter.Result, env map[string]string, n int, reason string) {
	t.Helper()
	if res.Inconclusive != n {
		t.Errorf("Inconclusive = %d, want %d", res.Inconclusive, n)
	}
	for _, f := range res.Findings {
		if !strings.HasSuffix(f.Rule, "-unverified") || !strings.Contains(f.Message, reason) {
			t.Errorf("%s: %s (want only -unverified findings saying %q)", f.Rule, f.Message, reason)
		}
	}
	all := strings.Join(append(messages(res), res.Notices...), "\n")
	for k, v := range env {
		if strings.Contains(k, "TOKEN") && strings.Contains(all, v) {
			t.Errorf("%s's value appears in the output:\n%s", k, all)
		}
	}
	if len(res.Notices) == 0 {
		t.Error("no notice says why")
	}
}

// TestCacheAcrossRuns: serve's cache answers a value again within its TTL without a request.
func TestCacheAcrossRuns(t *testing.T) {
	f := newFakes()
	defer f.close()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	cache := &integrations.Cache{TTL: 10 * time.Minute, Now: func() time.Time { return now }}
	doc := entity("x", "pagerduty.com/service-id", "PPAY404")
	for i, want := range []int{1, 1, 2} {
		if i == 2 {
			now = now.Add(11 * time.Minute)
		}
		_, resolvers := connect(t, f.env(), func(r *integrations.Resolver) { r.Cache = cache })
		if res := lint(t, resolvers, doc); len(res.Findings) != 1 {
			t.Fatalf("run %d: %v", i, messages(res))
		}
		if total, _ := f.pd.Requests(); total != want {
			t.Errorf("after run %d: %d requests, want %d", i+1, total, want)
		}
	}
}

// catalog1000 is the repository of issue 20's "done when": 1,000 entities naming 300 distinct
// values per integration, 10 of each missing and 1 GitLab project moved.
func catalog1000() (docs []string, f fakes) {
	var sonar, pd, jiraKeys, gitlab []string
	for i := 0; i < 290; i++ {
		sonar = append(sonar, fmt.Sprintf("acme_svc%03d", i))
		pd = append(pd, fmt.Sprintf("PSVC%03d", i))
		jiraKeys = append(jiraKeys, fmt.Sprintf("SVC%03d", i))
		gitlab = append(gitlab, fmt.Sprintf("acme/svc%03d", i))
	}
	f = fakes{
		sonar:  integrationstest.SonarQube("squ_sonar_secret_token", sonar...),
		pd:     integrationstest.PagerDuty("pd_secret_token_123", pd...),
		jira:   integrationstest.Jira("bot@acme.example", "jira_secret_token", jiraKeys, nil),
		gitlab: integrationstest.GitLab("glpat-secret-token-123", append(gitlab, "acme/platform/svc-moved"), map[string]string{"acme/svc289": "acme/platform/svc-moved"}),
	}
	// acme/svc289 moved: the fake answers its old path with the new one, and no longer knows it by
	// the old path itself.
	for i := 0; i < 1000; i++ {
		v := i % 300 // values 290-299 are missing
		docs = append(docs, entity(fmt.Sprintf("svc-%04d", i),
			"sonarqube.org/project-key", fmt.Sprintf("acme_svc%03d", v),
			"pagerduty.com/service-id", fmt.Sprintf("PSVC%03d", v),
			"jira/project-key", fmt.Sprintf("SVC%03d", v),
			"gitlab.com/project-slug", fmt.Sprintf("acme/svc%03d", v)))
	}
	return docs, f
}

func TestThousandEntities(t *testing.T) {
	docs, f := catalog1000()
	defer f.close()
	for _, s := range []*integrationstest.Server{f.sonar, f.pd, f.jira, f.gitlab} {
		s.Latency = 2 * time.Millisecond
	}
	_, resolvers := connect(t, f.env(), nil)
	res := lint(t, resolvers, docs...)
	missing := map[string]map[string]bool{}
	fixes := 0
	for _, fd := range res.Findings {
		if fd.Fix != nil {
			fixes++
			if fd.Fix.Replacement != `"acme/platform/svc-moved"` {
				t.Errorf("fix %q", fd.Fix.Replacement)
			}
			continue
		}
		if fd.Severity != linter.SeverityError || !strings.HasSuffix(fd.Rule, "-exists") {
			t.Errorf("unexpected %s: %s", fd.Rule, fd.Message)
			continue
		}
		if missing[fd.Rule] == nil {
			missing[fd.Rule] = map[string]bool{}
		}
		missing[fd.Rule][fd.Message] = true
	}
	for _, rule := range []string{"sonarqube-project-exists", "pagerduty-service-exists", "jira-project-exists", "gitlab-project-exists"} {
		if len(missing[rule]) != 10 {
			t.Errorf("%s: %d distinct missing values, want 10", rule, len(missing[rule]))
		}
	}
	// 1,000 entities over 300 values: values 0-99 are named 4 times, the rest 3 times.
	if fixes != 3 {
		t.Errorf("%d fixes, want the moved project's 3 annotations", fixes)
	}
	for name, s := range map[string]*integrationstest.Server{"sonarqube": f.sonar, "pagerduty": f.pd, "jira": f.jira, "gitlab": f.gitlab} {
		total, paths := s.Requests()
		if total != 300 || len(paths) != 300 {
			t.Errorf("%s: %d requests for %d values, want one per distinct value (300)", name, total, len(paths))
		}
		if m := s.MaxInFlight(); m > 8 {
			t.Errorf("%s: %d requests in flight at once, want at most 8", name, m)
		}
	}
	if res.Inconclusive != 0 {
		t.Errorf("Inconclusive = %d", res.Inconclusive)
	}
}

// TestOneServiceDown: when one service answers 401 and another 503, their values are unverified and
// none is missing; the others still report theirs.
func TestOneServiceDown(t *testing.T) {
	docs, f := catalog1000()
	defer f.close()
	f.sonar.Fail = func(*http.Request) int { return http.StatusUnauthorized }
	f.jira.Fail = func(*http.Request) int { return http.StatusServiceUnavailable }
	_, resolvers := connect(t, f.env(), nil)
	res := lint(t, resolvers, docs...)
	count := map[string]int{}
	for _, fd := range res.Findings {
		count[fd.Rule]++
	}
	for rule, want := range map[string]int{
		"sonarqube-project-exists": 0, "sonarqube-project-unverified": 1000,
		"jira-project-exists": 0, "jira-project-unverified": 1000,
		"pagerduty-service-exists": 30, "gitlab-project-exists": 33, // 10 values missing, 3 entities each, and the moved one's 3
	} {
		if count[rule] != want {
			t.Errorf("%s: %d findings, want %d", rule, count[rule], want)
		}
	}
	if res.Inconclusive != 2000 {
		t.Errorf("Inconclusive = %d, want 2000", res.Inconclusive)
	}
}

// BenchmarkIntegrations: the 1,000-entity repository with 20 ms of latency per request.
func BenchmarkIntegrations(b *testing.B) {
	docs, f := catalog1000()
	defer f.close()
	for _, s := range []*integrationstest.Server{f.sonar, f.pd, f.jira, f.gitlab} {
		s.Latency = 20 * time.Millisecond
	}
	for i := 0; i < b.N; i++ {
		_, resolvers := connect(b, f.env(), nil)
		res := lint(b, resolvers, docs...)
		if len(res.Findings) != 4*30+3 {
			b.Fatalf("%d findings", len(res.Findings))
		}
	}
	total := 0
	for _, s := range []*integrationstest.Server{f.sonar, f.pd, f.jira, f.gitlab} {
		n, _ := s.Requests()
		total += n
	}
	b.ReportMetric(float64(total)/float64(b.N), "requests/op")
}

// TestWithoutTokens: an integration without its token is left out, with one notice when the run
// names its objects and none when it does not.
func TestWithoutTokens(t *testing.T) {
	c, resolvers := connect(t, map[string]string{"GITLAB_URL": "https://gitlab.example"}, nil)
	if len(c.Resolvers) != 0 {
		t.Fatalf("connected %v", c.Names())
	}
	for _, i := range integrations.All() {
		// Sentry is connected by its caller (a token exchange, the repository's sentry section).
		if _, skipped := c.Skipped[i.Name]; skipped != (i != integrations.Sentry) {
			t.Errorf("%s skipped: %v (%v)", i.Name, skipped, c.Skipped)
		}
	}
	res := lint(t, resolvers, entity("a", "sonarqube.org/project-key", "acme_payments"), entity("b", "sonarqube.org/project-key", "acme_web"))
	want := []string{"sonarqube: SONARQUBE_TOKEN is not set, so 2 sonarqube.org/project-key annotations were not checked against SonarQube"}
	if strings.Join(res.Notices, "\n") != strings.Join(want, "\n") || len(res.Findings) != 0 || res.Inconclusive != 0 {
		t.Errorf("notices %q, findings %v, inconclusive %d; want %q alone", res.Notices, messages(res), res.Inconclusive, want)
	}
	if res := lint(t, resolvers, entity("a")); len(res.Notices) != 0 {
		t.Errorf("notices without annotations: %q", res.Notices)
	}
	// A wrong address is a configuration error, not a skip.
	if _, err := integrations.Connect(func(k string) string {
		return map[string]string{"GITLAB_URL": "ftp://gitlab.example", "GITLAB_TOKEN": "glpat-x"}[k]
	}, nil); err == nil || !strings.Contains(err.Error(), "GITLAB_URL") {
		t.Errorf("Connect with GITLAB_URL ftp://: %v", err)
	}
}

// TestRepositoryCannotConfigure: a repository's .catalog-lint.yaml may switch the rules, never set an
// address or a token.
func TestRepositoryCannotConfigure(t *testing.T) {
	for _, i := range integrations.All() {
		if i == integrations.Sentry {
			continue // its own section, where only sentry.io addresses are allowed (sentry.ConfigSection)
		}
		text := i.Name + ":\n  url: https://attacker.example\n  token: x\n"
		_, err := linter.ParseConfig(".catalog-lint.yaml", ".", []byte(text), integrations.ConfigSections()...)
		if err == nil || !strings.Contains(err.Error(), "cannot come from a repository's configuration") || !strings.Contains(err.Error(), ".catalog-lint.yaml:2") {
			t.Errorf("%s section: %v", i.Name, err)
		}
	}
	cfg, err := linter.ParseConfig(".catalog-lint.yaml", ".", []byte("rules:\n  jira-project-exists: warning\n  gitlab-project-exists: off\n"), integrations.ConfigSections()...)
	if err != nil || cfg.Rules["jira-project-exists"].Severity != linter.SeverityWarning || !cfg.Rules["gitlab-project-exists"].Off {
		t.Errorf("rules: %v %+v", err, cfg)
	}
}

// TestJiraComponents: jira/component is looked for in its entity's project, whose components are
// listed once however many entities name one.
func TestJiraComponents(t *testing.T) {
	jira := integrationstest.JiraWithComponents("", "jira_dc_token", []string{"PAY"}, nil, map[string][]string{"PAY": {"Backend", "Web"}})
	defer jira.Close()
	_, resolvers := connect(t, map[string]string{"JIRA_URL": jira.URL, "JIRA_TOKEN": "jira_dc_token"}, nil)
	res := lint(t, resolvers,
		entity("a", "jira/project-key", "PAY", "jira/component", "backend"),
		entity("b", "jira/project-key", "PAY", "jira/component", "Mobile"),
		entity("c", "jira/project-key", "PYA", "jira/component", "Backend"),
		entity("d", "jira/component", "Backend"),
		entity("e", "jira.com/project-key", "PAY", "jira.com/components", "Backend, Tablet ,web"), // Axis's list
		entity("f", "jira.com/project-key", "PAY", "jira.com/components", "Backend,,Web"),
	)
	want := []string{
		`jira-project-exists: Jira component "Mobile" does not exist in project "PAY", or the token's account cannot browse it (Jira answers 404 to both)`,
		`jira-project-exists: Jira component "Tablet" does not exist in project "PAY", or the token's account cannot browse it (Jira answers 404 to both)`,
		`jira-project-format: jira.com/components "Backend,,Web" has an empty item; separate the items with ","`,
		`jira-project-exists: Jira project "PYA" does not exist, or the token's account cannot browse it (Jira answers 404 to both)`,
		`jira-project-format: jira/component needs jira/project-key: the component is looked for in that project`,
	}
	want = sorted(want)
	if got := sorted(messages(res)); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	_, paths := jira.Requests()
	if paths["/rest/api/2/project/PAY/components?"] != 1 || paths["/rest/api/2/project/PYA/components?"] != 1 {
		t.Errorf("requests: %v", paths)
	}
}
