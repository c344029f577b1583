package linter

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
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
// the walk goes on, and skip (which may be nil) for each path it leaves out.
//
// A walk never leaves the folder it walks: a symbolic link whose target resolves outside it is not
// followed, so that a repository cannot make the linter read (and echo) a file of the machine it runs
// on. A link inside it is linted under the link's name when it names a file, and not followed when it
// names a folder (the walk reaches that folder under its own name). A file reached twice is linted once.
func Walk(paths []string, cfg *Config, fn func(path string), skip func(Skip)) error {
	return walk(paths, cfg, nil, func(in Input) {
		switch {
		case in.Skipped != "":
			if skip != nil {
				skip(Skip{File: in.Name, Reason: in.Skipped})
			}
		default:
			fn(in.Path)
		}
	})
}

// walk is Walk handing out inputs. With a catalog it finds what Backstage would ingest: also every
// other YAML file (to be sniffed for a Backstage entity), the file locations of app-config files, and
// it leaves out paths with template expressions.
func walk(paths []string, cfg *Config, cat *Catalog, fn func(Input)) error {
	if err := CheckPaths(paths); err != nil {
		return err
	}
	w := &walker{cfg: cfg, globs: len(cfg.Include) > 0 || len(cfg.Exclude) > 0, emit: fn, seen: map[string]bool{}, cat: cat}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("%s: %w", p, unwrapPathError(err))
		}
		if !st.IsDir() {
			real, err := filepath.EvalSymlinks(p)
			if err == nil {
				real, err = filepath.Abs(real)
			}
			if err != nil {
				real = p
			}
			w.addAs(p, real, Input{Path: p}) // named on the command line: linted whatever it is
			continue
		}
		real, err := filepath.EvalSymlinks(p)
		if err == nil {
			real, err = filepath.Abs(real)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", p, unwrapPathError(err))
		}
		w.root = real
		if cat != nil {
			cat.sawRoot(p, len(cfg.Exclude) > 0)
			w.appConfigs(p)
		}
		if err := w.dir(p, real, true); err != nil {
			return fmt.Errorf("%s: %w", p, unwrapPathError(err))
		}
	}
	return nil
}

type walker struct {
	cfg      *Config
	globs    bool
	emit     func(Input)
	seen     map[string]bool // real paths already handed out
	root     string          // the real path of the folder being walked
	cat      *Catalog
	skeleton bool // inside a folder whose name holds a template expression
}

func (w *walker) skip(s Skip) { w.emit(Input{Name: s.File, Skipped: s.Reason}) }

// add hands path out once per real file: linted, sniffed first, or listed as a skeleton.
func (w *walker) add(path, real string) {
	key := filepath.Clean(real)
	if w.seen[key] {
		return
	}
	w.seen[key] = true
	name := filepath.Base(path)
	switch {
	case w.cat == nil:
		w.emit(Input{Path: path})
	case w.skeleton || HasTemplateMarker(name):
		w.emit(Input{Name: path, Skipped: SkipTemplatedPath})
	case IsAppConfig(name):
		// Read before the walk when at the top of a folder walked (appConfigs); elsewhere, such as in
		// a skeleton, it is not the Backstage instance's configuration.
	case IsCatalogFileName(name) || w.cfg.included(w.cfg.relative(path)):
		w.emit(Input{Path: path})
	default:
		w.emit(Input{Path: path, Sniff: true})
	}
}

// addAs hands in out once per real file.
func (w *walker) addAs(path, real string, in Input) {
	key := filepath.Clean(real)
	if !w.seen[key] {
		w.seen[key] = true
		w.emit(in)
	}
}

// appConfigs reads the app-config files at the top of a folder walked, before anything else: their
// catalog locations are roots, and their rules decide which kinds the entities found may have.
func (w *walker) appConfigs(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	var files []AppConfigFile
	for _, e := range entries {
		if !e.Type().IsRegular() || !IsAppConfig(e.Name()) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(p)
		if err != nil || w.cfg.MaxFileSize > 0 && int64(len(data)) > w.cfg.MaxFileSize {
			continue
		}
		files = append(files, AppConfigFile{Path: p, Data: data})
	}
	// Layered as Backstage layers them: app-config.yaml, then each overlay on it.
	for _, f := range w.cat.AppConfigs(files) {
		w.emit(Input{Path: f})
	}
}

// wanted reports whether a file at path (named name) is one the walk lints (or, with a catalog,
// sniffs).
func (w *walker) wanted(path, name string) bool {
	rel := ""
	if w.globs {
		rel = w.cfg.relative(path)
	}
	if w.cfg.excluded(rel) {
		return false
	}
	if w.cat != nil && (strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) {
		return true
	}
	return IsCatalogFileName(name) || w.cfg.included(rel)
}

// dir walks the folder at path, whose real (symlink-free, absolute) path is real.
func (w *walker) dir(path, real string, top bool) error {
	entries, err := os.ReadDir(path)
	if err != nil {
		if top {
			return err
		}
		// An unreadable subfolder is reported as a finding on it rather than ending the run.
		w.addAs(path, real, Input{Path: path})
		return nil
	}
	for _, e := range entries {
		name := e.Name()
		p, r := filepath.Join(path, name), filepath.Join(real, name)
		if e.Type()&fs.ModeSymlink != 0 {
			w.link(p, r, name)
			continue
		}
		if e.IsDir() {
			if w.skippedFolder(p, name) {
				continue
			}
			outer := w.skeleton
			w.skeleton = outer || (w.cat != nil && HasTemplateMarker(name))
			err := w.dir(p, r, false)
			w.skeleton = outer
			if err != nil {
				return err
			}
			continue
		}
		if w.cat != nil {
			w.cat.sawFile(p)
		}
		if w.wanted(p, name) {
			w.add(p, r)
		}
	}
	return nil
}

func (w *walker) skippedFolder(path, name string) bool {
	if skippedFolders[name] {
		return true
	}
	rel := ""
	if w.globs {
		rel = w.cfg.relative(path)
	}
	return w.cfg.excludedFolder(rel)
}

// link handles the symbolic link at path (real: the link itself, unresolved, under the real parent).
func (w *walker) link(path, real, name string) {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) || strings.Contains(err.Error(), "too many links") {
			if w.wanted(path, name) || strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") {
				w.skip(Skip{File: path, Reason: SkipSymlinkLoop})
			}
			return
		}
		// A dangling link named like a catalog file is linted, so that the user hears it is broken.
		if w.wanted(path, name) {
			w.add(path, real)
		}
		return
	}
	if !within(w.root, target) {
		st, err := os.Stat(target)
		if err == nil && (st.IsDir() || w.wanted(path, name)) {
			w.skip(Skip{File: path, Reason: SkipSymlinkOutside})
		}
		return
	}
	st, err := os.Stat(target)
	if err != nil {
		return
	}
	if st.IsDir() {
		if within(target, filepath.Dir(real)) { // the link names a folder holding it
			w.skip(Skip{File: path, Reason: SkipSymlinkLoop})
		}
		return
	}
	if w.wanted(path, name) {
		w.add(path, target)
	}
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
