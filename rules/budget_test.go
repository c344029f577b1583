package rules

import (
	"context"
	"strings"
	"testing"

	"github.com/catalog-lint/catalog-lint/linter"
)

// TestFindingsPerFileAreBounded: a 600 KB file with 150,000 bad tags (issue 19, case 2) gives the
// first 1,000 findings and one more saying how many were left out.
func TestFindingsPerFileAreBounded(t *testing.T) {
	tags := strings.TrimSuffix(strings.Repeat("Bad, ", 150000), ", ")
	doc := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments\n  tags: [" + tags + "]\n" +
		"spec:\n  type: service\n  lifecycle: production\n  owner: team-payments\n"
	cfg := linter.DefaultConfig(".")
	cfg.MaxFileSize = 2 << 20
	l, err := linter.New(linter.Options{Rules: All(), Config: cfg, Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	findings, _ := l.LintBytes(context.Background(), "catalog-info.yaml", []byte(doc))
	if len(findings) != linter.DefaultMaxFindingsPerFile+1 {
		t.Fatalf("%d findings, want %d", len(findings), linter.DefaultMaxFindingsPerFile+1)
	}
	last := findings[0] // the file-wide finding sorts first (line 0)
	if last.Rule != linter.RuleFindingsLimit.ID || !strings.Contains(last.Message, "149000 more findings in this file are not shown") {
		t.Errorf("the limit's finding: %+v", last)
	}
}
