package linter

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// sortInParallel sorts s by compare, under which entries equal are the same, so that the result is
// the one slices.SortFunc gives. It is the sort of the steps after the last rule, which a run of
// 100,000 services waits for with no other work to overlap them:
//
//   - entries that come in a few long ascending runs are merged, run with run, not sorted again: a
//     run's findings are each worker's files in the order of the walk, two runs on two CPUs, which
//     a sort of the whole compared about eighteen times each;
//   - otherwise a large slice is cut into a part per CPU, the parts sorted at once, then merged.
//
// Merges go through a second slice, pairs of runs at once.
func sortInParallel[T any](s []T, compare func(a, b T) int) {
	if bounds, ok := ascendingRuns(s, compare, len(s)/minRunLength); ok {
		mergeRuns(s, bounds, compare)
		return
	}
	parts := min(runtime.GOMAXPROCS(0), len(s)/parallelSortMin)
	if parts <= 1 {
		slices.SortFunc(s, compare)
		return
	}
	bounds := make([]int, parts+1)
	for p := range bounds {
		bounds[p] = len(s) * p / parts
	}
	var wg sync.WaitGroup
	for p := 0; p < parts; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slices.SortFunc(s[bounds[p]:bounds[p+1]], compare)
		}()
	}
	wg.Wait()
	mergeRuns(s, bounds, compare)
}

const (
	// parallelSortMin is the least number of entries sortInParallel gives a CPU.
	parallelSortMin = 1 << 14
	// minRunLength is how long ascending runs must be on average to be merged rather than sorted.
	minRunLength = 64
)

// ascendingRuns returns where each ascending run of s starts, then len(s), when there are at most
// most of them; false, as soon as there are more.
func ascendingRuns[T any](s []T, compare func(a, b T) int, most int) ([]int, bool) {
	bounds := []int{0}
	for i := 1; i < len(s); i++ {
		if compare(s[i-1], s[i]) > 0 {
			if len(bounds) >= most {
				return nil, false
			}
			bounds = append(bounds, i)
		}
	}
	return append(bounds, len(s)), true
}

// mergeRuns merges the sorted runs of s that bounds delimit (where each starts, then len(s)), pairs
// of them at once on as many goroutines as CPUs, in rounds until one is left.
func mergeRuns[T any](s []T, bounds []int, compare func(a, b T) int) {
	if len(bounds) <= 2 {
		return
	}
	src, dst := s, make([]T, len(s))
	for len(bounds) > 2 {
		runs := len(bounds) - 1
		var next atomic.Int64
		merge := func() {
			for {
				p := 2 * int(next.Add(1)-1)
				if p >= runs {
					return
				}
				lo, mid, hi := bounds[p], bounds[p+1], bounds[min(p+2, runs)]
				mergeSorted(dst[lo:hi], src[lo:mid], src[mid:hi], compare) // a last run alone is copied
			}
		}
		var wg sync.WaitGroup
		for w := 1; w < min(runtime.GOMAXPROCS(0), (runs+1)/2); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				merge()
			}()
		}
		merge()
		wg.Wait()
		merged := bounds[:0]
		for p := 0; p < runs; p += 2 {
			merged = append(merged, bounds[p])
		}
		bounds = append(merged, len(s))
		src, dst = dst, src
	}
	if &src[0] != &s[0] {
		copy(s, src)
	}
}

// mergeSorted merges the sorted a and b into dst (len(a)+len(b) long), a's first among equals.
func mergeSorted[T any](dst, a, b []T, compare func(a, b T) int) {
	k := 0
	for len(a) > 0 && len(b) > 0 {
		if compare(b[0], a[0]) < 0 {
			dst[k], b = b[0], b[1:]
		} else {
			dst[k], a = a[0], a[1:]
		}
		k++
	}
	k += copy(dst[k:], a)
	copy(dst[k:], b)
}
