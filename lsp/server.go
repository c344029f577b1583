// Package lsp is `catalog-lint lsp`: a Language Server Protocol server that gives catalog-lint's
// verdicts where catalog files are written. It speaks the protocol with tliron/glsp's types and
// handler, over sourcegraph/jsonrpc2 (see docs/development.md), and lints with the engine `check`
// uses, through a Lint function its caller builds from the same configuration and settings.
package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sourcegraph/jsonrpc2"
	"github.com/tliron/glsp"
	protocol "github.com/tliron/glsp/protocol_3_16"

	"github.com/catalog-lint/catalog-lint/linter"
	"github.com/catalog-lint/catalog-lint/rules"
)

// Lint lints as the editor holds the documents. With workspace (a document opened or saved), it
// lints the whole repository of path as `check` would, open documents (open: path -> text) as the
// editor holds them, with the rules that ask other systems, and returns the findings of every file.
// Without (while typing), it lints the document alone (path, text), offline; the server then keeps
// the catalog-wide and network findings of the last workspace lint.
//
// A document that is not a catalog file (a workflow, a docker-compose file: editors hand every YAML
// file to the server) gets ErrNotCatalog, and no diagnostics.
type Lint func(ctx context.Context, path, text string, open map[string]string, workspace bool) ([]linter.Finding, error)

// ErrNotCatalog is Lint's answer for a document `check` would not lint where it is
// (linter.Config.IsCatalogDocument).
var ErrNotCatalog = errors.New("not a catalog file")

// DocsURL is where each rule's documentation is: the rule ID is appended.
const DocsURL = "https://github.com/catalog-lint/catalog-lint/blob/main/docs/rules.md#"

// DefaultDelay is how long after a change the diagnostics wait for typing to pause: a lint of a
// 1,000-line file takes about 5 ms (BenchmarkLSPLintAfterChange), so diagnostics follow a change
// within about 30 ms, and a burst of keystrokes is linted once.
const DefaultDelay = 25 * time.Millisecond

// Server is the language server.
type Server struct {
	Lint Lint
	// Files lists a workspace folder's catalog files, for "go to definition" (nil: open documents
	// only).
	Files Files
	// LiveRefs, when set, lists the refs of a kind's entities in the Backstage catalog (kind:ns/name),
	// offered by completion beside the workspace's; answers are kept for LiveTTL.
	LiveRefs func(ctx context.Context, kind string) ([]string, error)
	// Delay overrides DefaultDelay.
	Delay time.Duration
	// Version is catalog-lint's version, told to the client.
	Version string
	// Configure, when set, applies the client's initializationOptions (what the user set in the
	// editor); an error fails the initialize request.
	Configure func(options Options) error

	mu       sync.Mutex
	docs     map[protocol.DocumentUri]*document
	notify   glsp.NotifyFunc
	shutdown bool
	ctx      context.Context
	cancel   context.CancelFunc
	roots    []string
	watch    bool // the client registers file watchers on request (didChangeWatchedFiles)
	ws       *workspace
	live     map[string]liveAnswer // by kind
}

// LiveTTL is how long the Backstage catalog's entities of a kind are kept for completion.
const LiveTTL = 5 * time.Minute

type liveAnswer struct {
	refs []string
	at   time.Time
}

// document is an open document: what the editor holds, and the findings of the last lint.
type document struct {
	path    string
	text    string
	version protocol.Integer
	gen     int // bumped by every change: a lint of an older text is dropped
	timer   *time.Timer
	// linted is the text the findings were computed on; wide the findings of catalog-wide and
	// network rules from the last workspace lint, carried over while the lines they are on stay.
	linted   *text
	findings []linter.Finding
	wide     []linter.Finding
	// other is set when the last lint found the document is not a catalog file: it has no
	// diagnostics, and completion and hover leave it alone.
	other bool
}

// wide reports whether a finding's rule looks beyond the document (the catalog, another system):
// only a workspace lint says it.
func wide(f linter.Finding) bool {
	r := rules.Lookup(f.Rule)
	return r != nil && (r.Catalog || r.Network)
}

