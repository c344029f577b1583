package lsp

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/tliron/glsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
	"gopkg.in/yaml.v3"

	"github.com/catalog-lint/catalog-lint/linter"
	"github.com/catalog-lint/catalog-lint/rules"
)

// Files lists the catalog files of a workspace folder, as `check` would find them there.
type Files func(ctx context.Context, root string) ([]string, error)

// workspace is where the entities of a workspace are defined: its catalog files, read once, then
// each open document as the editor holds it.
type workspace struct {
	once  sync.Once
	mu    sync.Mutex
	files map[string][]linter.Definition // by path
	refs  map[string][]linter.Definition // by ref
	// uses are what each file's entities write, for completion: by path.
	uses map[string][]entityUse
}

// entityUse is what one entity writes that completion offers elsewhere.
type entityUse struct {
	apiVersion, kind, specType, lifecycle string
	annotations                           []string
}

// definitionsOf parses one file's Backstage entities into their definitions and what they write.
func definitionsOf(path string, data []byte) ([]linter.Definition, []entityUse) {
	var defs []linter.Definition
	var uses []entityUse
	for _, e := range linter.Entities(data) {
		if !strings.Contains(e.APIVersion, "backstage.io/") {
			continue // a Kubernetes manifest or another YAML document open in the editor
		}
		if d, ok := linter.EntityDefinition(e, path, path); ok {
			defs = append(defs, d)
		}
		u := entityUse{apiVersion: e.APIVersion, kind: e.Kind}
		_, t := e.Field("spec", "type")
		u.specType, _ = linter.String(t)
		_, l := e.Field("spec", "lifecycle")
		u.lifecycle, _ = linter.String(l)
		if _, a := e.Field("metadata", "annotations"); a != nil && a.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(a.Content); i += 2 {
				u.annotations = append(u.annotations, a.Content[i].Value)
			}
		}
		uses = append(uses, u)
	}
	return defs, uses
}

// set replaces what file defines and writes. Called with w.mu held.
func (w *workspace) set(path string, defs []linter.Definition, uses []entityUse) {
	w.uses[path] = uses
	for _, d := range w.files[path] {
		list := w.refs[d.Ref][:0]
		for _, o := range w.refs[d.Ref] {
			if o.Path != path {
				list = append(list, o)
			}
		}
		w.refs[d.Ref] = list
	}
	w.files[path] = defs
	for _, d := range defs {
		w.refs[d.Ref] = append(w.refs[d.Ref], d)
	}
}

// index reads the workspace's catalog files the first time it is asked, open documents as the
// editor holds them.
func (s *Server) index(ctx context.Context) *workspace {
	w := s.ws
	w.once.Do(func() { s.build(ctx, w) }) // a second caller waits for the first to finish
	return w
}

func (s *Server) build(ctx context.Context, w *workspace) {
	if s.Files == nil {
		return
	}
	s.mu.Lock()
	roots := append([]string(nil), s.roots...)
	s.mu.Unlock()
	for _, root := range roots {
		files, err := s.Files(ctx, root)
		if err != nil {
			continue
		}
		for _, f := range files {
			if data, err := os.ReadFile(f); err == nil {
				defs, uses := definitionsOf(f, data)
				w.mu.Lock()
				if _, open := w.files[f]; !open {
					w.set(f, defs, uses)
				}
				w.mu.Unlock()
			}
		}
	}
	// Open documents win over the disk.
	s.mu.Lock()
	open := map[string]string{}
	for _, d := range s.docs {
		if d.path != "" {
			open[d.path] = d.text
		}
	}
	s.mu.Unlock()
	w.mu.Lock()
	for p, t := range open {
		defs, uses := definitionsOf(p, []byte(t))
		w.set(p, defs, uses)
	}
	w.mu.Unlock()
}

// noteText records what an open document now defines.
func (s *Server) noteText(path, content string) {
	if path == "" {
		return
	}
	defs, uses := definitionsOf(path, []byte(content))
	s.ws.mu.Lock()
	s.ws.set(path, defs, uses)
	s.ws.mu.Unlock()
}

