package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/catalog-lint/catalog-lint/integrations"
	"github.com/catalog-lint/catalog-lint/linter"
	"github.com/catalog-lint/catalog-lint/linter/report"
	"github.com/catalog-lint/catalog-lint/review"
)

// maxSummary keeps the job summary under GitHub's 1 MiB limit per step.
const maxSummary = 1000 * 1000

// actionInputs reads the GitHub Action's inputs, which the runner passes to a container action as
// INPUT_<NAME> variables (name upper-cased, hyphens kept). Every input action.yml declares is read
// through get, and a test checks that the two lists match.
type actionInputs struct{ env Env }

func (in actionInputs) get(name string) string {
	return strings.TrimSpace(in.env("INPUT_" + strings.ToUpper(name)))
}

// runAction is the container action's entry point: it lints as `check --format github` does, then
// writes the job summary, the step outputs and, if asked, a SARIF file.
func runAction(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer, deps Deps) int {
	env := deps.Env
	in := actionInputs{env}
	if ws := env("GITHUB_WORKSPACE"); ws != "" {
		if err := os.Chdir(ws); err != nil {
			return usageError(stderr, fmt.Errorf("GITHUB_WORKSPACE: %w", err))
		}
	}
	f := checkFlags{
		format: "github", color: "never", failOn: in.get("fail-on"), config: in.get("config"),
		sentryOrg: in.get("sentry-org"), sentryURL: in.get("sentry-url"), sentryToken: in.get("sentry-token"),
		sarifFile: in.get("sarif-file"), stdinName: "<stdin>",
		backstageURL: in.get("backstage-url"), backstageToken: in.get("backstage-token"),
		// The repository check uses GITHUB_TOKEN only when the workflow passes it in env: the job's
		// default token sees no other private repository, and its 404s would read as "missing".
		exchange: exchangeFlags{
			issuer: in.get("token-exchange-issuer"), endpoint: in.get("token-exchange-endpoint"),
			clientID: in.get("token-exchange-client-id"), clientSecret: in.get("token-exchange-client-secret"),
			subject: in.get("token-exchange-subject-token"), audience: in.get("token-exchange-audience"),
			resource: in.get("token-exchange-resource"), scopes: in.get("token-exchange-scopes"),
		},
	}
	if f.failOn == "" {
		f.failOn = "error"
	}
	f.integrations = map[string]string{}
	for _, i := range integrations.All() {
		for _, s := range i.Settings {
			if s.NoInput {
				continue
			}
			if v := in.get(integrations.InputName(s.Env)); v != "" {
				f.integrations[s.Env] = v
			}
		}
	}
	paths := strings.FieldsFunc(in.get("paths"), func(r rune) bool { return r == '\n' || r == ',' || r == ' ' })
	switch in.get("only-changed") {
	case "", "false":
	case "true":
		keep, note, err := changedFilter(ctx, env)
		if err != nil {
			return usageError(stderr, err)
		}
		if note != "" {
			fmt.Fprintln(stdout, "::notice title=catalog-lint::"+report.EscapeData(note))
		}
		f.keep = keep
	default:
		return usageError(stderr, fmt.Errorf("input only-changed must be true or false, not %q", in.get("only-changed")))
	}
	out := check(ctx, f, paths, stdin, stdout, stderr, deps)
	if out.res == nil {
		return out.code
	}
	counts := report.Counts(out.res.Findings)
	outputs := fmt.Sprintf("errors=%d\nwarnings=%d\nunverified=%d\nfiles=%d\n",
		counts[linter.SeverityError], counts[linter.SeverityWarning], out.res.Inconclusive, out.res.Files)
	if err := appendFile(env("GITHUB_OUTPUT"), outputs); err != nil {
		fmt.Fprintf(stderr, "catalog-lint: GITHUB_OUTPUT: %v\n", err)
	}
	if err := appendFile(env("GITHUB_STEP_SUMMARY"), jobSummary(out)); err != nil {
		fmt.Fprintf(stderr, "catalog-lint: GITHUB_STEP_SUMMARY: %v\n", err)
	}
	switch in.get("suggest-fixes") {
	case "", "false":
	case "true":
		if msg := suggestFixes(ctx, in, env, out.res); msg != "" {
			fmt.Fprintln(stdout, msg)
		}
	default:
		fmt.Fprintf(stdout, "::warning title=catalog-lint::%s\n", report.EscapeData(fmt.Sprintf("input suggest-fixes must be true or false, not %q", in.get("suggest-fixes"))))
	}
	return out.code
}

