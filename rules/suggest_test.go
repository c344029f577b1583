package rules

import (
	"cmp"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/catalog-lint/catalog-lint/linter"
)

// TestSuggestIndex: the bounded index finds what comparing with every name finds, for the mistakes
// people make: a typo, a transposition, a missing or extra character, near the start or the end.
func TestSuggestIndex(t *testing.T) {
	refs := []string{"group:default/team-payments", "group:default/team-platform", "group:default/team-web",
		"group:default/data-eng", "group:default/alice-team", "group:default/sre"}
	idx := newSuggestIndex(refs)
	tests := []struct{ name, want string }{
		{"team-paymnets", "team-payments"}, // transposition near the end
		{"taem-payments", "team-payments"}, // transposition near the start
		{"team-payment", "team-payments"},  // one character missing
		{"team-webb", "team-web"},          // one extra
		{"xata-eng", "data-eng"},           // the first character
		{"sre", ""},                        // the name itself is not a suggestion
		{"srx", "sre"},
		{"finance", ""}, // nothing close
	}
	for _, tt := range tests {
		if got := idx.nearest(tt.name, 2); got != tt.want {
			t.Errorf("nearest(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestSuggestIndexAgreesWithFullComparison: among 10,000 similar names, a name one edit away from
// defined ones gets the suggestion comparing it with every name gives (the closest, then the first);
// a name two edits away at the same end gets one at the same distance in most cases (the bounded part
// is best effort: a dense numbered namespace is its worst case).
func TestSuggestIndexAgreesWithFullComparison(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	var refs, names []string
	seen := map[string]bool{}
	for len(names) < 10000 {
		n := fmt.Sprintf("%s-%s-%d", []string{"svc", "api", "web", "data"}[rng.Intn(4)], []string{"payments", "orders", "search", "users"}[rng.Intn(4)], rng.Intn(20000))
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
			refs = append(refs, "component:default/"+n)
		}
	}
	idx := newSuggestIndex(refs)
	brute := func(name string) (string, int) {
		best, bestD := "", 3
		for _, c := range names {
			if c == name {
				continue
			}
			if d := editDistance(name, c); d < bestD || d == bestD && c < best {
				best, bestD = c, d
			}
		}
		return best, bestD
	}
	edit := func(s string, at int) string { // a substitution at position at
		b := []byte(s)
		b[at] = "abcdefghijklmnopqrstuvwxyz0123456789"[rng.Intn(36)]
		return string(b)
	}
	swap := func(s string, at int) string {
		b := []byte(s)
		b[at], b[at+1] = b[at+1], b[at]
		return string(b)
	}
	twoEdits, twoFound := 0, 0
	for i := 0; i < 200; i++ {
		n := names[rng.Intn(len(names))]
		var typo string
		switch i % 4 {
		case 0: // one edit anywhere
			typo = edit(n, rng.Intn(len(n)))
		case 1: // two characters swapped
			typo = swap(n, rng.Intn(len(n)-1))
		case 2: // two edits near the end
			typo = edit(edit(n, len(n)-1), len(n)-3)
		case 3: // two edits near the start
			typo = edit(edit(n, 0), 2)
		}
		if seen[typo] {
			continue
		}
		want, wantD := brute(typo)
		got := idx.nearest(typo, 2)
		switch {
		case wantD <= 1 && got != want:
			t.Errorf("nearest(%q) = %q, comparing with every name gives %q at distance %d", typo, got, want, wantD)
		case wantD == 2:
			twoEdits++
			if got != "" && editDistance(typo, got) == 2 {
				twoFound++
			}
		}
	}
	if twoEdits == 0 || twoFound*100 < twoEdits*80 {
		t.Errorf("two edits away: %d of %d found", twoFound, twoEdits)
	}
	t.Logf("two edits away: %d of %d found", twoFound, twoEdits)
}

// TestBoundedDistanceAgreesWithEditDistance: the banded distance is the full one whenever that is
// within the limit, and limit+1 otherwise, on random short strings over a small alphabet (where
// near misses are common) and on longer ones past the fixed buffers.
func TestBoundedDistanceAgreesWithEditDistance(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "abc"[rng.Intn(3)]
		}
		return string(b)
	}
	for i := 0; i < 20000; i++ {
		n := rng.Intn(9)
		if i%100 == 0 {
			n = 60 + rng.Intn(20)
		}
		a := word(n)
		b := []byte(a)
		for e := rng.Intn(4); e > 0 && len(b) > 0; e-- { // a few edits of a, or another word
			b[rng.Intn(len(b))] = "abc"[rng.Intn(3)]
		}
		if rng.Intn(3) == 0 {
			b = []byte(word(rng.Intn(9)))
		}
		if rng.Intn(3) == 0 && len(b) > 0 {
			b = b[:len(b)-1]
		}
		limit := rng.Intn(4)
		want := min(editDistance(a, string(b)), limit+1)
		if got := boundedDistance(a, string(b), limit); got != want {
			t.Fatalf("boundedDistance(%q, %q, %d) = %d, want %d", a, b, limit, got, want)
		}
	}
}

func TestCompareReversed(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	rev := func(s string) string {
		b := []byte(s)
		slices.Reverse(b)
		return string(b)
	}
	for i := 0; i < 10000; i++ {
		a, b := make([]byte, rng.Intn(5)), make([]byte, rng.Intn(5))
		for k := range a {
			a[k] = "ab"[rng.Intn(2)]
		}
		for k := range b {
			b[k] = "ab"[rng.Intn(2)]
		}
		want := strings.Compare(rev(string(a)), rev(string(b)))
		if got := compareReversed(string(a), string(b)); (got < 0) != (want < 0) || (got == 0) != (want == 0) {
			t.Fatalf("compareReversed(%q, %q) = %d, want the sign of %d", a, b, got, want)
		}
	}
}

// TestSuggestIndexDeletesSorted: the index's deletions are sorted by hash, then name (what nearest's
// early stop relies on), and each bucket holds exactly the deletions whose hash starts with its bits,
// for catalogs of 0 to 5,000 names.
func TestSuggestIndexDeletesSorted(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, n := range []int{0, 1, 2, 17, 300, 5000} {
		refs := make([]string, n)
		for i := range refs {
			refs[i] = fmt.Sprintf("component:default/svc-%d-%c", rng.Intn(100000), 'a'+rng.Intn(26))
		}
		idx := newSuggestIndex(refs)
		want := 0
		for _, name := range idx.names {
			want += len(name) + 1
		}
		if len(idx.deletes) != want {
			t.Fatalf("%d names: %d deletions, want %d", n, len(idx.deletes), want)
		}
		if !slices.IsSortedFunc(idx.deletes, func(a, b deleted) int {
			if a.hash != b.hash {
				return cmp.Compare(a.hash, b.hash)
			}
			return cmp.Compare(a.name, b.name)
		}) {
			t.Fatalf("%d names: deletions not sorted by hash, then name", n)
		}
		for b := 0; b+1 < len(idx.buckets); b++ {
			for _, d := range idx.deletes[idx.buckets[b]:idx.buckets[b+1]] {
				if int(d.hash>>(32-idx.bits)) != b {
					t.Fatalf("%d names: hash %08x in bucket %d", n, d.hash, b)
				}
			}
		}
		if last := idx.buckets[len(idx.buckets)-1]; int(last) != len(idx.deletes) {
			t.Fatalf("%d names: the last bucket ends at %d of %d", n, last, len(idx.deletes))
		}
	}
}

// TestSuggestAllAgreesWithNearest: suggestAll, which looks refs up in parallel and remembers what it
// found in a slot per hash, says for each ref what its kind's index says alone, over more distinct
// refs than the memo has slots, each asked several times in a shuffled order (two refs of one slot
// in turn), across kinds.
func TestSuggestAllAgreesWithNearest(t *testing.T) {
	repo, err := linter.DiskRepo(t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	cat := linter.NewCatalog(repo)
	rng := rand.New(rand.NewSource(3))
	var refs []string
	for i := 0; i < 6000; i++ {
		for _, kind := range []string{"api", "group"} {
			ref := fmt.Sprintf("%s:default/svc-%05d", kind, i)
			if rng.Intn(10) < 3 {
				cat.Define(linter.Definition{Ref: ref, File: "catalog-info.yaml", Path: "catalog-info.yaml", Line: 1 + i})
			} else {
				for range 1 + rng.Intn(3) {
					refs = append(refs, ref)
				}
			}
		}
	}
	rng.Shuffle(len(refs), func(i, j int) { refs[i], refs[j] = refs[j], refs[i] })
	got := (&CatalogResolver{Catalog: cat}).suggestAll(refs)
	indexes := map[string]*suggestIndex{}
	found := 0
	for i, ref := range refs {
		prefix, name, _ := strings.Cut(ref, "/")
		if indexes[prefix] == nil {
			indexes[prefix] = newSuggestIndex(cat.Refs(prefix + "/"))
		}
		want := ""
		if near := indexes[prefix].nearest(name, 2); near != "" {
			want, found = "; did you mean "+prefix+"/"+near+"?", found+1
		}
		if got[i] != want {
			t.Fatalf("%s (question %d): %q, its index alone says %q", ref, i, got[i], want)
		}
	}
	if len(refs) < 2*len(suggestMemo{}) || found < len(refs)/2 {
		t.Fatalf("%d refs, %d with a suggestion: too few to test the memo", len(refs), found)
	}
}
