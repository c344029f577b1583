package cli

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// hostile is a catalog file whose values try to write to the CI log and the Markdown of summaries:
// the kind part of a ref holds a newline and a runner command, a heading, a link, an @mention and
// HTML; the entity's name holds a newline too (issue 19, cases 9 and 10).
const hostile = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: svc
spec:
  type: service
  lifecycle: production
  owner: team-a
  dependsOn: ["resource\n##[error]pwned\n# Heading [x](evil.example) @octocat <img src=x>:default/db"]
---
apiVersion: backstage.io/v1alpha1
kind: "Thing\n::error::from-kind"
metadata:
  name: "x\n::error::from-name"
`

// injected finds a line that starts with what a runner or Markdown would act on.
var injected = regexp.MustCompile(`(?m)^(::error::from|##\[error\]pwned|# Heading)`)

// markdownLive finds, outside code spans, Markdown a file's values must never bring to life.
func markdownLive(md string) []string {
	var found []string
	for _, line := range strings.Split(md, "\n") {
		outside := regexp.MustCompile("`+[^`]*`+").ReplaceAllString(line, "")
		for _, bad := range []string{"@octocat", "[x](evil.example)", "<img", "::error::"} {
			if strings.Contains(outside, bad) {
				found = append(found, line)
			}
		}
	}
	return found
}

// TestFileContentCannotInjectOutput: in the Action (stdout's workflow commands, stderr's notes, the
// job summary) and in check's text output, a file's values are text: no line of the log starts with
// a command they wrote, and the summary's Markdown renders them as code.
func TestFileContentCannotInjectOutput(t *testing.T) {
	dir := writeTree(t, map[string]string{"svc/catalog-info.yaml": hostile})
	env, _, summary := actionEnv(t, dir, "", "", map[string]string{})
	env["GITHUB_EVENT_NAME"] = "workflow_dispatch"
	r := cli(t, dir, env, "", "action")
	if r.code != ExitFindings {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if m := injected.FindAllString(r.stdout+"\n"+r.stderr, -1); len(m) > 0 {
		t.Errorf("the file wrote lines to the log: %q\nstdout:\n%s\nstderr:\n%s", m, r.stdout, r.stderr)
	}
	md, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	if live := markdownLive(string(md)); len(live) > 0 || injected.Match(md) {
		t.Errorf("the job summary renders the file's Markdown: %q\n%s", live, md)
	}
	if !strings.Contains(string(md), `\n::error::from-kind`) {
		t.Errorf("the kind should be shown, escaped:\n%s", md)
	}

	text := cli(t, dir, nil, "", "check", "--offline", "--format", "text", ".")
	if m := injected.FindAllString(text.stdout+"\n"+text.stderr, -1); len(m) > 0 {
		t.Errorf("check's text output carries the file's lines: %q\n%s\n%s", m, text.stdout, text.stderr)
	}
}
