package lsp

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/tliron/glsp"
	protocol "github.com/tliron/glsp/protocol_3_16"

	"github.com/catalog-lint/catalog-lint/integrations"
	"github.com/catalog-lint/catalog-lint/linter"
	"github.com/catalog-lint/catalog-lint/rules"
)

// hover explains what is under the cursor: the findings there (each rule's summary, the message and
// a link to the rule's documentation), a rule ID (in catalog-lint.io/ignore or .catalog-lint.yaml),
// or an annotation key an integration checks.
func (s *Server) hover(_ *glsp.Context, p *protocol.HoverParams) (*protocol.Hover, error) {
	s.mu.Lock()
	d := s.docs[p.TextDocument.URI]
	if d == nil {
		s.mu.Unlock()
		return nil, nil
	}
	content, linted, findings, other := d.text, d.linted, d.findings, d.other
	s.mu.Unlock()
	var parts []string
	if linted != nil && string(linted.data) == content {
		for _, f := range findings {
			if r := linted.findingRange(f); contains(r, p.Position) {
				parts = append(parts, ruleHelp(f.Rule, f.Message))
			}
		}
	}
	if len(parts) == 0 {
		t := newText(content)
		word := wordAt(t.data, t.offset(p.Position))
		if rules.Lookup(word) != nil {
			parts = append(parts, ruleHelp(word, ""))
		}
		if !other { // in a file that is not a catalog file (.catalog-lint.yaml names rule IDs), keys mean something else
			parts = append(parts, keyHelp(t, p.Position, word)...)
		}
	}
	if len(parts) == 0 {
		return nil, nil
	}
	return &protocol.Hover{Contents: protocol.MarkupContent{Kind: protocol.MarkupKindMarkdown, Value: strings.Join(parts, "\n\n---\n\n")}}, nil
}

func nounOf(i *integrations.Integration) string {
	if i.Noun != "" {
		return i.Noun
	}
	return i.Object
}

// keyHelp explains word at pos when it is a key of the format or an annotation key an integration
// checks.
func keyHelp(t *text, pos protocol.Position, word string) []string {
	var parts []string
	if doc, ok := keyDocs[word]; ok && keyAt(t, pos, word) {
		parts = append(parts, fmt.Sprintf("**%s**: %s", word, doc))
	}
	for _, i := range integrations.All() {
		for _, k := range i.Keys {
			if k == word {
				parts = append(parts, fmt.Sprintf("**%s**: names a %s %s; checked by [`%s`](%s%s) and [`%s`](%s%s).", k, i.Title, nounOf(i),
					i.Format.ID, DocsURL, i.Format.ID, i.Exists.ID, DocsURL, i.Exists.ID))
			}
		}
	}
	return parts
}

// ruleHelp is a rule's summary, a finding's message when there is one, and the link to its doc.
func ruleHelp(id, message string) string {
	r := rules.Lookup(id)
	if r == nil {
		return message
	}
	out := fmt.Sprintf("**%s** (%s): %s.", id, r.Severity, r.Summary)
	if message != "" {
		out += "\n\n" + message
	}
	return out + fmt.Sprintf("\n\n[Documentation](%s%s)", DocsURL, id)
}

func contains(r protocol.Range, p protocol.Position) bool {
	before := func(x, y protocol.Position) bool {
		return x.Line < y.Line || x.Line == y.Line && x.Character < y.Character
	}
	return !before(p, r.Start) && !before(r.End, p)
}

// wordAt is the run of characters of a key, a rule ID or a ref around byte offset off.
func wordAt(data []byte, off int) string {
	in := func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._/-:", c) >= 0
	}
	start, end := off, off
	for start > 0 && in(data[start-1]) {
		start--
	}
	for end < len(data) && in(data[end]) {
		end++
	}
	return strings.TrimSuffix(string(data[start:end]), ":")
}

var linePattern = regexp.MustCompile(`^(\s*)(-\s+)?([A-Za-z0-9._/-]+)?(:\s*)?(.*)$`)

