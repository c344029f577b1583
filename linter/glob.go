package linter

import (
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// validGlob reports whether pattern is a glob matchGlob understands: path.Match syntax per
// segment, with `**` standing for any number of whole segments.
func validGlob(pattern string) bool {
	if pattern == "" || strings.HasPrefix(pattern, "/") {
		return false
	}
	for _, seg := range strings.Split(pattern, "/") {
		if seg == "**" {
			continue
		}
		if _, err := path.Match(seg, ""); err != nil {
			return false
		}
	}
	return true
}

// matchGlob matches a slash-separated relative path against a pattern such as `catalog/**/*.yaml`.
// `**` matches zero or more whole segments; other segments follow path.Match.
func matchGlob(pattern, name string) bool {
	return matchSegments(strings.Split(pattern, "/"), strings.Split(name, "/"))
}

func matchSegments(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			rest := pat[1:]
			for i := 0; i <= len(name); i++ {
				if matchSegments(rest, name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], name[0]); !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}

// excludesFolder reports whether an exclude pattern matches folder dir itself, or everything under it
// (`legacy` or `legacy/**`), so that the walk can skip the folder.
func excludesFolder(pattern, dir string) bool {
	return matchGlob(pattern, dir) || matchGlob(pattern, dir+"/x") && strings.HasSuffix(pattern, "/**")
}

// HasGlob reports whether a path given on the command line is a glob: it holds *, ? or [.
func HasGlob(p string) bool { return strings.ContainsAny(p, "*?[") }

// ExpandGlob returns the files a command-line glob names (`services/*/catalog-info.yaml`,
// `catalog/**/*.yaml`), sorted, as Roadie's validator takes them: the walk starts at the folder
// before the first segment with a wildcard, never follows a symbolic link to a folder, and leaves out
// .git and node_modules. A path without wildcards is returned as it is; a glob that matches no file
// is an error.
func ExpandGlob(pattern string) ([]string, error) {
	if !HasGlob(pattern) {
		return []string{pattern}, nil
	}
	slashed := filepath.ToSlash(pattern)
	if !validGlob(strings.TrimPrefix(slashed, "/")) {
		return nil, fmt.Errorf("%s: not a valid glob", pattern)
	}
	segs := strings.Split(slashed, "/")
	static := 0
	for static < len(segs) && !HasGlob(segs[static]) {
		static++
	}
	root := strings.Join(segs[:static], "/")
	switch {
	case root == "" && strings.HasPrefix(slashed, "/"):
		root = "/"
	case root == "":
		root = "."
	}
	var out []string
	err := filepath.WalkDir(filepath.FromSlash(root), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == filepath.FromSlash(root) {
				return err
			}
			return nil // an unreadable folder deep down is not the user's glob's fault
		}
		if d.IsDir() {
			if name := d.Name(); p != filepath.FromSlash(root) && (name == ".git" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		rel := filepath.ToSlash(p)
		if root == "." {
			rel = strings.TrimPrefix(rel, "./")
		}
		if matchGlob(slashed, rel) || matchGlob(strings.TrimPrefix(slashed, "./"), rel) {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pattern, unwrapPathError(err))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no file matches", pattern)
	}
	sort.Strings(out)
	return out, nil
}
