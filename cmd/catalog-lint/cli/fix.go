package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/catalog-lint/catalog-lint/linter"
)

// fixesByFile groups the findings' fixes by file, files sorted. Findings read from standard input
// have no file to fix.
func fixesByFile(res *linter.Result, stdinName string) (files []string, fixes map[string][]linter.Fix) {
	fixes = map[string][]linter.Fix{}
	for _, f := range res.Findings {
		if f.Fix == nil || f.File == stdinName && stdinName != "" {
			continue
		}
		if fixes[f.File] == nil {
			files = append(files, f.File)
		}
		fixes[f.File] = append(fixes[f.File], *f.Fix)
	}
	sort.Strings(files)
	return files, fixes
}

// writeDiff prints the fixes as a unified diff with git-style headers, changing nothing. held are
// the contents of files that are not on disk (standard input, by the name findings give it).
func writeDiff(w io.Writer, files []string, fixes map[string][]linter.Fix, held map[string][]byte) error {
	for _, file := range files {
		data, ok := held[file]
		if !ok {
			var err error
			if data, err = os.ReadFile(file); err != nil {
				return fmt.Errorf("diff %s: %w", file, unwrapPath(err))
			}
		}
		fixed, _, _ := linter.ApplyFixes(data, fixes[file])
		name := diffName(file)
		if _, err := io.WriteString(w, UnifiedDiff("a/"+name, "b/"+name, data, fixed)); err != nil {
			return err
		}
	}
	return nil
}

// diffName is the path a diff header shows: relative to the current folder, as git shows it.
func diffName(file string) string {
	name := filepath.Clean(file)
	if filepath.IsAbs(name) {
		if wd, err := os.Getwd(); err == nil {
			if rel, err := filepath.Rel(wd, name); err == nil && !strings.HasPrefix(rel, "..") {
				name = rel
			}
		}
	}
	return strings.TrimPrefix(filepath.ToSlash(name), "/")
}

// UnifiedDiff returns the unified diff (3 lines of context) of two versions of a file whose lines
// differ only in content, never in number: what fixes produce; "" when nothing differs. It applies
// with git apply and patch, CRLF files included.
func UnifiedDiff(from, to string, old, new []byte) string {
	a, b := linter.FixedLines(old), linter.FixedLines(new)
	if len(a) != len(b) {
		return "" // fixes never change the number of lines
	}
	var changed []int
	for i := range a {
		if a[i] != b[i] {
			changed = append(changed, i)
		}
	}
	if len(changed) == 0 {
		return ""
	}
	const context = 3
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", from, to)
	for i := 0; i < len(changed); {
		// A hunk: changed lines whose contexts touch.
		j := i
		for j+1 < len(changed) && changed[j+1]-changed[j] <= 2*context {
			j++
		}
		start := max(changed[i]-context, 0)
		end := min(changed[j]+context+1, len(a))
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(start, end), hunkRange(start, end))
		for k := start; k < end; {
			if a[k] == b[k] {
				writeDiffLine(&out, " ", a[k])
				k++
				continue
			}
			// A run of changed lines: the old ones, then the new ones, as diff tools print them.
			run := k
			for run < end && a[run] != b[run] {
				run++
			}
			for m := k; m < run; m++ {
				writeDiffLine(&out, "-", a[m])
			}
			for m := k; m < run; m++ {
				writeDiffLine(&out, "+", b[m])
			}
			k = run
		}
		i = j + 1
	}
	return out.String()
}

func hunkRange(start, end int) string {
	if end-start == 1 {
		return fmt.Sprint(start + 1)
	}
	return fmt.Sprintf("%d,%d", start+1, end-start)
}

// writeDiffLine writes one line of a hunk as git does: its bytes up to the LF (a CR before it is part
// of the line), and a marker when the file does not end with a line break.
func writeDiffLine(out *strings.Builder, prefix, line string) {
	out.WriteString(prefix)
	if strings.HasSuffix(line, "\n") {
		out.WriteString(line)
		return
	}
	out.WriteString(line + "\n\\ No newline at end of file\n")
}

// applyFixes writes each file with its fixes applied, atomically: a temporary file in the same
// folder, with the original's permissions, renamed over it (over the link's target for a symbolic
// link). It returns how many fixes were applied in how many files.
func applyFixes(files []string, fixes map[string][]linter.Fix) (applied, changedFiles int, err error) {
	for _, file := range files {
		target, err := filepath.EvalSymlinks(file)
		if err != nil {
			return applied, changedFiles, fmt.Errorf("fix %s: %w", file, unwrapPath(err))
		}
		st, err := os.Stat(target)
		if err != nil {
			return applied, changedFiles, fmt.Errorf("fix %s: %w", file, unwrapPath(err))
		}
		data, err := os.ReadFile(target)
		if err != nil {
			return applied, changedFiles, fmt.Errorf("fix %s: %w", file, unwrapPath(err))
		}
		fixed, done, _ := linter.ApplyFixes(data, fixes[file])
		if len(done) == 0 || string(fixed) == string(data) {
			continue
		}
		if err := writeAtomic(target, fixed, st.Mode().Perm()); err != nil {
			return applied, changedFiles, fmt.Errorf("fix %s: %w", file, err)
		}
		applied += len(done)
		changedFiles++
	}
	return applied, changedFiles, nil
}

func writeAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".catalog-lint-*")
	if err != nil {
		return unwrapPath(err)
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing left to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