// Handler returns the protocol handler (for RunStdio and tests).
func (s *Server) Handler() *protocol.Handler {
	s.docs = map[protocol.DocumentUri]*document{}
	s.ws = &workspace{files: map[string][]linter.Definition{}, refs: map[string][]linter.Definition{}, uses: map[string][]entityUse{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return &protocol.Handler{
		Initialize: s.initialize,
		Initialized: func(gc *glsp.Context, _ *protocol.InitializedParams) error {
			go s.index(s.ctx) // read the workspace's definitions while the user starts typing
			s.mu.Lock()
			watch := s.watch
			s.mu.Unlock()
			if watch {
				// Off the message loop: the client's answer comes through it.
				go gc.Call(string(protocol.ServerClientRegisterCapability), protocol.RegistrationParams{Registrations: []protocol.Registration{{
					ID: "catalog-lint-files", Method: string(protocol.MethodWorkspaceDidChangeWatchedFiles),
					RegisterOptions: protocol.DidChangeWatchedFilesRegistrationOptions{Watchers: []protocol.FileSystemWatcher{{GlobPattern: "**/*.{yaml,yml}"}}},
				}}}, nil)
			}
			return nil
		},
		WorkspaceDidChangeWatchedFiles: func(_ *glsp.Context, p *protocol.DidChangeWatchedFilesParams) error {
			go s.filesChanged(p.Changes)
			return nil
		},
		Shutdown: func(*glsp.Context) error {
			s.mu.Lock()
			s.shutdown = true
			s.mu.Unlock()
			s.cancel()
			return nil
		},
		Exit:     func(*glsp.Context) error { return nil },
		SetTrace: func(*glsp.Context, *protocol.SetTraceParams) error { return nil },
		// Settings come from the environment and initializationOptions; what an editor sends its YAML
		// server (Zed, when catalog-lint takes that server's place) is not ours.
		WorkspaceDidChangeConfiguration: func(*glsp.Context, *protocol.DidChangeConfigurationParams) error { return nil },
		CancelRequest:                   func(*glsp.Context, *protocol.CancelParams) error { return nil },
		TextDocumentDidOpen:             s.didOpen,
		TextDocumentDidChange:           s.didChange,
		TextDocumentDidSave:             s.didSave,
		TextDocumentDidClose:            s.didClose,
		TextDocumentCodeAction:          s.codeAction,
		TextDocumentDefinition:          s.definition,
		TextDocumentHover:               s.hover,
		TextDocumentCompletion:          s.completion,
	}
}

// RunStdio serves one client over standard input and output until it exits or disconnects. The exit
// code is 0 when the client asked for a shutdown first, 1 otherwise (the protocol's rule).
func (s *Server) RunStdio() int {
	if s.Serve(context.Background(), stdio{}) {
		return 0
	}
	return 1
}

type stdio struct{}

func (stdio) Read(p []byte) (int, error)  { return os.Stdin.Read(p) }
func (stdio) Write(p []byte) (int, error) { return os.Stdout.Write(p) }
func (stdio) Close() error                { return os.Stdin.Close() }

// Serve serves one client over rwc (JSON-RPC 2.0 with the protocol's Content-Length framing) until it
// exits or the stream ends, and reports whether it asked for a shutdown first. Messages are handled
// one at a time, in order; lints run beside them. A malformed message ends the connection or gets
// an error; an unknown method gets "method not found".
func (s *Server) Serve(ctx context.Context, rwc io.ReadWriteCloser) bool {
	h := s.Handler()
	conn := jsonrpc2.NewConn(ctx, jsonrpc2.NewBufferedStream(rwc, jsonrpc2.VSCodeObjectCodec{}),
		jsonrpc2.HandlerWithError(func(_ context.Context, c *jsonrpc2.Conn, req *jsonrpc2.Request) (any, error) {
			gc := &glsp.Context{Method: req.Method,
				Notify: func(method string, params any) { _ = c.Notify(ctx, method, params) },
				Call:   func(method string, params, result any) { _ = c.Call(ctx, method, params, result) }}
			if req.Params != nil {
				gc.Params = *req.Params
			}
			if req.Method == "exit" {
				_, _, _, _ = h.Handle(gc)
				return nil, c.Close()
			}
			r, validMethod, validParams, err := h.Handle(gc)
			switch {
			case !validMethod:
				return nil, &jsonrpc2.Error{Code: jsonrpc2.CodeMethodNotFound, Message: "method not supported: " + req.Method}
			case !validParams:
				msg := "invalid params"
				if err != nil {
					msg = err.Error()
				}
				return nil, &jsonrpc2.Error{Code: jsonrpc2.CodeInvalidParams, Message: msg}
			case err != nil:
				return nil, &jsonrpc2.Error{Code: jsonrpc2.CodeInvalidRequest, Message: err.Error()}
			}
			return r, nil
		}))
	<-conn.DisconnectNotify()
	s.cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.docs {
		if d.timer != nil {
			d.timer.Stop()
		}
	}
	return s.shutdown
}

// Options are the initializationOptions a client may send: what the user set in the editor. Tokens
// and addresses are not among them; they come from the environment, as for check.
type Options struct {
	// Offline leaves out the rules that ask other systems.
	Offline bool `json:"offline"`
}

func (s *Server) initialize(ctx *glsp.Context, p *protocol.InitializeParams) (any, error) {
	if s.Configure != nil && p.InitializationOptions != nil {
		raw, err := json.Marshal(p.InitializationOptions)
		if err != nil {
			return nil, err
		}
		var o Options
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&o); err != nil {
			return nil, fmt.Errorf("initializationOptions: %v (known: offline)", err)
		}
		if err := s.Configure(o); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	s.notify = ctx.Notify
	if w := p.Capabilities.Workspace; w != nil && w.DidChangeWatchedFiles != nil && w.DidChangeWatchedFiles.DynamicRegistration != nil {
		s.watch = *w.DidChangeWatchedFiles.DynamicRegistration
	}
	for _, f := range p.WorkspaceFolders {
		if root := pathOf(f.URI); root != "" {
			s.roots = append(s.roots, root)
		}
	}
	if len(s.roots) == 0 && p.RootURI != nil {
		if root := pathOf(*p.RootURI); root != "" {
			s.roots = append(s.roots, root)
		}
	}
	s.mu.Unlock()
	full := protocol.TextDocumentSyncKindFull
	return protocol.InitializeResult{
		Capabilities: protocol.ServerCapabilities{
			TextDocumentSync: protocol.TextDocumentSyncOptions{OpenClose: ptr(true), Change: &full, Save: protocol.SaveOptions{IncludeText: ptr(false)}},
			CodeActionProvider: protocol.CodeActionOptions{CodeActionKinds: []protocol.CodeActionKind{
				protocol.CodeActionKindQuickFix, codeActionKindFixAll}},
			DefinitionProvider: true,
			HoverProvider:      true,
			CompletionProvider: &protocol.CompletionOptions{TriggerCharacters: []string{":", " ", "/"}},
		},
		ServerInfo: &protocol.InitializeResultServerInfo{Name: "catalog-lint", Version: ptr(s.Version)},
	}, nil
}

// codeActionKindFixAll is source.fixAll, which LSP 3.17 names (3.16 lets servers use it).
const codeActionKindFixAll = protocol.CodeActionKind("source.fixAll")

func ptr[T any](v T) *T { return &v }

// pathOf is the file a document URI names ("" for other schemes: an unsaved buffer).
func pathOf(uri protocol.DocumentUri) string {
	u, err := url.Parse(string(uri))
	if err != nil || u.Scheme != "file" {
		return ""
	}
	return filepath.FromSlash(u.Path)
}

func (s *Server) didOpen(_ *glsp.Context, p *protocol.DidOpenTextDocumentParams) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := &document{path: pathOf(p.TextDocument.URI), text: p.TextDocument.Text, version: p.TextDocument.Version}
	s.docs[p.TextDocument.URI] = d
	s.noteText(d.path, d.text)
	s.schedule(p.TextDocument.URI, d, 0, true)
	return nil
}

func (s *Server) didChange(_ *glsp.Context, p *protocol.DidChangeTextDocumentParams) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.docs[p.TextDocument.URI]
	if d == nil {
		return nil
	}
	for _, c := range p.ContentChanges {
		switch c := c.(type) {
		case protocol.TextDocumentContentChangeEventWhole:
			d.text = c.Text
		case protocol.TextDocumentContentChangeEvent:
			// Full sync is what the server asks for; a client that sends ranges anyway is followed.
			t := newText(d.text)
			start, end := t.offset(c.Range.Start), t.offset(c.Range.End)
			if start <= end {
				d.text = d.text[:start] + c.Text + d.text[end:]
			}
		}
	}
	d.version = p.TextDocument.Version
	s.noteText(d.path, d.text)
	delay := s.Delay
	if delay <= 0 {
		delay = DefaultDelay
	}
	s.schedule(p.TextDocument.URI, d, delay, false)
	return nil
}

