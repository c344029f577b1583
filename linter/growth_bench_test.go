package linter_test

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/catalog-lint/catalog-lint/linter/synthetic"
)

// BenchmarkGrowth is the linearity target as a user meets it: the command `catalog-lint check
// --offline` (text output, to /dev/null), a process of its own each time, on the dangling monorepo at
// a small size and at a large one (BENCH_FILES's first two; with one size n, n and 10n; by default
// 10,000 and 100,000). After one untimed run of each, each round (b.N of them) runs the small size
// growthSmallRuns times, the large one once, and the small one growthSmallRuns times again: the
// large run is divided by the middle of the small runs on either side of it, taken in the same
// minutes, so that a machine whose speed drifts (a shared host) moves both sides of the ratio
// together. Reported: x-median and x-max, the ratio over the rounds; small-s and large-s, the middle
// times; large-cpu-s; large-peak-RSS-MiB. -v logs each round.
func BenchmarkGrowth(b *testing.B) {
	small, large := growthSizes()
	bin := buildCommand(b)
	smallDir := syntheticRepo(b, small, synthetic.Options{Dangling: true})
	largeDir := syntheticRepo(b, large, synthetic.Options{Dangling: true})
	// One run of each, not timed: a repository the system had dropped from its page cache is read
	// from the disk by the first run (the first large run of a process once took 31 times the small).
	runCheck(b, bin, largeDir)
	runCheck(b, bin, smallDir)
	b.Run(fmt.Sprintf("services=%d/%d", small, large), func(b *testing.B) {
		var ratios, smalls, larges, cpus []float64
		var peak int64
		before := smallRuns(b, bin, smallDir)
		for i := 0; i < b.N; i++ {
			run := runCheck(b, bin, largeDir)
			after := smallRuns(b, bin, smallDir)
			around := append(slices.Clone(before), after...)
			mid := median(slices.Clone(around))
			ratios = append(ratios, run.wall.Seconds()/mid)
			b.Logf("round %d: %.2f s (%.2f s CPU) at %d services; %.3f s at %d, the middle of %.3f: %.2fx",
				i+1, run.wall.Seconds(), run.cpu.Seconds(), large, mid, small, around, ratios[i])
			larges, cpus, peak = append(larges, run.wall.Seconds()), append(cpus, run.cpu.Seconds()), max(peak, run.peakRSS)
			smalls = append(smalls, before...)
			before = after
		}
		smalls = append(smalls, before...)
		b.ReportMetric(median(ratios), "x-median")
		b.ReportMetric(slices.Max(ratios), "x-max")
		b.ReportMetric(median(smalls), "small-s")
		b.ReportMetric(median(larges), "large-s")
		b.ReportMetric(median(cpus), "large-cpu-s")
		if peak > 0 {
			b.ReportMetric(float64(peak)/(1<<20), "large-peak-RSS-MiB")
		}
	})
}

// growthSmallRuns is how many runs at the small size stand on each side of a large one.
const growthSmallRuns = 3

// growthSizes are BenchmarkGrowth's two sizes.
func growthSizes() (small, large int) {
	sizes := benchSizes()
	if len(sizes) >= 2 {
		return sizes[0], sizes[1]
	}
	return sizes[0], sizes[0] * 10
}

// buildCommand builds catalog-lint from this source tree (a compiled test binary may run anywhere) into a folder of the benchmark's and returns its path.
func buildCommand(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "catalog-lint")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/catalog-lint")
	_, self, _, _ := runtime.Caller(0) // this file, in linter/: the module is the folder above
	cmd.Dir = filepath.Dir(filepath.Dir(self))
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// checkRun is one process of `catalog-lint check --offline`: its time on the clock, its CPU time
// (user and system), and its peak RSS in bytes (0 where the system does not say).
type checkRun struct {
	wall, cpu time.Duration
	peakRSS   int64
}

// smallRuns runs the check growthSmallRuns times in dir and returns their times in seconds.
func smallRuns(b *testing.B, bin, dir string) []float64 {
	out := make([]float64, growthSmallRuns)
	for i := range out {
		out[i] = runCheck(b, bin, dir).wall.Seconds()
	}
	return out
}

// runCheck runs `catalog-lint check --offline` in dir, its report thrown away; exit codes 0 and 1
// (findings) are a run that worked, any other fails the benchmark with what the command said.
func runCheck(b *testing.B, bin, dir string) checkRun {
	b.Helper()
	cmd := exec.Command(bin, "check", "--offline", ".")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr // stdout: nil is the null device
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		b.Fatalf("catalog-lint check in %s: %v\n%s", dir, err, stderr.Bytes())
	}
	ps := cmd.ProcessState
	return checkRun{wall: wall, cpu: ps.UserTime() + ps.SystemTime(), peakRSS: childPeakRSS(ps)}
}

// median is the middle of xs (the mean of the two middle ones for an even count); it sorts xs.
func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}
