package rules

import (
	"context"
	"testing"
	"time"

	"github.com/catalog-lint/catalog-lint/linter"
	"github.com/catalog-lint/catalog-lint/linter/synthetic"
	"github.com/catalog-lint/catalog-lint/rules/githubtest"
)

// BenchmarkLintWithGitHub lints 10,000 files (BENCH_FILES) whose github.com/project-slug names 2,000
// distinct repositories, against a test GitHub that takes 20 ms per request: the requests per run
// must equal the distinct repositories, and the time is 2,000 / 8 requests in flight × 20 ms plus the
// lint.
func BenchmarkLintWithGitHub(b *testing.B) {
	files := benchFiles()
	const repos = 2000
	dir := b.TempDir()
	if _, err := synthetic.WriteWith(dir, files, 1, synthetic.Options{GitHubRepos: repos}); err != nil {
		b.Fatal(err)
	}
	srv := githubtest.New("ghs_bench")
	defer srv.Close()
	srv.Latency = 20 * time.Millisecond
	distinct := min(files, repos)
	for i := 0; i < distinct; i++ {
		srv.AddRepo(synthetic.GitHubRepo(i, repos), false)
	}
	client, err := githubClientFor(srv.URL, "ghs_bench")
	if err != nil {
		b.Fatal(err)
	}
	cfg := linter.DefaultConfig(dir)
	var res *linter.Result
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l, err := linter.New(linter.Options{Rules: All(), Config: cfg, Resolvers: githubResolver(client).Register(nil)})
		if err != nil {
			b.Fatal(err)
		}
		if res, err = l.LintPaths(context.Background(), []string{dir}, cfg); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	total, maxIn := srv.Requests()
	if total != distinct*b.N {
		b.Fatalf("%d requests for %d runs of %d distinct repositories", total, b.N, distinct)
	}
	for _, f := range res.Findings {
		if f.Rule == GitHubRepoExists.ID || f.Rule == GitHubRepoUnverified.ID {
			b.Fatalf("unexpected %s: %s", f.Rule, f.Message)
		}
	}
	b.ReportMetric(float64(total)/float64(b.N), "requests/op")
	b.ReportMetric(float64(maxIn), "max-in-flight")
}
