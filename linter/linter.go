// Package linter reads Backstage catalog files into entities with exact positions and runs rules
// on them. It knows no rule by name: rules are values handed to New.
package linter

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

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
	// Resolvers answer the deferred questions of network rules. A network rule without a resolver
	// is skipped (and listed in Result.Skipped), as with Offline.
	Resolvers map[*Rule]Resolver
	// Jobs is how many files are linted at once; 0 means one per CPU.
	Jobs int
	// Budget bounds what the run may be made to do (budget.go); zero fields take the defaults.
	Budget Budget
	// Finishers have findings of their own once every question is answered (a live catalog's
	// conflicts); each is asked once per run.
	Finishers []Finisher
	// Catalog, when set, makes a run ingest as Backstage does: files Locations name are linted too,
	// Template skeletons are left out (listed in Result.SkippedFiles), and the catalog-wide rules'
	// resolver sees every entity. Without it each file is linted on its own.
	Catalog *Catalog
}

// Linter lints catalog files. It is safe for concurrent use. It is made for one run (every caller
// makes one per run): what the questions of its files keep until they are answered, it keeps until
// it is let go.
type Linter struct {
	checks    []*Rule
	severity  map[*Rule]Severity
	maxSize   int64
	jobs      int
	skipped   []*Rule
	resolvers map[*Rule]Resolver
	catalog   *Catalog
	cfg       *Config
	finishers []Finisher
	budget    Budget
	// arena and askers hold what the run's questions keep of a file until the end (stringArena,
	// table): a question names its line's text and its asker by where they are, not by pointer.
	arena  *stringArena
	askers *table[asker]
	// stores keep what each of checks asked (nil: the rule has no resolver), made by its resolver.
	stores []keyStore
}

// Result is the outcome of linting a set of files.
type Result struct {
	Files    int
	Entities int
	// Findings are sorted by file, line, column and rule, without duplicates.
	Findings []Finding
	// Skipped lists the network rules left out (--offline, or no credentials to ask with).
	Skipped []*Rule
	// Inconclusive counts answers of Inconclusive rules (checks that could not be completed), even
	// when configuration hides those findings.
	Inconclusive int
	// Notices are what resolvers had to say about the run as a whole, once each.
	Notices []string
	// Linted names the files linted, sorted, as findings name them.
	Linted []string
	// SkippedFiles are the files discovery found and left out, with the reason, sorted by file.
	SkippedFiles []Skip
	// LintedEntities counts the entities of each file of Linted, in its order.
	LintedEntities []int
	// Services names the services the run asked (sentry, github, backstage, sonarqube, …), sorted.
	Services []string
	// Incomplete, when set, says why the run stopped before it read everything (a budget, the time
	// limit, an interruption): nothing was reported as missing, and the outcome is "could not verify".
	Incomplete string
}

// New prepares a Linter: it applies the configuration's rule settings to the rules' defaults.
func New(opts Options) (*Linter, error) {
	cfg := opts.Config
	if cfg == nil {
		cfg = DefaultConfig(".")
	}
	l := &Linter{severity: map[*Rule]Severity{}, maxSize: cfg.MaxFileSize, jobs: opts.Jobs, resolvers: opts.Resolvers, catalog: opts.Catalog, cfg: cfg, arena: &stringArena{}, askers: &table[asker]{}}
	if !opts.Offline {
		l.finishers = opts.Finishers
	}
	l.budget = opts.Budget.withDefaults()
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
		if r.Catalog && opts.Catalog == nil {
			continue
		}
		if r.Network && (opts.Offline || (r.Check != nil && opts.Resolvers[r] == nil)) {
			if r.Check != nil {
				l.skipped = append(l.skipped, r)
			}
			continue
		}
		l.severity[r] = sev
		if r.Check != nil {
			l.checks = append(l.checks, r)
		}
	}
	l.stores = make([]keyStore, len(l.checks))
	for i, r := range l.checks {
		if res := l.resolvers[r]; res != nil {
			l.stores[i] = res.store()
		}
	}
	return l, nil
}

// Input is one file to lint: a Path to read, or a Reader (such as standard input) named Name; or,
// with Skipped set, a file discovery left out (named Name), listed in Result.SkippedFiles unread.
type Input struct {
	Path    string
	Name    string
	Reader  io.Reader
	Skipped string
	// Sniff asks to lint the file only if it holds a Backstage entity (HoldsBackstageEntity): a
	// folder walk's YAML files that are not named like catalog files.
	Sniff bool
}

// Lint lints files (as returned by Discover) in parallel.
func (l *Linter) Lint(ctx context.Context, files []string) *Result {
	inputs := make([]Input, len(files))
	for i, f := range files {
		inputs[i] = Input{Path: f}
	}
	return l.LintInputs(ctx, inputs)
}

