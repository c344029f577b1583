package linter

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// skippedFolders are never walked: version control data and vendored dependencies.
var skippedFolders = map[string]bool{".git": true, "node_modules": true, "vendor": true}

// IsCatalogFileName reports whether a file name is one a folder walk always picks up.
func IsCatalogFileName(name string) bool {
	return name == "catalog-info.yaml" || name == "catalog-info.yml"
}

// Skip is a file (or folder) discovery found and left out, with the reason, for the output's
// "skipped" list.
type Skip struct {
	File   string
	Reason string
}

// Reasons a walk leaves a path out.
const (
	SkipSymlinkOutside = "symlink outside the repository"
	SkipSymlinkLoop    = "symlink loop"
)

// Discover expands paths into the catalog files to lint, in a stable order without duplicates.
// A folder is walked for catalog-info.yaml/.yml and the configuration's include globs, minus its
// exclude globs; a file named explicitly is always linted. A path that does not exist is an error.
func Discover(paths []string, cfg *Config) ([]string, error) {
	files, _, err := DiscoverAll(paths, cfg)
	return files, err
}

// DiscoverAll is Discover that also returns what the walk left out.
func DiscoverAll(paths []string, cfg *Config) ([]string, []Skip, error) {
	var files []string
	var skips []Skip
	err := Walk(paths, cfg, func(p string) { files = append(files, p) }, func(s Skip) { skips = append(skips, s) })
	return files, skips, err
}

// CheckPaths reports the first path that does not exist, so that a run can fail before it starts.
func CheckPaths(paths []string) error {
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("%s: %w", p, unwrapPathError(err))
		}
	}
	return nil
}

// Walk is Discover calling fn for each file as soon as it is found, so that linting can start while
// the walk goes on, and skip (which may be nil) for each path it leaves out. Each path is walked
// within its repository on disk (RootOf), and files are named as the paths were written.
//
// A walk never leaves the repository it walks: a symbolic link whose target resolves outside it is
// not followed, so that a repository cannot make the linter read (and echo) a file of the machine it
// runs on. A link inside it is linted under the link's name when it names a file, and not followed
// when it names a folder (the walk reaches that folder under its own name). A file reached twice is
// linted once.
func Walk(paths []string, cfg *Config, fn func(path string), skip func(Skip)) error {
	return walkDisk(paths, cfg, func(repo *Repo, in Input) {
		if in.Skipped != "" {
			if skip != nil {
				skip(Skip{File: repo.Name(in.Path), Reason: in.Skipped})
			}
			return
		}
		fn(repo.Name(in.Path))
	})
}

// walkDisk walks paths of the local disk, each in the repository that holds it, without a catalog.
func walkDisk(paths []string, cfg *Config, fn func(*Repo, Input)) error {
	if err := CheckPaths(paths); err != nil {
		return err
	}
	repos := map[string]*Repo{}
	walkers := map[*Repo]*walker{}
	defer func() {
		for _, r := range repos {
			r.Close()
		}
	}()
	for _, p := range paths {
		dir := p
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			dir = filepath.Dir(p)
		}
		root := RootOf(dir)
		repo := repos[root]
		if repo == nil {
			var err error
			if repo, err = DiskRepo(root, filepath.IsAbs(p)); err != nil {
				return fmt.Errorf("%s: %w", p, unwrapPathError(err))
			}
			repos[root] = repo
			walkers[repo] = newWalker(repo, cfg, nil, func(in Input) { fn(repo, in) })
		}
		rel, ok := repo.Path(p)
		if !ok {
			return fmt.Errorf("%s: outside the repository %s", p, root)
		}
		if err := walkers[repo].walk(rel, p); err != nil {
			return err
		}
	}
	return nil
}

// walkRepo walks paths of repo (its own paths; named is how the user wrote each, for errors) and
// hands out inputs. With a catalog it finds what Backstage would ingest: also every other YAML file
// (to be sniffed for a Backstage entity), the file locations of app-config files, and it leaves out
// paths with template expressions.
func walkRepo(repo *Repo, paths, named []string, cfg *Config, cat *Catalog, fn func(Input)) error {
	w := newWalker(repo, cfg, cat, fn)
	for i, p := range paths {
		if err := w.walk(p, named[i]); err != nil {
			return err
		}
	}
	return nil
}

type walker struct {
	repo     *Repo
	cfg      *Config
	globs    bool
	emit     func(Input)
	seen     map[string]bool // paths (links resolved) already handed out
	cat      *Catalog
	skeleton bool        // inside a folder whose name holds a template expression
	paths    stringArena // the paths of what the walk passes
}

func newWalker(repo *Repo, cfg *Config, cat *Catalog, fn func(Input)) *walker {
	return &walker{repo: repo, cfg: cfg, globs: len(cfg.Include) > 0 || len(cfg.Exclude) > 0, emit: fn, seen: map[string]bool{}, cat: cat}
}

