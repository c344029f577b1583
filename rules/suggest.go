package rules

import (
	"hash/maphash"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Suggestions for refs to entities that are not defined ("did you mean ...?"), at a cost per question
// that does not grow with the catalog, only with how many of its names are one edit away.

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// suggestAll finds, for each of refs (refs not defined), a defined entity of the same kind and
// namespace whose name is at most two edits away, the closest (then the first in order), as "; did
// you mean REF?" ("" when there is none), by suggestIndex. The index of every kind and namespace
// asked about is made first, several at once; then the refs are looked up in parallel, each goroutine
// remembering what it found lately (suggestMemo).
func (r *CatalogResolver) suggestAll(refs []string) []string {
	indexes := map[string]*suggestIndex{} // kind:namespace
	for _, ref := range refs {
		prefix, _, _ := strings.Cut(ref, "/")
		if _, ok := indexes[prefix]; !ok {
			indexes[prefix] = nil
		}
	}
	prefixes := sortedKeys(indexes)
	built := make([]*suggestIndex, len(prefixes))
	inParallelEach(len(prefixes), 1, 1, func() func(lo, hi int) {
		return func(lo, hi int) {
			for p := lo; p < hi; p++ {
				built[p] = newSuggestIndex(r.Catalog.Refs(prefixes[p] + "/"))
			}
		}
	})
	for p, prefix := range prefixes {
		indexes[prefix] = built[p] // read, not written, from here on
	}
	out := make([]string, len(refs))
	inParallelEach(len(refs), 4096, parallelChunk, func() func(lo, hi int) {
		var found suggestMemo
		seed := maphash.MakeSeed()
		return func(lo, hi int) {
			for i := lo; i < hi; i++ {
				ref := refs[i]
				slot := &found[maphash.String(seed, ref)%uint64(len(found))]
				if !slot.set || slot.ref != ref {
					prefix, name, _ := strings.Cut(ref, "/")
					s := ""
					if near := indexes[prefix].nearest(name, 2); near != "" {
						s = "; did you mean " + prefix + "/" + near + "?"
					}
					*slot = memoSlot{ref: ref, suggestion: s, set: true}
				}
				out[i] = slot.suggestion
			}
		}
	})
	return out
}

// suggestMemo is what one goroutine of suggestAll found lately, a slot per hash of the ref, the last
// ref of that hash in it: a ref many relations name (an owner, a system) is looked up again only
// when another ref took its slot in between, and the memo's size does not grow with the refs, most
// of which (a service's own API or database) are asked about once.
type suggestMemo [4096]memoSlot

type memoSlot struct {
	ref, suggestion string
	set             bool
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
	names     []string // sorted
	byReverse []int32  // names' indices, sorted by the names read backwards
	deletes   []deleted
	// buckets[b] is where the deletes whose hash's first `bits` bits read b start: a query's hashes
	// are looked up among about eight entries each, not by a search of all of them.
	buckets []int32
	bits    uint
}

// deleted is one name with one character deleted: a 32-bit hash of what is left (a collision only
// adds a candidate, whose distance is then computed), and the name's index.
type deleted struct {
	hash uint32
	name int32
}

func newSuggestIndex(refs []string) *suggestIndex {
	idx := &suggestIndex{names: make([]string, 0, len(refs)), byReverse: make([]int32, len(refs))}
	for _, ref := range refs {
		_, name, _ := strings.Cut(ref, "/")
		idx.names = append(idx.names, name)
	}
	sort.Strings(idx.names)
	// The names in reverse order are sorted while the deleted characters are hashed and sorted: each
	// half of the index's making, done one after the other, is what a run of 100,000 services waited
	// for alone.
	var reversed sync.WaitGroup
	reversed.Add(1)
	go func() {
		defer reversed.Done()
		for i := range idx.byReverse {
			idx.byReverse[i] = int32(i)
		}
		slices.SortFunc(idx.byReverse, func(a, b int32) int { return compareReversed(idx.names[a], idx.names[b]) })
	}()
	defer reversed.Wait()
	n := 0
	for _, name := range idx.names {
		n += len(name) + 1
	}
	idx.deletes = make([]deleted, 0, n)
	for i, name := range idx.names {
		for at := 0; at <= len(name); at++ { // at == len(name): the name itself
			idx.deletes = append(idx.deletes, deleted{hashWithout(name, at), int32(i)})
		}
	}
	idx.bits = 1
	for idx.bits < 20 && len(idx.deletes)>>(idx.bits+3) > 0 {
		idx.bits++
	}
	idx.sortDeletes()
	return idx
}

// sortDeletes sorts deletes by hash, then name, in time linear in their number: they are counted
// into their buckets (by the hash's first bits), moved there in place (each at most once, as an
// American flag sort does), and each bucket, of about eight, is sorted by insertion. A query then
// meets a bucket's names in their order, and once one is a single edit away the rest of the bucket,
// after it, cannot win (nearest).
func (idx *suggestIndex) sortDeletes() {
	shift := 32 - idx.bits
	idx.buckets = make([]int32, 1<<idx.bits+1)
	for _, d := range idx.deletes {
		idx.buckets[d.hash>>shift+1]++
	}
	for b := 1; b < len(idx.buckets); b++ {
		idx.buckets[b] += idx.buckets[b-1]
	}
	next := slices.Clone(idx.buckets[:len(idx.buckets)-1]) // where each bucket's next entry goes
	for b := range next {
		for end := idx.buckets[b+1]; next[b] < end; {
			d := idx.deletes[next[b]]
			if home := d.hash >> shift; home != uint32(b) {
				idx.deletes[next[b]], idx.deletes[next[home]] = idx.deletes[next[home]], d
				next[home]++
				continue
			}
			next[b]++
		}
	}
	for b := 0; b+1 < len(idx.buckets); b++ {
		bucket := idx.deletes[idx.buckets[b]:idx.buckets[b+1]]
		for i := 1; i < len(bucket); i++ {
			for j := i; j > 0 && lessDeleted(bucket[j], bucket[j-1]); j-- {
				bucket[j], bucket[j-1] = bucket[j-1], bucket[j]
			}
		}
	}
}

func lessDeleted(a, b deleted) bool {
	return a.hash < b.hash || a.hash == b.hash && a.name < b.name
}

// probe is where the names with a character deleted hashing to hash may be: deletes[lo:hi], a bucket,
// in ascending order of name among those of one hash.
type probe struct {
	hash   uint32
	lo, hi int32
}

// probe returns the bucket of hash h.
func (idx *suggestIndex) probe(h uint32) probe {
	b := h >> (32 - idx.bits)
	return probe{h, idx.buckets[b], idx.buckets[b+1]}
}

// hashWithout is the FNV-1a hash of s without its byte at (none when at is len(s)), folded to 32 bits.
func hashWithout(s string, at int) uint32 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		if i != at {
			h = (h ^ uint64(s[i])) * 1099511628211
		}
	}
	return uint32(h>>32) ^ uint32(h)
}

