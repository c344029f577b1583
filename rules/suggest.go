package rules

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// Suggestions for refs to entities that are not defined ("did you mean ...?"), at a cost per question
// that does not grow with the catalog.

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// suggestAll finds, for each missing ref, a defined entity of the same kind and namespace whose name
// is at most two edits away, the closest (then the first in order), as "; did you mean REF?" ("" when
// there is none), looking the refs up in parallel (suggestIndex).
func (r *CatalogResolver) suggestAll(refs []string) map[string]string {
	out := make(map[string]string, len(refs))
	indexes := map[string]*suggestIndex{}
	var todo []string
	for _, ref := range refs {
		if _, dup := out[ref]; dup {
			continue
		}
		out[ref] = ""
		todo = append(todo, ref)
		prefix, _, _ := strings.Cut(ref, "/")
		if indexes[prefix] == nil {
			indexes[prefix] = newSuggestIndex(r.Catalog.Refs(prefix + "/"))
		}
	}
	found := make([]string, len(todo))
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(todo); i += workers {
				prefix, name, _ := strings.Cut(todo[i], "/")
				if near := indexes[prefix].nearest(name, 2); near != "" {
					found[i] = fmt.Sprintf("; did you mean %s/%s?", prefix, near)
				}
			}
		}(w)
	}
	wg.Wait()
	for i, ref := range todo {
		out[ref] = found[i]
	}
	return out
}

// suggestWindow is how many neighbours on each side of a name, in each order, are compared with it.
const suggestWindow = 24

// suggestIndex finds the defined names close to a missing one without comparing it with all of them,
// so that a suggestion costs the same among 100 or 100,000 entities:
//
//   - every name one edit away, or two characters swapped, shares a name with one character deleted
//     with it: deletes holds, sorted, a hash of each name with each one character deleted; a query
//     looks up its own, and the names found are the only ones compared. This part is exact.
//   - a name two edits away shares a long prefix with it (edits near the end) or a long suffix (edits
//     near the start), so it stands near it in the names sorted as written or sorted reversed: the
//     suggestWindow neighbours on each side are compared too. This part is best effort: edits at both
//     ends, or among thousands of names with the same prefix, can be missed.
type suggestIndex struct {
	names    []string // sorted
	reversed []string // each name reversed, sorted
	deletes  []deleted
}

// deleted is one name with one character deleted: the hash of what is left, and the name's index.
type deleted struct {
	hash uint64
	name int32
}

func newSuggestIndex(refs []string) *suggestIndex {
	idx := &suggestIndex{names: make([]string, 0, len(refs)), reversed: make([]string, 0, len(refs))}
	for _, ref := range refs {
		_, name, _ := strings.Cut(ref, "/")
		idx.names = append(idx.names, name)
		idx.reversed = append(idx.reversed, reverse(name))
	}
	sort.Strings(idx.names)
	sort.Strings(idx.reversed)
	for i, name := range idx.names {
		for at := 0; at <= len(name); at++ { // at == len(name): the name itself
			idx.deletes = append(idx.deletes, deleted{hashWithout(name, at), int32(i)})
		}
	}
	sort.Slice(idx.deletes, func(i, j int) bool { return idx.deletes[i].hash < idx.deletes[j].hash })
	return idx
}

// hashWithout is the FNV-1a hash of s without its byte at (none when at is len(s)).
func hashWithout(s string, at int) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		if i != at {
			h = (h ^ uint64(s[i])) * 1099511628211
		}
	}
	return h
}

// nearest returns the name at the smallest edit distance from name, at most maxDist, the first in
// order among equals; "" when none is that close.
func (idx *suggestIndex) nearest(name string, maxDist int) string {
	best, bestD := "", maxDist+1
	consider := func(cand string) {
		if cand == name || abs(len(cand)-len(name)) > maxDist || bestD == 1 && cand > best {
			return
		}
		if d := boundedDistance(name, cand, bestD); d < bestD || d == bestD && cand < best {
			best, bestD = cand, d
		}
	}
	for at := 0; at <= len(name); at++ {
		h := hashWithout(name, at)
		for i := sort.Search(len(idx.deletes), func(i int) bool { return idx.deletes[i].hash >= h }); i < len(idx.deletes) && idx.deletes[i].hash == h; i++ {
			consider(idx.names[idx.deletes[i].name])
		}
	}
	if bestD <= 1 {
		return best // every name one edit away was among those compared: none can do better
	}
	around := func(sorted []string, key string, each func(string)) {
		i := sort.SearchStrings(sorted, key)
		for j := max(i-suggestWindow, 0); j < min(i+suggestWindow, len(sorted)); j++ {
			each(sorted[j])
		}
	}
	around(idx.names, name, consider)
	around(idx.reversed, reverse(name), func(r string) { consider(reverse(r)) })
	return best
}

// boundedDistance is the edit distance of a and b when it is at most limit, else limit+1; it stops
// as soon as every way of continuing costs more, and allocates nothing for names of up to 64 bytes.
func boundedDistance(a, b string, limit int) int {
	if len(b) > len(a) {
		a, b = b, a
	}
	var prevBuf, curBuf [65]int
	prev, cur := prevBuf[:], curBuf[:]
	if len(b) >= len(prevBuf) {
		prev, cur = make([]int, len(b)+1), make([]int, len(b)+1)
	}
	for j := 0; j <= len(b); j++ {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit+1)
}

func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
