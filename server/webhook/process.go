package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"

	"github.com/catalog-lint/catalog-lint/integrations"
	"github.com/catalog-lint/catalog-lint/linter"
	"github.com/catalog-lint/catalog-lint/linter/report"
	"github.com/catalog-lint/catalog-lint/review"
	"github.com/catalog-lint/catalog-lint/rules"
	"github.com/catalog-lint/catalog-lint/sentry"
)

// CheckName is the name of the Check Run catalog-lint publishes.
const CheckName = "catalog-lint"

const (
	maxAnnotationsPerRequest = 50    // the Checks API's limit
	maxSummaryChars          = 65535 // output.summary's limit
	maxFilesPerJob           = 3000  // the most a pull request's file list returns
)

// Processor lints the catalog files a job's commit changed and publishes the result as a Check Run.
type Processor struct {
	App *App
	// Sentry returns the existence check for a job, for the organization the repository configures
	// (which may be ""); nil skips it. The server's own settings decide where the token goes: a
	// repository's configuration cannot.
	Sentry func(org string) integrations.Service
	Log    zerolog.Logger
	// Fetches bounds the files downloaded at once (default 8).
	Fetches int
	// Save, when set, records a job's progress (its Check Run) in the spool.
	Save func(*Job) error
	// Blobs caches file contents across jobs by blob SHA; nil fetches every file every time.
	Blobs *BlobCache
	// Suggestions posts, on pull requests, one review per commit with a suggested change for each
	// fixable finding on a changed line (needs the pull_requests: write permission).
	Suggestions bool
	// Live, when set, is the Backstage catalog the catalog-wide rules also ask (the server's own
	// setting, never a repository's); WebURL is GitHub's web address (https://github.com), to name a
	// job's repository as the catalog's origin locations do.
	Live   rules.LiveCatalog
	WebURL string
	// Integrations returns the SonarQube, PagerDuty, Jira and GitLab checks of one job (the server's
	// settings and tokens); nil leaves them out.
	Integrations func() integrations.Connected
	// Budget bounds what a repository can make a job do (linter.Budget; the server's flags).
	Budget linter.Budget
	// Redact removes secrets from what is published (Check Runs, reviews): a service's error may echo
	// a token. nil publishes as is.
	Redact func(string) string
}

// redact is p.Redact, or the text itself.
func (p *Processor) redact(s string) string {
	if p.Redact == nil {
		return s
	}
	return p.Redact(s)
}

// WebURL returns GitHub's web address for an API address: https://github.com for the public API
// (or ""), https://HOST for GitHub Enterprise Server's https://HOST/api/v3.
func WebURL(apiURL string) string {
	apiURL = strings.TrimRight(apiURL, "/")
	switch {
	case apiURL == "", apiURL == "https://api.github.com":
		return "https://github.com"
	case strings.HasSuffix(apiURL, "/api/v3"):
		return strings.TrimSuffix(apiURL, "/api/v3")
	}
	return apiURL
}

// errAlreadyDone: a resumed job's Check Run is complete; the attempt that completed it died before
// the queue recorded the job as done.
var errAlreadyDone = errors.New("the check run was completed by an earlier attempt")

// checkRun returns the job's Check Run: the one an earlier attempt created when it was stopped before
// recording it, else a new one.
func (p *Processor) checkRun(ctx context.Context, gh *github.Client, job *Job, start time.Time, log zerolog.Logger) (int64, error) {
	if job.CreatingCheckRun {
		list, _, err := gh.Checks.ListCheckRunsForRef(ctx, job.Owner, job.Repo, job.HeadSHA,
			&github.ListCheckRunsOptions{CheckName: github.String(CheckName), ListOptions: github.ListOptions{PerPage: 100}})
		if err != nil {
			return 0, fmt.Errorf("look for the check run of an interrupted attempt: %w", err)
		}
		for _, run := range list.CheckRuns {
			if run.GetExternalID() != job.Key {
				continue
			}
			if run.GetStatus() != "completed" {
				log.Info().Int64("check_run", run.GetID()).Msg("resuming the check run of an interrupted attempt")
				return run.GetID(), nil
			}
			if job.resumed {
				return run.GetID(), errAlreadyDone
			}
		}
	} else if p.Save != nil {
		job.CreatingCheckRun = true
		if err := p.Save(job); err != nil {
			log.Warn().Err(err).Msg("could not record the check run in the spool")
		}
	}
	run, _, err := gh.Checks.CreateCheckRun(ctx, job.Owner, job.Repo, github.CreateCheckRunOptions{
		Name: CheckName, HeadSHA: job.HeadSHA, Status: github.String("in_progress"),
		ExternalID: github.String(job.Key), StartedAt: &github.Timestamp{Time: start},
	})
	if err != nil {
		return 0, fmt.Errorf("create check run: %w", err)
	}
	return run.GetID(), nil
}

