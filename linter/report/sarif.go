package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"path/filepath"
	"regexp"
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
	Name            string      `json:"name"`
	Version         string      `json:"version,omitempty"`
	SemanticVersion string      `json:"semanticVersion,omitempty"`
	InformationURI  string      `json:"informationUri"`
	Rules           []sarifRule `json:"rules"`
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
	Properties           sarifProps   `json:"properties"`
}

// sarifProps carries the tags code scanning shows and filters by.
type sarifProps struct {
	Tags      []string `json:"tags"`
	Precision string   `json:"precision,omitempty"`
}

type sarifDefault struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Fixes               []sarifFix        `json:"fixes,omitempty"`
}

// sarifFix is SARIF 2.1.0's fix object (§3.55): one artifact change replacing one region.
type sarifFix struct {
	Description     sarifText           `json:"description"`
	ArtifactChanges []sarifArtifactEdit `json:"artifactChanges"`
}

type sarifArtifactEdit struct {
	ArtifactLocation sarifArtifact      `json:"artifactLocation"`
	Replacements     []sarifReplacement `json:"replacements"`
}

type sarifReplacement struct {
	DeletedRegion   sarifByteRegion `json:"deletedRegion"`
	InsertedContent sarifText       `json:"insertedContent"`
}

// sarifByteRegion is a region by bytes, exact whatever the characters (columns count UTF-16 units).
type sarifByteRegion struct {
	ByteOffset int `json:"byteOffset"`
	ByteLength int `json:"byteLength"`
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
	version := sarifVersion(s.opts.Version)
	driver := sarifDriver{Name: "catalog-lint", Version: version, SemanticVersion: version,
		InformationURI: "https://github.com/catalog-lint/catalog-lint", Rules: []sarifRule{}}
	for i, r := range rules {
		index[r.ID] = i
		driver.Rules = append(driver.Rules, sarifRule{
			ID: r.ID, Name: RuleName(r.ID), ShortDescription: sarifText{Text: r.Summary},
			FullDescription: sarifText{Text: r.Doc}, HelpURI: docsRulesURL + r.ID,
			Help:                 sarifText{Text: r.Doc, Markdown: r.Doc},
			DefaultConfiguration: sarifDefault{Level: sarifLevel(r.Severity)},
			Properties:           sarifProps{Tags: ruleTags(r), Precision: "very-high"},
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
		result := sarifResult{RuleID: f.Rule, RuleIndex: idx, Level: sarifLevel(f.Severity),
			Message: sarifText{Text: f.Message}, Locations: []sarifLocation{loc},
			PartialFingerprints: map[string]string{"catalogLintFinding/v1": fingerprint(f)}}
		if f.Fix != nil {
			result.Fixes = []sarifFix{{Description: sarifText{Text: f.Fix.Description}, ArtifactChanges: []sarifArtifactEdit{{
				ArtifactLocation: artifact(f.File),
				Replacements: []sarifReplacement{{
					DeletedRegion:   sarifByteRegion{ByteOffset: f.Fix.Start.Offset, ByteLength: f.Fix.End.Offset - f.Fix.Start.Offset},
					InsertedContent: sarifText{Text: f.Fix.Replacement},
				}},
			}}}}
		}
		run.Results = append(run.Results, result)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: sarifSchema, Version: "2.1.0", Runs: []sarifRun{run}})
}

// RuleName is the readable PascalCase name SARIF wants beside a rule's ID: "sentry-project-exists"
// becomes "SentryProjectExists".
func RuleName(id string) string {
	var b strings.Builder
	for _, part := range strings.Split(id, "-") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// sarifVersion makes a version SARIF validators accept as numeric: "v1.2.3" -> "1.2.3", a
// development build -> "0.0.0-dev", a build from an untagged commit ("1a2b3c4", git describe's
// --always) -> "0.0.0-1a2b3c4".
func sarifVersion(v string) string {
	v = strings.TrimPrefix(v, "v")
	if !numericVersion.MatchString(v) {
		return "0.0.0-" + strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
				return r
			}
			return '-'
		}, firstNonEmpty(v, "dev"))
	}
	return v
}

var numericVersion = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+([-+].*)?$`)

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ruleTags are the tags code scanning shows for a rule: what it is about.
func ruleTags(r *linter.Rule) []string {
	tags := []string{"backstage", "catalog"}
	switch {
	case strings.HasPrefix(r.ID, "sentry-"):
		tags = append(tags, "sentry")
	case strings.HasPrefix(r.ID, "yaml-") || strings.HasPrefix(r.ID, "file-") || r.ID == "document-not-mapping":
		tags = append(tags, "yaml")
	}
	if r.Network {
		tags = append(tags, "network")
	}
	return tags
}

// fingerprint identifies a finding across commits, so that code scanning keeps one alert while the
// lines around it move: the rule, the file, the entity and the message, not the line.
func fingerprint(f linter.Finding) string {
	h := sha256.Sum256([]byte(f.Rule + "\x00" + filepath.ToSlash(f.File) + "\x00" + f.Entity + "\x00" + f.Message))
	return hex.EncodeToString(h[:16])
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