func (s *Server) didSave(_ *glsp.Context, p *protocol.DidSaveTextDocumentParams) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d := s.docs[p.TextDocument.URI]; d != nil {
		s.schedule(p.TextDocument.URI, d, 0, true)
	}
	return nil
}

func (s *Server) didClose(_ *glsp.Context, p *protocol.DidCloseTextDocumentParams) error {
	s.mu.Lock()
	d := s.docs[p.TextDocument.URI]
	delete(s.docs, p.TextDocument.URI)
	notify := s.notify
	s.mu.Unlock()
	if d != nil && d.timer != nil {
		d.timer.Stop()
	}
	if d != nil {
		s.forgetText(d.path)
	}
	if notify != nil {
		notify(protocol.ServerTextDocumentPublishDiagnostics, protocol.PublishDiagnosticsParams{URI: p.TextDocument.URI, Diagnostics: []protocol.Diagnostic{}})
	}
	return nil
}

// schedule lints the document's current text after delay, off the message loop, so that typing is
// never blocked; a later change drops this lint's result. Called with s.mu held.
func (s *Server) schedule(uri protocol.DocumentUri, d *document, delay time.Duration, workspace bool) {
	d.gen++
	gen, content, version := d.gen, d.text, d.version
	if d.timer != nil {
		d.timer.Stop()
	}
	d.timer = time.AfterFunc(delay, func() { s.lint(uri, gen, content, version, workspace) })
}