// Process runs one job from start to a completed Check Run.
func (p *Processor) Process(ctx context.Context, job *Job) error {
	gh := p.App.Client(job.Installation)
	log := p.Log.With().Str("repository", job.Owner+"/"+job.Repo).Str("sha", job.HeadSHA).Str("delivery", job.Delivery).Logger()
	start := time.Now()
	// Creating the Check Run and linting need each other only at the end: overlap their round trips.
	created := make(chan error, 1)
	if job.CheckRunID == 0 {
		go func() {
			id, err := p.checkRun(ctx, gh, job, start, log)
			if err != nil {
				created <- err
				return
			}
			job.CheckRunID, job.CreatingCheckRun = id, false
			if p.Save != nil {
				if err := p.Save(job); err != nil {
					log.Warn().Err(err).Msg("could not record the check run in the spool")
				}
			}
			created <- nil
		}()
	} else {
		created <- nil
	}
	patches := map[string]string{} // a pull request's changed files' patches, for suggestions
	res, touched, notes, err := p.lint(ctx, gh, job, patches)
	if cerr := <-created; errors.Is(cerr, errAlreadyDone) {
		log.Info().Msg("an earlier attempt completed the check run before its replica died: nothing to do")
		return nil
	} else if cerr != nil {
		return cerr
	}
	runID := job.CheckRunID
	if err == nil && errors.Is(ctx.Err(), context.Canceled) {
		return ctx.Err() // the process is stopping: the job stays queued, its Check Run in progress
	}
	if err == nil && res.Incomplete != "" && ctx.Err() != nil {
		// The job's time is up: the Check Run still says so, on a few seconds of its own.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
	}
	if _, _, limited := RateLimited(err, time.Now()); limited {
		return err // the job is snoozed with its Check Run in progress; no other request now
	}
	if wait, reason, limited := Limited(ctx); limited && err == nil {
		// Sentry (or GitHub, for a rule) asked us to wait: publishing now would call its answers
		// unverifiable. Say why the run waits, and try again once the limit resets.
		_, _, uerr := gh.Checks.UpdateCheckRun(ctx, job.Owner, job.Repo, runID, github.UpdateCheckRunOptions{
			Name: CheckName, Status: github.String("in_progress"),
			Output: &github.CheckRunOutput{Title: github.String("Waiting for a rate limit"),
				Summary: github.String(fmt.Sprintf("%s: catalog-lint tries again in %s.", reason, wait.Round(time.Second)))},
		})
		if uerr != nil {
			log.Warn().Err(uerr).Msg("could not say on the check run that it waits")
		}
		return &SnoozeError{Wait: wait, Reason: reason}
	}
	if err != nil {
		// The job could not be linted (GitHub failed us, or the configuration is broken): say so on
		// the check run rather than leave it in progress.
		_, _, uerr := gh.Checks.UpdateCheckRun(ctx, job.Owner, job.Repo, runID, github.UpdateCheckRunOptions{
			Name: CheckName, Status: github.String("completed"), Conclusion: github.String("failure"),
			CompletedAt: &github.Timestamp{Time: time.Now()},
			Output:      &github.CheckRunOutput{Title: github.String("catalog-lint could not run"), Summary: github.String(truncateSummary(report.MarkdownText(p.redact(err.Error()))))},
		})
		return errors.Join(err, uerr)
	}
	var annotations []*github.CheckRunAnnotation
	for _, f := range res.Findings {
		if touched[f.File] {
			a := annotation(f)
			a.Message = github.String(p.redact(a.GetMessage()))
			annotations = append(annotations, a)
		}
	}
	conclusion, title := conclusionOf(res)
	summary := p.redact(checkSummary(res, touched, notes))
	for i := 0; i < len(annotations) || i == 0; i += maxAnnotationsPerRequest {
		batch := annotations[i:min(i+maxAnnotationsPerRequest, len(annotations))]
		opts := github.UpdateCheckRunOptions{Name: CheckName, Output: &github.CheckRunOutput{
			Title: github.String(title), Summary: github.String(summary), Annotations: batch}}
		if i+maxAnnotationsPerRequest >= len(annotations) { // the last request completes the run
			opts.Status, opts.Conclusion = github.String("completed"), github.String(conclusion)
			opts.CompletedAt = &github.Timestamp{Time: time.Now()}
		}
		if _, _, err := gh.Checks.UpdateCheckRun(ctx, job.Owner, job.Repo, runID, opts); err != nil {
			return fmt.Errorf("update check run: %w", err)
		}
	}
	log.Info().Str("conclusion", conclusion).Int("files", res.Files).Int("findings", len(res.Findings)).
		Dur("took", time.Since(start)).Msg("check run completed")
	if p.Suggestions && job.PullRequest > 0 {
		added := map[string]map[int]bool{}
		for path, patch := range patches {
			added[path] = review.AddedLines(patch)
		}
		comments := review.Suggestions(res.Findings, added)
		for _, c := range comments {
			c.Body = github.String(p.redact(c.GetBody()))
		}
		posted, err := review.PostSuggestions(ctx, gh, job.Owner, job.Repo, job.PullRequest, job.HeadSHA, comments)
		if err != nil {
			// The Check Run is complete: suggestions are a courtesy, not a reason to lint again.
			log.Warn().Err(err).Msg("could not post the suggested fixes")
		} else if posted {
			log.Info().Msg("posted suggested fixes")
		}
	}
	return nil
}

