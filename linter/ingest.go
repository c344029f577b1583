package linter

import (
	"bytes"
	"context"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Reasons discovery gives for a file it leaves out.
const (
	SkipSkeleton        = "template skeleton"
	SkipTemplatedPath   = "template skeleton (templated path)"
	SkipTemplatedFile   = "template skeleton (template expressions)"
	SkipTargetOutside   = "location target outside the repository"
	SkipNoBackstageYAML = "no Backstage entity"
)

// Catalog is what a run learns about the catalog as a whole while it reads files, as Backstage
// ingests it: which files Locations and app-config name (to read them too), which folders are
// Template skeletons (to leave them out), which kinds app-config allows, and every entity defined.
// Discovery, the engine and the catalog-wide rules share one Catalog per run. It is safe for
// concurrent use.
type Catalog struct {
	// FS answers whether paths exist; nil means the local disk.
	FS CatalogFS
	// Root is the repository's folder: nothing outside it is read. "" means the current folder.
	Root string
	// RepositoryURL is this repository's web address (https://github.com/acme/pay): an absolute URL
	// target into it (…/blob/main/org.yaml) is read from the repository's own files. "" follows no URL.
	RepositoryURL string
	// Read, when set, reads the files Locations name (the repository is not on disk: the webhook
	// server fetches them from GitHub); nil reads the disk.
	Read func(ctx context.Context, path string) ([]byte, error)

	mu        sync.Mutex
	rootReal  string
	queued    map[string]bool   // cleaned paths handed to the linter
	pending   []Input           // Location targets found, not yet linted
	skeletons map[string]string // cleaned folder or file -> the Template file that fetches it
	configs   []appConfigLayer  // app-config as each deployment layers it: which kinds may come from where
	defs      map[string][]Definition
	resolved  map[string]resolvedTarget // ResolveTarget's answers, by folder and target
	index     *defIndex                 // defs without skeletons, built once every file is read
	toFollow  [][2]string               // Location targets (file, target) not yet followed
	walked    map[string]bool           // every file the walk saw, for globs once it is over
	roots     []string                  // the folders walked
	walkDone  bool
	noMemory  bool   // the walk left folders out (exclude globs): globs must look on disk
	wd        string // the current folder, for absolute file keys
}

type resolvedTarget struct {
	files         []string
	glob, outside bool
}

// defIndex is the definitions of a finished run, skeletons left out, for the catalog-wide rules.
type defIndex struct {
	byRef    map[string][]Definition // sorted by file and line
	byPrefix map[string][]string     // "kind:namespace/" -> refs, sorted
	kinds    map[string]bool
}

// CatalogFS is the file system a Catalog resolves Location targets and Template folders against:
// the local disk for the CLI, a repository's tree for the webhook server.
type CatalogFS interface {
	// Stat reports whether name exists and is a folder.
	Stat(name string) (exists, dir bool)
	// Glob returns the files matching a slash-separated pattern (path.Match per segment, `**` for
	// any number of segments), sorted.
	Glob(pattern string) []string
}

// Definition is where an entity is defined: its metadata.name.
type Definition struct {
	Ref          string // kind:namespace/name, lowercased
	File         string
	Line, Column int
	EndColumn    int
	Entity       string // the ref as findings carry it
	Document     int
}

// RepositoryRoot returns the Git work tree holding dir (the nearest folder above it with .git), or
// dir itself when there is none.
func RepositoryRoot(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return abs
		}
	}
}

// NewCatalog returns an empty Catalog rooted at root (the repository's folder).
func NewCatalog(root string) *Catalog {
	c := &Catalog{Root: root}
	c.init()
	return c
}

func (c *Catalog) init() {
	if c.queued != nil {
		return
	}
	c.queued, c.skeletons, c.defs = map[string]bool{}, map[string]string{}, map[string][]Definition{}
	c.resolved = map[string]resolvedTarget{}
	c.walked = map[string]bool{}
	root := c.Root
	if root == "" {
		root = "."
	}
	if real, err := filepath.EvalSymlinks(root); err == nil {
		root = real
	}
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	c.rootReal = root
	c.wd, _ = os.Getwd()
}

func (c *Catalog) fs() CatalogFS {
	if c.FS == nil {
		return diskFS{}
	}
	return c.FS
}

// Inside reports whether a path resolves inside the repository, following symbolic links on disk.
func (c *Catalog) Inside(p string) bool {
	c.mu.Lock()
	c.init()
	root := c.rootReal
	c.mu.Unlock()
	if c.FS != nil {
		clean := path.Clean(filepath.ToSlash(p))
		return clean != ".." && !strings.HasPrefix(clean, "../") && !path.IsAbs(clean)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return false
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	} else if real, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		abs = filepath.Join(real, filepath.Base(abs))
	}
	return within(root, abs)
}