// filesChanged follows files changed on disk outside the editor (a checkout, a pull, another tool),
// as the client's file watchers report them: the workspace's definitions and what completion offers
// are read again from those that are catalog files as check finds them (a deleted file, or one that
// is not a catalog file any more, is forgotten; an open document keeps what the editor holds), and
// one workspace lint updates the diagnostics of every open document.
func (s *Server) filesChanged(changes []protocol.FileEvent) {
	s.mu.Lock()
	open := map[string]bool{}
	var lintURI protocol.DocumentUri
	var lintDoc *document
	for u, d := range s.docs {
		if d.path != "" {
			open[d.path] = true
			if lintDoc == nil && !d.other { // a catalog file: its workspace lint updates every open one
				lintURI, lintDoc = u, d
			}
		}
	}
	roots := append([]string(nil), s.roots...)
	s.mu.Unlock()
	var paths []string
	for _, c := range changes {
		if p := pathOf(c.URI); p != "" && !open[p] {
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		return // the editor saving its own documents: didSave has linted them
	}
	w := s.index(s.ctx)
	catalog := map[string]bool{}
	for _, root := range roots {
		if s.Files == nil {
			break
		}
		files, err := s.Files(s.ctx, root)
		if err != nil {
			continue
		}
		for _, f := range files {
			catalog[f] = true
		}
	}
	for _, p := range paths {
		var defs []linter.Definition
		var uses []entityUse
		if catalog[p] {
			if data, err := os.ReadFile(p); err == nil {
				defs, uses = definitionsOf(p, data)
			}
		}
		w.mu.Lock()
		w.set(p, defs, uses)
		w.mu.Unlock()
	}
	if lintDoc != nil {
		s.mu.Lock()
		if s.docs[lintURI] == lintDoc {
			s.schedule(lintURI, lintDoc, 0, true)
		}
		s.mu.Unlock()
	}
}

// forgetText goes back to the file on disk when its document is closed (nothing, if it is gone).
func (s *Server) forgetText(path string) {
	if path == "" {
		return
	}
	var defs []linter.Definition
	var uses []entityUse
	if data, err := os.ReadFile(path); err == nil {
		defs, uses = definitionsOf(path, data)
	}
	s.ws.mu.Lock()
	s.ws.set(path, defs, uses)
	s.ws.mu.Unlock()
}

// refAt returns the entity ref of the relation value at byte offset off of a document ("" when
// there is none): spec.owner, spec.system, spec.dependsOn … of the entity there.
func refAt(data []byte, off int) string {
	lines := linter.NewLineIndex(data)
	for _, e := range linter.Entities(data) {
		for _, rf := range rules.RelationFields(strings.ToLower(e.Kind)) {
			_, v := e.Field("spec", rf.Field)
			if v == nil {
				continue
			}
			values := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				values = v.Content
			}
			for _, n := range values {
				if n.Kind != yaml.ScalarNode {
					continue
				}
				start := lines.Offset(n.Line, n.Column)
				end := start + len(n.Value)
				if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
					end += 2
				}
				if off >= start && off <= end {
					if ref, ok := rules.ParseRef(n.Value, rf.DefaultKind, e.Namespace); ok {
						return ref
					}
				}
			}
		}
	}
	return ""
}

func fileURI(path string) protocol.DocumentUri {
	return protocol.DocumentUri((&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String())
}

// definition answers "go to definition" on a relation's value: where the entity it names is defined
// in the workspace (several places when it is defined more than once), nothing when it is not.
func (s *Server) definition(_ *glsp.Context, p *protocol.DefinitionParams) (any, error) {
	t, other, ok := s.textOf(p.TextDocument.URI)
	if !ok || other {
		return nil, nil
	}
	ref := refAt(t.data, t.offset(p.Position))
	if ref == "" {
		return nil, nil
	}
	w := s.index(s.ctx)
	w.mu.Lock()
	defs := append([]linter.Definition(nil), w.refs[ref]...)
	w.mu.Unlock()
	locations := []protocol.Location{}
	for _, def := range defs {
		// Entity names are ASCII (Backstage's format), so characters are bytes here.
		start := protocol.Position{Line: protocol.UInteger(max(def.Line-1, 0)), Character: protocol.UInteger(max(def.Column-1, 0))}
		end := protocol.Position{Line: start.Line, Character: protocol.UInteger(max(def.EndColumn, def.Column-1))}
		locations = append(locations, protocol.Location{URI: fileURI(def.Path), Range: protocol.Range{Start: start, End: end}})
	}
	return locations, nil
}