// LintInputs lints a list of inputs in parallel.
func (l *Linter) LintInputs(ctx context.Context, inputs []Input) *Result {
	ch := make(chan Input)
	go func() {
		defer close(ch)
		for _, in := range inputs {
			select {
			case ch <- in:
			case <-ctx.Done():
				return
			}
		}
	}()
	return l.LintStream(ctx, ch)
}

// LintPaths walks paths (see Walk) and lints the files as they are found, then the extra inputs: the
// walk and the workers overlap, and no list of all files is kept. With a Catalog, the paths are walked
// in its repository (Catalog.Repo; on disk, paths as the user wrote them) as Backstage would ingest
// them; the CLI and the App both lint this way.
func (l *Linter) LintPaths(ctx context.Context, paths []string, cfg *Config, extra ...Input) (*Result, error) {
	var repoPaths []string
	if l.catalog == nil {
		if err := CheckPaths(paths); err != nil {
			return nil, err
		}
	} else {
		for _, p := range paths {
			if l.catalog.Repo.root != "" {
				if _, err := os.Stat(p); err != nil {
					return nil, fmt.Errorf("%s: %w", p, unwrapPathError(err))
				}
			}
			rp, ok := l.catalog.Repo.Path(p)
			if !ok {
				return nil, fmt.Errorf("%s: outside the repository", p)
			}
			repoPaths = append(repoPaths, rp)
		}
	}
	ch := make(chan Input, 64)
	var walkErr error
	go func() {
		defer close(ch)
		send := func(in Input) {
			select {
			case ch <- in:
			case <-ctx.Done():
			}
		}
		switch {
		case len(paths) == 0:
		case l.catalog == nil:
			// Each file on its own, named and read as a path of the disk.
			walkErr = walkDisk(paths, cfg, func(repo *Repo, in Input) {
				if in.Skipped != "" {
					send(Input{Name: repo.Name(in.Path), Skipped: in.Skipped})
					return
				}
				send(Input{Path: repo.Name(in.Path)})
			})
		default:
			walkErr = walkRepo(l.catalog.Repo, repoPaths, paths, cfg, l.catalog, func(in Input) {
				if in.Skipped != "" || l.catalog.Queued(in.Path) {
					send(in)
				}
			})
		}
		for _, in := range extra {
			send(in)
		}
	}()
	res := l.LintStream(ctx, ch) // returns after ch is closed, so walkErr is set
	return res, walkErr
}

// LintStream lints the inputs received until the channel is closed, with Jobs workers, then asks the
// resolvers of network rules the questions the files raised, in one batch per rule. Only findings and
// questions are kept, never file contents, so memory stays flat however many files there are.
func (l *Linter) LintStream(ctx context.Context, inputs <-chan Input) *Result {
	state := newRunState(l.budget)
	if l.catalog != nil {
		l.catalog.setState(state)
	}
	ctx = withRunState(ctx, state)
	parts := make([]fileResult, l.jobs)
	asked := make([]questionList, l.jobs)
	files := make([]int, l.jobs)
	linted := make([][]lintedFile, l.jobs)
	skips := make([][]Skip, l.jobs)
	work := func(inputs <-chan Input) {
		var wg sync.WaitGroup
		for w := 0; w < l.jobs; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for in := range inputs {
					if ctx.Err() != nil || state.stopped.Load() {
						continue // drain, so that the sender is never blocked
					}
					if in.Skipped != "" {
						skips[w] = append(skips[w], Skip{File: l.nameOf(in), Reason: in.Skipped})
						continue
					}
					fr := l.lintInput(ctx, in)
					if fr.notCatalog {
						if l.catalog != nil && in.Reader == nil {
							l.catalog.unqueue(in.Path) // a Location may still name it
						}
						continue
					}
					if fr.skipped != "" {
						skips[w] = append(skips[w], Skip{File: l.nameOf(in), Reason: fr.skipped})
						continue
					}
					files[w]++
					name := fr.name
					if name == "" {
						name = l.nameOf(in)
					}
					linted[w] = append(linted[w], lintedFile{name: name, path: l.pathOf(in), entities: fr.entities})
					parts[w].entities += fr.entities
					parts[w].findings = append(parts[w].findings, fr.findings...)
					asked[w].add(fr.questions)
				}
			}(w)
		}
		wg.Wait()
	}
	work(inputs)
	// Files that Locations name and the walk did not reach are linted next, until none is left.
	for l.catalog != nil && ctx.Err() == nil && !state.stopped.Load() {
		more := l.catalog.More(ctx)
		if len(more) == 0 {
			break
		}
		ch := make(chan Input, len(more))
		for _, in := range more {
			ch <- in
		}
		close(ch)
		work(ch)
	}
	if l.catalog != nil {
		l.catalog.dropWalkIndex() // every Location is followed: its glob index is not needed again
	}
	// The workers' findings are merged into a slice of the exact size, each part let go once copied;
	// their questions, one per relation in a catalog-wide run, are joined without a copy.
	var all fileResult
	var questions questionList
	var lintedAll []lintedFile
	nf := 0
	for _, p := range parts {
		nf += len(p.findings)
	}
	all.findings = make([]Finding, 0, nf)
	res := &Result{Skipped: l.skipped}
	for w := range parts {
		lintedAll = append(lintedAll, linted[w]...)
		res.SkippedFiles = append(res.SkippedFiles, skips[w]...)
		res.Files += files[w]
		res.Entities += parts[w].entities
		all.findings = append(all.findings, parts[w].findings...)
		questions.join(asked[w])
		parts[w], linted[w], asked[w] = fileResult{}, nil, questionList{}
	}
	if l.catalog != nil {
		lintedAll = l.excludeSkeletons(res, &all, &questions, lintedAll)
	}
	sortInParallel(lintedAll, compareLinted)
	res.Linted, res.LintedEntities = make([]string, len(lintedAll)), make([]int, len(lintedAll))
	for i, f := range lintedAll {
		res.Linted[i], res.LintedEntities[i] = f.name, f.entities
	}
	sort.Slice(res.SkippedFiles, func(i, j int) bool { return res.SkippedFiles[i].File < res.SkippedFiles[j].File })
	switch err := ctx.Err(); {
	case errors.Is(err, context.DeadlineExceeded):
		state.stop("the time limit was reached")
	case err != nil:
		state.stop("interrupted")
	}
	res.Incomplete = state.why()
	if res.Incomplete == "" {
		res.Findings, res.Inconclusive, res.Notices = l.resolve(ctx, all.findings, &questions)
	} else {
		// What was not read may well exist: no question is answered, nothing is called missing.
		res.Findings = SortFindings(all.findings)
	}
	return res
}

