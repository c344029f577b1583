package linter

import (
	"cmp"
	"math/rand"
	"runtime"
	"slices"
	"testing"
)

// TestSortInParallel: an order sorted by sortInParallel is the one slices.SortFunc gives, whether it
// came shuffled (cut in a part per CPU, sorted at once and merged) or in a few ascending runs, as a
// run's findings come (merged run with run); for sizes around the parts' least, with any number of
// CPUs (odd ones leave a part without a pair in a round of merges) and any number of runs; keys with
// many ties, told apart by index.
func TestSortInParallel(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	sizes := []int{0, 1, 2, 63, minRunLength * 3, parallelSortMin*2 - 1, parallelSortMin * 2, parallelSortMin*5 + 17}
	for _, procs := range []int{1, 2, 3, 5} {
		for _, n := range sizes {
			for _, runs := range []int{0, 1, 2, 3, 7, n/minRunLength + 1} { // 0: shuffled
				keys := make([]int, n)
				for i := range keys {
					keys[i] = rng.Intn(n/8 + 1)
				}
				compare := func(i, j int32) int { return cmp.Or(cmp.Compare(keys[i], keys[j]), cmp.Compare(i, j)) }
				want := make([]int32, n)
				for i := range want {
					want[i] = int32(i)
				}
				rng.Shuffle(n, func(i, j int) { want[i], want[j] = want[j], want[i] })
				got := slices.Clone(want)
				if runs > 0 {
					for r := 0; r < runs; r++ { // each of runs parts sorted: that many ascending runs, or fewer
						slices.SortFunc(got[n*r/runs:n*(r+1)/runs], compare)
					}
				}
				slices.SortFunc(want, compare)
				prev := runtime.GOMAXPROCS(procs)
				sortInParallel(got, compare)
				runtime.GOMAXPROCS(prev)
				if !slices.Equal(got, want) {
					t.Fatalf("%d CPUs, %d entries in %d runs: not the order slices.SortFunc gives", procs, n, runs)
				}
			}
		}
	}
}

// TestAscendingRuns: runs are found where an entry is less than the one before, and not past most.
func TestAscendingRuns(t *testing.T) {
	s := []int{1, 2, 2, 5, 3, 4, 0, 9}
	if got, ok := ascendingRuns(s, cmp.Compare[int], 3); !ok || !slices.Equal(got, []int{0, 4, 6, 8}) {
		t.Errorf("three runs: got %v, %v", got, ok)
	}
	if _, ok := ascendingRuns(s, cmp.Compare[int], 2); ok {
		t.Error("three runs found where at most two were asked for")
	}
}
