// Package review turns fixable findings into a pull request review with one-click suggestions:
// the lines a patch adds, a suggestion per changed line, and one review per commit. The Action and
// the App both post it.
package review

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/catalog-lint/catalog-lint/linter"
	"github.com/catalog-lint/catalog-lint/linter/report"
)

// suggestionMarker marks catalog-lint's review of a commit, so that at most one is posted per commit.
const suggestionMarker = "<!-- catalog-lint:suggestions -->"

var hunkHeader = regexp.MustCompile(`^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@`)

// AddedLines returns the line numbers (of the new version) that a file's patch adds, as the pull
// request files API gives the patch: only there can a review comment suggest a change to a changed
// line.
func AddedLines(patch string) map[int]bool {
	added := map[int]bool{}
	line := 0
	for _, l := range strings.Split(patch, "\n") {
		if m := hunkHeader.FindStringSubmatch(l); m != nil {
			line, _ = strconv.Atoi(m[1])
			continue
		}
		if line == 0 || l == "" {
			continue
		}
		switch l[0] {
		case '+':
			added[line] = true
			line++
		case ' ':
			line++
		case '\\': // "\ No newline at end of file"
		}
	}
	return added
}

// Suggestions returns one review comment per added line that holds findings with a fix: a
// ```suggestion block with the line as the fixes leave it, so that the author applies it with one
// click. added maps a file to its added lines.
func Suggestions(findings []linter.Finding, added map[string]map[int]bool) []*github.DraftReviewComment {
	type key struct {
		file string
		line int
	}
	byLine := map[key][]linter.Finding{}
	var keys []key
	for _, f := range findings {
		if f.Fix == nil || f.Source == "" || f.Fix.Start.Line != f.Fix.End.Line || !added[f.File][f.Fix.Start.Line] {
			continue
		}
		k := key{f.File, f.Fix.Start.Line}
		if byLine[k] == nil {
			keys = append(keys, k)
		}
		byLine[k] = append(byLine[k], f)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].file != keys[j].file {
			return keys[i].file < keys[j].file
		}
		return keys[i].line < keys[j].line
	})
	var comments []*github.DraftReviewComment
	for _, k := range keys {
		fs := byLine[k]
		sort.Slice(fs, func(i, j int) bool { return fs[i].Fix.Start.Column < fs[j].Fix.Start.Column })
		src := []rune(fs[0].Source)
		var fixed strings.Builder
		var notes []string
		at := 0 // runes of the line consumed
		for _, f := range fs {
			start, end := f.Fix.Start.Column-1, f.Fix.End.Column-1
			if start < at || end > len(src) || end < start {
				continue // overlaps a fix already in the line: the next commit gets it
			}
			fixed.WriteString(string(src[at:start]) + f.Fix.Replacement)
			at = end
			notes = append(notes, fmt.Sprintf("- %s (`%s`): %s", report.MarkdownText(f.Message), f.Rule, report.MarkdownText(f.Fix.Description)))
		}
		if len(notes) == 0 {
			continue
		}
		fixed.WriteString(string(src[at:]))
		body := "catalog-lint can fix this line:\n\n" + strings.Join(notes, "\n") + "\n\n```suggestion\n" + fixed.String() + "\n```"
		comments = append(comments, &github.DraftReviewComment{
			Path: github.String(k.file), Line: github.Int(k.line), Side: github.String("RIGHT"), Body: github.String(body),
		})
	}
	return comments
}

// PostSuggestions posts one review of the pull request at commit holding the comments, unless
// catalog-lint already reviewed that commit. It reports whether it posted.
func PostSuggestions(ctx context.Context, gh *github.Client, owner, repo string, number int, commit string, comments []*github.DraftReviewComment) (bool, error) {
	if len(comments) == 0 {
		return false, nil
	}
	opts := &github.ListOptions{PerPage: 100}
	for {
		reviews, resp, err := gh.PullRequests.ListReviews(ctx, owner, repo, number, opts)
		if err != nil {
			return false, fmt.Errorf("list the reviews of pull request %d: %w", number, err)
		}
		for _, r := range reviews {
			if r.GetCommitID() == commit && strings.Contains(r.GetBody(), suggestionMarker) {
				return false, nil
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	body := fmt.Sprintf("catalog-lint has %d %s for this commit.\n\n%s", len(comments), plural(len(comments), "suggestion", "suggestions"), suggestionMarker)
	_, _, err := gh.PullRequests.CreateReview(ctx, owner, repo, number, &github.PullRequestReviewRequest{
		CommitID: github.String(commit), Body: github.String(body), Event: github.String("COMMENT"), Comments: comments,
	})
	if err != nil {
		return false, fmt.Errorf("post the review of pull request %d: %w", number, err)
	}
	return true, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