// nearest returns the name at the smallest edit distance from name, at most maxDist, the first in
// order among equals; "" when none is that close. Candidates one edit away are compared by their
// index in names (sorted, each once) before their text is read: among thousands of names one edit
// apart, most are passed over without touching their strings.
func (idx *suggestIndex) nearest(name string, maxDist int) string {
	best, bestD := int32(-1), maxDist+1
	consider := func(i int32) {
		cand := idx.names[i]
		if abs(len(cand)-len(name)) > maxDist || cand == name {
			return
		}
		limit := bestD // a tie with best counts only when cand sorts first; with no best yet, none does
		if best < 0 {
			limit--
		}
		if d := boundedDistance(name, cand, limit); d < bestD || d == bestD && i < best {
			best, bestD = i, d
		}
	}
	// Every deleted character's bucket is found, and read, before any name in them is compared: in a
	// large index those reads miss the caches, and made one after another in loops of their own, not
	// each after the comparisons before it, they wait for memory together.
	var buf [64]probe
	probes := buf[:0]
	for at := 0; at <= len(name); at++ {
		probes = append(probes, probe{hash: hashWithout(name, at)})
	}
	for k := range probes {
		probes[k] = idx.probe(probes[k].hash)
	}
	touched := uint32(0)
	for _, p := range probes {
		if p.lo < p.hi {
			touched += idx.deletes[p.lo].hash + idx.deletes[p.hi-1].hash // a bucket's first and last cache lines
		}
	}
	keep(touched) // the reads above are not dropped as unused
	// First the names one edit away, each by a pass over its bytes: most questions have one, and
	// then the names two edits away that share a deleted character with it (a table of distances
	// each) need not be compared at all.
	if maxDist >= 1 {
		for _, p := range probes {
			for _, d := range idx.deletes[p.lo:p.hi] {
				if d.hash != p.hash {
					continue
				}
				if best >= 0 && d.name > best {
					break // the bucket's later names of this hash sort after best
				}
				if oneEdit(name, idx.names[d.name]) {
					best = d.name
					break // the first of this hash: the others sort after it
				}
			}
		}
	}
	if best >= 0 {
		return idx.names[best]
	}
	// None is one edit away: two edits away, the names sharing a deleted character, and the
	// neighbours in both orders.
	for _, p := range probes {
		for _, d := range idx.deletes[p.lo:p.hi] {
			if d.hash == p.hash {
				consider(d.name)
			}
		}
	}
	i := sort.SearchStrings(idx.names, name)
	for j := max(i-suggestWindow, 0); j < min(i+suggestWindow, len(idx.names)); j++ {
		consider(int32(j))
	}
	i = sort.Search(len(idx.byReverse), func(i int) bool { return compareReversed(idx.names[idx.byReverse[i]], name) >= 0 })
	for j := max(i-suggestWindow, 0); j < min(i+suggestWindow, len(idx.byReverse)); j++ {
		consider(idx.byReverse[j])
	}
	if best < 0 {
		return ""
	}
	return idx.names[best]
}