// lintedFile is a file linted: its name in findings, its path in the repository, its entities.
type lintedFile struct {
	name, path string
	entities   int
}

// compareLinted orders linted files by name (then entities, so that two alike are the same to a sort).
func compareLinted(a, b lintedFile) int {
	return cmp.Or(strings.Compare(a.name, b.name), cmp.Compare(a.entities, b.entities))
}

// nameOf is the name findings give the input's file.
func (l *Linter) nameOf(in Input) string {
	if in.Reader != nil || in.Path == "" {
		return in.Name
	}
	if l.catalog != nil {
		return l.catalog.Name(in.Path)
	}
	return in.Path
}

// pathOf is the input's path in the catalog's repository; "" when it has none (standard input
// named outside the repository, or no catalog).
func (l *Linter) pathOf(in Input) string {
	if l.catalog == nil {
		return ""
	}
	if in.Reader == nil {
		return in.Path
	}
	if in.Path != "" {
		return in.Path
	}
	if p, ok := l.catalog.Repo.Path(in.Name); ok {
		return p
	}
	return ""
}

// excludeSkeletons takes out the files the catalog, now that every Template has been read, knows
// to be scaffolder input: their findings, questions and entities go, and they are listed as skipped.
// It returns the files left.
func (l *Linter) excludeSkeletons(res *Result, all *fileResult, questions *questionList, linted []lintedFile) []lintedFile {
	excluded := map[string]bool{}
	kept := linted[:0]
	for _, f := range linted {
		if reason, ok := l.catalog.Exclude(f.path); ok && f.path != "" {
			excluded[f.name] = true
			res.SkippedFiles = append(res.SkippedFiles, Skip{File: f.name, Reason: reason})
			res.Files--
			res.Entities -= f.entities
			continue
		}
		kept = append(kept, f)
	}
	if len(excluded) == 0 {
		return kept
	}
	findings := all.findings[:0]
	for _, f := range all.findings {
		if !excluded[f.File] {
			findings = append(findings, f)
		}
	}
	all.findings = findings
	questions.keep(func(q *question) bool { return !excluded[l.askers.at(q.from).file] })
	return kept
}

func (l *Linter) lintInput(ctx context.Context, in Input) fileResult {
	if in.Reader != nil {
		return l.lintReaderAs(ctx, in.Name, l.pathOf(in), in.Reader, in.Sniff)
	}
	return l.lintFileAs(ctx, in.Path, in.Sniff)
}

// LintFile reads and lints one file; problems reading it are findings, never errors. Network rules'
// questions are resolved at once.
func (l *Linter) LintFile(ctx context.Context, path string) ([]Finding, int) {
	return l.finish(ctx, l.lintFile(ctx, path))
}

// LintReader lints one file read from r (standard input), applying the size limit while reading.
func (l *Linter) LintReader(ctx context.Context, name string, r io.Reader) ([]Finding, int) {
	return l.finish(ctx, l.lintReader(ctx, name, r))
}

// LintBytes lints the content of one file named name. It returns the findings, sorted, and the
// number of entities (mapping documents) the file holds.
func (l *Linter) LintBytes(ctx context.Context, name string, data []byte) ([]Finding, int) {
	return l.finish(ctx, l.lintBytes(ctx, name, data))
}

