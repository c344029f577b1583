// Package linter reads Backstage catalog files into entities with exact positions and runs rules
// on them. It knows no rule by name: rules are values handed to New.
package linter

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// IgnoreAnnotation lets an entity silence rules: `catalog-lint.io/ignore: rule-a,rule-b`.
const IgnoreAnnotation = "catalog-lint.io/ignore"

// Options configure a Linter.
type Options struct {
	// Rules is every rule to run (the registry), including BuiltinRules.
	Rules []*Rule
	// Config supplies size limits and per-rule settings; nil means the defaults.
	Config *Config
	// Offline skips every rule that needs the network.
	Offline bool
	// Jobs is how many files are linted at once; 0 means one per CPU.
	Jobs int
}

// Linter lints catalog files. It is safe for concurrent use.
type Linter struct {
	checks   []*Rule
	severity map[*Rule]Severity
	maxSize  int64
	jobs     int
	skipped  []*Rule
}

// Result is the outcome of linting a set of files.
type Result struct {
	Files    int
	Entities int
	// Findings are sorted by file, line, column and rule, without duplicates.
	Findings []Finding
	// Skipped lists the network rules --offline left out.
	Skipped []*Rule
}

// New prepares a Linter: it applies the configuration's rule settings to the rules' defaults.
func New(opts Options) (*Linter, error) {
	cfg := opts.Config
	if cfg == nil {
		cfg = DefaultConfig(".")
	}
	l := &Linter{severity: map[*Rule]Severity{}, maxSize: cfg.MaxFileSize, jobs: opts.Jobs}
	if l.maxSize <= 0 {
		l.maxSize = DefaultMaxFileSize
	}
	if l.jobs <= 0 {
		l.jobs = runtime.GOMAXPROCS(0)
	}
	for _, r := range opts.Rules {
		sev := r.Severity
		if s, ok := cfg.Rules[r.ID]; ok {
			if s.Off {
				continue
			}
			sev = s.Severity
		}
		if r.Network && opts.Offline {
			l.skipped = append(l.skipped, r)
			continue
		}
		l.severity[r] = sev
		if r.Check != nil {
			l.checks = append(l.checks, r)
		}
	}
	return l, nil
}

// Lint lints files (as returned by Discover) in parallel.
func (l *Linter) Lint(ctx context.Context, files []string) *Result {
	ch := make(chan string)
	go func() {
		defer close(ch)
		for _, f := range files {
			select {
			case ch <- f:
			case <-ctx.Done():
				return
			}
		}
	}()
	return l.LintStream(ctx, ch)
}

// LintPaths walks paths (see Walk) and lints the files as they are found: the walk and the workers
// overlap, and no list of all files is kept.
func (l *Linter) LintPaths(ctx context.Context, paths []string, cfg *Config) (*Result, error) {
	if err := CheckPaths(paths); err != nil {
		return nil, err
	}
	ch := make(chan string, 64)
	var walkErr error
	go func() {
		defer close(ch)
		walkErr = Walk(paths, cfg, func(p string) {
			select {
			case ch <- p:
			case <-ctx.Done():
			}
		})
	}()
	res := l.LintStream(ctx, ch) // returns after ch is closed, so walkErr is set
	return res, walkErr
}

// LintStream lints the files received from files until it is closed, with Jobs workers. Only
// findings are kept, never file contents, so memory stays flat however many files there are.
func (l *Linter) LintStream(ctx context.Context, files <-chan string) *Result {
	type partial struct {
		files, entities int
		findings        []Finding
	}
	parts := make([]partial, l.jobs)
	var wg sync.WaitGroup
	for w := 0; w < l.jobs; w++ {
		wg.Add(1)
		go func(part *partial) {
			defer wg.Done()
			for path := range files {
				if ctx.Err() != nil {
					continue // drain, so that the sender is never blocked
				}
				found, n := l.LintFile(ctx, path)
				part.files++
				part.entities += n
				part.findings = append(part.findings, found...)
			}
		}(&parts[w])
	}
	wg.Wait()
	res := &Result{Skipped: l.skipped}
	for _, p := range parts {
		res.Files += p.files
		res.Entities += p.entities
		res.Findings = append(res.Findings, p.findings...)
	}
	res.Findings = SortFindings(res.Findings)
	return res
}

