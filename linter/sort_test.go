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

// BenchmarkSortFindings sorts findings shaped as a catalog-wide run's (as-run): each of two workers'
// files in the order of the walk, with their answers in question order, one worker's after the
// other's; and the same findings shuffled.
func BenchmarkSortFindings(b *testing.B) {
	n := benchFiles() * 26 / 10 // a monorepo run: about 2.6 findings per service
	files := max(n/3, 1)
	rng := rand.New(rand.NewSource(1))
	var workers [2][]linter.Finding
	for file := 0; file < files; file++ {
		w := rng.Intn(2) // the worker that took the file
		for line := 11; line < 14; line++ {
			workers[w] = append(workers[w], linter.Finding{File: fmt.Sprintf("services/svc-%05d/catalog-info.yaml", file), Line: line,
				Column: 3, Rule: "relation-target-missing", Message: fmt.Sprintf("spec.owner refers to group:default/team-%04d", rng.Intn(1000))})
		}
	}
	asRun := append(workers[0], workers[1]...)
	shuffled := slices.Clone(asRun)
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, c := range []struct {
		name string
		src  []linter.Finding
	}{{"as-run", asRun}, {"shuffled", shuffled}} {
		b.Run(c.name, func(b *testing.B) {
			fs := make([]linter.Finding, len(c.src))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				fs = append(fs[:0], c.src...)
				b.StartTimer()
				linter.SortFindings(fs)
			}
		})
	}
}

// TestMergeResultsLinted: results of several repositories merge into one list of linted files,
// sorted, each with its own entity count (0 for a result that has none).
func TestMergeResultsLinted(t *testing.T) {
	a := &linter.Result{Files: 2, Linted: []string{"b/catalog-info.yaml", "d/catalog-info.yaml"}, LintedEntities: []int{2, 4}}
	b := &linter.Result{Files: 2, Linted: []string{"a/catalog-info.yaml", "c/catalog-info.yaml"}, LintedEntities: []int{1, 3}}
	c := &linter.Result{Files: 1, Linted: []string{"e/catalog-info.yaml"}}
	got := linter.MergeResults(a, b, c)
	want := []string{"a/catalog-info.yaml", "b/catalog-info.yaml", "c/catalog-info.yaml", "d/catalog-info.yaml", "e/catalog-info.yaml"}
	if !slices.Equal(got.Linted, want) || !slices.Equal(got.LintedEntities, []int{1, 2, 3, 4, 0}) || got.Files != 5 {
		t.Errorf("merged: %v %v, %d files", got.Linted, got.LintedEntities, got.Files)
	}
}