// completion offers, where the cursor is: kinds after `kind:`, apiVersions after `apiVersion:`,
// lifecycles and the kind's types in use, the entities defined in the workspace after a relation
// field (or in its list), and annotation keys (those in use and those catalog-lint checks) at a
// key inside `annotations:`.
func (s *Server) completion(_ *glsp.Context, p *protocol.CompletionParams) (any, error) {
	t, other, ok := s.textOf(p.TextDocument.URI)
	if !ok {
		return nil, nil
	}
	line := int(p.Position.Line)
	if line >= len(t.starts) {
		return nil, nil
	}
	before := string(t.data[t.starts[line]:t.offset(p.Position)])
	m := linePattern.FindStringSubmatch(before)
	if m == nil {
		return nil, nil
	}
	indent, item, key, colon := len(m[1]), m[2] != "", m[3], m[4] != ""
	if other && (key != "apiVersion" || !colon || indent > 0) {
		// Not a catalog file (yet): only Backstage's apiVersions, which would make it one.
		return nil, nil
	}
	if item {
		key, colon = "", false // a list item here is a value (a ref may hold a colon)
	}
	kind := strings.ToLower(kindAbove(t, line))
	parent := key
	if item || !colon {
		parent = keyAbove(t, line, indent, item)
	}
	field := key
	if item || !colon {
		field = parent
	}
	// The Backstage catalog is asked before the workspace is locked (it takes the server's lock).
	var live []string
	for _, rf := range rules.RelationFields(kind) {
		if rf.Field == field && (colon || item) && rf.DefaultKind != "" {
			for _, ref := range s.liveRefs(rf.DefaultKind) {
				live = append(live, shortRef(ref, rf.DefaultKind))
			}
		}
	}
	w := s.index(s.ctx)
	w.mu.Lock()
	defer w.mu.Unlock()
	var uses []entityUse
	for _, u := range w.uses {
		uses = append(uses, u...)
	}
	var items []protocol.CompletionItem
	add := func(ck protocol.CompletionItemKind, detail string, labels ...string) {
		seen := map[string]bool{}
		for _, it := range items {
			seen[it.Label] = true
		}
		sort.Strings(labels)
		for _, l := range labels {
			if l != "" && !seen[l] {
				seen[l] = true
				items = append(items, protocol.CompletionItem{Label: l, Kind: &ck, Detail: ptr(detail)})
			}
		}
	}
	// valueOf is what the workspace's entities write in one place: all of them, or (sameKind) those
	// of the kind of the document at the cursor.
	valueOf := func(pick func(entityUse) string, sameKind bool) []string {
		var out []string
		for _, u := range uses {
			if !sameKind || kind == "" || strings.EqualFold(u.kind, kind) {
				out = append(out, pick(u))
			}
		}
		return out
	}
	switch {
	case colon && key == "kind":
		add(protocol.CompletionItemKindClass, "kind", linter.KnownKinds...)
		add(protocol.CompletionItemKindClass, "kind in use", valueOf(func(u entityUse) string { return u.kind }, false)...)
	case colon && key == "apiVersion":
		add(protocol.CompletionItemKindValue, "apiVersion", "backstage.io/v1alpha1", "backstage.io/v1beta1", "scaffolder.backstage.io/v1beta3")
		add(protocol.CompletionItemKindValue, "apiVersion in use", valueOf(func(u entityUse) string { return u.apiVersion }, false)...)
	case colon && key == "lifecycle":
		add(protocol.CompletionItemKindEnumMember, "lifecycle", "production", "experimental", "deprecated")
		add(protocol.CompletionItemKindEnumMember, "lifecycle in use", valueOf(func(u entityUse) string { return u.lifecycle }, true)...)
	case colon && key == "type":
		add(protocol.CompletionItemKindEnumMember, "type of "+kind+" in use", valueOf(func(u entityUse) string { return u.specType }, true)...)
	case parent == "annotations" && !colon:
		var keys []string
		for _, u := range uses {
			keys = append(keys, u.annotations...)
		}
		add(protocol.CompletionItemKindProperty, "annotation in use", keys...)
		add(protocol.CompletionItemKindProperty, "annotation catalog-lint checks", integrations.Keys()...)
	default:
		for _, rf := range rules.RelationFields(kind) {
			if rf.Field == field && (colon || item) {
				add(protocol.CompletionItemKindReference, "entity in the workspace", refsFor(w, rf.DefaultKind)...)
			}
		}
		add(protocol.CompletionItemKindReference, "entity in the Backstage catalog", live...)
	}
	return items, nil
}

// refsFor are the entities of the workspace written as a relation of default kind names them.
func refsFor(w *workspace, defaultKind string) []string {
	var out []string
	for ref := range w.refs {
		if len(w.refs[ref]) > 0 {
			out = append(out, shortRef(w.refs[ref][0].Entity, defaultKind))
		}
	}
	return out
}

// shortRef writes ref (kind:namespace/name, the name as written) as a relation of default kind
// names it: the name alone for that kind in the default namespace, kind:name in the default
// namespace, kind:namespace/name otherwise.
func shortRef(ref, defaultKind string) string {
	kind, rest, _ := strings.Cut(ref, ":")
	ns, name, _ := strings.Cut(rest, "/")
	kind = strings.ToLower(kind)
	switch {
	case kind == defaultKind && strings.EqualFold(ns, "default"):
		return name
	case strings.EqualFold(ns, "default"):
		return kind + ":" + name
	}
	return kind + ":" + ns + "/" + name
}

