package linter_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/catalog-lint/catalog-lint/cmd/catalog-lint/cli"
	"github.com/catalog-lint/catalog-lint/linter"
	"github.com/catalog-lint/catalog-lint/linter/synthetic"
	"github.com/catalog-lint/catalog-lint/rules"
)

// benchFiles is the monorepo size; BENCH_FILES overrides the default 10,000 (its first size, when it
// lists several: benchSizes).
func benchFiles() int { return benchSizes()[0] }

// benchSizes are the sizes BENCH_FILES lists, comma-separated (10000,100000); 10,000 unless set.
// BenchmarkMonorepo runs each in turn, so that sizes compared are measured minutes apart at most.
func benchSizes() []int {
	var sizes []int
	for _, f := range strings.Split(os.Getenv("BENCH_FILES"), ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			sizes = append(sizes, n)
		}
	}
	if len(sizes) == 0 {
		return []int{10000}
	}
	return sizes
}

var (
	monorepos   = map[int]string{}
	monoreposMu sync.Mutex
)

// monorepo returns a synthetic monorepo of n files, generated once per test binary run.
func monorepo(b *testing.B, n int) string {
	b.Helper()
	monoreposMu.Lock()
	defer monoreposMu.Unlock()
	if dir, ok := monorepos[n]; ok {
		return dir
	}
	dir, err := os.MkdirTemp("", "catalog-lint-bench-")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := synthetic.Write(dir, n, 1); err != nil {
		b.Fatal(err)
	}
	syncWrites()
	monorepos[n] = dir
	return dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, dir := range monorepos {
		os.RemoveAll(dir)
	}
	for _, dir := range syntheticRepos {
		if cache := os.Getenv("BENCH_CACHE"); cache == "" || filepath.Dir(dir) != filepath.Clean(cache) {
			os.RemoveAll(dir) // BENCH_CACHE's are kept for the next run
		}
	}
	os.Exit(code)
}

// BenchmarkBareParse is the baseline of the speed target: read every file and decode all its
// documents into yaml.v3 nodes, nothing else, one file after another.
func BenchmarkBareParse(b *testing.B) { bareParse(b, monorepo(b, benchFiles())) }

// bareParse reads every catalog file under dir and decodes all its documents into yaml.v3 nodes,
// nothing else, one file after another: the baseline of the speed targets.
func bareParse(b *testing.B, dir string) {
	files, err := linter.Discover([]string{dir}, linter.DefaultConfig(dir))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	defer reportDiskReads(b)()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		docs := 0
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			dec := yaml.NewDecoder(bytes.NewReader(data))
			for {
				var n yaml.Node
				if err := dec.Decode(&n); errors.Is(err, io.EOF) {
					break
				} else if err != nil {
					b.Fatal(err)
				}
				docs++
			}
		}
		if docs == 0 {
			b.Fatal("no documents")
		}
	}
	b.ReportMetric(float64(len(files)), "files")
}

// BenchmarkLint is the whole offline run on the same files as the CLI does it, the folder walk
// included: every rule, with the default parallelism (one worker per CPU) and with one worker.
func BenchmarkLint(b *testing.B) {
	for _, jobs := range []int{0, 1} {
		name := "jobs=auto"
		if jobs == 1 {
			name = "jobs=1"
		}
		b.Run(name, func(b *testing.B) {
			dir := monorepo(b, benchFiles())
			l, err := linter.New(linter.Options{Rules: rules.All(), Offline: true, Jobs: jobs})
			if err != nil {
				b.Fatal(err)
			}
			cfg := linter.DefaultConfig(dir)
			b.ReportAllocs()
			b.ResetTimer()
			var res *linter.Result
			for i := 0; i < b.N; i++ {
				if res, err = l.LintPaths(context.Background(), []string{dir}, cfg); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(res.Files), "files")
			b.ReportMetric(float64(len(res.Findings)), "findings")
		})
	}
}

// BenchmarkLintMemory reports the heap a finished run still holds (its result) for growing
// monorepos: it must grow with the findings, not with the files.
func BenchmarkLintMemory(b *testing.B) {
	for _, n := range []int{1000, benchFiles()} {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			dir := monorepo(b, n)
			l, _ := linter.New(linter.Options{Rules: rules.All(), Offline: true})
			files, _ := linter.Discover([]string{dir}, linter.DefaultConfig(dir))
			var before, after runtime.MemStats
			var res *linter.Result
			for i := 0; i < b.N; i++ {
				runtime.GC()
				runtime.ReadMemStats(&before)
				res = l.Lint(context.Background(), files)
				runtime.GC()
				runtime.ReadMemStats(&after)
			}
			b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/1024, "retained-KiB")
			b.ReportMetric(float64(len(res.Findings)), "findings")
			runtime.KeepAlive(res)
		})
	}
	_ = filepath.Join
}

