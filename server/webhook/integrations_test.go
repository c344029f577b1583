package webhook

import (
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/catalog-lint/catalog-lint/integrations"
	"github.com/catalog-lint/catalog-lint/integrations/integrationstest"
)

// TestIntegrationsInTheApp: the App checks SonarQube, PagerDuty, Jira and GitLab with the server's
// tokens. GitLab's rate limit snoozes the job (its Check Run says it waits) rather than publish
// "could not verify"; the job then completes with the missing project as an error. A second push
// naming the same values is answered from the cache.
func TestIntegrationsInTheApp(t *testing.T) {
	file := strings.Replace(component("svc", "payments"), "    sentry.io/project-slug: payments\n",
		"    gitlab.com/project-slug: acme/paymnets\n    jira/project-key: PAY\n", 1)
	g := newFakeGitHub(t, map[string]string{"svc/catalog-info.yaml": file})
	gitlab := integrationstest.GitLab("glpat-app-token-0001", []string{"acme/payments"}, nil)
	defer gitlab.Close()
	jira := integrationstest.Jira("", "jira-app-token-0001", []string{"PAY"}, nil)
	defer jira.Close()
	gitlab.Throttle(1, time.Second)
	env := map[string]string{"GITLAB_URL": gitlab.URL, "GITLAB_TOKEN": "glpat-app-token-0001", "JIRA_URL": jira.URL, "JIRA_TOKEN": "jira-app-token-0001"}
	conn, err := integrations.Connect(func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	cache := &integrations.Cache{TTL: time.Hour}
	p := processor(t, g, nil)
	p.Integrations = func() integrations.Connected { return conn.ForRun(0, nil, NoteRateLimit, cache) }
	q, err := OpenSpool(t.TempDir(), 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	p.Save = q.Save
	metrics := NewMetrics()
	run(t, q, &Runner{Process: p.Process, Log: zerolog.Nop(), Metrics: metrics}, 1)
	job := pushJob(headSHA)
	job.Received = time.Now()
	if ok, err := q.Add(job); !ok || err != nil {
		t.Fatal(ok, err)
	}
	waitFor(t, func() bool { return testCounter(t, metrics, `catalog_lint_jobs_total{outcome="completed"}`) == 1 })
	g.mu.Lock()
	ups := g.updates[1]
	g.mu.Unlock()
	if len(ups) < 2 || ups[0].GetOutput().GetTitle() != "Waiting for a rate limit" || !strings.Contains(ups[0].GetOutput().GetSummary(), "GitLab rate limit") {
		t.Fatalf("updates %+v", ups)
	}
	final := g.final(t, 1)
	out := final.GetOutput()
	if final.GetConclusion() != "failure" || len(out.Annotations) != 1 || !strings.Contains(out.Annotations[0].GetMessage(), `GitLab project "acme/paymnets" does not exist`) {
		t.Fatalf("conclusion %s, annotations %+v\n%s", final.GetConclusion(), out.Annotations, out.GetSummary())
	}
	if strings.Contains(out.GetSummary(), "glpat-app-token") {
		t.Error("the token was published")
	}
	before, _ := gitlab.Requests()
	if before != 2 { // the throttled request and its retry
		t.Errorf("%d GitLab requests, want 2", before)
	}
	second := pushJob("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")
	second.Received = time.Now()
	if ok, err := q.Add(second); !ok || err != nil {
		t.Fatal(ok, err)
	}
	waitFor(t, func() bool { return testCounter(t, metrics, `catalog_lint_jobs_total{outcome="completed"}`) == 2 })
	if final := g.final(t, 2); len(final.GetOutput().Annotations) != 1 {
		t.Fatalf("second push: %s, annotations %+v", final.GetConclusion(), final.GetOutput().Annotations)
	}
	if after, _ := gitlab.Requests(); after != before {
		t.Errorf("the second push asked GitLab again (%d requests): the answer is cached", after-before)
	}
}