// Expire completes the Check Run of a job given up for its age (timed_out), creating it if the job
// never got that far, so that a required check is not left waiting forever; a re-run lints again.
func (p *Processor) Expire(ctx context.Context, job *Job, why string) error {
	gh := p.App.Client(job.Installation)
	if job.CheckRunID == 0 {
		id, err := p.checkRun(ctx, gh, job, time.Now(), p.Log)
		if errors.Is(err, errAlreadyDone) {
			return nil
		} else if err != nil {
			return err
		}
		job.CheckRunID = id
	}
	_, _, err := gh.Checks.UpdateCheckRun(ctx, job.Owner, job.Repo, job.CheckRunID, github.UpdateCheckRunOptions{
		Name: CheckName, Status: github.String("completed"), Conclusion: github.String("timed_out"),
		CompletedAt: &github.Timestamp{Time: time.Now()},
		Output: &github.CheckRunOutput{Title: github.String("catalog-lint gave up"),
			Summary: github.String(truncateSummary("catalog-lint did not lint this commit: " + why + ". Re-run the check to lint it."))}})
	return err
}

func annotation(f linter.Finding) *github.CheckRunAnnotation {
	level := "failure"
	switch f.Severity {
	case linter.SeverityWarning:
		level = "warning"
	case linter.SeverityInfo:
		level = "notice"
	}
	a := &github.CheckRunAnnotation{
		Path: github.String(f.File), StartLine: github.Int(max(f.Line, 1)), EndLine: github.Int(max(f.EndLine, f.Line, 1)),
		AnnotationLevel: github.String(level), Message: github.String(f.Message), Title: github.String(f.Rule),
	}
	if f.Line > 0 && f.Column > 0 && f.EndLine == f.Line { // columns only on one line, as the API demands
		a.StartColumn, a.EndColumn = github.Int(f.Column), github.Int(max(f.EndColumn, f.Column))
	}
	return a
}