// syntheticRepos are the synthetic repositories of a test binary run, by options and size.
var syntheticRepos = map[syntheticKey]string{}

type syntheticKey struct {
	opts synthetic.Options
	n    int
}

// syntheticRepo returns a synthetic repository of n services written with opts, once per run; with
// BENCH_CACHE set, once in that folder for every run after it (delete the folder when the synthetic
// package changes what it writes).
func syntheticRepo(b *testing.B, n int, opts synthetic.Options) string {
	b.Helper()
	monoreposMu.Lock()
	defer monoreposMu.Unlock()
	k := syntheticKey{opts, n}
	if dir, ok := syntheticRepos[k]; ok {
		return dir
	}
	if cache := os.Getenv("BENCH_CACHE"); cache != "" {
		dir := filepath.Join(cache, fmt.Sprintf("n%d-sentry%d-github%d-catalog%t-dangling%t", n, opts.SentryProjects, opts.GitHubRepos, opts.Catalog, opts.Dangling))
		done := filepath.Join(dir, ".complete") // written last: a repository cut short is written again
		if _, err := os.Stat(done); err != nil {
			if err := os.RemoveAll(dir); err != nil {
				b.Fatal(err)
			}
			if _, err := synthetic.WriteWith(dir, n, 1, opts); err != nil {
				b.Fatal(err)
			}
			syncWrites()
			if err := os.WriteFile(done, nil, 0o644); err != nil {
				b.Fatal(err)
			}
		}
		syntheticRepos[k] = dir
		return dir
	}
	dir, err := os.MkdirTemp("", "catalog-lint-bench-")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := synthetic.WriteWith(dir, n, 1, opts); err != nil {
		b.Fatal(err)
	}
	syncWrites()
	syntheticRepos[k] = dir
	return dir
}

// catalogRepo returns a synthetic catalog repository of n services (synthetic.Options.Catalog).
func catalogRepo(b *testing.B, n int) string {
	return syntheticRepo(b, n, synthetic.Options{Catalog: true})
}

// BenchmarkCatalogWide measures what ingesting as Backstage does costs, side by side on one catalog
// repository (a root Location listing the services by glob, org.yaml, relations on 30% of them):
// per-file is today's lint of each file alone; catalog adds sniffing, following the Location, the
// skeleton checks and the catalog-wide rules over every entity.
func BenchmarkCatalogWide(b *testing.B) {
	dir := catalogRepo(b, benchFiles())
	for _, mode := range []string{"per-file", "catalog"} {
		b.Run(mode, func(b *testing.B) {
			cfg := linter.DefaultConfig(dir)
			b.ReportAllocs()
			var res *linter.Result
			for i := 0; i < b.N; i++ {
				opts := linter.Options{Rules: rules.All(), Offline: true, Config: cfg}
				if mode == "catalog" {
					repo, err := linter.DiskRepo(dir, true)
					if err != nil {
						b.Fatal(err)
					}
					opts.Catalog = linter.NewCatalog(repo)
					opts.Resolvers = rules.CatalogResolvers(opts.Catalog, nil)
				}
				l, err := linter.New(opts)
				if err != nil {
					b.Fatal(err)
				}
				if res, err = l.LintPaths(context.Background(), []string{dir}, cfg); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(res.Files), "files")
			b.ReportMetric(float64(res.Entities), "entities")
			b.ReportMetric(float64(len(res.Findings)), "findings")
		})
	}
}

// BenchmarkCatalogMemory reports the peak heap of a catalog-wide run (the catalog keeps every
// entity's definition) and what its result retains; CATALOG_BENCH_FILES sets the size (default
// BENCH_FILES).
func BenchmarkCatalogMemory(b *testing.B) {
	n := benchFiles()
	if v, err := strconv.Atoi(os.Getenv("CATALOG_BENCH_FILES")); err == nil && v > 0 {
		n = v
	}
	dir := catalogRepo(b, n)
	cfg := linter.DefaultConfig(dir)
	var before, after runtime.MemStats
	var res *linter.Result
	var peak uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runtime.GC()
		runtime.ReadMemStats(&before)
		repo, err := linter.DiskRepo(dir, true)
		if err != nil {
			b.Fatal(err)
		}
		cat := linter.NewCatalog(repo)
		l, _ := linter.New(linter.Options{Rules: rules.All(), Offline: true, Config: cfg, Catalog: cat, Resolvers: rules.CatalogResolvers(cat, nil)})
		done := make(chan struct{})
		go func() {
			var m runtime.MemStats
			for {
				select {
				case <-done:
					return
				case <-time.After(20 * time.Millisecond):
					runtime.ReadMemStats(&m)
					if m.HeapAlloc > peak {
						peak = m.HeapAlloc
					}
				}
			}
		}()
		res, _ = l.LintPaths(context.Background(), []string{dir}, cfg)
		close(done)
		runtime.GC()
		runtime.ReadMemStats(&after)
	}
	b.ReportMetric(float64(n), "services")
	b.ReportMetric(float64(peak-before.HeapAlloc)/(1<<20), "peak-MiB")
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20), "retained-MiB")
	runtime.KeepAlive(res)
}

