package linter_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

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

// FuzzCatalog ingests arbitrary bytes as Backstage would: as a repository's catalog-info.yaml whose
// Locations are followed (every target reads the same bytes), as its app-config.yaml, with the
// catalog-wide rules. Whatever the input, it must not panic, must not loop, and must give the same
// result twice. Seeds: the catalog golden archives' files.
func FuzzCatalog(f *testing.F) {
	archives, _ := filepath.Glob(filepath.Join("..", "testdata", "catalog", "*.txtar"))
	for _, a := range archives {
		if ar, err := txtar.ParseFile(a); err == nil {
			for _, file := range ar.Files {
				f.Add(file.Data)
			}
		}
	}
	run := func(data []byte) *linter.Result {
		files := linter.TreeFiles("catalog-info.yaml", "app-config.yaml", "org.yaml", "sub/a.yaml", "sub/b.yml", "skeleton/catalog-info.yaml", "packages/backend/x")
		fsys := linter.NewTreeFS(files, func(string) ([]byte, error) { return data, nil })
		cat := linter.NewCatalog(linter.NewTreeRepo(fsys))
		cfg := linter.DefaultConfig("/")
		l, err := linter.New(linter.Options{Rules: rules.All(), Jobs: 1, Config: cfg, Catalog: cat, Resolvers: rules.CatalogResolvers(cat, nil)})
		if err != nil {
			f.Fatal(err)
		}
		res, err := l.LintPaths(context.Background(), []string{"."}, cfg)
		if err != nil {
			f.Fatal(err)
		}
		return res
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		first, second := run(data), run(data)
		first.Skipped, second.Skipped = nil, nil // rule values, the same each time
		if diff := cmp.Diff(first, second); diff != "" {
			t.Fatalf("two runs differ:\n%s", diff)
		}
		if first.Files > 6 {
			t.Fatalf("%d files linted from a tree of 5", first.Files)
		}
		for _, fd := range first.Findings {
			if rules.Lookup(fd.Rule) == nil || fd.Message == "" || fd.Line < 0 {
				t.Fatalf("bad finding %+v", fd)
			}
		}
	})
}

// FuzzFix: whatever the input, applying the fixes of its findings changes only the bytes inside the
// fix ranges, and linting again leaves none of the findings that were fixed. Seeds: testdata/fix.
func FuzzFix(f *testing.F) {
	for _, dir := range []string{"fix", "err"} {
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
		findings, _ := l.LintBytes(context.Background(), "f.yaml", data)
		var fixes []linter.Fix
		fixedBy := map[linter.Fix]linter.Finding{}
		for _, fd := range findings {
			if fd.Fix != nil {
				fixes = append(fixes, *fd.Fix)
				fixedBy[*fd.Fix] = fd
			}
		}
		if len(fixes) == 0 {
			return
		}
		out, applied, _ := linter.ApplyFixes(data, fixes)
		// Every byte outside the applied ranges is the same, in the same order.
		var kept, keptOut []byte
		at, atOut := 0, 0
		for _, fx := range applied {
			if fx.Start.Offset < at || fx.End.Offset > len(data) {
				t.Fatalf("fix out of order or range: %+v", fx)
			}
			gap := fx.Start.Offset - at
			kept = append(kept, data[at:fx.Start.Offset]...)
			keptOut = append(keptOut, out[atOut:atOut+gap]...)
			if string(out[atOut+gap:atOut+gap+len(fx.Replacement)]) != fx.Replacement {
				t.Fatalf("replacement not where it belongs: %+v", fx)
			}
			at, atOut = fx.End.Offset, atOut+gap+len(fx.Replacement)
		}
		kept, keptOut = append(kept, data[at:]...), append(keptOut, out[atOut:]...)
		if !bytes.Equal(kept, keptOut) {
			t.Fatalf("bytes outside the fixes changed:\n%q\n%q", data, out)
		}
		// The fixed findings are gone.
		again, _ := l.LintBytes(context.Background(), "f.yaml", out)
		for _, fx := range applied {
			was := fixedBy[fx]
			for _, fd := range again {
				if fd.Rule == was.Rule && fd.Line == was.Line && fd.Column == was.Column && fd.Message == was.Message {
					t.Fatalf("still there after its fix %+v:\n%s\n%q", fx, fd.Message, out)
				}
			}
		}
	})
}
