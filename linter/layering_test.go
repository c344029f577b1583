package linter

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestEngineImportsNoIntegration: the engine knows no integration; Sentry, GitHub and the Backstage
// catalog read their own settings and answer their own questions (docs/development.md).
func TestEngineImportsNoIntegration(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, banned := range []string{"/sentry", "/rules", "/webhook", "/backstage", "go-github"} {
				if strings.Contains(path, banned) {
					t.Errorf("%s imports %s: the engine must not know an integration or a rule", f, path)
				}
			}
		}
	}
}
