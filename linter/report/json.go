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
	Version  int `json:"version"`
	Files    int `json:"files"`
	Entities int `json:"entities"`
	// Services names the services asked (sentry, github, backstage, sonarqube, pagerduty, jira,
	// gitlab); empty offline.
	Services []string       `json:"services"`
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

// Write streams the document: each finding is encoded on its own and written in chunks that end
// between findings, so that a run with hundreds of thousands of findings never holds its whole
// output (or two copies of it, through a redacting writer) in memory, and a writer that redacts per
// write never sees a value cut in two. The bytes are those json.Encoder with a two-space indent
// writes for JSONOutput.
func (jsonWriter) Write(w io.Writer, res *linter.Result) error {
	head, err := json.MarshalIndent(struct {
		Version  int      `json:"version"`
		Files    int      `json:"files"`
		Entities int      `json:"entities"`
		Services []string `json:"services"`
	}{JSONVersion, res.Files, res.Entities, append([]string{}, res.Services...)}, "", "  ")
	if err != nil {
		return err
	}
	tail := struct {
		Counts     map[string]int `json:"counts"`
		Linted     []string       `json:"linted"`
		Skipped    []JSONSkip     `json:"skipped"`
		Incomplete string         `json:"incomplete,omitempty"`
	}{
		Counts:     map[string]int{"error": 0, "warning": 0, "info": 0},
		Linted:     append([]string{}, res.Linted...),
		Skipped:    make([]JSONSkip, 0, len(res.SkippedFiles)),
		Incomplete: res.Incomplete,
	}
	for _, s := range res.SkippedFiles {
		tail.Skipped = append(tail.Skipped, JSONSkip{File: s.File, Reason: s.Reason})
	}
	buf := &chunked{w: w}
	buf.Write(head[:len(head)-2]) // without "\n}"
	buf.WriteString(",\n  \"findings\": [")
	for i, f := range res.Findings {
		jf := JSONFinding{
			Rule: f.Rule, Severity: f.Severity.String(), File: f.File, Line: f.Line, Column: f.Column,
			EndLine: f.EndLine, EndColumn: f.EndColumn, Message: f.Message, Entity: f.Entity,
		}
		if f.Fix != nil {
			jf.Fix = &JSONFix{Description: f.Fix.Description, Replacement: f.Fix.Replacement,
				Start: JSONPosition{f.Fix.Start.Line, f.Fix.Start.Column, f.Fix.Start.Offset},
				End:   JSONPosition{f.Fix.End.Line, f.Fix.End.Column, f.Fix.End.Offset}}
		}
		tail.Counts[f.Severity.String()]++
		item, err := json.MarshalIndent(jf, "    ", "  ")
		if err != nil {
			return err
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString("\n    ")
		buf.Write(item)
		if err := buf.end(); err != nil {
			return err
		}
	}
	if len(res.Findings) > 0 {
		buf.WriteString("\n  ")
	}
	buf.WriteString("],\n")
	rest, err := json.MarshalIndent(tail, "", "  ")
	if err != nil {
		return err
	}
	buf.Write(rest[2:]) // without "{\n"
	buf.WriteByte('\n')
	return buf.flush()
}