// BenchmarkMonorepo is the speed target of catalog-wide checks (issue 19): on a service monorepo
// whose owners, systems, APIs and resources are only partly defined (most relations dangle, each asks
// for a suggestion), the whole offline run as `catalog-lint check --offline .` does it (rules.Run on
// the disk, with the collector tuned as main tunes it) against the bare yaml.v3 parse of the same
// files, one after another.
// BENCH_FILES sets the number of services (default 10,000). With several sizes
// (BENCH_FILES=10000,100000), each is a sub-benchmark (services=N), measured one after the other in
// the same process. This machine's speed drifts by a third within minutes: rounds of `-count 1`, one
// process each, with BENCH_CACHE keeping the repositories between them, compare the sizes at nearly
// the same moments (docs/discovery.md).
func BenchmarkMonorepo(b *testing.B) {
	sizes := benchSizes()
	if len(sizes) == 1 {
		monorepoRun(b, sizes[0])
		return
	}
	for _, n := range sizes {
		syntheticRepo(b, n, synthetic.Options{Dangling: true}) // every size written before any is measured
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) { monorepoRun(b, n) })
	}
}

// monorepoRun is BenchmarkMonorepo at n services: the bare parse, then the check.
func monorepoRun(b *testing.B, n int) {
	dir := syntheticRepo(b, n, synthetic.Options{Dangling: true})
	b.Run("bare-parse", func(b *testing.B) { bareParse(b, dir) })
	b.Run("check", func(b *testing.B) {
		defer cli.TuneGC(os.Getenv, os.ReadFile, cli.DefaultMemoryLimit)() // the collector as main sets it
		cfg := linter.DefaultConfig(dir)
		var res *linter.Result
		resetPeakRSS()
		defer reportDiskReads(b)()
		for i := 0; i < b.N; i++ {
			repo, err := linter.DiskRepo(dir, true)
			if err != nil {
				b.Fatal(err)
			}
			if res, err = (rules.Run{Repo: repo, Config: cfg, Offline: true}).Lint(context.Background(), []string{dir}); err != nil {
				b.Fatal(err)
			}
			repo.Close()
		}
		b.ReportMetric(float64(res.Files), "files")
		b.ReportMetric(float64(len(res.Findings)), "findings")
		if peak := peakRSS(); peak > 0 {
			b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
		}
	})
}

// reportDiskReads starts counting what the process reads from the disk, and the CPU time it uses;
// the function it returns reports them per run as disk-MiB and cpu-s (left out where the system does
// not say). A run that read its files from the disk, not the page cache, is not comparable with one
// that did not: the system drops cached files under memory pressure, between two runs of a benchmark
// or between two benchmarks.
func reportDiskReads(b *testing.B) func() {
	before, cpu := diskReadBytes(), cpuSeconds()
	return func() {
		if after := diskReadBytes(); before >= 0 && after >= 0 {
			b.ReportMetric(float64(after-before)/(1<<20)/float64(b.N), "disk-MiB")
		}
		if after := cpuSeconds(); cpu >= 0 && after >= 0 {
			b.ReportMetric((after-cpu)/float64(b.N), "cpu-s")
		}
	}
}

// resetPeakRSS returns the memory the runtime holds free to the system and resets the process's
// peak RSS (Linux: /proc/self/clear_refs), so that peakRSS then measures what follows.
func resetPeakRSS() {
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSS is the process's peak resident memory in bytes since resetPeakRSS (VmHWM); 0 when the
// system does not say.
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// TestSyntheticMonorepoFindings: the monorepo the benchmarks and README's timings lint has only the
// mistakes it is made with (a Sentry slug in upper case now and then), not findings of its own
// making such as TechDocs folders that do not exist.
func TestSyntheticMonorepoFindings(t *testing.T) {
	dir := t.TempDir()
	if _, err := synthetic.Write(dir, 300, 1); err != nil {
		t.Fatal(err)
	}
	repo, err := linter.DiskRepo(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	res, err := (rules.Run{Repo: repo, Config: linter.DefaultConfig(dir), Offline: true}).Lint(context.Background(), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != 300 || len(res.Findings) == 0 {
		t.Fatalf("%d files, %d findings", res.Files, len(res.Findings))
	}
	for _, f := range res.Findings {
		if f.Rule != "sentry-project-slug-format" {
			t.Errorf("a finding the generator did not mean: %s: %s [%s]", f.File, f.Message, f.Rule)
		}
	}
}