// walk hands out what the path p of the repository holds (named: as the user wrote it).
func (w *walker) walk(p, named string) error {
	st, err := w.repo.FS.Stat(p)
	if err != nil {
		return fmt.Errorf("%s: %w", named, unwrapPathError(err))
	}
	if !st.IsDir() {
		real := p
		if lr, ok := w.repo.FS.(linkResolver); ok {
			if target, _, err := lr.resolveLink(p); err == nil {
				real = target
			}
		}
		w.addAs(real, Input{Path: p}) // named on the command line: linted whatever it is
		return nil
	}
	if w.cat != nil {
		w.cat.sawRoot(p, len(w.cfg.Exclude) > 0)
		w.appConfigs(p)
	}
	if err := w.dir(p, true); err != nil {
		return fmt.Errorf("%s: %w", named, unwrapPathError(err))
	}
	return nil
}

func (w *walker) skip(p, reason string) { w.emit(Input{Path: p, Skipped: reason}) }

// add hands p out once per real file (real: p with symbolic links resolved): linted, sniffed first,
// or listed as a skeleton.
func (w *walker) add(p, real string) {
	if w.seen[real] {
		return
	}
	w.seen[real] = true
	name := path.Base(p)
	switch {
	case w.cat == nil:
		w.emit(Input{Path: p})
	case w.skeleton || HasTemplateMarker(name):
		w.emit(Input{Path: p, Skipped: SkipTemplatedPath})
	case IsAppConfig(name):
		// Read before the walk when at the top of a folder walked (appConfigs); elsewhere, such as in
		// a skeleton, it is not the Backstage instance's configuration.
	case IsCatalogFileName(name) || w.cfg.included(w.relative(p)):
		w.emit(Input{Path: p})
	default:
		w.emit(Input{Path: p, Sniff: true})
	}
}

// addAs hands in out once per real file.
func (w *walker) addAs(real string, in Input) {
	if !w.seen[real] {
		w.seen[real] = true
		w.emit(in)
	}
}

// relative is p relative to the configuration's folder, for its globs; "" outside it.
func (w *walker) relative(p string) string {
	if w.repo.root == "" {
		return p // a tree: the configuration is at its root
	}
	return w.cfg.relative(filepath.Join(w.repo.root, filepath.FromSlash(p)))
}

// appConfigs reads the app-config files at the top of a folder walked, before anything else: their
// catalog locations are roots, and their rules decide which kinds the entities found may have.
func (w *walker) appConfigs(dir string) {
	entries, err := w.repo.FS.ReadDir(dir)
	if err != nil {
		return
	}
	var files []AppConfigFile
	for _, e := range entries {
		if !e.Type().IsRegular() || !IsAppConfig(e.Name()) {
			continue
		}
		p := path.Join(dir, e.Name())
		if w.cfg.excluded(w.relative(p)) {
			continue
		}
		if st, err := w.repo.FS.Stat(p); err != nil || w.cfg.MaxFileSize > 0 && st.Size() > w.cfg.MaxFileSize {
			continue // never read a file over the limit
		}
		data, err := fs.ReadFile(w.repo.FS, p)
		if err != nil {
			continue
		}
		files = append(files, AppConfigFile{Path: p, Data: data})
	}
	// Layered as Backstage layers them: app-config.yaml, then each overlay on it.
	for _, f := range w.cat.AppConfigs(files) {
		w.emit(Input{Path: f})
	}
}

// wanted reports whether a file at p (named name) is one the walk lints (or, with a catalog, sniffs).
func (w *walker) wanted(p, name string) bool {
	rel := ""
	if w.globs {
		rel = w.relative(p)
	}
	if w.cfg.excluded(rel) {
		return false
	}
	if w.cat != nil && (strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) {
		return true
	}
	return IsCatalogFileName(name) || w.cfg.included(rel)
}

// dir walks the folder at p.
func (w *walker) dir(p string, top bool) error {
	entries, err := w.repo.FS.ReadDir(p)
	if err != nil {
		if top {
			return err
		}
		// An unreadable subfolder is reported as a finding on it rather than ending the run.
		w.addAs(p, Input{Path: p})
		return nil
	}
	for _, e := range entries {
		name := e.Name()
		child := w.paths.join(p, name) // the catalog keeps the walk's paths until every Location is followed
		if e.Type()&fs.ModeSymlink != 0 {
			w.link(child, name)
			continue
		}
		if e.IsDir() {
			if w.skippedFolder(child, name) {
				continue
			}
			if d, ok := w.repo.FS.(*diskFS); ok && w.plainDir(p) {
				d.markPlain(child) // a real folder in a real folder: no link on the way
			}
			outer := w.skeleton
			w.skeleton = outer || (w.cat != nil && HasTemplateMarker(name))
			err := w.dir(child, false)
			w.skeleton = outer
			if err != nil {
				return err
			}
			continue
		}
		if w.cat != nil {
			w.cat.sawFile(child)
		}
		if w.wanted(child, name) {
			w.add(child, child)
		}
	}
	return nil
}