// boundedDistance is the edit distance of a and b when it is at most limit, else limit+1. Only the
// band of cells within limit of the diagonal can hold a distance of at most limit, so only those are
// computed (Ukkonen), and it stops as soon as a row has nothing within limit; it allocates nothing for
// names of up to 64 bytes.
func boundedDistance(a, b string, limit int) int {
	if len(b) > len(a) {
		a, b = b, a
	}
	over := limit + 1
	if len(a)-len(b) > limit {
		return over
	}
	// None or one edit, what most names found through a deleted character are: one pass says so.
	if d := withinOne(a, b); d >= 0 {
		return min(d, over)
	}
	if limit < 2 {
		return over
	}
	var prevBuf, curBuf [65]int
	var prev, cur []int
	if len(b) < len(prevBuf) {
		prev, cur = prevBuf[:len(b)+1], curBuf[:len(b)+1]
	} else {
		prev, cur = make([]int, len(b)+1), make([]int, len(b)+1)
	}
	for j := range prev {
		prev[j] = min(j, over)
	}
	for i := 1; i <= len(a); i++ {
		lo, hi := max(1, i-limit), min(len(b), i+limit)
		cur[0] = min(i, over)
		if lo > 1 {
			cur[lo-1] = over // left of the band
		}
		rowMin := cur[lo-1]
		for j := lo; j <= hi; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost, over)
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if hi < len(b) {
			cur[hi+1] = over // right of the band: what the next row reads above it
		}
		if rowMin > limit {
			return over
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// keep takes a value the compiler must not drop as unused (reads made ahead of need): a call it
// cannot see through, cheaper than a store other goroutines' caches would have to see.
//
//go:noinline
func keep(uint32) {}

// withinOne is the edit distance of a and b (len(a) >= len(b)) when it is 0 or 1: the same, one byte
// replaced, or one byte of a left out in b; -1 when it is more.
func withinOne(a, b string) int {
	switch len(a) - len(b) {
	case 0:
		diff := 0
		for i := 0; i < len(a); i++ {
			if a[i] != b[i] {
				if diff++; diff > 1 {
					return -1
				}
			}
		}
		return diff
	case 1:
		i := 0
		for i < len(b) && a[i] == b[i] {
			i++
		}
		if a[i+1:] == b[i:] {
			return 1
		}
	}
	return -1
}

// oneEdit reports whether a and b are exactly one edit apart: one byte replaced, inserted or deleted.
func oneEdit(a, b string) bool {
	if len(b) > len(a) {
		a, b = b, a
	}
	return len(a)-len(b) <= 1 && withinOne(a, b) == 1
}

// compareReversed compares a and b read from their last byte to their first.
func compareReversed(a, b string) int {
	i, j := len(a)-1, len(b)-1
	for ; i >= 0 && j >= 0; i, j = i-1, j-1 {
		if a[i] != b[j] {
			if a[i] < b[j] {
				return -1
			}
			return 1
		}
	}
	return (i + 1) - (j + 1) // the shorter one, a suffix of the other, first
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