func (l *Linter) finish(ctx context.Context, fr fileResult) ([]Finding, int) {
	findings, _, _ := l.resolve(ctx, fr.findings, &questionList{chunks: [][]question{fr.questions}})
	return findings, fr.entities
}

// fileResult is what linting one or more files produced before network rules are resolved.
type fileResult struct {
	name      string // the file's name in findings, made once: every finding and definition of the file shares it
	findings  []Finding
	entities  int
	questions []question
	// skipped says why the file was left out after reading it (a template skeleton).
	skipped string
	// notCatalog is set for a sniffed file that holds no Backstage entity: it is not a catalog file.
	notCatalog bool
}

// question is a deferred check: the rule that asked, its key, and the finding it would become.
type question struct {
	// rule is the rule that asked, by index in Linter.checks, and key what it asked, by index in the
	// rule's keyStore (Linter.stores); from is the entity that asked, by index in Linter.askers. Like
	// at's text, none is a pointer: a catalog-wide run keeps one question per relation, hundreds of
	// thousands, in chunks the collector has no reason to look into.
	rule, key, from int32
	at              place // where the finding would be; an answer with a fix finds its node there again
}

// asker is the entity questions come from, shared by all of its questions: a catalog-wide run asks
// one question per relation of every entity, so what is the same for all of them is kept once.
type asker struct {
	file, entity string
	docIdx       int32
	ignored      map[string]bool
	src          *source // the file's content when it cannot be read again (standard input)
}

// place is where a question's finding would be in its file.
type place struct {
	line, column int32
	// endLine and endColumn are where the value ends, and text the line's text, worked out while
	// the file is in memory: an answer is placed without reading the file again.
	endLine, endColumn int32
	text               textRef
}

// resolve asks each rule's resolver its questions, then the finishers, and merges the answers into
// the findings, sorted.
func (l *Linter) resolve(ctx context.Context, findings []Finding, questions *questionList) (_ []Finding, inconclusive int, notices []string) {
	seenNotice := map[string]bool{}
	addNotices := func(ns []string) {
		for _, n := range ns {
			n = Printable(n)
			if !seenNotice[n] {
				seenNotice[n] = true
				notices = append(notices, n)
			}
		}
	}
	// count keeps the answers that become findings (a rule and a place), counting the inconclusive.
	count := func(answers []Answer, qs []*question) []Answer {
		kept := answers[:0]
		for _, a := range answers {
			if a.Rule == nil || (a.At == nil && (a.Question < 0 || a.Question >= len(qs))) {
				continue
			}
			if a.Rule.Inconclusive {
				inconclusive++ // counted even when configuration hides the finding
			}
			kept = append(kept, a)
		}
		return kept
	}
	{
		// Group the questions by rule as pointers, not copies: a catalog-wide run asks one per relation.
		byRule := make([][]*question, len(l.checks))
		for _, chunk := range questions.chunks {
			for i := range chunk {
				byRule[chunk[i].rule] = append(byRule[chunk[i].rule], &chunk[i])
			}
		}
		for ri, r := range l.checks { // a stable order
			qs := byRule[ri]
			res := l.resolvers[r]
			if res == nil || len(qs) == 0 && !res.sweeps() {
				continue
			}
			keys := make([]int32, len(qs))
			for i, q := range qs {
				keys[i] = q.key
			}
			answers, ns := res.resolve(ctx, l.stores[ri], keys)
			l.stores[ri] = res.store() // answered: what the rule asked is let go before its findings are made
			addNotices(ns)
			// Each rule's answers become findings at once: they are not kept, nor copied, until the
			// last rule has answered.
			findings = l.placeAnswers(findings, count(answers, qs), qs)
		}
	}
	for _, fin := range l.finishers {
		answers, ns := fin.Finish(ctx)
		addNotices(ns)
		findings = l.placeAnswers(findings, count(answers, nil), nil)
	}
	return SortFindings(findings), inconclusive, notices
}

