// Package report writes lint results in the formats catalog-lint offers: text for people, json for
// scripts, sarif for code scanning, github for workflow annotations and gitlab for GitLab's Code
// Quality report.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/catalog-lint/catalog-lint/linter"
)

// Formats lists the output formats, in the order help text shows them.
var Formats = []string{"text", "json", "sarif", "github", "gitlab"}

// Options carry what a format needs besides the result.
type Options struct {
	// Color adds ANSI colours (text only).
	Color bool
	// Rules is the registry, for SARIF rule descriptors and help links.
	Rules []*linter.Rule
	// Version is the tool version written into SARIF.
	Version string
}

// Writer writes one result in one format.
type Writer interface {
	Write(w io.Writer, res *linter.Result) error
}

// New returns the writer for format.
func New(format string, opts Options) (Writer, error) {
	switch format {
	case "text":
		return &textWriter{opts}, nil
	case "json":
		return &jsonWriter{}, nil
	case "sarif":
		return &sarifWriter{opts}, nil
	case "github":
		return &githubWriter{}, nil
	case "gitlab":
		return &gitlabWriter{}, nil
	}
	return nil, fmt.Errorf("unknown format %q; use %s", format, strings.Join(Formats, ", "))
}

// Counts returns the number of findings per severity.
func Counts(fs []linter.Finding) map[linter.Severity]int {
	c := map[linter.Severity]int{}
	for _, f := range fs {
		c[f.Severity]++
	}
	return c
}

// Summary says in one line what a run found: "2 errors and 1 warning in 2 of 10 files (14 entities)".
func Summary(res *linter.Result) string {
	c := Counts(res.Findings)
	var parts []string
	for _, s := range []linter.Severity{linter.SeverityError, linter.SeverityWarning, linter.SeverityInfo} {
		if n := c[s]; n > 0 {
			word := s.String()
			if s == linter.SeverityInfo {
				word = "notice"
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, plural(n, word)))
		}
	}
	scope := fmt.Sprintf("%d %s (%d %s)", res.Files, plural(res.Files, "file"), res.Entities, pluralEntity(res.Entities))
	if n := len(res.SkippedFiles); n > 0 {
		scope += fmt.Sprintf("; %d %s skipped", n, plural(n, "file"))
	}
	if len(parts) == 0 {
		return "no problems in " + scope
	}
	files := map[string]bool{}
	fixable := 0
	for _, f := range res.Findings {
		files[f.File] = true
		if f.Fix != nil {
			fixable++
		}
	}
	out := fmt.Sprintf("%s in %d of %s", joinAnd(parts), len(files), scope)
	if fixable > 0 {
		out += fmt.Sprintf("; %d fixable with --fix", fixable)
	}
	return out
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func pluralEntity(n int) string {
	if n == 1 {
		return "entity"
	}
	return "entities"
}

func joinAnd(parts []string) string {
	if len(parts) <= 1 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// usedRules returns the rules findings refer to, sorted by ID, looked up in the registry.
func usedRules(res *linter.Result, registry []*linter.Rule) []*linter.Rule {
	byID := map[string]*linter.Rule{}
	for _, r := range registry {
		byID[r.ID] = r
	}
	seen := map[string]bool{}
	var out []*linter.Rule
	for _, f := range res.Findings {
		if r := byID[f.Rule]; r != nil && !seen[f.Rule] {
			seen[f.Rule] = true
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
