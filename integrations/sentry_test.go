package integrations

import (
	"context"
	"testing"
	"time"

	"github.com/catalog-lint/catalog-lint/sentry"
	"github.com/catalog-lint/catalog-lint/sentry/sentrytest"
)

// TestSentryPrefetch: once an organization has more references than are worth retrieving one by
// one, its project list is fetched while files are still being read, and answering later costs no
// further request.
func TestSentryPrefetch(t *testing.T) {
	srv := sentrytest.New()
	defer srv.Close()
	srv.AddToken("sntryu_t", sentrytest.Token{Scopes: []string{"org:read", "project:read"}})
	srv.AddProjects("acme", sentrytest.Project{ID: "1", Slug: "a"}, sentrytest.Project{ID: "2", Slug: "b"},
		sentrytest.Project{ID: "3", Slug: "c"})
	c, err := sentry.NewClient(sentry.Config{BaseURL: srv.URL, Token: "sntryu_t"})
	if err != nil {
		t.Fatal(err)
	}
	r := &Resolver{Integration: Sentry, Service: NewSentryService(sentry.NewIndex(c), "acme")}
	ctx := context.Background()
	var qs []Question
	for _, v := range []string{"a", "acme/b", "a", "c"} {
		val, problem := parseSentry(SentryAnnotation, v, nil)
		if problem != "" {
			t.Fatal(problem)
		}
		qs = append(qs, Question{Integration: Sentry, Key: SentryAnnotation, Value: val})
	}
	for _, q := range qs[:3] {
		r.Watch(ctx, q)
	}
	time.Sleep(50 * time.Millisecond)
	if srv.Requests() != 0 {
		t.Fatalf("two distinct references must not trigger a list (%d requests)", srv.Requests())
	}
	r.Watch(ctx, qs[3])
	deadline := time.Now().Add(5 * time.Second)
	for srv.Requests() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	answers, notices := r.Answer(ctx, qs)
	if len(answers) != 0 || len(notices) != 0 || srv.Requests() != 1 {
		t.Errorf("answers %v, notices %v, %d requests (want 1: the prefetched list)", answers, notices, srv.Requests())
	}
}
