package rules

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
	r := &SentryResolver{Lookup: sentry.NewIndex(c), DefaultOrg: "acme"}
	ctx := context.Background()
	questions := []SentryRef{{Project: "a"}, SentryRef{Org: "acme", Project: "b"}, SentryRef{Project: "a"}}
	for _, q := range questions {
		r.Watch(ctx, q)
	}
	time.Sleep(50 * time.Millisecond)
	if srv.Requests() != 0 {
		t.Fatalf("two distinct references must not trigger a list (%d requests)", srv.Requests())
	}
	questions = append(questions, SentryRef{Project: "c"})
	r.Watch(ctx, questions[3])
	deadline := time.Now().Add(5 * time.Second)
	for srv.Requests() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	answers, notices := r.Answer(ctx, questions)
	if len(answers) != 0 || len(notices) != 0 || srv.Requests() != 1 {
		t.Errorf("answers %v, notices %v, %d requests (want 1: the prefetched list)", answers, notices, srv.Requests())
	}
}
