package linter

import (
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// What an entity contributes to the catalog as Backstage ingests it: the files its Location names,
// the skeletons its Template fetches, and its own definition. The engine reads these for every entity
// before any rule runs (Catalog.ingest), whatever the rule settings; the catalog-wide rules read the
// same values to ask their questions, so that what is judged is what was ingested.

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
func (c *Catalog) ingest(e *Entity, name, p string) {
	if d, ok := EntityDefinition(e, name, p); ok {
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
