package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/catalog-lint/catalog-lint/linter"
)

// githubWriter prints GitHub Actions workflow commands (::error file=...,line=...::message).
type githubWriter struct{}

// EscapeData escapes a workflow command's message as @actions/core's escapeData does.
func EscapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// EscapeProperty escapes a workflow command's property value as @actions/core's escapeProperty does.
func EscapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// GitHubCommand returns the workflow command for one finding.
func GitHubCommand(f linter.Finding) string {
	cmd := "error"
	switch f.Severity {
	case linter.SeverityWarning:
		cmd = "warning"
	case linter.SeverityInfo:
		cmd = "notice"
	}
	props := []string{"file=" + EscapeProperty(f.File)}
	if f.Line > 0 {
		props = append(props, fmt.Sprintf("line=%d", f.Line))
		if f.EndLine > 0 {
			props = append(props, fmt.Sprintf("endLine=%d", f.EndLine))
		}
		if f.Column > 0 {
			props = append(props, fmt.Sprintf("col=%d", f.Column))
			if f.EndLine == f.Line && f.EndColumn >= f.Column {
				props = append(props, fmt.Sprintf("endColumn=%d", f.EndColumn))
			}
		}
	}
	props = append(props, "title="+EscapeProperty(f.Rule))
	return fmt.Sprintf("::%s %s::%s", cmd, strings.Join(props, ","), EscapeData(f.Message))
}

func (githubWriter) Write(w io.Writer, res *linter.Result) error {
	bw := bufio.NewWriter(w)
	for _, f := range res.Findings {
		fmt.Fprintln(bw, GitHubCommand(f))
	}
	fmt.Fprintln(bw, "catalog-lint: "+Summary(res))
	return bw.Flush()
}
