package linter_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/catalog-lint/catalog-lint/linter"
	"github.com/catalog-lint/catalog-lint/rules"
)

// hostileInputs are built to exhaust time or memory, each within the default 1 MiB size limit. A
// quadratic path would take minutes on them; BenchmarkHostileInput reports what they cost.
func hostileInputs() []struct{ name, input, rule string } {
	var bomb strings.Builder
	bomb.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 30; i++ {
		bomb.WriteString("a" + itoa(i) + ": &a" + itoa(i) + " [" + strings.TrimSuffix(strings.Repeat("*a"+itoa(i-1)+", ", 10), ", ") + "]\n")
	}
	head := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: a}\n"
	return []struct{ name, input, rule string }{
		{"alias bomb", bomb.String(), "yaml-limits"},
		{"deep flow nesting", strings.Repeat("[", 5000) + strings.Repeat("]", 5000), "yaml-limits"},
		{"deeper than yaml.v3 allows", strings.Repeat("[", 20000), "yaml-syntax"},
		{"deep block nesting", deepBlock(1200), "yaml-limits"},
		{"NUL bytes", "a: b\x00c\n", "file-encoding"},
		{"invalid UTF-8", "a: \xff\xfe\n", "file-encoding"},
		{"tab indentation", "a:\n\tb: c\n", "yaml-syntax"},
		{"unknown anchor", "a: *nope\n", "yaml-syntax"},
		{"repeated keys on one line", "{" + strings.Repeat("a: 1, ", 170000) + "}\n", "yaml-duplicate-key"},
		{"repeated spec keys on one line", head + "spec: {" + strings.Repeat("type: a, ", 110000) + "}\n", "yaml-duplicate-key"},
		{"repeated spec keys", head + "spec:\n" + strings.Repeat("  type: a\n", 100000), "yaml-duplicate-key"},
		{"bad tags on one line", "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: a, tags: [" + strings.Repeat("A, ", 340000) + "]}\n", "tag-format"},
		{"many documents", strings.Repeat("---\n- a\n", 120000), "document-not-mapping"},
		{"many syntax errors", strings.Repeat("---\n[\n", 170000), "yaml-syntax"},
	}
}

// TestHostileInput requires each hostile input to end in the expected finding, without a panic.
func TestHostileInput(t *testing.T) {
	l, err := linter.New(linter.Options{Rules: rules.All(), Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range hostileInputs() {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.input) > linter.DefaultMaxFileSize {
				t.Fatalf("input is %d bytes, over the default limit", len(tt.input))
			}
			got, _ := l.LintBytes(context.Background(), "f.yaml", []byte(tt.input))
			for _, f := range got {
				if f.Rule == tt.rule {
					return
				}
			}
			t.Errorf("want a %s finding, got %d findings, first %+v", tt.rule, len(got), got[:min(len(got), 1)])
		})
	}
}

func BenchmarkHostileInput(b *testing.B) {
	l, _ := linter.New(linter.Options{Rules: rules.All(), Offline: true})
	for _, tt := range hostileInputs() {
		b.Run(strings.ReplaceAll(tt.name, " ", "-"), func(b *testing.B) {
			data := []byte(tt.input)
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				l.LintBytes(context.Background(), "f.yaml", data)
			}
		})
	}
}

func deepBlock(depth int) string {
	var b strings.Builder
	for i := 0; i < depth; i++ {
		b.WriteString(strings.Repeat(" ", i) + "a:\n")
	}
	return b.String()
}

func itoa(i int) string { return strconv.Itoa(i) }