// Queued records that the file at path is being linted; it returns false if it already was. Paths
// are compared absolute, so that a file named two ways is linted once.
func (c *Catalog) Queued(p string) bool {
	key := c.fileKey(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.init()
	if c.queued[key] {
		return false
	}
	c.queued[key] = true
	return true
}

// unqueue forgets that the file at path was queued: a sniffed file that held no Backstage entity
// is still read in full when a Location names it, as Backstage would.
func (c *Catalog) unqueue(p string) {
	key := c.fileKey(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.queued, key)
}

func cleanKey(p string) string { return filepath.ToSlash(filepath.Clean(p)) }

// fileKey identifies a file of the run: its absolute path on disk, its clean path in a tree.
func (c *Catalog) fileKey(p string) string {
	if c.FS != nil {
		return cleanKey(p)
	}
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(c.wd, p)
}

// ResolveTarget resolves a Location target (or an app-config file target) written in the file
// from: relative to from's folder, globs expanded. It returns the files, and whether the target is a
// glob; a target outside the repository returns outside.
func (c *Catalog) ResolveTarget(from, target string) (files []string, glob, outside bool) {
	key := filepath.Dir(from) + "\x00" + target
	c.mu.Lock()
	c.init()
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
	joined := target
	if !filepath.IsAbs(target) {
		joined = filepath.Join(filepath.Dir(from), filepath.FromSlash(target))
	}
	joined = filepath.Clean(joined)
	if !c.Inside(globBase(joined)) {
		return nil, false, true
	}
	if strings.ContainsAny(target, "*?[") {
		if files, ok := c.globWalked(joined); ok {
			return files, true, false
		}
		// A match may be a symbolic link leading out of the repository: it is never read.
		var inside []string
		for _, f := range c.fs().Glob(filepath.ToSlash(joined)) {
			if c.Inside(f) {
				inside = append(inside, f)
			}
		}
		return inside, true, false
	}
	if !c.Inside(joined) {
		return nil, false, true
	}
	if exists, dir := c.fs().Stat(joined); exists && !dir {
		return []string{joined}, false, false
	}
	return nil, false, false
}

// globBase is the part of a pattern before its first segment with a wildcard.
func globBase(pattern string) string {
	parts := strings.Split(filepath.ToSlash(pattern), "/")
	for i, p := range parts {
		if strings.ContainsAny(p, "*?[") {
			return filepath.FromSlash(strings.Join(parts[:i], "/"))
		}
	}
	return pattern
}

// AddTarget follows a Location target: once the walk is over (More), the files it names are queued
// for linting, once each.
func (c *Catalog) AddTarget(from, target string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.init()
	c.toFollow = append(c.toFollow, [2]string{from, target})
}

// sawFile records a file the walk passed, so that globs can be matched without the disk.
func (c *Catalog) sawFile(p string) {
	c.mu.Lock()
	c.walked[cleanKey(p)] = true
	c.mu.Unlock()
}

// sawRoot records a folder being walked; excluded says the walk leaves some of it out.
func (c *Catalog) sawRoot(dir string, excluded bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.init()
	c.roots = append(c.roots, cleanKey(dir))
	c.noMemory = c.noMemory || excluded
}

// More returns the files Locations named that were not linted yet, and forgets them. The engine
// calls it once the walk and the files it found are done, and again until it returns nothing.
func (c *Catalog) More() []Input {
	c.mu.Lock()
	c.init()
	c.walkDone = true
	follow := c.toFollow
	c.toFollow = nil
	c.mu.Unlock()
	for _, t := range follow {
		files, _, outside := c.ResolveTarget(t[0], t[1])
		if outside {
			continue
		}
		c.mu.Lock()
		for _, f := range files {
			key := c.fileKey(f)
			if !c.queued[key] {
				c.queued[key] = true
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

// globWalked matches a glob against the files the walk saw, when that is the same as looking on
// disk: the walk is over, it covered the pattern's folder, and no folder under it was left out.
func (c *Catalog) globWalked(pattern string) ([]string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.walkDone || c.noMemory || c.FS != nil {
		return nil, false
	}
	pattern = filepath.ToSlash(pattern)
	for _, seg := range strings.Split(pattern, "/") {
		if seg == "**" || skippedFolders[seg] {
			return nil, false // the walk skips .git, node_modules and vendor; Backstage does not
		}
	}
	base := filepath.ToSlash(globBase(pattern))
	covered := false
	for _, r := range c.roots {
		if r == "." && !strings.HasPrefix(base, "../") && !path.IsAbs(base) || base == r || strings.HasPrefix(base, r+"/") {
			covered = true
		}
	}
	if !covered {
		return nil, false
	}
	segs := strings.Split(pattern, "/")
	prefix := base + "/"
	if base == "." || base == "" {
		prefix = ""
	}
	var out []string
	for f := range c.walked {
		if strings.HasPrefix(f, prefix) && strings.Count(f, "/") == len(segs)-1 && matchSegments(segs, strings.Split(f, "/")) {
			out = append(out, filepath.FromSlash(f))
		}
	}
	sort.Strings(out)
	return out, true
}

// AddSkeleton records that the Template in file fetches url (a folder, or one file) as scaffolder
// input: what is there is not a catalog file.
func (c *Catalog) AddSkeleton(file, url string) {
	p := filepath.Clean(filepath.Join(filepath.Dir(file), filepath.FromSlash(url)))
	c.mu.Lock()
	defer c.mu.Unlock()
	c.init()
	c.skeletons[cleanKey(p)] = file
	c.index = nil
}

// Skeleton reports whether file is Template input: under a folder (or being a file) a Template
// fetches, and not the Template's own file.
func (c *Catalog) Skeleton(file string) (template string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.skeletonLocked(file)
}

func (c *Catalog) skeletonLocked(file string) (template string, ok bool) {
	if len(c.skeletons) == 0 {
		return "", false
	}
	key := cleanKey(file)
	for p := key; ; {
		if t, ok := c.skeletons[p]; ok && cleanKey(t) != key {
			return t, true
		}
		parent := path.Dir(p)
		if parent == p || parent == "." || parent == "/" {
			if t, ok := c.skeletons[parent]; ok && parent != p && cleanKey(t) != key {
				return t, true
			}
			return "", false
		}
		p = parent
	}
}

// Exclude is the engine's last word on a file once every file is read: Template input is left out.
func (c *Catalog) Exclude(file string) (string, bool) {
	if _, ok := c.Skeleton(file); ok {
		return SkipSkeleton, true
	}
	return "", false
}

// Define records an entity's definition and returns how many definitions of its ref there are now.
func (c *Catalog) Define(d Definition) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.init()
	c.defs[d.Ref] = append(c.defs[d.Ref], d)
	c.index = nil
	return len(c.defs[d.Ref])
}

// Definitions returns where ref (lowercased kind:namespace/name) is defined, skeletons left out,
// sorted by file and line.
func (c *Catalog) Definitions(ref string) []Definition { return c.defIndex().byRef[ref] }

// DefinesKind reports whether the run defines any entity of kind (lowercased).
func (c *Catalog) DefinesKind(kind string) bool { return c.defIndex().kinds[kind] }

// defIndex builds the index of definitions once Define and AddSkeleton calls are over (the
// catalog-wide rules ask after every file is read); a later Define or AddSkeleton rebuilds it.
func (c *Catalog) defIndex() *defIndex {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.init()
	if c.index != nil {
		return c.index
	}
	idx := &defIndex{byRef: make(map[string][]Definition, len(c.defs)), kinds: map[string]bool{}}
	for ref, ds := range c.defs {
		kept := ds
		if len(c.skeletons) > 0 {
			kept = nil
			for _, d := range ds {
				if _, skel := c.skeletonLocked(d.File); !skel {
					kept = append(kept, d)
				}
			}
		}
		if len(kept) == 0 {
			continue
		}
		if len(kept) > 1 {
			kept = append([]Definition(nil), kept...)
			sort.Slice(kept, func(i, j int) bool {
				if kept[i].File != kept[j].File {
					return kept[i].File < kept[j].File
				}
				return kept[i].Line < kept[j].Line
			})
		}
		idx.byRef[ref] = kept
		kind, _, _ := strings.Cut(ref, ":")
		idx.kinds[kind] = true
	}
	c.index = idx
	return idx
}

// AllDefinitions returns every definition of the run, skeletons left out, sorted by ref, file and
// line.
func (c *Catalog) AllDefinitions() []Definition {
	idx := c.defIndex()
	refs := make([]string, 0, len(idx.byRef))
	for ref := range idx.byRef {
		refs = append(refs, ref)
	}
	sort.Strings(refs)
	var out []Definition
	for _, ref := range refs {
		out = append(out, idx.byRef[ref]...)
	}
	return out
}

// Refs returns the defined refs that start with prefix, a kind and namespace such as
// "group:default/", skeletons left out, sorted. It is built on first use: only a missing relation
// asks, for a suggestion.
func (c *Catalog) Refs(prefix string) []string {
	idx := c.defIndex()
	c.mu.Lock()
	defer c.mu.Unlock()
	if idx.byPrefix == nil {
		idx.byPrefix = map[string][]string{}
		for ref := range idx.byRef {
			if slash := strings.LastIndex(ref, "/"); slash > 0 {
				idx.byPrefix[ref[:slash+1]] = append(idx.byPrefix[ref[:slash+1]], ref)
			}
		}
		for _, refs := range idx.byPrefix {
			sort.Strings(refs)
		}
	}
	return idx.byPrefix[prefix]
}

// DiskStat is CatalogFS.Stat on the local disk.
func DiskStat(name string) (exists, dir bool) { return diskFS{}.Stat(name) }

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
func (c *Catalog) RootFile() string { return filepath.Join(c.rootDir(), "catalog-info.yaml") }

// rootDir is the repository's folder as paths of the run are written: "" on a tree (the webhook
// server), else Root.
func (c *Catalog) rootDir() string {
	if c.FS != nil {
		return ""
	}
	if c.Root == "" {
		return "."
	}
	// As the run names its files: relative to the current folder when they are.
	abs, err := filepath.Abs(c.Root)
	if err != nil {
		return c.Root
	}
	wd, err := os.Getwd()
	if err != nil {
		return c.Root
	}
	if rel, err := filepath.Rel(wd, abs); err == nil {
		return rel
	}
	return c.Root
}

// diskFS is CatalogFS on the local disk.
type diskFS struct{}

func (diskFS) Stat(name string) (bool, bool) {
	st, err := os.Stat(name)
	if err != nil {
		return false, false
	}
	return true, st.IsDir()
}

func (diskFS) Glob(pattern string) []string {
	segs := strings.Split(filepath.ToSlash(filepath.Clean(filepath.FromSlash(pattern))), "/")
	var out []string
	var expand func(dir string, segs []string)
	expand = func(dir string, segs []string) {
		if len(segs) == 0 {
			return
		}
		seg, rest := segs[0], segs[1:]
		switch {
		case seg == "**":
			expand(dir, rest) // zero folders
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if e.IsDir() && !skippedFolders[e.Name()] {
					expand(filepath.Join(dir, e.Name()), segs)
				}
			}
		case !strings.ContainsAny(seg, "*?["):
			p := filepath.Join(dir, seg)
			if len(rest) == 0 {
				if st, err := os.Stat(p); err == nil && !st.IsDir() {
					out = append(out, p)
				}
				return
			}
			expand(p, rest)
		default:
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if ok, _ := path.Match(seg, e.Name()); !ok {
					continue
				}
				p := filepath.Join(dir, e.Name())
				if len(rest) > 0 {
					expand(p, rest)
				} else if st, err := os.Stat(p); err == nil && !st.IsDir() {
					out = append(out, p)
				}
			}
		}
	}
	start := "."
	if filepath.IsAbs(pattern) {
		start = string(filepath.Separator)
		segs = segs[1:]
	}
	expand(start, segs)
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

// TreeFS is CatalogFS over a list of a repository's files (slash-separated paths relative to its
// root), such as a Git tree listing.
type TreeFS struct {
	files map[string]bool
	dirs  map[string]bool
	list  []string
}

// NewTreeFS returns a TreeFS holding files.
func NewTreeFS(files []string) *TreeFS {
	t := &TreeFS{files: map[string]bool{}, dirs: map[string]bool{".": true}}
	for _, f := range files {
		f = path.Clean(f)
		t.files[f] = true
		t.list = append(t.list, f)
		for d := path.Dir(f); d != "." && d != "/" && !t.dirs[d]; d = path.Dir(d) {
			t.dirs[d] = true
		}
	}
	sort.Strings(t.list)
	return t
}

// Stat implements CatalogFS.
func (t *TreeFS) Stat(name string) (exists, dir bool) {
	name = path.Clean(filepath.ToSlash(name))
	if t.files[name] {
		return true, false
	}
	return t.dirs[name], t.dirs[name]
}

// Glob implements CatalogFS.
func (t *TreeFS) Glob(pattern string) []string {
	pattern = path.Clean(filepath.ToSlash(pattern))
	var out []string
	for _, f := range t.list {
		if matchGlob(pattern, f) {
			out = append(out, f)
		}
	}
	return out
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
