package report

import (
	"encoding/json"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/catalog-lint/catalog-lint/linter"
)

// gitlabWriter writes GitLab's Code Quality report (doc/ci/testing/code_quality.md, "Code Quality
// report format"): one JSON array, no byte order mark, an issue per finding with description,
// check_name, fingerprint, severity and location.path and location.lines.begin. A job publishes it
// with `artifacts: reports: codequality:`.
type gitlabWriter struct{}

// GitLabIssue is one issue of a Code Quality report (the fields GitLab reads; it ignores the rest of
// the Code Climate format).
type GitLabIssue struct {
	Description string         `json:"description"`
	CheckName   string         `json:"check_name"`
	Fingerprint string         `json:"fingerprint"`
	Severity    string         `json:"severity"`
	Location    GitLabLocation `json:"location"`
}

// GitLabLocation is where an issue is: a path relative to the project's root and a 1-based line.
type GitLabLocation struct {
	Path  string `json:"path"`
	Lines struct {
		Begin int `json:"begin"`
	} `json:"lines"`
}

// gitlabSeverity maps a finding's severity to Code Quality's (info, minor, major, critical,
// blocker): an error is major, a warning minor, an info info.
func gitlabSeverity(s linter.Severity) string {
	switch s {
	case linter.SeverityError:
		return "major"
	case linter.SeverityWarning:
		return "minor"
	}
	return "info"
}

// Write streams the array, a chunk of issues at a time (as jsonWriter does).
func (gitlabWriter) Write(w io.Writer, res *linter.Result) error {
	buf := &chunked{w: w}
	buf.WriteByte('[')
	seen := map[string]int{}
	for i, f := range res.Findings {
		issue := GitLabIssue{Description: f.Message, CheckName: f.Rule, Severity: gitlabSeverity(f.Severity)}
		issue.Location.Path = strings.TrimPrefix(filepath.ToSlash(f.File), "./")
		issue.Location.Lines.Begin = max(f.Line, 1) // a whole-file finding is on the first line
		// The rule, the file, the entity and the message (which names the key or value at fault), not
		// the line: GitLab compares fingerprints between the merge request and its target, and an edit
		// above a problem must not make it "new". The same problem twice in one entity is told apart by
		// its rank, which does not move either.
		fp := fingerprint(f)
		seen[fp]++
		if n := seen[fp]; n > 1 {
			fp = fingerprint(linter.Finding{Rule: f.Rule, File: f.File, Entity: f.Entity, Message: f.Message + "\x00" + strconv.Itoa(n)})
		}
		issue.Fingerprint = fp
		item, err := json.Marshal(issue)
		if err != nil {
			return err
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString("\n  ")
		buf.Write(item)
		if err := buf.end(); err != nil {
			return err
		}
	}
	if len(res.Findings) > 0 {
		buf.WriteByte('\n')
	}
	buf.WriteString("]\n")
	return buf.flush()
}