func (s *Server) lint(uri protocol.DocumentUri, gen int, content string, version protocol.Integer, workspace bool) {
	s.mu.Lock()
	d := s.docs[uri]
	open := map[string]string{}
	for _, o := range s.docs {
		if o.path != "" {
			open[o.path] = o.text
		}
	}
	s.mu.Unlock()
	if d == nil || s.ctx.Err() != nil {
		return
	}
	if d.path == "" {
		workspace = false // an unsaved buffer belongs to no repository
	}
	open[d.path] = content
	findings, err := s.Lint(s.ctx, d.path, content, open, workspace)
	other := errors.Is(err, ErrNotCatalog)
	if err != nil && !other {
		return
	}
	var out []protocol.PublishDiagnosticsParams
	s.mu.Lock()
	if other {
		// Only this document: the others' diagnostics stand.
		if s.docs[uri] == d && d.gen == gen {
			d.other, d.linted, d.findings, d.wide = true, newText(content), nil, nil
			out = append(out, protocol.PublishDiagnosticsParams{URI: uri, Version: ptr(protocol.UInteger(version)), Diagnostics: []protocol.Diagnostic{}})
		}
	} else if workspace {
		// One workspace lint answers for every open document it read as it still is: a save updates
		// the diagnostics of the files that refer to what changed.
		byPath := map[string][]linter.Finding{}
		for _, f := range findings {
			byPath[f.File] = append(byPath[f.File], f)
		}
		for u, o := range s.docs {
			if o.path == "" || open[o.path] != o.text || (o == d && o.gen != gen) {
				continue
			}
			t := newText(o.text)
			o.wide = nil
			for _, f := range byPath[o.path] {
				if wide(f) {
					o.wide = append(o.wide, f)
				}
			}
			o.linted, o.findings = t, byPath[o.path]
			if o == d {
				o.other = false
			}
			out = append(out, protocol.PublishDiagnosticsParams{URI: u, Version: ptr(protocol.UInteger(o.version)), Diagnostics: diagnostics(t, o.findings)})
		}
	} else if s.docs[uri] == d && d.gen == gen {
		t := newText(content)
		var narrow []linter.Finding
		for _, f := range findings {
			if f.File == d.path && !wide(f) {
				narrow = append(narrow, f)
			}
		}
		d.linted, d.findings, d.other = t, append(narrow, carried(d.wide, t)...), false
		out = append(out, protocol.PublishDiagnosticsParams{URI: uri, Version: ptr(protocol.UInteger(version)), Diagnostics: diagnostics(t, d.findings)})
	}
	notify := s.notify
	s.mu.Unlock()
	if notify == nil {
		return
	}
	for _, p := range out {
		notify(protocol.ServerTextDocumentPublishDiagnostics, p)
	}
}

func diagnostics(t *text, findings []linter.Finding) []protocol.Diagnostic {
	out := make([]protocol.Diagnostic, 0, len(findings))
	for _, f := range findings {
		out = append(out, diagnostic(t, f))
	}
	return out
}