// placeAnswers appends the findings of one rule's answers (to its questions qs, or At) to findings,
// the files they are in read again once each, Jobs files at a time, only where a fix needs the file.
// Each is written in place into one slice grown once: a catalog-wide run answers hundreds of
// thousands of questions, and copies of their findings (per file, then joined, then appended) were
// the peak of its memory.
func (l *Linter) placeAnswers(findings []Finding, answers []Answer, qs []*question) []Finding {
	if len(answers) == 0 {
		return findings
	}
	questionOf := func(a *Answer) *question {
		if a.At != nil {
			return nil
		}
		return qs[a.Question]
	}
	base := len(findings)
	findings = slices.Grow(findings, len(answers))[:base+len(answers)]
	kept := make([]bool, len(answers))
	fileOf := func(i int) string {
		if q := questionOf(&answers[i]); q != nil {
			return l.askers.at(q.from).file
		}
		return answers[i].At.File
	}
	// Answers come in the order of their questions, a file's together: each run of one file's answers
	// is placed at once, with its file read at most once (a map of the files would cost an entry per
	// file at the moment memory peaks).
	var runs [][2]int
	for i := range answers {
		if n := len(runs); n > 0 && fileOf(runs[n-1][0]) == fileOf(i) {
			runs[n-1][1] = i + 1
		} else {
			runs = append(runs, [2]int{i, i + 1})
		}
	}
	// The workers take the runs in turn, placeBatch at a time: one file's run is a few answers, and a
	// channel send per file was a serial tenth of this step.
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(l.jobs, len(runs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				end := int(next.Add(placeBatch))
				if end-placeBatch >= len(runs) {
					return
				}
				for _, run := range runs[end-placeBatch : min(end, len(runs))] {
					sources := answerSources{} // one file's
					for i := run[0]; i < run[1]; i++ {
						if f, ok := l.answerFinding(answers[i], questionOf(&answers[i]), sources); ok {
							findings[base+i], kept[i] = f, true
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	n := base
	for i := range answers {
		if kept[i] {
			findings[n] = findings[base+i]
			n++
		}
	}
	clear(findings[n:])
	return findings[:n]
}

// placeBatch is how many files' answers a worker of placeAnswers takes at a time.
const placeBatch = 64

// answerFinding turns an answer into its finding: at its question (with the end of the value, the
// line's text and the fix Replace calls for) or where At says; false when the rule is off, or ignored
// on the entity that asked.
func (l *Linter) answerFinding(a Answer, q *question, sources answerSources) (Finding, bool) {
	sev, on := l.severity[a.Rule]
	var from *asker
	if q != nil && a.At == nil {
		from = l.askers.at(q.from)
	}
	if !on || (from != nil && from.ignored[a.Rule.ID]) {
		return Finding{}, false
	}
	var f Finding
	if a.At != nil {
		f = *a.At
		if s := sources.get(f.File, nil); s != nil && f.Source == "" {
			f.Source = s.line(f.Line)
		}
	} else {
		f = sources.place(q.at, from, l.arena.text(q.at.text), a.Replace)
	}
	f.Rule, f.Severity, f.Message, f.Entity = a.Rule.ID, sev, Printable(a.Message), Printable(f.Entity)
	return f, true
}

// lintFile reads and lints one file; problems reading it are findings, never errors.
func (l *Linter) lintFile(ctx context.Context, path string) fileResult {
	return l.lintFileAs(ctx, path, false)
}

// lintFileAs is lintFile; with sniff, a file that cannot be read or holds no Backstage entity is
// not a catalog file and yields nothing. With a catalog, path is a path of its repository.
func (l *Linter) lintFileAs(ctx context.Context, path string, sniff bool) fileResult {
	fr := l.readAndLint(ctx, path, sniff)
	if sniff && len(fr.findings) > 0 && fr.entities == 0 && fr.findings[0].Line == 0 && fr.findings[0].Rule == RuleFileUnreadable.ID {
		return fileResult{notCatalog: true}
	}
	return fr
}

// sniffPrefix is how much of a large YAML file is read to tell whether it holds entities.
const sniffPrefix = 64 << 10

// headHoldsEntity reads the first sniffPrefix bytes of r and reports whether they hold a Backstage
// entity.
func headHoldsEntity(r io.Reader) bool {
	head := make([]byte, sniffPrefix)
	n, _ := io.ReadFull(r, head)
	return HoldsBackstageEntity(head[:n])
}

// open opens a file to lint: a path of the catalog's repository, or of the disk without a catalog.
func (l *Linter) open(p string) (fs.File, error) {
	if l.catalog != nil {
		return l.catalog.Repo.FS.Open(p)
	}
	return os.Open(p)
}

func (l *Linter) readAndLint(ctx context.Context, p string, sniff bool) fileResult {
	name, repoPath, onDisk := p, "", true
	if l.catalog != nil {
		name, repoPath, onDisk = l.catalog.Name(p), p, l.catalog.Repo.onDisk
	}
	cannotRead := func(err error) fileResult {
		return l.fileFinding(name, RuleFileUnreadable, fmt.Sprintf("cannot read file: %v", unwrapPathError(err)))
	}
	if l.catalog != nil && !onDisk {
		// In a tree, the size first, from the listing: a file over the limit is never downloaded.
		if st, err := l.catalog.Repo.FS.Stat(p); err == nil && !st.IsDir() && st.Size() > l.maxSize {
			if sniff {
				return fileResult{notCatalog: true}
			}
			return l.tooLarge(name, st.Size())
		}
	}
	f, err := l.open(p)
	if err != nil {
		if ctx.Err() != nil {
			return fileResult{notCatalog: true} // the run is over: not read, which says nothing of the file
		}
		return cannotRead(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return cannotRead(err)
	}
	if st.IsDir() {
		return l.fileFinding(name, RuleFileUnreadable, "cannot read file: it is a folder")
	}
	if st.Size() > l.maxSize {
		if sniff {
			// Reported only when it holds entities (Backstage would ingest it); other large YAML
			// files, such as generated manifests, are not catalog files.
			if !headHoldsEntity(f) {
				return fileResult{notCatalog: true}
			}
		}
		return l.tooLarge(name, st.Size())
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
			return cannotRead(err)
		}
		if int64(len(data)) > l.maxSize {
			return l.tooLarge(name, int64(len(data)))
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
	}
	if !spend(ctx, len(data)) {
		return fileResult{notCatalog: true} // over the run's budget: it stops here, nothing more is read
	}
	if sniff && !HoldsBackstageEntity(data) {
		return fileResult{notCatalog: true}
	}
	return l.lintSource(ctx, name, repoPath, data, onDisk)
}

// spend counts a file of n bytes read against the run's budget (when the context carries one); false
// when the budget is spent.
func spend(ctx context.Context, n int) bool {
	state := runStateOf(ctx)
	return state == nil || state.read(n)
}

func (l *Linter) lintReader(ctx context.Context, name string, r io.Reader) fileResult {
	return l.lintReaderAs(ctx, name, l.pathOf(Input{Name: name, Reader: r}), r, false)
}

// lintReaderAs is lintReader; with sniff, input that is too large or holds no Backstage entity is
// not a catalog file and yields nothing. repoPath is where the input stands in the catalog's
// repository ("" when it has no place there).
func (l *Linter) lintReaderAs(ctx context.Context, name, repoPath string, r io.Reader, sniff bool) fileResult {
	data, err := io.ReadAll(io.LimitReader(r, l.maxSize+1))
	if err != nil {
		if sniff {
			return fileResult{notCatalog: true}
		}
		return l.fileFinding(name, RuleFileUnreadable, fmt.Sprintf("cannot read input: %v", err))
	}
	if !spend(ctx, len(data)) {
		return fileResult{notCatalog: true}
	}
	if int64(len(data)) > l.maxSize {
		if sniff && !HoldsBackstageEntity(data[:min(len(data), sniffPrefix)]) {
			return fileResult{notCatalog: true}
		}
		return l.tooLarge(name, int64(len(data)))
	}
	if sniff && !HoldsBackstageEntity(data) {
		return fileResult{notCatalog: true}
	}
	return l.lintSource(ctx, name, repoPath, data, false)
}

func (l *Linter) tooLarge(path string, size int64) fileResult {
	what := "file is " + humanSize(size) + ","
	if size == l.maxSize+1 {
		what = "file is" // read only to one byte past the limit (a growing file, a download cut short): its size is unknown
	}
	return l.fileFinding(path, RuleFileTooLarge, fmt.Sprintf(
		"%s over the %s limit; it was skipped (raise max_file_size in %s to lint it)",
		what, humanSize(l.maxSize), ConfigFileName))
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

func (l *Linter) fileFinding(path string, r *Rule, msg string) fileResult {
	sev, on := l.severity[r]
	if !on {
		return fileResult{}
	}
	return fileResult{findings: []Finding{{Rule: r.ID, Severity: sev, File: path, Message: msg}}}
}

func (l *Linter) lintBytes(ctx context.Context, name string, data []byte) fileResult {
	return l.lintSource(ctx, name, l.pathOf(Input{Name: name, Reader: bytes.NewReader(nil)}), data, false)
}

// lintSource lints data, the content of the file name (at repoPath in the catalog's repository, ""
// when it has none); onDisk says that the file can be read again by its name to place the answers to
// its questions, so that its content need not be kept until then.
func (l *Linter) lintSource(ctx context.Context, name, repoPath string, data []byte, onDisk bool) fileResult {
	if l.catalog != nil && templatedDocuments(data) {
		return fileResult{skipped: SkipTemplatedFile}
	}
	fl := fileLint{l: l, name: name, path: repoPath, src: &source{data: data}, onDisk: onDisk}
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
				d.index, Describe(top)), nil)
			continue
		}
		entities++
		fl.entity(ctx, newEntity(Resolve(top), d.index))
	}
	if sev, on := l.severity[RuleFindingsLimit]; on && fl.dropped > 0 {
		fl.findings = append(fl.findings, Finding{Rule: RuleFindingsLimit.ID, Severity: sev, File: name,
			Message: fmt.Sprintf("%d more %s in this file are not shown: a file reports at most %d; fix these and run again",
				fl.dropped, pluralWord(fl.dropped, "finding", "findings"), l.budget.FindingsPerFile)})
	}
	return fileResult{name: name, findings: fl.findings, entities: entities, questions: fl.questions}
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

type fileLint struct {
	l         *Linter
	dropped   int // findings over the budget's FindingsPerFile
	name      string
	path      string // in the catalog's repository
	src       *source
	onDisk    bool
	doc       int
	findings  []Finding
	questions []question
	lastText  textRef // the text of the last question's line
}

// add records a finding of the file; false when its rule is off, or the file has as many findings
// as a file may report (they are counted, and one finding says how many more there were).
func (fl *fileLint) add(f rawFinding, entity string) bool {
	sev, on := fl.l.severity[f.rule]
	if !on {
		return false
	}
	if len(fl.findings) >= fl.l.budget.FindingsPerFile {
		fl.dropped++
		return false
	}
	endLine, endCol := f.endLine, f.endCol
	if endLine == 0 && f.line > 0 {
		endLine, endCol = f.line, f.col
	}
	fl.findings = append(fl.findings, Finding{
		Rule: f.rule.ID, Severity: sev, File: fl.name, Line: f.line, Column: f.col,
		EndLine: endLine, EndColumn: endCol, Message: Printable(f.msg), Entity: Printable(entity), Document: fl.doc,
		Source: fl.src.line(f.line),
	})
	return true
}

// addNode records a finding at node n, with its fix when there is one and the engine can make the
// edit with certainty.
func (fl *fileLint) addNode(r *Rule, n *yaml.Node, entity, msg string, fix *Edit) {
	endLine, endCol := fl.src.span(n)
	if fl.add(rawFinding{rule: r, line: n.Line, col: n.Column, endLine: endLine, endCol: endCol, msg: msg}, entity) && fix != nil {
		fl.findings[len(fl.findings)-1].Fix = makeFix(fl.src, n.Line, n.Column, n.Kind, n.Style, n.Value, *fix)
	}
}

func (fl *fileLint) entity(ctx context.Context, e *Entity) {
	ignored := ignoredRules(e)
	if fl.l.catalog != nil && fl.path != "" {
		// The ref is kept by the entity's definition and questions: in the arena, with theirs.
		e.ref = fl.l.arena.keep(e.ref)
		fl.l.catalog.ingest(e, fl.name, fl.path, ignored) // ingestion first, whatever the rules
	}
	ref := e.Ref()
	from := int32(-1) // the entity's asker, made on its first question
	p := &Pass{Ctx: ctx, Entity: e, File: fl.name, Path: fl.path, Catalog: fl.l.catalog, Config: fl.l.cfg, emit: func(r *Rule, n *yaml.Node, msg string, fix *Edit) {
		if n == nil {
			n = e.Root
		}
		fl.addNode(r, n, ref, msg, fix)
	}, defer_: func(ri int32, n *yaml.Node, q any) {
		if n == nil {
			n = e.Root
		}
		res, store := fl.l.resolvers[fl.l.checks[ri]], fl.l.stores[ri]
		if res == nil || store == nil {
			return // nothing would answer it
		}
		res.observe(ctx, q)
		key, ok := store.add(q)
		if !ok {
			return
		}
		// Where the value ends and the line's text are worked out now, while the file is in memory:
		// placing an answer then reads no file again (only a fix does).
		endLine, endCol := fl.src.span(n)
		if from < 0 {
			a := asker{file: fl.name, entity: ref, docIdx: int32(fl.doc), ignored: ignored}
			if !fl.onDisk {
				a.src = fl.src
			}
			from = fl.l.askers.add(a)
		}
		text := fl.lastText
		if k := len(fl.questions); k == 0 || fl.questions[k-1].at.line != int32(n.Line) {
			text = fl.l.arena.keepRef(fl.src.line(n.Line)) // a line asked about twice (a flow sequence) is kept once
		}
		fl.lastText = text
		fl.questions = append(fl.questions, question{rule: ri, key: key, from: from,
			at: place{line: int32(n.Line), column: int32(n.Column), endLine: int32(endLine), endColumn: int32(endCol), text: text}})
	}}
	for ri, r := range fl.l.checks {
		if ignored[r.ID] {
			continue
		}
		p.rule, p.ruleIdx = r, int32(ri)
		r.Check(p)
	}
}

// answerSources reads, once each, the files whose questions got answers, to place the findings.
type answerSources map[string]*source

// get returns the source of file: kept (in), or read again from disk; nil when it cannot be read.
func (a answerSources) get(file string, kept *source) *source {
	if kept != nil {
		return kept
	}
	if s, ok := a[file]; ok {
		return s
	}
	var s *source
	if data, err := os.ReadFile(file); err == nil {
		s = &source{data: data}
	}
	a[file] = s
	return s
}

// place completes the finding of a question asked at at by from, whose line read text then, with
// the end of its value and the line's text, and with the fix that sets the value to replace, if any.
func (a answerSources) place(at place, from *asker, text string, replace *string) Finding {
	f := Finding{File: from.file, Line: int(at.line), Column: int(at.column), Entity: from.entity, Document: int(from.docIdx)}
	f.EndLine, f.EndColumn = f.Line, f.Column
	if at.endLine > 0 {
		f.EndLine, f.EndColumn, f.Source = int(at.endLine), int(at.endColumn), text
	}
	if replace == nil {
		return f
	}
	if s := a.get(f.File, from.src); s != nil {
		// The line must read as it did when the question was asked: a file changed since gets no fix.
		if n := s.nodeAt(f.Line, f.Column); n != nil && s.line(f.Line) == text {
			f.EndLine, f.EndColumn = s.span(n)
			f.Source = s.line(f.Line)
			f.Fix = makeFix(s, f.Line, f.Column, n.Kind, n.Style, n.Value, ReplaceValue(*replace, "set the value to "+doubleQuoted(*replace)))
		}
	}
	return f
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

// SortFindings orders findings by file, line, column, rule and message (equals keep their order),
// and drops exact repeats. The order is found on indices and then applied in place, each finding
// moved once: a stable sort of the findings themselves (168 bytes each) rotated them O(n log² n)
// times, the one step after the last rule that a run of 100,000 services waits for alone.
func SortFindings(fs []Finding) []Finding {
	order := make([]int32, len(fs))
	for i := range order {
		order[i] = int32(i)
	}
	sortInParallel(order, func(i, j int32) int {
		if c := compareFindings(&fs[i], &fs[j]); c != 0 {
			return c
		}
		return cmp.Compare(i, j) // stable
	})
	permute(fs, order)
	out := fs[:0]
	for _, f := range fs {
		if len(out) > 0 && sameFinding(f, out[len(out)-1]) {
			continue
		}
		out = append(out, f)
	}
	clear(fs[len(out):])
	return out
}

// compareFindings orders a and b by file, line, column, rule and message.
func compareFindings(a, b *Finding) int {
	if c := strings.Compare(a.File, b.File); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Line, b.Line); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Column, b.Column); c != 0 {
		return c
	}
	if c := strings.Compare(a.Rule, b.Rule); c != 0 {
		return c
	}
	return strings.Compare(a.Message, b.Message)
}

// permute rearranges fs so that fs[k] is what fs[order[k]] was, moving each element once (along the
// permutation's cycles); order is used up (each entry set to its own index).
func permute[T any](fs []T, order []int32) {
	for start := range order {
		if int(order[start]) == start {
			continue
		}
		saved := fs[start]
		k := start
		for {
			from := int(order[k])
			order[k] = int32(k)
			if from == start {
				fs[k] = saved
				break
			}
			fs[k] = fs[from]
			k = from
		}
	}
}

// sameFinding compares findings by value, fixes included.
func sameFinding(a, b Finding) bool {
	fa, fb := a.Fix, b.Fix
	a.Fix, b.Fix = nil, nil
	return a == b && (fa == fb || fa != nil && fb != nil && *fa == *fb)
}

// MergeResults joins the results of runs over different repositories into one, findings and files
// sorted, notices once each.
func MergeResults(results ...*Result) *Result {
	if len(results) == 1 {
		return results[0]
	}
	out := &Result{}
	seenRule := map[*Rule]bool{}
	seenNotice := map[string]bool{}
	for _, r := range results {
		out.Files += r.Files
		out.Entities += r.Entities
		out.Inconclusive += r.Inconclusive
		if out.Incomplete == "" {
			out.Incomplete = r.Incomplete
		}
		out.Findings = append(out.Findings, r.Findings...)
		for i, f := range r.Linted {
			out.Linted = append(out.Linted, f)
			n := 0
			if i < len(r.LintedEntities) {
				n = r.LintedEntities[i]
			}
			out.LintedEntities = append(out.LintedEntities, n)
		}
		out.SkippedFiles = append(out.SkippedFiles, r.SkippedFiles...)
		for _, rule := range r.Skipped {
			if !seenRule[rule] {
				seenRule[rule] = true
				out.Skipped = append(out.Skipped, rule)
			}
		}
		for _, n := range r.Notices {
			if !seenNotice[n] {
				seenNotice[n] = true
				out.Notices = append(out.Notices, n)
			}
		}
		for _, s := range r.Services {
			if !slices.Contains(out.Services, s) {
				out.Services = append(out.Services, s)
			}
		}
	}
	sort.Strings(out.Services)
	out.Findings = SortFindings(out.Findings)
	sortLinted(out)
	sort.Slice(out.SkippedFiles, func(i, j int) bool { return out.SkippedFiles[i].File < out.SkippedFiles[j].File })
	return out
}

// sortLinted sorts res.Linted with the entity counts of its files.
func sortLinted(res *Result) {
	files := make([]lintedFile, len(res.Linted))
	for i, name := range res.Linted {
		files[i] = lintedFile{name: name, entities: res.LintedEntities[i]}
	}
	sortInParallel(files, compareLinted)
	for i, f := range files {
		res.Linted[i], res.LintedEntities[i] = f.name, f.entities
	}
}
