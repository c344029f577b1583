package linter_test

import (
	"cmp"
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/catalog-lint/catalog-lint/linter"
)

// TestSortFindingsOrder: SortFindings orders by file, line, column, rule and message, keeps findings
// equal in those in the order they came (they differ elsewhere: entity, fix), and drops exact
// repeats, as a stable sort of the findings themselves would; on random findings with many ties.
func TestSortFindingsOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for round := 0; round < 50; round++ {
		n := rng.Intn(400)
		fs := make([]linter.Finding, n)
		for i := range fs {
			fs[i] = linter.Finding{File: fmt.Sprintf("f%d.yaml", rng.Intn(4)), Line: rng.Intn(5), Column: rng.Intn(3),
				Rule: fmt.Sprintf("r%d", rng.Intn(3)), Message: fmt.Sprintf("m%d", rng.Intn(2)), Entity: fmt.Sprintf("e%d", rng.Intn(3))}
			if rng.Intn(4) == 0 {
				fs[i].Fix = &linter.Fix{Description: fmt.Sprintf("fix%d", rng.Intn(2))}
			}
		}
		want := slices.Clone(fs)
		sort.SliceStable(want, func(i, j int) bool {
			a, b := want[i], want[j]
			return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column),
				strings.Compare(a.Rule, b.Rule), strings.Compare(a.Message, b.Message)) < 0
		})
		want = slices.CompactFunc(want, func(a, b linter.Finding) bool {
			return a.File == b.File && a.Line == b.Line && a.Column == b.Column && a.Rule == b.Rule && a.Message == b.Message &&
				a.Entity == b.Entity && (a.Fix == nil) == (b.Fix == nil) && (a.Fix == nil || a.Fix.Description == b.Fix.Description)
		})
		got := linter.SortFindings(fs)
		if len(got) != len(want) {
			t.Fatalf("round %d: %d findings, want %d", round, len(got), len(want))
		}
		for i := range got {
			g, w := got[i], want[i]
			if g.File != w.File || g.Line != w.Line || g.Column != w.Column || g.Rule != w.Rule || g.Message != w.Message ||
				g.Entity != w.Entity || (g.Fix == nil) != (w.Fix == nil) || g.Fix != nil && g.Fix.Description != w.Fix.Description {
				t.Fatalf("round %d, finding %d: got %+v, want %+v", round, i, g, w)
			}
		}
	}
}

// BenchmarkSortFindings sorts findings shaped as a catalog-wide run's: each file's reading findings,
// then every rule's answers in question order (by file, as the workers read them).
func BenchmarkSortFindings(b *testing.B) {
	n := benchFiles() * 26 / 10 // a monorepo run: about 2.6 findings per service
	files := max(n/3, 1)
	src := make([]linter.Finding, n)
	rng := rand.New(rand.NewSource(1))
	for i := range src {
		file := (i*7919 + rng.Intn(3)) % files // the workers' interleaving
		src[i] = linter.Finding{File: fmt.Sprintf("services/svc-%05d/catalog-info.yaml", file), Line: 10 + rng.Intn(8), Column: 3,
			Rule: "relation-target-missing", Message: fmt.Sprintf("spec.owner refers to group:default/team-%04d", rng.Intn(1000))}
	}
	fs := make([]linter.Finding, n)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		fs = append(fs[:0], src...)
		b.StartTimer()
		linter.SortFindings(fs)
	}
}
