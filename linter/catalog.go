package linter

import (
	"context"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Catalog is what a run learns about the catalog as a whole while it reads files, as Backstage
// ingests it: which files Locations and app-config name (to read them too), which folders are
// Template skeletons (to leave them out), which kinds app-config allows, and every entity defined.
// Discovery, the engine's ingestion pass and the catalog-wide rules share one Catalog per run; its
// paths are the repository's (Repo.FS), and findings name files with Repo.Name. It is safe for
// concurrent use.
type Catalog struct {
	// Repo is the repository read: its files and how findings name them.
	Repo *Repo
	// RepositoryURL is this repository's web address (https://github.com/acme/pay): an absolute URL
	// target into it (…/blob/main/org.yaml) is read from the repository's own files. "" follows no URL.
	RepositoryURL string

	mu        sync.Mutex
	queued    map[string]bool   // paths handed to the linter
	pending   []Input           // Location targets found, not yet linted
	skeletons map[string]string // folder or file -> the Template file that fetches it
	ingested  map[string]bool   // files a Location or app-config names: Backstage reads them, never skeletons
	configs   []appConfigLayer  // app-config as each deployment layers it: which kinds may come from where
	defs      *definitions
	resolved  map[string]resolvedTarget // ResolveTarget's answers, by folder and target
	index     *defIndex                 // defs without skeletons, built once every file is read
	toFollow  [][2]string               // Location targets (file, target) not yet followed
	walked    []string                  // every file the walk saw, in its order, for globs once it is over
	roots     []string                  // the folders walked
	walkDone  bool
	noMemory  bool     // the walk left folders out (exclude globs): globs must look at the file system
	walkList  []string // walked, sorted, made once the walk is over
	// segIndex holds the files (indices in walkList) each path segment occurs in: a glob's literal
	// segment narrows it to the files that can match, so that a Location with a thousand `**` targets
	// over a large tree costs what they match, not a thousand passes over the tree. It is made once
	// segIndexAfter globs have been matched by a pass over their folder: most runs match a few, and
	// the index (an entry per folder name) was the slowest serial step of a run of 100,000 services.
	segIndex map[string][]int32
	walkSegs [][]string // walkList's paths split at "/", made with segIndex
	bases    []string   // the distinct file names of walkList, made with segIndex
	baseOf   []int32    // each file's name in bases
	globbed  int        // globs matched against walkList
	state    *runState
}

// segIndexAfter is how many globs are matched against the walk's files by a pass over their folder
// before the segment index is made.
const segIndexAfter = 16

// setState shares the run's budget with the catalog.
func (c *Catalog) setState(s *runState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state = s
}

// Incomplete says why the run stopped before reading everything ("" when it did not): the
// catalog-wide rules then call nothing missing.
func (c *Catalog) Incomplete() string {
	c.mu.Lock()
	s := c.state
	c.mu.Unlock()
	return s.why()
}

type resolvedTarget struct {
	files         []string
	glob, outside bool
}

// defIndex is the definitions of a finished run, skeletons left out, for the catalog-wide rules.
type defIndex struct {
	view     defView
	rows     map[string][]int32  // "kind:namespace/" -> its rows, the first time Refs is called
	byPrefix map[string][]string // "kind:namespace/" -> refs, sorted, once asked for (Refs)
	sorted   map[string]bool     // the prefixes asked for
	kinds    map[string]bool
}

// Definition is where an entity is defined: its metadata.name.
type Definition struct {
	Ref          string // kind:namespace/name, lowercased
	File         string // as findings name the file
	Path         string // the file's path in the repository
	Line, Column int
	EndColumn    int
	Entity       string // the ref as findings carry it
	Document     int
	// Ignored are the rules the entity's catalog-lint.io/ignore annotation switches off (nil: none),
	// for the catalog-wide rules that report at a definition.
	Ignored map[string]bool
}

// NewCatalog returns an empty Catalog of the repository repo.
func NewCatalog(repo *Repo) *Catalog {
	return &Catalog{Repo: repo, queued: map[string]bool{}, skeletons: map[string]string{}, ingested: map[string]bool{}, defs: newDefinitions(),
		resolved: map[string]resolvedTarget{}}
}

// Name is the name findings give the file at path p of the repository.
func (c *Catalog) Name(p string) string { return c.Repo.Name(p) }

// Inside reports whether a path of the repository stays inside it: no ".." out of the root, and, on
// disk, no symbolic link leading out.
func (c *Catalog) Inside(p string) bool {
	clean := path.Clean(p)
	if clean == ".." || strings.HasPrefix(clean, "../") || path.IsAbs(clean) {
		return false
	}
	if lr, ok := c.Repo.FS.(linkResolver); ok {
		return lr.contains(clean)
	}
	return true
}

// Stat reports whether the path p of the repository exists and is a folder. A path that leads out of
// the repository does not exist: the file system refuses it (Inside says why).
func (c *Catalog) Stat(p string) (exists, dir bool) {
	clean := path.Clean(p)
	if clean == ".." || strings.HasPrefix(clean, "../") || path.IsAbs(clean) {
		return false, false
	}
	st, err := c.Repo.FS.Stat(clean)
	if err != nil {
		return false, false
	}
	return true, st.IsDir()
}

// Queued records that the file at p is being linted; it returns false if it already was.
func (c *Catalog) Queued(p string) bool {
	key := path.Clean(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.queued[key] {
		return false
	}
	c.queued[key] = true
	return true
}

// unqueue forgets that the file at p was queued: a sniffed file that held no Backstage entity is
// still read in full when a Location names it, as Backstage would.
func (c *Catalog) unqueue(p string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.queued, path.Clean(p))
}

// ResolveTarget resolves a Location target (or an app-config file target) written in the file
// from: relative to from's folder, globs expanded. It returns the files, and whether the target is a
// glob; a target outside the repository returns outside.
func (c *Catalog) ResolveTarget(from, target string) (files []string, glob, outside bool) {
	key := path.Dir(from) + "\x00" + target
	c.mu.Lock()
	r, ok := c.resolved[key]
	c.mu.Unlock()
	if ok {
		return r.files, r.glob, r.outside
	}
	files, glob, outside = c.resolveTarget(from, target)
	c.mu.Lock()
	c.resolved[key] = resolvedTarget{files, glob, outside}
	c.mu.Unlock()
	return files, glob, outside
}

func (c *Catalog) resolveTarget(from, target string) (files []string, glob, outside bool) {
	var joined string
	switch {
	case filepath.IsAbs(target) || path.IsAbs(target):
		// An absolute path on this machine: inside the repository only when it names a path of it.
		p, ok := c.Repo.Path(target)
		if !ok || c.Repo.root == "" {
			return nil, false, true
		}
		joined = p
	default:
		joined = path.Join(path.Dir(from), filepath.ToSlash(target))
	}
	if !c.Inside(globBase(joined)) {
		return nil, false, true
	}
	if strings.ContainsAny(target, "*?[") {
		if files, ok := c.globWalked(joined); ok {
			return files, true, false
		}
		// A match may be a symbolic link leading out of the repository: it is never read.
		var inside []string
		for _, f := range globFS(c.Repo.FS, joined) {
			if c.Inside(f) {
				inside = append(inside, f)
			}
		}
		return inside, true, false
	}
	if !c.Inside(joined) {
		return nil, false, true
	}
	if exists, dir := c.Stat(joined); exists && !dir {
		return []string{joined}, false, false
	}
	return nil, false, false
}

// globBase is the part of a pattern before its first segment with a wildcard.
func globBase(pattern string) string {
	parts := strings.Split(pattern, "/")
	for i, p := range parts {
		if strings.ContainsAny(p, "*?[") {
			if i == 0 {
				return "."
			}
			return strings.Join(parts[:i], "/")
		}
	}
	return pattern
}

// AddTarget follows a Location target: once the walk is over (More), the files it names are queued
// for linting, once each.
func (c *Catalog) AddTarget(from, target string) {
	c.mu.Lock()
	if c.state != nil && !c.state.target() {
		c.mu.Unlock()
		return // over the budget: the run says so, and this target is not followed
	}
	c.toFollow = append(c.toFollow, [2]string{from, target})
	c.mu.Unlock()
	if !strings.ContainsAny(target, "*?[") && !IsAbsoluteURL(target) {
		// A file named as it is, not a glob (which needs the walk): ingested from now on, so that
		// what it defines is known for good while the walk goes on (Defined).
		files, _, outside := c.ResolveTarget(from, target)
		if !outside {
			c.mu.Lock()
			for _, f := range files {
				c.markIngested(f)
			}
			c.mu.Unlock()
		}
	}
}

// markIngested records that a Location names the file at p (c.mu held). A catalog-info.yaml is ingested
// by its name: it is not recorded, and a Location over 100,000 of them costs no entry per file.
func (c *Catalog) markIngested(p string) {
	if !IsCatalogFileName(path.Base(p)) {
		c.ingested[p] = true
	}
}

// sawFile records a file the walk passed, so that globs can be matched without the file system.
func (c *Catalog) sawFile(p string) {
	c.mu.Lock()
	c.walked = append(c.walked, p)
	c.mu.Unlock()
}

// sawRoot records a folder being walked; excluded says the walk leaves some of it out.
func (c *Catalog) sawRoot(dir string, excluded bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.roots = append(c.roots, path.Clean(dir))
	c.noMemory = c.noMemory || excluded
}

// More returns the files Locations named that were not linted yet, and forgets them. The engine
// calls it once the walk and the files it found are done, and again until it returns nothing; once ctx
// is done it follows no more targets (they stay to follow).
func (c *Catalog) More(ctx context.Context) []Input {
	c.mu.Lock()
	c.walkDone = true
	follow := c.toFollow
	c.toFollow = nil
	c.mu.Unlock()
	for k, t := range follow {
		if ctx.Err() != nil {
			// The time is up: the targets not followed stay to follow, and the run, incomplete,
			// calls nothing missing.
			c.mu.Lock()
			c.toFollow = append(follow[k:], c.toFollow...)
			c.mu.Unlock()
			break
		}
		files, _, outside := c.ResolveTarget(t[0], t[1])
		if outside {
			continue
		}
		c.mu.Lock()
		for _, f := range files {
			c.markIngested(f)
			if !c.queued[f] {
				c.queued[f] = true
				c.pending = append(c.pending, Input{Path: f})
			}
		}
		c.mu.Unlock()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.pending
	c.pending = nil
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// dropWalkIndex lets go of globWalked's index of the walked files (a catalog-wide run of 100,000
// files: 17 MiB) once the lint no longer follows Locations; a later glob looks at the file system.
func (c *Catalog) dropWalkIndex() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.walkList, c.segIndex, c.walkSegs, c.bases, c.baseOf = nil, nil, nil, nil, nil
	// What the walk saw goes too, an entry per file: a glob not answered yet (none is, once every
	// Location is followed) then looks at the file system.
	c.walked, c.queued, c.noMemory = nil, map[string]bool{}, true
	if d, ok := c.Repo.FS.(*diskFS); ok {
		d.forgetPlain()
	}
}

// globWalked matches a glob against the files the walk saw, when that is the same as looking at the
// file system: the walk is over, it covered the pattern's folder, and no folder under it was left out.
// The walk skips .git, node_modules and vendor, as `**` does: a pattern naming one of them explicitly
// looks at the file system. Each pattern is matched once (ResolveTarget keeps the answer) against the
// files under its fixed folder only.
func (c *Catalog) globWalked(pattern string) ([]string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.walkDone || c.noMemory {
		return nil, false
	}
	segs := strings.Split(pattern, "/")
	for _, seg := range segs {
		if skippedFolders[seg] {
			return nil, false
		}
	}
	base := globBase(pattern)
	covered := false
	for _, r := range c.roots {
		if pathWithin(r, base) {
			covered = true
		}
	}
	if !covered {
		return nil, false
	}
	if c.walkList == nil {
		// The walk reads each folder's entries sorted: its order is nearly the paths' own, and the
		// sort has little to do.
		slices.Sort(c.walked)
		c.walkList, c.walked = slices.Compact(c.walked), nil // a file under two roots is seen twice
	}
	if c.globbed++; c.globbed > segIndexAfter && c.segIndex == nil {
		c.indexWalk()
	}
	prefix := base + "/"
	if base == "." {
		prefix = ""
	}
	deep := strings.Contains(pattern, "**")
	var split []string // a file's segments, when the index has not split them
	match := func(i int) bool {
		f := c.walkList[i]
		if !strings.HasPrefix(f, prefix) {
			return false
		}
		if c.walkSegs != nil {
			split = c.walkSegs[i]
		} else {
			if !deep && strings.Count(f, "/")+1 != len(segs) {
				return false
			}
			split = splitPath(split, f)
		}
		return (deep || len(split) == len(segs)) && matchSegments(segs, split)
	}
	// The pattern's literal segments (past its base) name files that must hold them: the fewest of
	// those files are the candidates. Without one (`**/*.yaml`), or before the index is made, every
	// file under the base is.
	var candidates []int32
	narrowed := false
	for _, seg := range segs[len(strings.Split(base, "/")):] {
		if c.segIndex == nil || seg == "**" || strings.ContainsAny(seg, "*?[\\") {
			continue
		}
		if list := c.segIndex[seg]; !narrowed || len(list) < len(candidates) {
			candidates, narrowed = list, true
		}
	}
	var out []string
	if narrowed {
		for _, i := range candidates { // in walkList's (sorted) order
			if match(int(i)) {
				out = append(out, c.walkList[i])
			}
		}
		return out, true
	}
	// A last segment with wildcards (`*-api.yaml`) is matched against each distinct file name once:
	// a file whose name it does not match is passed over without matching its path.
	var named []bool
	if last := segs[len(segs)-1]; c.segIndex != nil && last != "**" {
		named = make([]bool, len(c.bases))
		for b, name := range c.bases {
			named[b], _ = path.Match(last, name)
		}
	}
	for i := sort.SearchStrings(c.walkList, prefix); i < len(c.walkList) && strings.HasPrefix(c.walkList[i], prefix); i++ {
		if (named == nil || named[c.baseOf[i]]) && match(i) {
			out = append(out, c.walkList[i])
		}
	}
	return out, true
}

// indexWalk makes the index of the walked files that a repository with many globs is matched
// through: each file's path split at "/", the files each segment occurs in, and each file's name as
// an index into the distinct names.
func (c *Catalog) indexWalk() {
	c.segIndex = make(map[string][]int32)
	c.walkSegs = make([][]string, len(c.walkList))
	c.baseOf = make([]int32, len(c.walkList))
	baseIDs := map[string]int32{}
	for i, f := range c.walkList {
		split := strings.Split(f, "/")
		c.walkSegs[i] = split
		for j, seg := range split {
			if j == 0 || !slices.Contains(split[:j], seg) {
				c.segIndex[seg] = append(c.segIndex[seg], int32(i))
			}
		}
		name := split[len(split)-1]
		id, ok := baseIDs[name]
		if !ok {
			id = int32(len(c.bases))
			baseIDs[name] = id
			c.bases = append(c.bases, name)
		}
		c.baseOf[i] = id
	}
}

// splitPath is strings.Split(p, "/") into buf's room: the segments of one path after another share
// one slice.
func splitPath(buf []string, p string) []string {
	buf = buf[:0]
	for {
		seg, rest, more := strings.Cut(p, "/")
		buf = append(buf, seg)
		if !more {
			return buf
		}
		p = rest
	}
}

// AddSkeleton records that the Template in file fetches url (a folder, or one file) as scaffolder
// input: what is there is not a catalog file. A url that names the repository's root or leads out of
// it marks nothing: one Template cannot silence a repository.
func (c *Catalog) AddSkeleton(file, url string) {
	p := path.Join(path.Dir(file), filepath.ToSlash(url))
	if p == "." || p == ".." || strings.HasPrefix(p, "../") || path.IsAbs(p) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.skeletons[p] = file
	c.index = nil
}

// Skeleton reports whether file is Template input: under a folder (or being a file) a Template
// fetches, not the Template's own file, and not a file Backstage ingests (named catalog-info.yaml, or
// named by a Location or app-config).
func (c *Catalog) Skeleton(file string) (template string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.skeletonLocked(file)
}

func (c *Catalog) skeletonLocked(file string) (template string, ok bool) {
	if len(c.skeletons) == 0 {
		return "", false
	}
	key := path.Clean(file)
	if IsCatalogFileName(path.Base(key)) || c.ingested[key] {
		return "", false
	}
	for p := key; ; p = path.Dir(p) {
		if t, ok := c.skeletons[p]; ok && t != key {
			return t, true
		}
		if p == "." || p == "/" {
			return "", false
		}
	}
}

// Exclude is the engine's last word on a file once every file is read: Template input is left out.
func (c *Catalog) Exclude(file string) (string, bool) {
	if _, ok := c.Skeleton(file); ok {
		return SkipSkeleton, true
	}
	return "", false
}

// Keep keeps s until the end of the run for a question (a relation's value), in the catalog's arena:
// a Text holds no pointer for the collector to follow. Texts reads it back.
func (c *Catalog) Keep(s string) Text { return Text{c.defs.text.keepRef(s)} }

// Texts returns the reader of what Keep kept so far, for the catalog-wide rules once every file is
// read: it reads without a lock, from several goroutines at once.
func (c *Catalog) Texts() Texts { return c.defs.text.snapshot() }

// Define records an entity's definition and returns how many definitions of its ref there are now.
func (c *Catalog) Define(d Definition) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.index = nil
	return c.defs.add(d)
}

// Defined reports whether ref (lowercased kind:namespace/name) is defined, so far, in a file that
// cannot turn out to be Template input: a catalog-info.yaml, or a file a Location names. A relation to
// it is answered while the files are read, and needs no question kept until the end.
func (c *Catalog) Defined(ref string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	found := false
	c.defs.view().each(ref, func(_ int32, r *defRow) bool {
		if r.path.len == 0 {
			return true
		}
		key := path.Clean(c.defs.text.text(r.path))
		found = IsCatalogFileName(path.Base(key)) || c.ingested[key]
		return !found
	})
	return found
}

// Definitions returns where ref (lowercased kind:namespace/name) is defined, skeletons left out,
// sorted by file and line.
func (c *Catalog) Definitions(ref string) []Definition { return c.defIndex().view.definitions(ref) }

// DefinesKind reports whether the run defines any entity of kind (lowercased).
func (c *Catalog) DefinesKind(kind string) bool { return c.defIndex().kinds[kind] }

// RefIndex is the run's definitions, skeletons left out, as they are when it is taken (Catalog.Refs
// index): read from several goroutines at once without a lock per lookup, for the catalog-wide rules
// that answer hundreds of thousands of questions once every file is read.
type RefIndex struct{ idx *defIndex }

// RefIndex returns the index of the definitions as they are now.
func (c *Catalog) RefIndex() RefIndex { return RefIndex{c.defIndex()} }

// Defined reports whether ref (lowercased kind:namespace/name) is defined.
func (x RefIndex) Defined(ref string) bool { return x.idx.view.defined(ref) }

// DefinesKind reports whether any entity of kind (lowercased) is defined.
func (x RefIndex) DefinesKind(kind string) bool { return x.idx.kinds[kind] }

// defIndex builds the index of definitions once Define and AddSkeleton calls are over (the
// catalog-wide rules ask after every file is read): which rows are Template input, and the kinds
// defined. A later Define or AddSkeleton rebuilds it; one built earlier must no longer be read.
func (c *Catalog) defIndex() *defIndex {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.index != nil {
		return c.index
	}
	v := c.defs.view()
	idx := &defIndex{view: v, kinds: map[string]bool{}}
	seen := map[string]bool{} // kinds as written (a folded row's ref is its entity's text)
	for _, chunk := range v.chunks {
		for i := range chunk {
			r := &chunk[i]
			r.skeleton = false
			if len(c.skeletons) > 0 {
				_, r.skeleton = c.skeletonLocked(v.text(r.path))
			}
			if kind, _, _ := strings.Cut(v.text(r.ref), ":"); !r.skeleton && !seen[kind] {
				seen[kind], idx.kinds[strings.ToLower(kind)] = true, true
			}
		}
	}
	c.index = idx
	return idx
}

// Duplicated returns the definitions of each ref defined more than once, skeletons left out, sorted
// by ref, then file and line.
func (c *Catalog) Duplicated() [][]Definition {
	v := c.defIndex().view
	var refs []string
	v.refs(func(r *defRow, n int) {
		if n > 1 {
			refs = append(refs, refText(r, v.text))
		}
	})
	sort.Strings(refs)
	out := make([][]Definition, len(refs))
	for i, ref := range refs {
		out[i] = v.definitions(ref)
	}
	return out
}

// AllDefinitions returns every definition of the run, skeletons left out, sorted by ref, file and
// line.
func (c *Catalog) AllDefinitions() []Definition {
	v := c.defIndex().view
	var refs []string
	v.refs(func(r *defRow, _ int) { refs = append(refs, refText(r, v.text)) })
	sort.Strings(refs)
	var out []Definition
	for _, ref := range refs {
		out = append(out, v.definitions(ref)...)
	}
	return out
}

// Refs returns the defined refs that start with prefix, a kind and namespace such as
// "group:default/", skeletons left out, sorted. The refs are grouped by prefix on first use (only a
// missing relation asks, for a suggestion), and a prefix's are sorted when it is first asked for: a
// run of 100,000 services asks for the groups and APIs its relations name, never its 100,000
// components.
func (c *Catalog) Refs(prefix string) []string {
	idx := c.defIndex()
	c.mu.Lock()
	defer c.mu.Unlock()
	if idx.rows == nil {
		// The rows in the order they were added (memory read in order), by prefix; a ref defined
		// twice is there twice: the sort below brings the two together, and Compact keeps one.
		idx.rows, idx.byPrefix, idx.sorted = map[string][]int32{}, map[string][]string{}, map[string]bool{}
		lower := map[string]string{} // a prefix as written -> in lower case
		var cur []int32              // the rows of prefix curPrefix, which come one after another, mostly
		curPrefix, n := "", int32(0)
		for _, chunk := range idx.view.chunks {
			for i := range chunk {
				row := n
				n++
				if chunk[i].skeleton {
					continue
				}
				text := idx.view.text(chunk[i].ref)
				slash := strings.LastIndexByte(text, '/')
				if slash <= 0 {
					continue
				}
				p := text[:slash+1]
				if chunk[i].folded {
					l, ok := lower[p]
					if !ok {
						l = strings.ToLower(p)
						lower[p] = l
					}
					p = l
				}
				if p != curPrefix {
					if curPrefix != "" {
						idx.rows[curPrefix] = cur
					}
					curPrefix, cur = p, idx.rows[p]
				}
				cur = append(cur, row)
			}
		}
		if curPrefix != "" {
			idx.rows[curPrefix] = cur
		}
	}
	if !idx.sorted[prefix] {
		var refs []string
		for _, i := range idx.rows[prefix] {
			refs = append(refs, refText(idx.view.row(i), idx.view.text))
		}
		slices.Sort(refs)
		idx.byPrefix[prefix] = slices.Compact(refs)
		idx.sorted[prefix] = true
	}
	return idx.byPrefix[prefix]
}

// LocalPath maps an absolute URL into this repository (RepositoryURL), such as
// https://github.com/acme/pay/blob/main/catalog/org.yaml, to the path of the file relative to the
// repository's root (catalog/org.yaml); ok is false for any other URL.
func (c *Catalog) LocalPath(target string) (string, bool) {
	repo := strings.TrimSuffix(strings.TrimRight(strings.ToLower(c.RepositoryURL), "/"), ".git")
	if repo == "" {
		return "", false
	}
	rest, ok := cutPrefixFold(target, repo+"/")
	if !ok {
		return "", false
	}
	// blob/REF/path or tree/REF/path (REF without a slash: a branch, tag or commit)
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) != 3 || (parts[0] != "blob" && parts[0] != "tree") || parts[2] == "" {
		return "", false
	}
	p := path.Clean(parts[2])
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", false
	}
	return "./" + p, true
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return s[len(prefix):], true
}