func conclusionOf(res *linter.Result) (conclusion, title string) {
	c := report.Counts(res.Findings)
	switch {
	case c[linter.SeverityError] > 0:
		return "failure", fmt.Sprintf("%d %s", c[linter.SeverityError], plural(c[linter.SeverityError], "error", "errors"))
	case res.Incomplete == "the time limit was reached":
		return "timed_out", "catalog-lint stopped early: " + res.Incomplete
	case res.Incomplete != "":
		return "neutral", "catalog-lint stopped early: " + res.Incomplete
	case res.Inconclusive > 0:
		by := rules.UnverifiedBy(res)
		if len(by) == 0 || len(by) == 1 && by[0] == "Sentry" {
			return "neutral", fmt.Sprintf("Sentry could not be asked about %d %s", res.Inconclusive, plural(res.Inconclusive, "project", "projects"))
		}
		return "neutral", fmt.Sprintf("%d %s could not be verified (%s)", res.Inconclusive, plural(res.Inconclusive, "reference", "references"), strings.Join(by, ", "))
	}
	if c[linter.SeverityWarning] > 0 {
		return "success", fmt.Sprintf("%d %s", c[linter.SeverityWarning], plural(c[linter.SeverityWarning], "warning", "warnings"))
	}
	return "success", "No problems"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// checkSummary is the Markdown summary: totals, notes, and every finding, those in files the change
// did not touch included (they are not annotated); cut to the API's 65,535 characters with a note.
func checkSummary(res *linter.Result, touched map[string]bool, notes []string) string {
	var b strings.Builder
	b.WriteString(report.Summary(res) + ".\n\n")
	if res.Incomplete != "" {
		fmt.Fprintf(&b, "**catalog-lint stopped before reading everything: %s.** Nothing was reported as missing; "+
			"the findings below are those of the files read. Re-run the check to try again.\n\n", res.Incomplete)
	}
	for _, n := range notes {
		b.WriteString("- " + n + "\n")
	}
	for _, n := range res.Notices { // they quote the files' values: shown as text, never as Markdown
		b.WriteString("- " + report.MarkdownText(n) + "\n")
	}
	if len(res.Findings) > 0 {
		b.WriteString("\n| File | Line | Severity | Rule | Message |\n| --- | --- | --- | --- | --- |\n")
	}
	untouched := 0
	for i, f := range res.Findings {
		file := report.MarkdownText(f.File)
		if !touched[f.File] {
			untouched++
			file += " (not changed)"
		}
		row := fmt.Sprintf("| %s | %d | %s | `%s` | %s |\n", file, f.Line, f.Severity, f.Rule, report.MarkdownText(f.Message))
		if b.Len()+len(row) > maxSummaryChars-200 {
			fmt.Fprintf(&b, "\n_%d more findings are not listed: the summary is limited to 65,535 characters._\n", len(res.Findings)-i)
			break
		}
		b.WriteString(row)
	}
	if untouched > 0 {
		fmt.Fprintf(&b, "\n%d %s in files this change did not touch %s counted here but not annotated.\n",
			untouched, plural(untouched, "finding", "findings"), plural(untouched, "is", "are"))
	}
	return truncateSummary(b.String())
}

func truncateSummary(s string) string {
	if len(s) <= maxSummaryChars {
		return s
	}
	return s[:maxSummaryChars-40] + "\n\n_(summary truncated)_\n"
}

// lint lints the repository at the job's commit as `catalog-lint check .` lints a checkout of it
// (rules.Run over the commit's tree, files downloaded when read, at most Fetches at once), and says
// which files the change touched: only their findings are annotated.
func (p *Processor) lint(ctx context.Context, gh *github.Client, job *Job, patches map[string]string) (*linter.Result, map[string]bool, []string, error) {
	var (
		changed  map[string]string
		complete bool
		cerr     error
		tree     *github.Tree
		terr     error
		wg       sync.WaitGroup
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		changed, complete, cerr = p.changedFiles(ctx, gh, job, patches)
	}()
	go func() {
		defer wg.Done()
		// The tree says what each path is: only regular files are ever fetched, never a symbolic link
		// (mode 120000, whose blob is a path on the machine that checks the repository out) or a
		// submodule (160000).
		tree, _, terr = gh.Git.GetTree(ctx, job.Owner, job.Repo, job.HeadSHA, true)
	}()
	cfg, err := p.repoConfig(ctx, gh, job)
	wg.Wait()
	if err != nil {
		return nil, nil, nil, err
	}
	if cerr != nil {
		return nil, nil, nil, cerr
	}
	if terr != nil {
		return nil, nil, nil, fmt.Errorf("list the files of %s: %w", job.HeadSHA, terr)
	}
	var notes []string
	all := !complete || changed[linter.ConfigFileName] != ""
	if tree.GetTruncated() {
		notes = append(notes, "The repository has more files than GitHub lists at once; some catalog files may not have been linted.")
	}
	if all && complete {
		notes = append(notes, linter.ConfigFileName+" changed, so every catalog file was linted.")
	}
	blobs := map[string]string{}
	var entries []linter.TreeFile
	for _, e := range tree.Entries {
		if isRegularFile(e) {
			blobs[e.GetPath()] = e.GetSHA()
			entries = append(entries, linter.TreeFile{Path: e.GetPath(), Size: int64(e.GetSize())})
		}
	}
	// A file that cannot be downloaded fails the job (it is tried again, or waits for a rate limit):
	// it must never read as a finding about the file.
	var fetchMu sync.Mutex
	var fetchErr error
	fsys := linter.NewTreeFS(entries, func(name string) ([]byte, error) {
		sha, ok := blobs[name]
		if !ok {
			return nil, fmt.Errorf("%s is not a file of %s", name, job.HeadSHA)
		}
		data, err := p.blob(ctx, gh, job, name, sha)
		if err != nil {
			fetchMu.Lock()
			fetchErr = errors.Join(fetchErr, err)
			fetchMu.Unlock()
		}
		return data, err
	})
	fsys.MaxRead = cfg.MaxFileSize // a blob over the limit is never downloaded
	web := p.WebURL
	if web == "" {
		web = "https://github.com"
	}
	jobs := p.Fetches
	if jobs <= 0 {
		jobs = 8 // files are downloaded as they are read: the workers wait on the network
	}
	run := rules.Run{Repo: linter.NewTreeRepo(fsys), Config: cfg, RepositoryURL: web + "/" + job.Owner + "/" + job.Repo,
		Live: p.Live, Jobs: jobs, Budget: p.Budget}
	if p.Integrations != nil {
		run.Integrations = p.Integrations()
	}
	// github.com/project-slug is asked with the installation's token: it sees what the App may see.
	// Its answers are not cached across jobs: another installation may see other repositories.
	run.Integrations = run.Integrations.With(integrations.GitHub, integrations.NewGitHubService(gh), NoteRateLimit, nil)
	run.Integrations = withSentry(run.Integrations, p.Sentry, cfg)
	res, err := run.Lint(ctx, []string{"."})
	if err == nil && ctx.Err() == nil { // past the time limit, the result says it stopped early
		fetchMu.Lock()
		err = fetchErr
		fetchMu.Unlock()
	}
	if err != nil {
		return nil, nil, nil, err
	}
	touched := map[string]bool{}
	mark := func(file string) { touched[file] = !complete || changed[file] != "" }
	for _, f := range res.Linted {
		mark(f)
	}
	for _, f := range res.Findings {
		mark(f.File)
	}
	for _, s := range res.SkippedFiles {
		mark(s.File)
	}
	return res, touched, notes, nil
}

// blob returns a file's content at the job's commit, from the cache when an earlier job fetched the
// same blob.
func (p *Processor) blob(ctx context.Context, gh *github.Client, job *Job, name, sha string) ([]byte, error) {
	if data, ok := p.Blobs.Get(sha); ok {
		return data, nil
	}
	data, _, err := gh.Git.GetBlobRaw(ctx, job.Owner, job.Repo, sha)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", name, err)
	}
	p.Blobs.Put(sha, data)
	return data, nil
}

