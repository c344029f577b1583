package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/catalog-lint/catalog-lint/integrations"
	"github.com/catalog-lint/catalog-lint/internal/redact"
)

// BenchmarkLSPLintAfterChange is what `catalog-lint lsp` does after a change to a 1,000-line catalog
// file (100 Components of 10 lines, one tag in upper case among them): lint the document as the
// editor holds it, offline (issue 22's goal: diagnostics within 50 ms).
func BenchmarkLSPLintAfterChange(b *testing.B) {
	dir := b.TempDir()
	var sb strings.Builder
	for i := 0; i < 100; i++ {
		tag := "web"
		if i == 50 {
			tag = "Web-Frontend"
		}
		fmt.Fprintf(&sb, "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: service-%03d\n  tags: [%s]\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n", i, tag)
	}
	text := sb.String()
	if n := strings.Count(text, "\n"); n != 1000 {
		b.Fatalf("%d lines", n)
	}
	path := filepath.Join(dir, "catalog-info.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		b.Fatal(err)
	}
	l := &lspLinter{f: checkFlags{offline: true}, deps: Deps{Env: func(string) string { return "" }, Redact: redact.New()},
		conn: integrations.Connected{}, sentries: map[string]integrations.Service{}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		findings, err := l.lint(context.Background(), path, text, nil, false)
		if err != nil || len(findings) != 1 {
			b.Fatalf("%v, %d findings", err, len(findings))
		}
	}
}
