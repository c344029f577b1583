package linter

import (
	"path"
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
