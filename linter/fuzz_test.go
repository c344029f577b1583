package linter_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/catalog-lint/catalog-lint/linter"
	"github.com/catalog-lint/catalog-lint/rules"
)

// FuzzLint runs every rule on arbitrary bytes. Whatever the input, linting must not panic, must give
// the same findings twice, and every finding must name a registered rule and a sane place.
// Seeds: testdata/fuzz/FuzzLint plus the project's golden cases.
func FuzzLint(f *testing.F) {
	for _, dir := range []string{"ok", "err", "oracle"} {
		files, _ := filepath.Glob(filepath.Join("..", "testdata", dir, "*.yaml"))
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	l, err := linter.New(linter.Options{Rules: rules.All(), Jobs: 1})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		first, entities := l.LintBytes(context.Background(), "f.yaml", data)
		second, entities2 := l.LintBytes(context.Background(), "f.yaml", data)
		if entities != entities2 {
			t.Fatalf("entities %d then %d", entities, entities2)
		}
		if diff := cmp.Diff(first, second); diff != "" {
			t.Fatalf("two runs differ:\n%s", diff)
		}
		// Lines as YAML parsers number them: CR LF, CR, LF, NEL, LS and PS each end a line.
		lines := 1 + strings.Count(strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u0085", "\n", "\u2028", "\n", "\u2029", "\n").Replace(string(data)), "\n")
		for _, fd := range first {
			if rules.Lookup(fd.Rule) == nil {
				t.Fatalf("finding of unregistered rule %q", fd.Rule)
			}
			if fd.Line < 0 || fd.Column < 0 || fd.Line > lines || fd.EndLine < fd.Line ||
				(fd.EndLine == fd.Line && fd.EndColumn < fd.Column) {
				t.Fatalf("finding at an impossible place: %+v (file has %d lines)", fd, lines)
			}
			if fd.Message == "" {
				t.Fatalf("finding without a message: %+v", fd)
			}
		}
	})
}
