package rules

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/catalog-lint/catalog-lint/integrations"
	"github.com/catalog-lint/catalog-lint/linter"
	"github.com/catalog-lint/catalog-lint/linter/synthetic"
	"github.com/catalog-lint/catalog-lint/sentry"
	"github.com/catalog-lint/catalog-lint/sentry/sentrytest"
)

// BenchmarkLintWithSentry lints a synthetic monorepo of 10,000 files (BENCH_FILES) whose annotations
// name 2,000 projects of one organization, against a test Sentry that takes 20 ms per request. It
// reports the requests per run: with all_projects honoured (sentry.io), with a server that only
// paginates, and with a token that may not list projects (one retrieval per distinct slug, 4 at once);
// "offline" is the same lint without Sentry, for comparison.
func BenchmarkLintWithSentry(b *testing.B) {
	files := benchFiles()
	const projects = 2000
	dir := b.TempDir()
	if _, err := synthetic.WriteWith(dir, files, 1, synthetic.Options{SentryProjects: projects}); err != nil {
		b.Fatal(err)
	}
	b.Run("offline", func(b *testing.B) {
		l, err := linter.New(linter.Options{Rules: All(), Offline: true})
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < b.N; i++ {
			if _, err := l.LintPaths(context.Background(), []string{dir}, linter.DefaultConfig(dir)); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, mode := range []string{"all_projects", "paginated", "project-token"} {
		b.Run(mode, func(b *testing.B) {
			srv := sentrytest.New()
			defer srv.Close()
			srv.Latency = 20 * time.Millisecond
			srv.HonorAllProjects = mode == "all_projects"
			token := "sntryu_bench"
			scopes := []string{"org:read", "project:read"}
			if mode == "project-token" {
				scopes = []string{"project:read"}
			}
			srv.AddToken(token, sentrytest.Token{Scopes: scopes})
			for i := 0; i < projects; i++ {
				srv.AddProjects("acme", sentrytest.Project{ID: strconv.Itoa(1000 + i), Slug: synthetic.ProjectSlug(i), Name: "p"})
			}
			cfg := linter.DefaultConfig(dir)
			var res *linter.Result
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c, err := sentry.NewClient(sentry.Config{BaseURL: srv.URL, Token: token, Transport: http.DefaultTransport})
				if err != nil {
					b.Fatal(err)
				}
				svc := integrations.NewSentryService(sentry.NewIndex(c), "acme")
				l, err := linter.New(linter.Options{Rules: All(),
					Resolvers: integrations.Connected{}.With(integrations.Sentry, svc, nil, nil).Register(nil)})
				if err != nil {
					b.Fatal(err)
				}
				if res, err = l.LintPaths(context.Background(), []string{dir}, cfg); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			for _, f := range res.Findings {
				if f.Rule == SentryProjectExists.ID || f.Rule == SentryProjectUnverified.ID {
					b.Fatalf("every project exists, yet: %s", f.Message)
				}
			}
			b.ReportMetric(float64(srv.Requests())/float64(b.N), "requests/op")
			b.ReportMetric(float64(srv.MaxInFlight("acme")), "max-in-flight")
		})
	}
}
