package linter

import (
	"bytes"
	"regexp"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Ingestion: what Backstage would ingest from a repository, built by the engine before any rule runs
// and whatever the rule settings. This file is where a catalog is ingested:
//
//   - the walk (discover.go) hands out the catalog files by name and include glob, every other YAML
//     file to be sniffed (HoldsBackstageEntity), and the files app-config names (appconfig.go);
//   - templated paths and documents are skeletons (templatedDocuments), left out;
//   - for every entity read, ingest records its definition, follows its Location's targets (read
//     once the walk is over) and marks its Template's skeletons (left out once every file is read);
//   - the Catalog (catalog.go) holds the result: the index of definitions and what was followed.
//
// The catalog-wide rules read the same values (LocationTargets, TemplateFetches, EntityDefinition)
// to ask their questions, so that what is judged is what was ingested.

// Reasons discovery gives for a file it leaves out.
const (
	SkipSkeleton        = "template skeleton"
	SkipTemplatedPath   = "template skeleton (templated path)"
	SkipTemplatedFile   = "template skeleton (template expressions)"
	SkipTargetOutside   = "location target outside the repository"
	SkipNoBackstageYAML = "no Backstage entity"
)

// LocationTarget is one target of a Location entity, as ingestion follows it.
type LocationTarget struct {
	// Node is the target's value in the file; Written is its text.
	Node    *yaml.Node
	Written string
	// From is the file the target is relative to, and Target the target to resolve against it: the
	// Location's own file, or, for a URL into this repository, the repository's root and the path.
	From, Target string
}

// LocationTargets returns the targets of a Location entity in file (a path of the repository) that name files of this
// repository: relative paths, globs and URLs into the repository (Catalog.RepositoryURL). Targets of
// other Location types (github-discovery, ...) and URLs elsewhere are not files and are left out.
func (c *Catalog) LocationTargets(e *Entity, file string) []LocationTarget {
	if !strings.EqualFold(e.Kind, "Location") {
		return nil
	}
	_, typ := e.Field("spec", "type")
	if t, _ := String(typ); t != "" && t != "file" && t != "url" {
		return nil
	}
	var nodes []*yaml.Node
	if _, v := e.Field("spec", "target"); v != nil {
		nodes = append(nodes, v)
	}
	if _, v := e.Field("spec", "targets"); v != nil {
		nodes = append(nodes, Items(v)...)
	}
	var out []LocationTarget
	for _, n := range nodes {
		target, ok := String(n)
		if !ok || target == "" {
			continue
		}
		t := LocationTarget{Node: n, Written: target, From: file, Target: target}
		if IsAbsoluteURL(target) {
			// A URL into this repository is one of its files; any other URL is not followed.
			local, ok := c.LocalPath(target)
			if !ok {
				continue
			}
			t.Target, t.From = local, c.RootFile()
		}
		out = append(out, t)
	}
	return out
}

// TemplateFetch is a fetch step of a Template: the folder (or, Single, the file) it copies.
type TemplateFetch struct {
	Node   *yaml.Node // input.url's value
	URL    string
	Single bool // fetch:template:file, fetch:plain:file: one file, not a folder
}

// TemplateFetches returns the fetch steps of a Template entity whose input.url is a path relative to
// the Template's file (no URL, no template expression).
func TemplateFetches(e *Entity) []TemplateFetch {
	if !strings.EqualFold(e.Kind, "Template") {
		return nil
	}
	_, steps := e.Field("spec", "steps")
	var out []TemplateFetch
	for _, step := range Items(steps) {
		_, a := Lookup(step, "action")
		action, _ := String(a)
		if !strings.HasPrefix(action, "fetch:") {
			continue
		}
		_, input := Lookup(step, "input")
		_, u := Lookup(input, "url")
		url, ok := String(u)
		if !ok || url == "" || IsAbsoluteURL(url) || HasTemplateMarker(url) {
			continue
		}
		out = append(out, TemplateFetch{Node: u, URL: url, Single: strings.HasSuffix(action, ":file")})
	}
	return out
}

// EntityDefinition returns where an entity in file (at path p of the repository) is defined (its
// metadata.name), or false when the document does not name a kind, a namespace and a name.
func EntityDefinition(e *Entity, file, p string) (Definition, bool) {
	ref := e.Ref()
	_, name := e.Field("metadata", "name")
	if ref == "" || name == nil || e.Namespace == "" {
		return Definition{}, false
	}
	end := name.Column + utf8.RuneCountInString(name.Value) - 1
	if name.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		end += 2
	}
	return Definition{Ref: strings.ToLower(ref), File: file, Path: p, Line: name.Line, Column: name.Column,
		EndColumn: end, Entity: ref, Document: e.Index}, true
}

