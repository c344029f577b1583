package report

import (
	"encoding/json"
	"io"

	"github.com/catalog-lint/catalog-lint/linter"
)

// JSONVersion is the version of the JSON output's shape; it changes only when a field changes meaning
// or disappears.
const JSONVersion = 1

// jsonWriter writes one object:
// {"version":1,"files":N,"entities":N,"findings":[...],"counts":{...},"linted":[...],"skipped":[...]}.
type jsonWriter struct{}

// JSONOutput is the JSON document, exported so that tests and integrations can decode it.
type JSONOutput struct {
	Version  int            `json:"version"`
	Files    int            `json:"files"`
	Entities int            `json:"entities"`
	Findings []JSONFinding  `json:"findings"`
	Counts   map[string]int `json:"counts"`
	// Linted names every file linted; Skipped the files found and left out, with the reason.
	Linted  []string   `json:"linted"`
	Skipped []JSONSkip `json:"skipped"`
	// Incomplete, when present, says why the run stopped before reading everything (a budget, the
	// time limit): nothing was reported as missing.
	Incomplete string `json:"incomplete,omitempty"`
}

// JSONSkip is a file discovery found but did not lint.
type JSONSkip struct {
	File   string `json:"file"`
	Reason string `json:"reason"`
}

// JSONFinding is one finding. Line and column are 1-based; 0 means the finding is about the whole
// file. EndColumn is inclusive.
type JSONFinding struct {
	Rule      string   `json:"rule"`
	Severity  string   `json:"severity"`
	File      string   `json:"file"`
	Line      int      `json:"line"`
	Column    int      `json:"column"`
	EndLine   int      `json:"endLine"`
	EndColumn int      `json:"endColumn"`
	Message   string   `json:"message"`
	Entity    string   `json:"entity,omitempty"`
	Fix       *JSONFix `json:"fix,omitempty"`
}

// JSONFix is a finding's fix: replace the bytes from start to end (exclusive) with replacement.
type JSONFix struct {
	Description string       `json:"description"`
	Start       JSONPosition `json:"start"`
	End         JSONPosition `json:"end"`
	Replacement string       `json:"replacement"`
}

// JSONPosition is a 1-based line and column (in characters) and a 0-based byte offset.
type JSONPosition struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Offset int `json:"offset"`
}

func (jsonWriter) Write(w io.Writer, res *linter.Result) error {
	out := JSONOutput{
		Version: JSONVersion, Files: res.Files, Entities: res.Entities,
		Findings:   make([]JSONFinding, 0, len(res.Findings)),
		Counts:     map[string]int{"error": 0, "warning": 0, "info": 0},
		Linted:     append([]string{}, res.Linted...),
		Skipped:    make([]JSONSkip, 0, len(res.SkippedFiles)),
		Incomplete: res.Incomplete,
	}
	for _, s := range res.SkippedFiles {
		out.Skipped = append(out.Skipped, JSONSkip{File: s.File, Reason: s.Reason})
	}
	for _, f := range res.Findings {
		jf := JSONFinding{
			Rule: f.Rule, Severity: f.Severity.String(), File: f.File, Line: f.Line, Column: f.Column,
			EndLine: f.EndLine, EndColumn: f.EndColumn, Message: f.Message, Entity: f.Entity,
		}
		if f.Fix != nil {
			jf.Fix = &JSONFix{Description: f.Fix.Description, Replacement: f.Fix.Replacement,
				Start: JSONPosition{f.Fix.Start.Line, f.Fix.Start.Column, f.Fix.Start.Offset},
				End:   JSONPosition{f.Fix.End.Line, f.Fix.End.Column, f.Fix.End.Offset}}
		}
		out.Findings = append(out.Findings, jf)
		out.Counts[f.Severity.String()]++
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
