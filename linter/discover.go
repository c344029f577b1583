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

// Discover expands paths into the catalog files to lint, in a stable order without duplicates.
// A folder is walked for catalog-info.yaml/.yml and the configuration's include globs, minus its
// exclude globs; a file named explicitly is always linted. A path that does not exist is an error.
func Discover(paths []string, cfg *Config) ([]string, error) {
	var files []string
	err := Walk(paths, cfg, func(p string) { files = append(files, p) })
	return files, err
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
// the walk goes on.
func Walk(paths []string, cfg *Config, fn func(path string)) error {
	if err := CheckPaths(paths); err != nil {
		return err
	}
	globs := len(cfg.Include) > 0 || len(cfg.Exclude) > 0
	seen := map[string]bool{}
	add := func(p string) {
		key := filepath.Clean(p)
		if !seen[key] {
			seen[key] = true
			fn(p)
		}
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("%s: %w", p, unwrapPathError(err))
		}
		if !st.IsDir() {
			add(p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if path == p {
					return err
				}
				// An unreadable subfolder is reported as a finding on it rather than ending the run.
				add(path)
				return nil
			}
			rel := ""
			if globs {
				rel = cfg.relative(path)
			}
			if d.IsDir() {
				if path != p && (skippedFolders[d.Name()] || cfg.excludedFolder(rel)) {
					return filepath.SkipDir
				}
				return nil
			}
			if cfg.excluded(rel) {
				return nil
			}
			if IsCatalogFileName(d.Name()) || cfg.included(rel) {
				add(path)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("%s: %w", p, unwrapPathError(err))
		}
	}
	return nil
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
