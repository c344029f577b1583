package linter

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

func TestApplyFixesOverlap(t *testing.T) {
	data := []byte("a: 12345\n")
	first := Fix{Start: Position{1, 4, 3}, End: Position{1, 9, 8}, Replacement: `"12345"`}
	overlapping := Fix{Start: Position{1, 5, 4}, End: Position{1, 6, 5}, Replacement: "X"}
	out, applied, skipped := ApplyFixes(data, []Fix{overlapping, first})
	if string(out) != "a: \"12345\"\n" || len(applied) != 1 || applied[0] != first || len(skipped) != 1 || skipped[0] != overlapping {
		t.Errorf("out %q, applied %v, skipped %v", out, applied, skipped)
	}
}

// TestMakeFixOnlyWhenCertain: a fix is made only for a single-line scalar whose text is what the
// parser read, keeping its quoting style.
func TestMakeFixOnlyWhenCertain(t *testing.T) {
	tests := []struct {
		name, input string
		edit        Edit
		want        string // the fixed file; "" for no fix
	}{
		{"plain number quoted", "a: 4711 # c\n", QuoteValue(""), "a: \"4711\" # c\n"},
		{"plain replaced", "a: Python\n", ReplaceValue("python", ""), "a: python\n"},
		{"single quotes kept", "a: 'Go'\n", ReplaceValue("go", ""), "a: 'go'\n"},
		{"double quotes kept", "a: \"Go\"\n", ReplaceValue("go", ""), "a: \"go\"\n"},
		{"plain that needs quotes", "a: x\n", ReplaceValue("yes: no", ""), "a: \"yes: no\"\n"},
		{"a value that would read as a number is quoted", "a: x\n", ReplaceValue("123", ""), "a: \"123\"\n"},
		{"escapes in double quotes: not certain", "a: \"G\\x6F\"\n", ReplaceValue("go", ""), ""},
		{"multi-line plain: not certain", "a: one\n  two\n", ReplaceValue("x", ""), ""},
		{"literal block: not certain", "a: |\n  Go\n", ReplaceValue("go", ""), ""},
		{"already quoted: no quote fix", "a: \"4711\"\n", QuoteValue(""), ""},
		{"non-ASCII before the value", "ü: Python\n", ReplaceValue("python", ""), "ü: python\n"},
		{"CRLF kept", "a: 42\r\nb: 1\r\n", QuoteValue(""), "a: \"42\"\r\nb: 1\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(tt.input), &doc); err != nil {
				t.Fatal(err)
			}
			v := doc.Content[0].Content[1]
			fix := makeFix(&source{data: []byte(tt.input)}, v.Line, v.Column, v.Kind, v.Style, v.Value, tt.edit)
			got := ""
			if fix != nil {
				out, _, _ := ApplyFixes([]byte(tt.input), []Fix{*fix})
				got = string(out)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestAnswerFixFindsItsNodeAgain: a question keeps no node; an answer with a replacement finds the
// value again in the file, by position, keeping its quoting; a file whose line changed since the
// question was asked gets no fix.
func TestAnswerFixFindsItsNodeAgain(t *testing.T) {
	data := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: a\n  annotations:\n    sentry.io/project-slug: 'acme/old'\n"
	at, from, text := place{line: 6, column: 29, endLine: 6, endColumn: 38}, &asker{file: "catalog-info.yaml"}, "    sentry.io/project-slug: 'acme/old'"
	replace := "acme/new"
	f := answerSources{"catalog-info.yaml": &source{data: []byte(data)}}.place(at, from, text, &replace)
	if f.Fix == nil || f.Fix.Replacement != "'acme/new'" || f.Fix.Start.Offset != strings.Index(data, "'acme/old'") ||
		f.Fix.End.Offset != strings.Index(data, "'acme/old'")+len("'acme/old'") {
		t.Fatalf("fix: %+v", f.Fix)
	}
	changed := strings.Replace(data, "acme/old", "acme/older", 1)
	if f := (answerSources{"catalog-info.yaml": &source{data: []byte(changed)}}).place(at, from, text, &replace); f.Fix != nil {
		t.Errorf("a line changed since the question: fix %+v", f.Fix)
	}
}