// LintFile reads and lints one file; problems reading it are findings, never errors.
func (l *Linter) LintFile(ctx context.Context, path string) ([]Finding, int) {
	f, err := os.Open(path)
	if err != nil {
		return l.fileFinding(path, RuleFileUnreadable, fmt.Sprintf("cannot read file: %v", unwrapPathError(err))), 0
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return l.fileFinding(path, RuleFileUnreadable, fmt.Sprintf("cannot read file: %v", unwrapPathError(err))), 0
	}
	if st.IsDir() {
		return l.fileFinding(path, RuleFileUnreadable, "cannot read file: it is a folder"), 0
	}
	if st.Size() > l.maxSize {
		return l.tooLarge(path, st.Size()), 0
	}
	// Read what Stat announced in one go, plus one byte to notice a file that grew past the limit.
	data := make([]byte, 0, st.Size()+1)
	for {
		n, err := f.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF || (err == nil && n == 0) {
			break
		}
		if err != nil {
			return l.fileFinding(path, RuleFileUnreadable, fmt.Sprintf("cannot read file: %v", unwrapPathError(err))), 0
		}
		if int64(len(data)) > l.maxSize {
			return l.tooLarge(path, int64(len(data))), 0
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
	}
	return l.LintBytes(ctx, path, data)
}

// LintReader lints one file read from r (standard input), applying the size limit while reading.
func (l *Linter) LintReader(ctx context.Context, name string, r io.Reader) ([]Finding, int) {
	data, err := io.ReadAll(io.LimitReader(r, l.maxSize+1))
	if err != nil {
		return l.fileFinding(name, RuleFileUnreadable, fmt.Sprintf("cannot read input: %v", err)), 0
	}
	if int64(len(data)) > l.maxSize {
		return l.tooLarge(name, int64(len(data))), 0
	}
	return l.LintBytes(ctx, name, data)
}

func (l *Linter) tooLarge(path string, size int64) []Finding {
	return l.fileFinding(path, RuleFileTooLarge, fmt.Sprintf(
		"file is %s, over the %s limit; it was skipped (raise max_file_size in %s to lint it)",
		humanSize(size), humanSize(l.maxSize), ConfigFileName))
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

func (l *Linter) fileFinding(path string, r *Rule, msg string) []Finding {
	sev, on := l.severity[r]
	if !on {
		return nil
	}
	return []Finding{{Rule: r.ID, Severity: sev, File: path, Message: msg}}
}

// LintBytes lints the content of one file named name. It returns the findings, sorted, and the
// number of entities (mapping documents) the file holds.
func (l *Linter) LintBytes(ctx context.Context, name string, data []byte) ([]Finding, int) {
	fl := fileLint{l: l, name: name, src: &source{data: data}}
	docs, raw := parseFile(data)
	for _, f := range raw {
		fl.doc = f.doc
		fl.add(f, "")
	}
	entities := 0
	for _, d := range docs {
		fl.doc = d.index
		root := d.root
		if len(root.Content) == 0 {
			continue
		}
		top := root.Content[0]
		if top.Kind == yaml.ScalarNode && TypeOf(top) == TypeNull {
			continue // an empty document, such as after a trailing ---
		}
		limits, unsafe := checkDocument(root)
		for _, f := range limits {
			fl.add(f, "")
		}
		if unsafe {
			continue
		}
		if Resolve(top).Kind != yaml.MappingNode {
			fl.addNode(RuleDocumentNotMapping, top, "", fmt.Sprintf(
				"document %d is %s, not a mapping; each document must describe one entity with apiVersion, kind and metadata",
				d.index, Describe(top)))
			continue
		}
		entities++
		fl.entity(ctx, newEntity(Resolve(top), d.index))
	}
	return SortFindings(fl.findings), entities
}

type fileLint struct {
	l        *Linter
	name     string
	src      *source
	doc      int
	findings []Finding
}

func (fl *fileLint) add(f rawFinding, entity string) {
	sev, on := fl.l.severity[f.rule]
	if !on {
		return
	}
	endLine, endCol := f.endLine, f.endCol
	if endLine == 0 && f.line > 0 {
		endLine, endCol = f.line, f.col
	}
	fl.findings = append(fl.findings, Finding{
		Rule: f.rule.ID, Severity: sev, File: fl.name, Line: f.line, Column: f.col,
		EndLine: endLine, EndColumn: endCol, Message: f.msg, Entity: entity, Document: fl.doc,
		Source: fl.src.line(f.line),
	})
}

func (fl *fileLint) addNode(r *Rule, n *yaml.Node, entity, msg string) {
	endLine, endCol := fl.src.span(n)
	fl.add(rawFinding{rule: r, line: n.Line, col: n.Column, endLine: endLine, endCol: endCol, msg: msg}, entity)
}

func (fl *fileLint) entity(ctx context.Context, e *Entity) {
	ignored := ignoredRules(e)
	ref := e.Ref()
	p := &Pass{Ctx: ctx, Entity: e, emit: func(r *Rule, n *yaml.Node, msg string) {
		if n == nil {
			n = e.Root
		}
		fl.addNode(r, n, ref, msg)
	}}
	for _, r := range fl.l.checks {
		if ignored[r.ID] {
			continue
		}
		p.rule = r
		r.Check(p)
	}
}

// ignoredRules reads the entity's IgnoreAnnotation.
func ignoredRules(e *Entity) map[string]bool {
	_, v := e.Annotation(IgnoreAnnotation)
	s, ok := String(v)
	if !ok {
		return nil
	}
	out := map[string]bool{}
	for _, id := range strings.Split(s, ",") {
		if id = strings.TrimSpace(id); id != "" {
			out[id] = true
		}
	}
	return out
}

// SortFindings orders findings by file, line, column, rule and message, and drops exact repeats.
func SortFindings(fs []Finding) []Finding {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Message < b.Message
	})
	out := fs[:0]
	for _, f := range fs {
		if len(out) > 0 && f == out[len(out)-1] {
			continue
		}
		out = append(out, f)
	}
	return out
}
