package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/catalog-lint/catalog-lint/linter"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

var (
	ruleA = &linter.Rule{ID: "tag-format", Summary: "tags must be lowercase", Doc: "Tags doc.", Severity: linter.SeverityError}
	ruleB = &linter.Rule{ID: "unknown-kind", Summary: "kinds should be known", Doc: "Kinds doc.", Severity: linter.SeverityWarning}
	ruleC = &linter.Rule{ID: "file-too-large", Summary: "files must be small", Doc: "Size doc.", Severity: linter.SeverityError}
)

// sample is a result with every shape of finding: a span, a message that needs escaping, a
// whole-file finding, a tab before the value, and each severity.
func sample() *linter.Result {
	return &linter.Result{Files: 3, Entities: 4, Findings: []linter.Finding{
		{Rule: "tag-format", Severity: linter.SeverityError, File: "services/pay/catalog-info.yaml", Line: 7, Column: 9,
			EndLine: 7, EndColumn: 15, Message: `tag "Java 1" is not valid; use lowercase`, Entity: "component:default/pay",
			Source: "  tags: [Java 1, go]"},
		{Rule: "unknown-kind", Severity: linter.SeverityWarning, File: "services/pay/catalog-info.yaml", Line: 12, Column: 7,
			EndLine: 12, EndColumn: 14, Message: "kind \"Service\" is unknown: 100% sure,\nsee docs", Entity: "service:default/x",
			Source: "kind:\tService"},
		{Rule: "file-too-large", Severity: linter.SeverityError, File: "big/catalog-info.yaml", Message: "file is 2 MiB, over the 1 MiB limit"},
		{Rule: "tag-format", Severity: linter.SeverityInfo, File: "web,a:b/catalog-info.yaml", Line: 3, Column: 1, EndLine: 3, EndColumn: 1,
			Message: "a notice", Source: "x"},
		{Rule: "tag-format", Severity: linter.SeverityError, File: "services/pay/catalog-info.yaml", Line: 7, Column: 17,
			EndLine: 7, EndColumn: 18, Message: `tag "Go" is not valid; use lowercase`, Entity: "component:default/pay",
			Source: "  tags: [Java 1, Go]", Fix: &linter.Fix{Start: linter.Position{Line: 7, Column: 17, Offset: 120},
				End: linter.Position{Line: 7, Column: 19, Offset: 122}, Replacement: "go", Description: "lowercase the tag"}},
	},
		Linted:       []string{"big/catalog-info.yaml", "services/pay/catalog-info.yaml", "web,a:b/catalog-info.yaml"},
		Services:     []string{"github", "sentry"},
		SkippedFiles: []linter.Skip{{File: "svc/catalog-info.yaml", Reason: linter.SkipSymlinkOutside}},
	}
}