// plainDir reports whether the folder p is reached from the root without a symbolic link.
func (w *walker) plainDir(p string) bool {
	d, ok := w.repo.FS.(*diskFS)
	return ok && d.isPlain(p)
}

func (w *walker) skippedFolder(p, name string) bool {
	if skippedFolders[name] {
		return true
	}
	rel := ""
	if w.globs {
		rel = w.relative(p)
	}
	return w.cfg.excludedFolder(rel)
}

// link handles the symbolic link at p.
func (w *walker) link(p, name string) {
	lr, ok := w.repo.FS.(linkResolver)
	if !ok {
		return
	}
	yamlName := strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
	target, dir, err := lr.resolveLink(p)
	switch {
	case errors.Is(err, errLinkLoop):
		if w.wanted(p, name) || yamlName {
			w.skip(p, SkipSymlinkLoop)
		}
	case errors.Is(err, errDangling):
		// A dangling link named like a catalog file is linted, so that the user hears it is broken.
		if w.wanted(p, name) {
			w.add(p, p)
		}
	case errors.Is(err, errLinkOutside):
		if dir || w.wanted(p, name) {
			w.skip(p, SkipSymlinkOutside)
		}
	case err != nil:
	case dir:
		if pathWithin(target, path.Dir(p)) { // the link names a folder holding it
			w.skip(p, SkipSymlinkLoop)
		}
	case w.wanted(p, name):
		w.add(p, target)
	}
}

// pathWithin reports whether the slash path p is dir or inside it ("." holds every path).
func pathWithin(dir, p string) bool {
	return dir == "." || p == dir || strings.HasPrefix(p, dir+"/")
}

// within reports whether path is root or inside it; both are absolute and clean.
func within(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// relative returns path relative to the configuration's folder, slash-separated; "" when the path is
// outside it (globs then never match).
func (c *Config) relative(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	rel, err := filepath.Rel(c.Dir, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return ""
	}
	return filepath.ToSlash(rel)
}

func (c *Config) included(rel string) bool {
	if rel == "" {
		return false
	}
	for _, g := range c.Include {
		if matchGlob(g, rel) {
			return true
		}
	}
	return false
}

func (c *Config) excluded(rel string) bool {
	if rel == "" {
		return false
	}
	for _, g := range c.Exclude {
		if matchGlob(g, rel) {
			return true
		}
	}
	return false
}

func (c *Config) excludedFolder(rel string) bool {
	if rel == "" || rel == "." {
		return false
	}
	for _, g := range c.Exclude {
		if excludesFolder(g, rel) {
			return true
		}
	}
	return false
}

// IsCatalogDocument reports whether the file at path, holding data, is one a walk of its folder lints,
// as an editor asks of each YAML document it opens: a catalog-info.yaml (or a file an include glob
// names) in no excluded folder, or a YAML file that holds a Backstage entity (HoldsBackstageEntity). A GitHub
// workflow, a docker-compose file, an app-config file, this configuration or a path with a template
// marker is not.
func (c *Config) IsCatalogDocument(path string, data []byte) bool {
	rel := c.relative(path)
	name := filepath.Base(path)
	switch {
	case c.Excludes(rel) || name == ConfigFileName || IsAppConfig(name) || HasTemplateMarker(filepath.ToSlash(path)):
		return false
	case IsCatalogFileName(name) || c.included(rel):
		return true
	}
	return (strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) && HoldsBackstageEntity(data)
}

// CatalogDocuments lists the files under root that a walk of it lints, as an editor's workspace index
// needs them: the walk check makes (catalog-info.yaml, include and exclude globs, skipped folders,
// templated paths, symbolic links kept inside), with each other YAML file's first 64 KiB sniffed
// for a Backstage entity.
func (c *Config) CatalogDocuments(root string) ([]string, error) {
	repo, err := DiskRepo(root, true)
	if err != nil {
		return nil, err
	}
	defer repo.Close()
	var out []string
	err = walkRepo(repo, []string{"."}, []string{root}, c, NewCatalog(repo), func(in Input) {
		if in.Skipped != "" {
			return
		}
		if in.Sniff {
			f, err := repo.FS.Open(in.Path)
			if err != nil {
				return
			}
			holds := headHoldsEntity(f)
			f.Close()
			if !holds {
				return
			}
		}
		out = append(out, repo.Name(in.Path))
	})
	return out, err
}

// Matches reports whether rel, a slash-separated path relative to the configuration's folder (such as
// a path in a repository), matches an include glob.
func (c *Config) Matches(rel string) bool { return c.included(rel) }

// Excludes reports whether rel, or a folder holding it, is excluded, as a walk would skip it.
func (c *Config) Excludes(rel string) bool {
	if c.excluded(rel) {
		return true
	}
	for dir := path.Dir(rel); dir != "." && dir != "/" && dir != ""; dir = path.Dir(dir) {
		if skippedFolders[path.Base(dir)] || c.excludedFolder(dir) {
			return true
		}
	}
	return false
}