// liveRefs are the Backstage catalog's entities of kind, asked at most once per LiveTTL (nothing
// when it is not configured or cannot be asked within two seconds).
func (s *Server) liveRefs(kind string) []string {
	if s.LiveRefs == nil {
		return nil
	}
	s.mu.Lock()
	a, ok := s.live[kind]
	s.mu.Unlock()
	if ok && time.Since(a.at) < LiveTTL {
		return a.refs
	}
	ctx, cancel := context.WithTimeout(s.ctx, 2*time.Second)
	defer cancel()
	refs, err := s.LiveRefs(ctx, kind)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	if s.live == nil {
		s.live = map[string]liveAnswer{}
	}
	s.live[kind] = liveAnswer{refs, time.Now()}
	s.mu.Unlock()
	return refs
}

// kindAbove is the kind of the document the line is in: the nearest `kind:` line above, within the
// same YAML document.
func kindAbove(t *text, line int) string {
	for l := line; l >= 0; l-- {
		s := lineText(t, l)
		if s == "---" || strings.HasPrefix(s, "--- ") {
			return ""
		}
		if v, ok := strings.CutPrefix(s, "kind:"); ok {
			return strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return ""
}

// keyAbove is the key of the mapping entry a line at indent belongs to. For a list item (item), the
// nearest line above that is not an item and is indented no more; otherwise the nearest line indented
// less.
func keyAbove(t *text, line, indent int, item bool) string {
	for l := line - 1; l >= 0; l-- {
		s := lineText(t, l)
		trimmed := strings.TrimLeft(s, " ")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		n := len(s) - len(trimmed)
		if item && strings.HasPrefix(trimmed, "-") && n == indent {
			continue // an earlier item of the same list
		}
		if n < indent || item && n == indent {
			if m := linePattern.FindStringSubmatch(s); m != nil && m[2] == "" && m[4] != "" {
				return m[3]
			}
			return ""
		}
	}
	return ""
}

func lineText(t *text, l int) string {
	end := len(t.data)
	if l+1 < len(t.starts) {
		end = t.starts[l+1]
	}
	return strings.TrimRight(string(t.data[t.starts[l]:end]), "\r\n")
}

// keyDocs say what the envelope's and the built-in kinds' keys mean, as Backstage's descriptor
// format (catalog-model's JSON schemas and kind validators) defines them.
var keyDocs = map[string]string{
	"apiVersion":     "the version of the entity's format: `backstage.io/v1alpha1` (or `v1beta1`) for the built-in kinds, `scaffolder.backstage.io/v1beta3` for Templates.",
	"kind":           "what the entity is: Component, API, Resource, System, Domain, Group, User, Location or Template (and the kinds the catalog's rules allow).",
	"metadata":       "the entity's name, namespace, title, description, labels, annotations, tags and links.",
	"name":           "the entity's name (metadata.name): at most 63 characters, letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit; unique per kind and namespace.",
	"namespace":      "the entity's namespace (metadata.namespace, default `default`): lowercase letters, digits and `-`.",
	"annotations":    "key/value strings that plugins read (`sentry.io/project-slug`, `github.com/project-slug` …); catalog-lint checks the keys it knows.",
	"tags":           "lowercase words joined by single hyphens (`web`, `java-11`), at most 63 characters each.",
	"spec":           "what the kind describes; each built-in kind has its required fields.",
	"type":           "the entity's type within its kind (a Component's `service`, `website`, `library`; an API's `openapi`, `grpc` …), free text used for filtering.",
	"lifecycle":      "the stage of the Component or API: `production`, `experimental` or `deprecated` by convention.",
	"owner":          "who owns the entity: a ref to a Group or User (a name alone is a Group in the entity's namespace).",
	"system":         "the System the entity belongs to (a name alone is a System).",
	"domain":         "the Domain a System belongs to (a name alone is a Domain).",
	"subcomponentOf": "the Component this one is part of (a name alone is a Component).",
	"providesApis":   "the APIs this Component provides (names alone are APIs).",
	"consumesApis":   "the APIs this Component consumes (names alone are APIs).",
	"dependsOn":      "the Components and Resources this entity depends on; each ref must say its kind (`resource:payments-db`).",
	"dependencyOf":   "the entities that depend on this one; each ref must say its kind.",
	"memberOf":       "the Groups a User belongs to (names alone are Groups).",
	"parent":         "the Group above this one (a name alone is a Group).",
	"children":       "the Groups below this one (names alone are Groups); required on a Group, possibly empty.",
	"definition":     "the API's definition (OpenAPI, AsyncAPI, GraphQL, gRPC …), inline or with `$text: ./openapi.yaml`.",
	"targets":        "the files or URLs a Location points at; Backstage ingests each.",
	"target":         "the file or URL a Location points at; Backstage ingests it.",
}

// keyAt reports whether word stands as a key at the position's line (`word:`), not as a value.
func keyAt(t *text, p protocol.Position, word string) bool {
	line := strings.TrimLeft(lineText(t, int(p.Line)), " -")
	return strings.HasPrefix(line, word+":")
}