func render(t *testing.T, format string, opts Options, res *linter.Result) string {
	t.Helper()
	w, err := New(format, opts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := w.Write(&buf, res); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestFormatsGolden(t *testing.T) {
	opts := Options{Rules: []*linter.Rule{ruleC, ruleA, ruleB}, Version: "v1.2.3"}
	colored := opts
	colored.Color = true
	tests := []struct {
		name, format string
		opts         Options
		res          *linter.Result
	}{
		{"text", "text", opts, sample()},
		{"text-color", "text", colored, sample()},
		{"text-clean", "text", opts, &linter.Result{Files: 2, Entities: 3}},
		{"json", "json", opts, sample()},
		{"json-clean", "json", opts, &linter.Result{Files: 1, Entities: 1}},
		{"sarif", "sarif", opts, sample()},
		{"github", "github", opts, sample()},
		{"gitlab", "gitlab", opts, sample()},
		{"gitlab-clean", "gitlab", opts, &linter.Result{Files: 1, Entities: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := render(t, tt.format, tt.opts, tt.res)
			path := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s output differs (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

// TestSARIFConformance checks what sarif-multitool's validator warns about (SARIF1001: a rule's name
// must be readable and differ from its ID; SARIF2005: a numeric version) and what code scanning uses.
func TestSARIFConformance(t *testing.T) {
	for _, tt := range []struct{ version, want string }{{"v1.2.3", "1.2.3"}, {"dev", "0.0.0-dev"}, {"", "0.0.0-dev"}, {"1.0.0-rc.1", "1.0.0-rc.1"}, {"1a2b3c4", "0.0.0-1a2b3c4"}, {"v1.2.3-4-gabc1234-dirty", "1.2.3-4-gabc1234-dirty"}} {
		var log struct {
			Runs []struct {
				Tool struct {
					Driver struct {
						Version string `json:"version"`
						Rules   []struct {
							ID, Name   string
							Properties struct{ Tags []string }
							Help       struct{ Text string }
						}
					}
				}
				Results []struct {
					PartialFingerprints map[string]string
				}
			}
		}
		out := render(t, "sarif", Options{Rules: []*linter.Rule{ruleC, ruleA, ruleB}, Version: tt.version}, sample())
		if err := json.Unmarshal([]byte(out), &log); err != nil {
			t.Fatal(err)
		}
		driver := log.Runs[0].Tool.Driver
		if driver.Version != tt.want {
			t.Errorf("version %q is written as %q, want %q", tt.version, driver.Version, tt.want)
		}
		for _, r := range driver.Rules {
			if r.Name == r.ID || r.Name == "" || strings.ContainsAny(r.Name, "-_ ") || r.Name[:1] != strings.ToUpper(r.Name[:1]) {
				t.Errorf("rule %s: name %q is not a readable PascalCase name", r.ID, r.Name)
			}
			if len(r.Properties.Tags) == 0 || r.Help.Text == "" {
				t.Errorf("rule %s: tags %v, help %q", r.ID, r.Properties.Tags, r.Help.Text)
			}
		}
		seen := map[string]bool{}
		for _, r := range log.Runs[0].Results {
			fp := r.PartialFingerprints["catalogLintFinding/v1"]
			if len(fp) != 32 || seen[fp] {
				t.Errorf("fingerprint %q is missing or repeated", fp)
			}
			seen[fp] = true
		}
	}
	if got := RuleName("sentry-project-exists"); got != "SentryProjectExists" {
		t.Errorf("RuleName = %q", got)
	}
}

func TestUnknownFormat(t *testing.T) {
	if _, err := New("xml", Options{}); err == nil || err.Error() != `unknown format "xml"; use text, json, sarif, github, gitlab` {
		t.Errorf("err = %v", err)
	}
}

// TestGitHubEscaping uses the escaping rules of @actions/core (toolkit packages/core/src/command.ts).
func TestGitHubEscaping(t *testing.T) {
	tests := []struct{ input, data, property string }{
		{"plain", "plain", "plain"},
		{"100%", "100%25", "100%25"},
		{"a\r\nb", "a%0D%0Ab", "a%0D%0Ab"},
		{"a:b,c", "a:b,c", "a%3Ab%2Cc"},
		{"%0A", "%250A", "%250A"},
	}
	for _, tt := range tests {
		if got := EscapeData(tt.input); got != tt.data {
			t.Errorf("EscapeData(%q) = %q, want %q", tt.input, got, tt.data)
		}
		if got := EscapeProperty(tt.input); got != tt.property {
			t.Errorf("EscapeProperty(%q) = %q, want %q", tt.input, got, tt.property)
		}
	}
}

// TestJSONShape decodes the JSON output with the documented field names.
func TestJSONShape(t *testing.T) {
	var out map[string]any
	if err := json.Unmarshal([]byte(render(t, "json", Options{}, sample())), &out); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"version", "files", "entities", "findings", "counts"} {
		if _, ok := out[k]; !ok {
			t.Errorf("missing top-level %q", k)
		}
	}
	f := out["findings"].([]any)[0].(map[string]any)
	for _, k := range []string{"rule", "severity", "file", "line", "column", "endLine", "endColumn", "message", "entity"} {
		if _, ok := f[k]; !ok {
			t.Errorf("finding lacks %q", k)
		}
	}
	if diff := cmp.Diff(map[string]any{"error": 3.0, "warning": 1.0, "info": 1.0}, out["counts"]); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}

// TestSARIFShape checks what GitHub code scanning requires of an upload.
func TestSARIFShape(t *testing.T) {
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region *struct {
							StartLine, StartColumn, EndColumn int
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	opts := Options{Rules: []*linter.Rule{ruleC, ruleA, ruleB}}
	if err := json.Unmarshal([]byte(render(t, "sarif", opts, sample())), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || log.Runs[0].Tool.Driver.Name != "catalog-lint" {
		t.Fatalf("not a SARIF 2.1.0 log with one run: %+v", log)
	}
	run := log.Runs[0]
	for _, r := range run.Results {
		if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s points at rule index %d", r.RuleID, r.RuleIndex)
		}
		if strings.HasPrefix(r.Locations[0].PhysicalLocation.ArtifactLocation.URI, "/") {
			t.Errorf("artifact URI must be relative: %s", r.Locations[0].PhysicalLocation.ArtifactLocation.URI)
		}
	}
	if levels := []string{run.Results[0].Level, run.Results[1].Level, run.Results[3].Level}; !cmp.Equal(levels, []string{"error", "warning", "note"}) {
		t.Errorf("levels = %v", levels)
	}
	if r := run.Results[0].Locations[0].PhysicalLocation.Region; r == nil || r.EndColumn != 16 {
		t.Errorf("SARIF endColumn must be exclusive (16): %+v", r)
	}
	if run.Results[2].Locations[0].PhysicalLocation.Region != nil {
		t.Error("a whole-file finding must have no region")
	}
}

func TestSummary(t *testing.T) {
	tests := []struct {
		res  *linter.Result
		want string
	}{
		{&linter.Result{Files: 1, Entities: 1}, "no problems in 1 file (1 entity)"},
		{sample(), "3 errors, 1 warning and 1 notice in 3 of 3 files (4 entities); 1 file skipped; 1 fixable with --fix"},
		{&linter.Result{Files: 2, Entities: 2, SkippedFiles: make([]linter.Skip, 3)}, "no problems in 2 files (2 entities); 3 files skipped"},
	}
	for _, tt := range tests {
		if got := Summary(tt.res); got != tt.want {
			t.Errorf("Summary = %q, want %q", got, tt.want)
		}
	}
}

// chunks records each Write.
type chunks struct{ writes []string }

func (c *chunks) Write(p []byte) (int, error) {
	c.writes = append(c.writes, string(p))
	return len(p), nil
}

// TestJSONStreams checks that the streamed JSON is byte for byte what json.Encoder writes for the
// whole document, and that it is written in chunks that each end after a whole finding.
func TestJSONStreams(t *testing.T) {
	res := sample()
	for i := 0; len(res.Findings) < 3000; i++ {
		f := res.Findings[i%5]
		f.Message = fmt.Sprintf("%s <a href=x>&%d</a> \u2028", f.Message, i)
		res.Findings = append(res.Findings, f)
	}
	res.Incomplete = "the time limit was reached"
	var c chunks
	w, err := New("json", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&c, res); err != nil {
		t.Fatal(err)
	}
	if len(c.writes) < 3 {
		t.Fatalf("%d writes, want the findings in several chunks", len(c.writes))
	}
	for _, s := range c.writes[:len(c.writes)-1] {
		if !strings.HasSuffix(s, "\n    }") {
			t.Fatalf("a chunk ends inside a finding: …%q", s[max(0, len(s)-40):])
		}
	}
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetIndent("", "  ")
	out := JSONOutput{Version: JSONVersion, Files: res.Files, Entities: res.Entities, Services: res.Services, Linted: res.Linted,
		Counts: map[string]int{"error": 0, "warning": 0, "info": 0}, Incomplete: res.Incomplete}
	for _, s := range res.SkippedFiles {
		out.Skipped = append(out.Skipped, JSONSkip{File: s.File, Reason: s.Reason})
	}
	for _, f := range res.Findings {
		jf := JSONFinding{Rule: f.Rule, Severity: f.Severity.String(), File: f.File, Line: f.Line, Column: f.Column,
			EndLine: f.EndLine, EndColumn: f.EndColumn, Message: f.Message, Entity: f.Entity}
		if f.Fix != nil {
			jf.Fix = &JSONFix{Description: f.Fix.Description, Replacement: f.Fix.Replacement,
				Start: JSONPosition{f.Fix.Start.Line, f.Fix.Start.Column, f.Fix.Start.Offset},
				End:   JSONPosition{f.Fix.End.Line, f.Fix.End.Column, f.Fix.End.Offset}}
		}
		out.Findings = append(out.Findings, jf)
		out.Counts[f.Severity.String()]++
	}
	if err := enc.Encode(out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.String(), strings.Join(c.writes, "")); diff != "" {
		t.Errorf("streamed JSON differs from json.Encoder's (-want +got):\n%s", diff)
	}
}

// TestGitLabCodeQuality checks the report against GitLab's format (doc/ci/testing/code_quality.md):
// a JSON array without a byte order mark; each issue with description, check_name, a fingerprint
// unique in the report, a severity GitLab knows, location.path and location.lines.begin (1-based).
// Fingerprints do not change when lines move.
func TestGitLabCodeQuality(t *testing.T) {
	res := sample()
	res.Findings = append(res.Findings, res.Findings[0]) // the same problem twice in one entity
	out := render(t, "gitlab", Options{}, res)
	if strings.HasPrefix(out, "\ufeff") {
		t.Fatal("a byte order mark")
	}
	var issues []map[string]any
	if err := json.Unmarshal([]byte(out), &issues); err != nil {
		t.Fatal(err)
	}
	if len(issues) != len(res.Findings) {
		t.Fatalf("%d issues for %d findings", len(issues), len(res.Findings))
	}
	seen := map[string]bool{}
	for _, is := range issues {
		for _, k := range []string{"description", "check_name", "fingerprint", "severity"} {
			if s, _ := is[k].(string); s == "" {
				t.Errorf("issue without %s: %v", k, is)
			}
		}
		if sev := is["severity"].(string); !slices.Contains([]string{"info", "minor", "major", "critical", "blocker"}, sev) {
			t.Errorf("severity %q", sev)
		}
		loc, _ := is["location"].(map[string]any)
		lines, _ := loc["lines"].(map[string]any)
		if p, _ := loc["path"].(string); p == "" || strings.HasPrefix(p, "/") || strings.HasPrefix(p, "./") {
			t.Errorf("path %q", loc["path"])
		}
		if b, _ := lines["begin"].(float64); b < 1 {
			t.Errorf("lines.begin %v", lines["begin"])
		}
		fp := is["fingerprint"].(string)
		if seen[fp] {
			t.Errorf("fingerprint %s twice", fp)
		}
		seen[fp] = true
	}
	moved := sample()
	moved.Findings = append(moved.Findings, moved.Findings[0])
	for i := range moved.Findings {
		moved.Findings[i].Line += 7
		moved.Findings[i].EndLine += 7
	}
	var after []map[string]any
	if err := json.Unmarshal([]byte(render(t, "gitlab", Options{}, moved)), &after); err != nil {
		t.Fatal(err)
	}
	for i := range issues {
		if issues[i]["fingerprint"] != after[i]["fingerprint"] {
			t.Errorf("issue %d: the fingerprint changed when its line moved", i)
		}
	}
}
