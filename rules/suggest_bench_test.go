package rules

import (
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"testing"
)

// benchFiles is the size of the rules' benchmarks: BENCH_FILES, 10,000 unless set.
func benchFiles() int {
	if n, err := strconv.Atoi(os.Getenv("BENCH_FILES")); err == nil && n > 0 {
		return n
	}
	return 10000
}

// BenchmarkSuggestIndex is "did you mean" as the monorepo benchmark (linter.BenchmarkMonorepo) asks
// it: among BENCH_FILES services (10,000 unless set), 30% of the APIs they provide are defined, and
// each of the others is looked up. build makes the index; query is one lookup (ns/op per question).
func BenchmarkSuggestIndex(b *testing.B) {
	n := benchFiles()
	rng := rand.New(rand.NewSource(1))
	var refs, missing []string
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("svc-%05d-api", i)
		if rng.Intn(10) < 3 {
			refs = append(refs, "api:default/"+name)
		} else {
			missing = append(missing, name)
		}
	}
	b.Run("build", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			newSuggestIndex(refs)
		}
	})
	b.Run("query", func(b *testing.B) {
		idx := newSuggestIndex(refs)
		found := 0
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if idx.nearest(missing[i%len(missing)], 2) != "" {
				found++
			}
		}
		if found == 0 {
			b.Fatal("no suggestion found")
		}
	})
}
