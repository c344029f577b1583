package rules

import (
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"

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