// RootFile is a path in the repository's root folder, to resolve root-relative targets against.
func (c *Catalog) RootFile() string { return "catalog-info.yaml" }

// globFS returns the files of fsys matching a slash-separated pattern (path.Match per segment, `**`
// for any number of folders, which never enters .git, node_modules or vendor), sorted.
func globFS(fsys RepoFS, pattern string) []string {
	segs := strings.Split(path.Clean(pattern), "/")
	var out []string
	isFile := func(p string) bool {
		st, err := fsys.Stat(p)
		return err == nil && !st.IsDir()
	}
	var expand func(dir string, segs []string)
	expand = func(dir string, segs []string) {
		if len(segs) == 0 {
			return
		}
		seg, rest := segs[0], segs[1:]
		switch {
		case seg == "**":
			expand(dir, rest) // zero folders
			entries, _ := fsys.ReadDir(dir)
			for _, e := range entries {
				switch {
				case e.IsDir() && !skippedFolders[e.Name()]:
					expand(path.Join(dir, e.Name()), segs)
				case len(rest) == 0 && e.Type().IsRegular():
					out = append(out, path.Join(dir, e.Name())) // a trailing ** matches the files too
				}
			}
		case !strings.ContainsAny(seg, "*?["):
			p := path.Join(dir, seg)
			if len(rest) == 0 {
				if isFile(p) {
					out = append(out, p)
				}
				return
			}
			expand(p, rest)
		default:
			entries, _ := fsys.ReadDir(dir)
			for _, e := range entries {
				if ok, _ := path.Match(seg, e.Name()); !ok {
					continue
				}
				p := path.Join(dir, e.Name())
				if len(rest) > 0 {
					expand(p, rest)
				} else if isFile(p) {
					out = append(out, p)
				}
			}
		}
	}
	expand(".", segs)
	sort.Strings(out)
	return dedupe(out)
}

func dedupe(sorted []string) []string {
	out := sorted[:0]
	for i, s := range sorted {
		if i == 0 || s != sorted[i-1] {
			out = append(out, s)
		}
	}
	return out
}