// suggestFixes posts, on a pull request, one review with a suggestion for each changed line holding
// fixable findings (at most one review per commit). It returns a workflow command saying what
// happened when something stands in the way; it never changes the exit code.
func suggestFixes(ctx context.Context, in actionInputs, env Env, res *linter.Result) string {
	warn := func(msg string) string {
		return "::warning title=catalog-lint::" + report.EscapeData("suggest-fixes: "+msg)
	}
	data, err := os.ReadFile(env("GITHUB_EVENT_PATH"))
	if err != nil {
		return warn("no event payload (GITHUB_EVENT_PATH)")
	}
	var event struct {
		PullRequest *struct {
			Number int `json:"number"`
			Head   struct {
				SHA string `json:"sha"`
			} `json:"head"`
		} `json:"pull_request"`
	}
	if json.Unmarshal(data, &event) != nil || event.PullRequest == nil {
		return "" // suggestions are for pull requests only
	}
	token := strings.TrimSpace(in.get("github-token"))
	owner, repo, ok := strings.Cut(env("GITHUB_REPOSITORY"), "/")
	if token == "" || !ok {
		return warn("needs the github-token input and GITHUB_REPOSITORY")
	}
	gh, err := githubClient(token, env("GITHUB_API_URL"))
	if err != nil {
		return warn(err.Error())
	}
	number, head := event.PullRequest.Number, event.PullRequest.Head.SHA
	added := map[string]map[int]bool{}
	opts := &github.ListOptions{PerPage: 100}
	for {
		files, resp, err := gh.PullRequests.ListFiles(ctx, owner, repo, number, opts)
		if err != nil {
			return warn(fmt.Sprintf("could not list the pull request's files: %v", err))
		}
		for _, f := range files {
			added[f.GetFilename()] = review.AddedLines(f.GetPatch())
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	posted, err := review.PostSuggestions(ctx, gh, owner, repo, number, head, review.Suggestions(res.Findings, added))
	switch {
	case err != nil:
		return warn(fmt.Sprintf("%v (the token needs pull-requests: write; pull requests from forks get a read-only token)", err))
	case posted:
		return "::notice title=catalog-lint::" + report.EscapeData("suggested fixes were posted as a review")
	}
	return ""
}

func appendFile(path, text string) error {
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// jobSummary renders the run as Markdown: totals, whether Sentry was asked, and a table per file with
// every finding (the annotations GitHub shows stop at 10 errors and 10 warnings per step).
func jobSummary(out outcome) string {
	res := out.res
	var b strings.Builder
	b.WriteString("## catalog-lint\n\n")
	b.WriteString(report.Summary(res) + ".\n\n")
	switch {
	case out.sentry == "unused" && res.Inconclusive == 0:
		// No file names a Sentry project: the summary says nothing of Sentry.
	case out.sentry == "offline":
		b.WriteString("Sentry: not checked (offline).\n\n")
	case out.sentry == "no token":
		if out.skipped == noSentryToken {
			// The Action's inputs, not the CLI's variables, are what the reader can change.
			b.WriteString("Sentry: not checked: no token (pull requests from forks get no secrets); the format rules ran.\n\n")
		} else {
			fmt.Fprintf(&b, "Sentry: not checked: %s; the format rules ran.\n\n", out.skipped)
		}
	case res.Inconclusive > 0 && unverifiedBy(res) != "Sentry":
		fmt.Fprintf(&b, "Checked, but %d %s could not be verified (%s): %s\n\n", res.Inconclusive,
			plural(res.Inconclusive, "reference", "references"), unverifiedBy(res), report.MarkdownText(strings.Join(res.Notices, "; ")))
	case res.Inconclusive > 0:
		fmt.Fprintf(&b, "Sentry: checked, but %d %s could not be verified: %s\n\n", res.Inconclusive,
			plural(res.Inconclusive, "reference", "references"), report.MarkdownText(strings.Join(res.Notices, "; ")))
	default:
		b.WriteString("Sentry: every referenced project was checked.\n\n")
	}
	if len(res.Services) > 0 {
		fmt.Fprintf(&b, "Checked against: %s.\n\n", strings.Join(serviceTitles(res.Services), ", "))
	}
	byFile := map[string][]linter.Finding{}
	var files []string
	for _, f := range res.Findings {
		if byFile[f.File] == nil {
			files = append(files, f.File)
		}
		byFile[f.File] = append(byFile[f.File], f)
	}
	sort.Strings(files)
	shown := 0
	for _, file := range files {
		var sec strings.Builder
		fmt.Fprintf(&sec, "### %s\n\n| Line | Severity | Rule | Message |\n| --- | --- | --- | --- |\n", report.MarkdownText(file))
		for _, f := range byFile[file] {
			loc := "–"
			if f.Line > 0 {
				loc = fmt.Sprintf("%d:%d", f.Line, f.Column)
			}
			fmt.Fprintf(&sec, "| %s | %s | `%s` | %s |\n", loc, f.Severity, f.Rule, report.MarkdownText(f.Message))
		}
		sec.WriteString("\n")
		if b.Len()+sec.Len() > maxSummary {
			fmt.Fprintf(&b, "_%d more findings are not shown: the summary is limited to 1 MiB. The SARIF file or `--format json` has them all._\n",
				len(res.Findings)-shown)
			break
		}
		b.WriteString(sec.String())
		shown += len(byFile[file])
	}
	return b.String()
}

// changedFilter returns which files a pull request or push changed, from the event payload and git.
// When .catalog-lint.yaml changed, or the changes cannot be told, every file is kept and note says so.
func changedFilter(ctx context.Context, env Env) (keep func(string) bool, note string, err error) {
	all := func(string) bool { return true }
	data, err := os.ReadFile(env("GITHUB_EVENT_PATH"))
	if err != nil {
		return all, "only-changed: no event payload (GITHUB_EVENT_PATH); linting every file", nil
	}
	var event struct {
		Before      string `json:"before"`
		After       string `json:"after"`
		PullRequest *struct {
			Base struct {
				SHA string `json:"sha"`
			} `json:"base"`
			Head struct {
				SHA string `json:"sha"`
			} `json:"head"`
		} `json:"pull_request"`
	}
	if err := json.Unmarshal(data, &event); err != nil {
		return nil, "", fmt.Errorf("GITHUB_EVENT_PATH: %w", err)
	}
	var base, head string
	switch {
	case event.PullRequest != nil:
		base, head = event.PullRequest.Base.SHA, event.PullRequest.Head.SHA
	case event.Before != "" && strings.Trim(event.Before, "0") != "":
		base, head = event.Before, event.After
	default:
		return all, "only-changed: not a pull request or a push to an existing branch; linting every file", nil
	}
	changed, err := gitChanged(ctx, base, head)
	if err != nil {
		return all, fmt.Sprintf("only-changed: could not list the changed files (%v); linting every file", err), nil
	}
	if changed[linter.ConfigFileName] {
		return all, "only-changed: " + linter.ConfigFileName + " changed; linting every file", nil
	}
	root, err := gitRoot(ctx)
	if err != nil {
		return all, fmt.Sprintf("only-changed: %v; linting every file", err), nil
	}
	return func(path string) bool {
		abs, err := filepath.Abs(path)
		if err != nil {
			return true
		}
		if resolved, err := filepath.EvalSymlinks(abs); err == nil {
			abs = resolved
		}
		rel, err := filepath.Rel(root, abs)
		return err != nil || changed[filepath.ToSlash(rel)]
	}, "", nil
}

// git runs git in the current folder. safe.directory: the workspace of a container action belongs to
// another user than the container's root, which git otherwise refuses.
func git(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-c", "safe.directory=*"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, errors.New("git " + args[0] + ": " + msg)
	}
	return out, nil
}

func gitRoot(ctx context.Context) (string, error) {
	out, err := git(ctx, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(strings.TrimSpace(string(out)))
}

// gitChanged lists the files added, copied, modified or renamed between base and head. A shallow
// checkout may lack base: it is fetched once.
func gitChanged(ctx context.Context, base, head string) (map[string]bool, error) {
	diff := func() ([]byte, error) {
		return git(ctx, "diff", "--name-only", "-z", "--diff-filter=ACMR", base, head)
	}
	out, err := diff()
	if err != nil {
		if _, ferr := git(ctx, "fetch", "--no-tags", "--depth=1", "origin", base); ferr != nil {
			return nil, err
		}
		if out, err = diff(); err != nil {
			return nil, err
		}
	}
	changed := map[string]bool{}
	for _, p := range strings.Split(string(out), "\x00") {
		if p != "" {
			changed[p] = true
		}
	}
	return changed, nil
}

// serviceTitles names services as people do (sonarqube: SonarQube).
func serviceTitles(names []string) []string {
	titles := map[string]string{"sentry": "Sentry", "github": "GitHub", "backstage": "the Backstage catalog"}
	for _, i := range integrations.All() {
		titles[i.Name] = i.Title
	}
	var out []string
	for _, n := range names {
		out = append(out, firstNonEmpty(titles[n], n))
	}
	return out
}
