package rules

import (
	"reflect"
	"runtime"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/catalog-lint/catalog-lint/internal/noscan"
	"github.com/catalog-lint/catalog-lint/linter"
	"github.com/catalog-lint/catalog-lint/linter/synthetic"
)

// TestRelationAnswersInParallel: relations are looked up and their answers worded in parallel once
// there are thousands of them; the findings are the same, in the same order, as with one CPU. The
// monorepo's 2,000 services ask about 8,000 relations, most of them missing, with suggestions.
func TestRelationAnswersInParallel(t *testing.T) {
	dir := t.TempDir()
	if _, err := synthetic.WriteWith(dir, 2000, 1, synthetic.Options{Dangling: true}); err != nil {
		t.Fatal(err)
	}
	lint := func(procs int) []linter.Finding {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		return lintRepository(t, dir).Findings
	}
	one, four := lint(1), lint(4)
	missing := 0
	for _, f := range one {
		if f.Rule == RelationTargetMissing.ID {
			missing++
		}
	}
	if missing < 4096 {
		t.Fatalf("%d missing relations: too few to be answered in parallel", missing)
	}
	if diff := cmp.Diff(one, four); diff != "" {
		t.Errorf("one CPU (-) against four (+):\n%s", diff)
	}
}

// TestRelationQuestionHoldsNoPointer: a relation question, kept until every file is read (400,000
// in a run of 100,000 services), names its field by index and its texts in the catalog's arena.
func TestRelationQuestionHoldsNoPointer(t *testing.T) {
	if typ := reflect.TypeOf(relationQuestion{}); noscan.HoldsPointers(typ) {
		t.Errorf("%v holds a pointer", typ)
	}
	for i, f := range relationFieldList {
		if relationFieldIndex[f] != int32(i) {
			t.Errorf("relation field %d (%s) is indexed as %d", i, f.field, relationFieldIndex[f])
		}
	}
	if len(relationFieldList) < len(relationFields) {
		t.Errorf("%d relation fields listed for %d kinds", len(relationFieldList), len(relationFields))
	}
}

// TestInParallelCoversEachOnce: the ranges inParallel hands out, a chunk at a time to each CPU,
// cover every index exactly once, for sizes around the chunk and the threshold of going parallel.
func TestInParallelCoversEachOnce(t *testing.T) {
	for _, procs := range []int{1, 2, 3, 8} {
		for _, n := range []int{0, 1, 4095, 4096, 8192, parallelChunk*9 + 1, 100_000} {
			prev := runtime.GOMAXPROCS(procs)
			seen := make([]int32, n)
			var mu sync.Mutex
			calls := 0
			inParallel(n, func(lo, hi int) {
				mu.Lock()
				calls++
				mu.Unlock()
				for i := lo; i < hi; i++ {
					seen[i]++ // each index belongs to one range: no two goroutines write it
				}
			})
			runtime.GOMAXPROCS(prev)
			for i, c := range seen {
				if c != 1 {
					t.Fatalf("%d CPUs, n=%d: index %d done %d times", procs, n, i, c)
				}
			}
			if procs > 1 && n >= 8192 && calls < 2 {
				t.Errorf("%d CPUs, n=%d: %d ranges, not shared", procs, n, calls)
			}
		}
	}
}
