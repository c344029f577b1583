package rules

import (
	"reflect"
	"runtime"
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