// ingest records what one entity of a file (named name, at path p of the repository) brings to the
// catalog: its definition, the targets of a Location (followed once the walk is over) and the
// skeletons of a Template (left out once every file is read). The engine calls it for every entity
// before the rules, so that no rule setting and no ignore annotation changes what the catalog holds.
func (c *Catalog) ingest(e *Entity, name, p string, ignored map[string]bool) {
	if d, ok := EntityDefinition(e, name, p); ok {
		d.Ignored = ignored
		c.Define(d)
	}
	for _, t := range c.LocationTargets(e, p) {
		c.AddTarget(t.From, t.Target)
	}
	for _, f := range TemplateFetches(e) {
		c.AddSkeleton(p, f.URL)
	}
}

// IsAbsoluteURL reports whether s starts with a URL scheme (https://, file://, ...).
func IsAbsoluteURL(s string) bool {
	i := strings.Index(s, "://")
	return i > 0 && !strings.ContainsAny(s[:i], "/.")
}

// templateMarkers are the openings of the template languages skeletons use: Nunjucks in
// scaffolder v1beta3 (`${{ }}`), cookiecutter and Jinja (`{{ }}`, `{% %}`).
var templateMarkers = [][]byte{[]byte("{{"), []byte("{%")}

// HasTemplateMarker reports whether s holds a template expression.
func HasTemplateMarker(s string) bool {
	return strings.Contains(s, "{{") || strings.Contains(s, "{%")
}

var templateKindLine = regexp.MustCompile(`(?m)^kind:[ \t]*["']?Template["']?[ \t]*(#.*)?$`)

// templatedDocuments reports whether a file is a skeleton by its content: a document other than a
// Template (whose steps legitimately use ${{ parameters.x }}) holds a template expression outside
// comments.
func templatedDocuments(data []byte) bool {
	if !bytes.Contains(data, templateMarkers[0]) && !bytes.Contains(data, templateMarkers[1]) {
		return false
	}
	for _, doc := range splitDocuments(data) {
		if templateKindLine.Match(doc) {
			continue
		}
		for _, line := range bytes.Split(doc, []byte("\n")) {
			trimmed := bytes.TrimSpace(line)
			if len(trimmed) > 0 && trimmed[0] == '#' {
				continue
			}
			if bytes.Contains(line, templateMarkers[0]) || bytes.Contains(line, templateMarkers[1]) {
				return true
			}
		}
	}
	return false
}

// splitDocuments cuts a YAML stream at its `---` lines.
func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	start := 0
	for i := 0; i <= len(data); {
		end := bytes.IndexByte(data[i:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += i
		}
		line := data[i:end]
		if bytes.HasPrefix(line, []byte("---")) && (len(line) == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r') {
			docs = append(docs, data[start:i])
			start = end + 1
		}
		i = end + 1
	}
	if start < len(data) {
		docs = append(docs, data[start:])
	}
	return docs
}

var backstageAPIVersion = regexp.MustCompile(`(?m)^[ \t]*(- )?["']?apiVersion["']?[ \t]*:[ \t]*["']?(scaffolder\.)?backstage\.io/`)

// HoldsBackstageEntity sniffs a YAML file for an entity with a backstage.io/* or
// scaffolder.backstage.io/* apiVersion, without parsing it.
func HoldsBackstageEntity(data []byte) bool {
	return bytes.Contains(data, []byte("backstage.io/")) && backstageAPIVersion.Match(data)
}
