package report

import (
	"encoding/json"
	"io"
	"path/filepath"
	"strings"

	"github.com/catalog-lint/catalog-lint/linter"
)

// sarifWriter writes SARIF 2.1.0 with one rule descriptor per rule, as GitHub code scanning takes it.
type sarifWriter struct{ opts Options }

const (
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	docsRulesURL = "https://github.com/catalog-lint/catalog-lint/blob/main/docs/rules.md#"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string       `json:"id"`
	Name                 string       `json:"name"`
	ShortDescription     sarifText    `json:"shortDescription"`
	FullDescription      sarifText    `json:"fullDescription"`
	HelpURI              string       `json:"helpUri"`
	Help                 sarifText    `json:"help"`
	DefaultConfiguration sarifDefault `json:"defaultConfiguration"`
}

type sarifDefault struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
	EndLine     int `json:"endLine,omitempty"`
	EndColumn   int `json:"endColumn,omitempty"`
}

func sarifLevel(s linter.Severity) string {
	switch s {
	case linter.SeverityError:
		return "error"
	case linter.SeverityWarning:
		return "warning"
	}
	return "note"
}

func (s *sarifWriter) Write(w io.Writer, res *linter.Result) error {
	rules := s.opts.Rules
	if len(rules) == 0 {
		rules = usedRules(res, nil)
	}
	index := map[string]int{}
	driver := sarifDriver{Name: "catalog-lint", Version: s.opts.Version,
		InformationURI: "https://github.com/catalog-lint/catalog-lint", Rules: []sarifRule{}}
	for i, r := range rules {
		index[r.ID] = i
		driver.Rules = append(driver.Rules, sarifRule{
			ID: r.ID, Name: r.ID, ShortDescription: sarifText{Text: r.Summary},
			FullDescription: sarifText{Text: r.Doc}, HelpURI: docsRulesURL + r.ID,
			Help:                 sarifText{Text: r.Doc, Markdown: r.Doc},
			DefaultConfiguration: sarifDefault{Level: sarifLevel(r.Severity)},
		})
	}
	run := sarifRun{Tool: sarifTool{Driver: driver}, Results: []sarifResult{}}
	for _, f := range res.Findings {
		loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: artifact(f.File)}}
		if f.Line > 0 {
			r := &sarifRegion{StartLine: f.Line, StartColumn: f.Column}
			if f.EndLine > 0 {
				r.EndLine = f.EndLine
				if f.EndColumn > 0 {
					r.EndColumn = f.EndColumn + 1 // SARIF's endColumn is exclusive
				}
			}
			loc.PhysicalLocation.Region = r
		}
		idx, ok := index[f.Rule]
		if !ok {
			idx = -1
		}
		run.Results = append(run.Results, sarifResult{RuleID: f.Rule, RuleIndex: idx, Level: sarifLevel(f.Severity),
			Message: sarifText{Text: f.Message}, Locations: []sarifLocation{loc}})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: sarifSchema, Version: "2.1.0", Runs: []sarifRun{run}})
}

// artifact turns a path into a SARIF artifact location: relative paths are relative to the source
// root (%SRCROOT%), as code scanning expects.
func artifact(path string) sarifArtifact {
	p := filepath.ToSlash(path)
	if filepath.IsAbs(path) {
		return sarifArtifact{URI: "file://" + p}
	}
	return sarifArtifact{URI: strings.TrimPrefix(p, "./"), URIBaseID: "%SRCROOT%"}
}