// isRegularFile reports whether a tree entry is a file's content: mode 100644 or 100755.
func isRegularFile(e *github.TreeEntry) bool {
	return e.GetType() == "blob" && (e.GetMode() == "100644" || e.GetMode() == "100755")
}

// repoConfig reads .catalog-lint.yaml at the head commit; its Sentry URL and token exchange are never
// used (the server's own settings decide where tokens and credentials go), its organization is.
func (p *Processor) repoConfig(ctx context.Context, gh *github.Client, job *Job) (*linter.Config, error) {
	file, _, resp, err := gh.Repositories.GetContents(ctx, job.Owner, job.Repo, linter.ConfigFileName,
		&github.RepositoryContentGetOptions{Ref: job.HeadSHA})
	if resp != nil && resp.StatusCode == http.StatusNotFound {
		return linter.DefaultConfig("/"), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", linter.ConfigFileName, err)
	}
	text, err := file.GetContent()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", linter.ConfigFileName, err)
	}
	return rules.ParseConfig(linter.ConfigFileName, "/", []byte(text))
}

// changedFiles returns the files (path -> blob SHA) the job's change added or modified. complete is
// false when the change cannot be listed exactly (a new branch, a re-run without a base, a
// comparison GitHub cut short): then every catalog file is linted.
func (p *Processor) changedFiles(ctx context.Context, gh *github.Client, job *Job, patches map[string]string) (map[string]string, bool, error) {
	changed := map[string]string{}
	add := func(files []*github.CommitFile) {
		for _, f := range files {
			if f.GetStatus() != "removed" {
				changed[f.GetFilename()] = f.GetSHA()
				if f.Patch != nil && job.PullRequest > 0 {
					patches[f.GetFilename()] = f.GetPatch()
				}
			}
		}
	}
	switch {
	case job.PullRequest > 0:
		opts := &github.ListOptions{PerPage: 100}
		for {
			files, resp, err := gh.PullRequests.ListFiles(ctx, job.Owner, job.Repo, job.PullRequest, opts)
			if err != nil {
				return nil, false, fmt.Errorf("list the files of pull request %d: %w", job.PullRequest, err)
			}
			add(files)
			if resp.NextPage == 0 {
				return changed, len(changed) < maxFilesPerJob, nil
			}
			opts.Page = resp.NextPage
		}
	case job.BaseSHA != "":
		cmp, _, err := gh.Repositories.CompareCommits(ctx, job.Owner, job.Repo, job.BaseSHA, job.HeadSHA, &github.ListOptions{PerPage: 100})
		if err != nil {
			return nil, false, fmt.Errorf("compare %s...%s: %w", job.BaseSHA, job.HeadSHA, err)
		}
		add(cmp.Files)
		return changed, len(cmp.Files) < 300, nil // the comparison lists at most 300 files
	}
	return changed, false, nil
}

// NoSentryToken is why a server without Sentry credentials checks no sentry.io/project-slug.
const NoSentryToken = "the server has no Sentry token (set SENTRY_AUTH_TOKEN or SENTRY_TOKEN, pass --sentry-token-file, or configure a token exchange)"

// withSentry adds the server's Sentry check to a job's integrations. Only the organization of the
// repository's sentry section is used: its URL and token exchange never are (the server's own
// settings decide where tokens and credentials go). Sentry's rate limits snooze the job, as the other
// integrations' do.
func withSentry(conn integrations.Connected, sentryFor func(org string) integrations.Service, cfg *linter.Config) integrations.Connected {
	if sentryFor == nil {
		// Said in the Check Run's summary when the files name a Sentry project, as check says it.
		return conn.Skip(integrations.Sentry, NoSentryToken)
	}
	if svc := sentryFor(sentry.SettingsOf(cfg).Organization); svc != nil {
		return conn.With(integrations.Sentry, svc, NoteRateLimit, nil)
	}
	return conn
}