// carried are the catalog-wide and network findings whose line still reads as it did when they were
// found: while the document changes, a lint of it alone keeps them until the next save asks again.
func carried(found []linter.Finding, t *text) []linter.Finding {
	var out []linter.Finding
	for _, f := range found {
		if f.Line < 1 || f.Source == "" {
			continue
		}
		start, end := t.offsetOf(f.Line, 1), t.offsetOf(f.Line, 1<<30)
		if string(t.data[start:end]) == f.Source {
			f.Fix = nil // its offsets are of the older text
			out = append(out, f)
		}
	}
	return out
}

func diagnostic(t *text, f linter.Finding) protocol.Diagnostic {
	sev := protocol.DiagnosticSeverityError
	switch f.Severity {
	case linter.SeverityWarning:
		sev = protocol.DiagnosticSeverityWarning
	case linter.SeverityInfo:
		sev = protocol.DiagnosticSeverityInformation
	}
	return protocol.Diagnostic{Range: t.findingRange(f), Severity: &sev, Code: &protocol.IntegerOrString{Value: f.Rule},
		CodeDescription: &protocol.CodeDescription{HRef: DocsURL + f.Rule}, Source: ptr("catalog-lint"), Message: f.Message}
}

// codeAction offers each fix of a finding in the range as a quick fix, and all of the document's
// fixes as "fix all" (source.fixAll), computed on the text last linted: when the document changed
// since, nothing is offered until its diagnostics are new.
func (s *Server) codeAction(_ *glsp.Context, p *protocol.CodeActionParams) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.docs[p.TextDocument.URI]
	actions := []protocol.CodeAction{}
	if d == nil || d.linted == nil || string(d.linted.data) != d.text {
		return actions, nil
	}
	want := func(kind protocol.CodeActionKind) bool {
		if len(p.Context.Only) == 0 {
			return true
		}
		for _, k := range p.Context.Only {
			if k == kind || strings.HasPrefix(string(kind), string(k)+".") {
				return true
			}
		}
		return false
	}
	t := d.linted
	var fixable []linter.Finding
	for _, f := range d.findings {
		if f.Fix != nil {
			fixable = append(fixable, f)
		}
	}
	sort.SliceStable(fixable, func(i, j int) bool { return fixable[i].Fix.Start.Offset < fixable[j].Fix.Start.Offset })
	edit := func(f linter.Finding) protocol.TextEdit {
		return protocol.TextEdit{Range: protocol.Range{Start: t.position(f.Fix.Start.Offset), End: t.position(f.Fix.End.Offset)}, NewText: f.Fix.Replacement}
	}
	if want(protocol.CodeActionKindQuickFix) {
		for _, f := range fixable {
			r := t.findingRange(f)
			if !overlaps(r, p.Range) {
				continue
			}
			kind := protocol.CodeActionKindQuickFix
			actions = append(actions, protocol.CodeAction{Title: f.Fix.Description + " (" + f.Rule + ")", Kind: &kind,
				Diagnostics: []protocol.Diagnostic{diagnostic(t, f)}, IsPreferred: ptr(true),
				Edit: &protocol.WorkspaceEdit{Changes: map[protocol.DocumentUri][]protocol.TextEdit{p.TextDocument.URI: {edit(f)}}}})
		}
	}
	if want(codeActionKindFixAll) && len(fixable) > 0 {
		var edits []protocol.TextEdit
		end := -1
		for _, f := range fixable {
			if f.Fix.Start.Offset < end {
				continue // overlaps an earlier fix: the next round gets it
			}
			edits = append(edits, edit(f))
			end = f.Fix.End.Offset
		}
		kind := codeActionKindFixAll
		actions = append(actions, protocol.CodeAction{Title: "Fix all catalog-lint problems in this file", Kind: &kind,
			Edit: &protocol.WorkspaceEdit{Changes: map[protocol.DocumentUri][]protocol.TextEdit{p.TextDocument.URI: edits}}})
	}
	return actions, nil
}

func overlaps(a, b protocol.Range) bool {
	before := func(x, y protocol.Position) bool {
		return x.Line < y.Line || x.Line == y.Line && x.Character < y.Character
	}
	return !before(a.End, b.Start) && !before(b.End, a.Start)
}

// textOf is the text the editor holds for a document, and whether its last lint found it is not a
// catalog file; ok is false when it is not open.
func (s *Server) textOf(uri protocol.DocumentUri) (t *text, other, ok bool) {
	s.mu.Lock()
	d := s.docs[uri]
	var content string
	if d != nil {
		content, other = d.text, d.other
	}
	s.mu.Unlock()
	if d == nil {
		return nil, false, false
	}
	return newText(content), other, true
}
