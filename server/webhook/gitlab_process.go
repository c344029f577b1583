package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	gitlab "gitlab.com/gitlab-org/api/client-go"

	"github.com/catalog-lint/catalog-lint/integrations"
	"github.com/catalog-lint/catalog-lint/internal/credentials"
	"github.com/catalog-lint/catalog-lint/linter"
	"github.com/catalog-lint/catalog-lint/linter/report"
	"github.com/catalog-lint/catalog-lint/review"
	"github.com/catalog-lint/catalog-lint/rules"
)

// GitLabProcessor lints the commits of GitLab jobs and answers on GitLab, which has no Check Runs: a
// commit status `catalog-lint` (running, then success or failed), and on a merge request one note
// with the summary (edited on later pushes, never a second one) and, once per commit, a discussion on
// each changed line with errors, with a suggestion block where catalog-lint can fix the line.
type GitLabProcessor struct {
	// Client asks GitLab with the server's project or group access token (api scope).
	Client *gitlab.Client
	// WebURL is GitLab's web address (https://gitlab.com): a project's address, for entity-conflict
	// and links.
	WebURL string
	Log    zerolog.Logger
	// Sentry, Integrations, Live and Budget are the server's, as for GitHub's jobs.
	Sentry       func(org string) integrations.Service
	Integrations func() integrations.Connected
	Live         rules.LiveCatalog
	Budget       linter.Budget
	// Blobs caches file contents across jobs by blob SHA; nil fetches every file every time.
	Blobs *BlobCache
	// Fetches bounds the files downloaded at once (default 8).
	Fetches int
	// Redact removes secrets from what is published; nil publishes as is.
	Redact func(string) string
}

// StatusName is the commit status catalog-lint sets on GitLab.
const StatusName = "catalog-lint"

// gitlabSummaryMarker tells catalog-lint's summary note among a merge request's notes.
const gitlabSummaryMarker = "<!-- catalog-lint summary -->"

// gitlabCommitMarker marks the discussions catalog-lint opened on one commit.
func gitlabCommitMarker(sha string) string { return "<!-- catalog-lint commit " + sha + " -->" }

// maxTreeFiles bounds the files of a GitLab tree a job lists (1,000 pages of 100).
const maxTreeFiles = 100000

// NewGitLabClient is a GitLab REST client for baseURL (https://gitlab.com) with token, which goes to
// that host only, even when a redirect points elsewhere. GitLab's 429s are not retried inside the
// client: the job is snoozed until the limit resets.
func NewGitLabClient(baseURL, token string, transport http.RoundTripper) (*gitlab.Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("GITLAB_URL %q is not an http(s) address", baseURL)
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: credentials.OnlyTo(u.Host, transport)}
	return gitlab.NewClient(token, gitlab.WithBaseURL(u.String()+"/api/v4"), gitlab.WithHTTPClient(hc), gitlab.WithoutRetries())
}

func (p *GitLabProcessor) redact(s string) string {
	if p.Redact == nil {
		return s
	}
	return p.Redact(s)
}

// status sets the job's commit status; GitLab refuses a transition to the state a status already
// has (400), which a retried job may ask for: that is not an error.
func (p *GitLabProcessor) status(ctx context.Context, job *Job, state gitlab.BuildStateValue, description, target string) error {
	opts := &gitlab.SetCommitStatusOptions{State: state, Name: gitlab.Ptr(StatusName), Description: gitlab.Ptr(truncate(description, 255))}
	if target != "" {
		opts.TargetURL = gitlab.Ptr(target)
	}
	_, resp, err := p.Client.Commits.SetCommitStatus(job.ProjectID, job.HeadSHA, opts, gitlab.WithContext(ctx))
	if err != nil && resp != nil && resp.StatusCode == http.StatusBadRequest && strings.Contains(err.Error(), "transition") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("set the commit status: %w", err)
	}
	return nil
}

// Process runs a GitLab job to its final commit status and, on a merge request, its note and
// discussions.
func (p *GitLabProcessor) Process(ctx context.Context, job *Job) error {
	log := p.Log.With().Str("project", job.Owner+"/"+job.Repo).Str("sha", job.HeadSHA).Str("delivery", job.Delivery).Logger()
	start := time.Now()
	if err := p.status(ctx, job, gitlab.Running, "catalog-lint is linting the catalog files", ""); err != nil {
		return err
	}
	res, touched, added, notes, err := p.lint(ctx, job)
	if err == nil && errors.Is(ctx.Err(), context.Canceled) {
		return ctx.Err() // the process is stopping: the job stays queued, its status running
	}
	if err == nil && res.Incomplete != "" && ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
	}
	if _, _, limited := RateLimited(err, time.Now()); limited {
		return err // snoozed, the status still running
	}
	if wait, reason, limited := Limited(ctx); limited && err == nil {
		if uerr := p.status(ctx, job, gitlab.Running, fmt.Sprintf("%s: catalog-lint tries again in %s", reason, wait.Round(time.Second)), ""); uerr != nil {
			log.Warn().Err(uerr).Msg("could not say on the commit status that it waits")
		}
		return &SnoozeError{Wait: wait, Reason: reason}
	}
	if err != nil {
		uerr := p.status(ctx, job, gitlab.Failed, "catalog-lint could not run: "+p.redact(linter.Printable(err.Error())), "")
		return errors.Join(err, uerr)
	}
	conclusion, title := conclusionOf(res)
	target := ""
	if job.Kind == KindMergeRequest {
		summary := p.redact(checkSummary(res, touched, notes))
		id, err := p.note(ctx, job, summary)
		if err != nil {
			return err
		}
		target = fmt.Sprintf("%s/%s/%s/-/merge_requests/%d#note_%d", strings.TrimRight(p.WebURL, "/"), job.Owner, job.Repo, job.MergeRequest, id)
		if n, err := p.discuss(ctx, job, res, touched, added); err != nil {
			// The summary is there: the inline comments are a courtesy, not a reason to lint again.
			log.Warn().Err(err).Msg("could not open the discussions")
		} else if n > 0 {
			log.Info().Int("discussions", n).Msg("opened discussions")
		}
	}
	state := gitlab.Success
	if conclusion == "failure" {
		state = gitlab.Failed
	}
	if err := p.status(ctx, job, state, title, target); err != nil {
		return err
	}
	log.Info().Str("state", string(state)).Int("files", res.Files).Int("findings", len(res.Findings)).
		Dur("took", time.Since(start)).Msg("commit status set")
	return nil
}

// lint lints the job's commit as `check` lints a clone, through GitLab's repository API, and returns
// the files the change touched and the lines it added (path -> line -> true).
func (p *GitLabProcessor) lint(ctx context.Context, job *Job) (*linter.Result, map[string]bool, map[string]map[int]bool, []string, error) {
	var (
		changed  map[string]map[int]bool
		complete bool
		cerr     error
		entries  []linter.TreeFile
		blobs    map[string]string
		capped   bool
		terr     error
		wg       sync.WaitGroup
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		changed, complete, cerr = p.changedFiles(ctx, job)
	}()
	go func() {
		defer wg.Done()
		entries, blobs, capped, terr = p.tree(ctx, job)
	}()
	cfg, err := p.repoConfig(ctx, job)
	wg.Wait()
	for _, e := range []error{err, cerr, terr} {
		if e != nil {
			return nil, nil, nil, nil, e
		}
	}
	var notes []string
	if capped {
		notes = append(notes, fmt.Sprintf("The repository has more than %d files; some catalog files may not have been linted.", maxTreeFiles))
	}
	if !complete {
		changed = nil
	} else if _, ok := changed[linter.ConfigFileName]; ok {
		notes = append(notes, linter.ConfigFileName+" changed, so every catalog file was linted.")
	}
	var fetchMu sync.Mutex
	var fetchErr error
	fsys := linter.NewTreeFS(entries, func(name string) ([]byte, error) {
		data, err := p.file(ctx, job, name, blobs[name], cfg.MaxFileSize)
		if err != nil {
			fetchMu.Lock()
			fetchErr = errors.Join(fetchErr, err)
			fetchMu.Unlock()
		}
		return data, err
	})
	jobs := p.Fetches
	if jobs <= 0 {
		jobs = 8
	}
	run := rules.Run{Repo: linter.NewTreeRepo(fsys), Config: cfg, Live: p.Live, Jobs: jobs, Budget: p.Budget,
		RepositoryURL: strings.TrimRight(p.WebURL, "/") + "/" + job.Owner + "/" + job.Repo}
	if p.Integrations != nil {
		run.Integrations = p.Integrations()
	}
	run.Integrations = withSentry(run.Integrations, p.Sentry, cfg)
	res, err := run.Lint(ctx, []string{"."})
	if err == nil && ctx.Err() == nil {
		fetchMu.Lock()
		err = fetchErr
		fetchMu.Unlock()
	}
	if err != nil {
		return nil, nil, nil, nil, err
	}
	touched := map[string]bool{}
	mark := func(file string) {
		_, ok := changed[file]
		touched[file] = changed == nil || ok
	}
	for _, f := range res.Linted {
		mark(f)
	}
	for _, f := range res.Findings {
		mark(f.File)
	}
	return res, touched, changed, notes, nil
}

// tree lists the regular files of the job's commit (paths, and blob SHAs for the cache); capped says
// that there were more than maxTreeFiles.
func (p *GitLabProcessor) tree(ctx context.Context, job *Job) ([]linter.TreeFile, map[string]string, bool, error) {
	var files []linter.TreeFile
	blobs := map[string]string{}
	opts := &gitlab.ListTreeOptions{ListOptions: gitlab.ListOptions{PerPage: 100}, Ref: gitlab.Ptr(job.HeadSHA), Recursive: gitlab.Ptr(true)}
	for {
		nodes, resp, err := p.Client.Repositories.ListTree(job.ProjectID, opts, gitlab.WithContext(ctx))
		if err != nil {
			return nil, nil, false, fmt.Errorf("list the files of %s: %w", job.HeadSHA, err)
		}
		for _, n := range nodes {
			// Only regular files are ever fetched: never a symbolic link (120000) or a submodule.
			if n.Type == "blob" && (n.Mode == "100644" || n.Mode == "100755") {
				files = append(files, linter.TreeFile{Path: n.Path})
				blobs[n.Path] = n.ID
			}
		}
		if len(files) >= maxTreeFiles {
			return files, blobs, true, nil
		}
		if resp.NextPage == 0 {
			return files, blobs, false, nil
		}
		opts.Page = resp.NextPage
	}
}

// file returns a file's content at the job's commit, from the cache when an earlier job fetched the
// same blob. GitLab's tree gives no sizes: a file over limit bytes is read no further than one byte
// past it, which is what the engine needs to report it as too large.
func (p *GitLabProcessor) file(ctx context.Context, job *Job, name, sha string, limit int64) ([]byte, error) {
	if data, ok := p.Blobs.Get(sha); ok && sha != "" {
		return data, nil
	}
	req, err := p.Client.NewRequest(http.MethodGet, fmt.Sprintf("projects/%d/repository/files/%s/raw", job.ProjectID, gitlab.PathEscape(name)),
		&gitlab.GetRawFileOptions{Ref: gitlab.Ptr(job.HeadSHA)}, []gitlab.RequestOptionFunc{gitlab.WithContext(ctx)})
	if err != nil {
		return nil, err
	}
	buf := &cappedBuffer{limit: limit}
	if _, err := p.Client.Do(req, buf); err != nil && !errors.Is(err, errPastLimit) {
		return nil, fmt.Errorf("fetch %s: %w", name, err)
	}
	if sha != "" && !buf.past {
		p.Blobs.Put(sha, buf.data)
	}
	return buf.data, nil
}

var errPastLimit = errors.New("past the file size limit")

// cappedBuffer keeps what is written up to one byte past limit (0: no limit), then stops the download.
type cappedBuffer struct {
	data  []byte
	limit int64
	past  bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if b.limit > 0 && int64(len(b.data)+len(p)) > b.limit {
		b.data = append(b.data, p[:b.limit+1-int64(len(b.data))]...)
		b.past = true
		return 0, errPastLimit
	}
	b.data = append(b.data, p...)
	return len(p), nil
}

var _ io.Writer = (*cappedBuffer)(nil)

// repoConfig reads .catalog-lint.yaml at the job's commit (the default without one).
func (p *GitLabProcessor) repoConfig(ctx context.Context, job *Job) (*linter.Config, error) {
	data, resp, err := p.Client.RepositoryFiles.GetRawFile(job.ProjectID, linter.ConfigFileName, &gitlab.GetRawFileOptions{Ref: gitlab.Ptr(job.HeadSHA)}, gitlab.WithContext(ctx))
	if resp != nil && resp.StatusCode == http.StatusNotFound {
		return linter.DefaultConfig("/"), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", linter.ConfigFileName, err)
	}
	return rules.ParseConfig(linter.ConfigFileName, "/", data)
}

// changedFiles returns the files the change added or modified, each with the lines it added.
// complete is false when the change cannot be listed (a new branch): then every file counts as
// changed.
func (p *GitLabProcessor) changedFiles(ctx context.Context, job *Job) (map[string]map[int]bool, bool, error) {
	changed := map[string]map[int]bool{}
	add := func(path, diff string, deleted bool) {
		if !deleted {
			changed[path] = review.AddedLines(diff)
		}
	}
	switch {
	case job.Kind == KindMergeRequest:
		opts := &gitlab.ListMergeRequestDiffsOptions{ListOptions: gitlab.ListOptions{PerPage: 100}}
		for {
			diffs, resp, err := p.Client.MergeRequests.ListMergeRequestDiffs(job.ProjectID, job.MergeRequest, opts, gitlab.WithContext(ctx))
			if err != nil {
				return nil, false, fmt.Errorf("list the changes of merge request !%d: %w", job.MergeRequest, err)
			}
			for _, d := range diffs {
				add(d.NewPath, d.Diff, d.DeletedFile)
			}
			if resp.NextPage == 0 || len(changed) >= maxFilesPerJob {
				return changed, len(changed) < maxFilesPerJob, nil
			}
			opts.Page = resp.NextPage
		}
	case job.BaseSHA != "":
		cmp, _, err := p.Client.Repositories.Compare(job.ProjectID, &gitlab.CompareOptions{From: gitlab.Ptr(job.BaseSHA), To: gitlab.Ptr(job.HeadSHA), Straight: gitlab.Ptr(true)}, gitlab.WithContext(ctx))
		if err != nil {
			return nil, false, fmt.Errorf("compare %s...%s: %w", job.BaseSHA, job.HeadSHA, err)
		}
		for _, d := range cmp.Diffs {
			add(d.NewPath, d.Diff, d.DeletedFile)
		}
		return changed, !cmp.CompareTimeout, nil
	}
	return changed, false, nil
}

// note writes the summary as the merge request's catalog-lint note: the one already there is
// edited, so that later pushes update it rather than add another. It returns the note's ID.
func (p *GitLabProcessor) note(ctx context.Context, job *Job, summary string) (int64, error) {
	body := summary + "\n\n" + gitlabSummaryMarker
	opts := &gitlab.ListMergeRequestNotesOptions{ListOptions: gitlab.ListOptions{PerPage: 100}}
	for {
		notes, resp, err := p.Client.Notes.ListMergeRequestNotes(job.ProjectID, job.MergeRequest, opts, gitlab.WithContext(ctx))
		if err != nil {
			return 0, fmt.Errorf("list the notes of merge request !%d: %w", job.MergeRequest, err)
		}
		for _, n := range notes {
			if !n.System && strings.Contains(n.Body, gitlabSummaryMarker) {
				if n.Body == body {
					return n.ID, nil
				}
				_, _, err := p.Client.Notes.UpdateMergeRequestNote(job.ProjectID, job.MergeRequest, n.ID,
					&gitlab.UpdateMergeRequestNoteOptions{Body: gitlab.Ptr(body)}, gitlab.WithContext(ctx))
				if err != nil {
					return 0, fmt.Errorf("edit the note of merge request !%d: %w", job.MergeRequest, err)
				}
				return n.ID, nil
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	n, _, err := p.Client.Notes.CreateMergeRequestNote(job.ProjectID, job.MergeRequest, &gitlab.CreateMergeRequestNoteOptions{Body: gitlab.Ptr(body)}, gitlab.WithContext(ctx))
	if err != nil {
		return 0, fmt.Errorf("write the note of merge request !%d: %w", job.MergeRequest, err)
	}
	return n.ID, nil
}

// discuss opens, once per commit, a discussion on each line the merge request added that has errors:
// their messages, and the line as catalog-lint's fixes leave it as a suggestion when it can fix it.
// It returns how many it opened.
func (p *GitLabProcessor) discuss(ctx context.Context, job *Job, res *linter.Result, touched map[string]bool, added map[string]map[int]bool) (int, error) {
	type at struct {
		file string
		line int
	}
	errorsAt := map[at][]linter.Finding{}
	var lines []at
	for _, f := range res.Findings {
		if f.Severity != linter.SeverityError || !touched[f.File] || !added[f.File][f.Line] {
			continue
		}
		k := at{f.File, f.Line}
		if errorsAt[k] == nil {
			lines = append(lines, k)
		}
		errorsAt[k] = append(errorsAt[k], f)
	}
	if len(lines) == 0 {
		return 0, nil
	}
	sort.Slice(lines, func(i, j int) bool {
		if lines[i].file != lines[j].file {
			return lines[i].file < lines[j].file
		}
		return lines[i].line < lines[j].line
	})
	mr, _, err := p.Client.MergeRequests.GetMergeRequest(job.ProjectID, job.MergeRequest, nil, gitlab.WithContext(ctx))
	if err != nil {
		return 0, fmt.Errorf("read merge request !%d: %w", job.MergeRequest, err)
	}
	if mr.DiffRefs.HeadSha != job.HeadSHA {
		return 0, nil // a newer commit is the merge request's now: its own job comments on it
	}
	marker := gitlabCommitMarker(job.HeadSHA)
	opts := &gitlab.ListMergeRequestDiscussionsOptions{ListOptions: gitlab.ListOptions{PerPage: 100}}
	for {
		ds, resp, err := p.Client.Discussions.ListMergeRequestDiscussions(job.ProjectID, job.MergeRequest, opts, gitlab.WithContext(ctx))
		if err != nil {
			return 0, fmt.Errorf("list the discussions of merge request !%d: %w", job.MergeRequest, err)
		}
		for _, d := range ds {
			for _, n := range d.Notes {
				if strings.Contains(n.Body, marker) {
					return 0, nil // this commit was commented on already
				}
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	suggestions := map[at]string{}
	for _, c := range review.Suggestions(res.Findings, added) {
		body := c.GetBody()
		if i := strings.Index(body, "```suggestion\n"); i >= 0 {
			suggestions[at{c.GetPath(), c.GetLine()}] = "```suggestion:-0+0\n" + body[i+len("```suggestion\n"):]
		}
	}
	opened := 0
	for _, k := range lines {
		var b strings.Builder
		for _, f := range errorsAt[k] {
			fmt.Fprintf(&b, "- %s (`%s`)\n", report.MarkdownText(f.Message), f.Rule)
		}
		if s, ok := suggestions[k]; ok {
			b.WriteString("\ncatalog-lint can fix this line:\n\n" + s + "\n")
		}
		b.WriteString("\n" + marker)
		_, _, err := p.Client.Discussions.CreateMergeRequestDiscussion(job.ProjectID, job.MergeRequest, &gitlab.CreateMergeRequestDiscussionOptions{
			Body: gitlab.Ptr(p.redact(b.String())),
			Position: &gitlab.PositionOptions{PositionType: gitlab.Ptr("text"), BaseSHA: gitlab.Ptr(mr.DiffRefs.BaseSha),
				StartSHA: gitlab.Ptr(mr.DiffRefs.StartSha), HeadSHA: gitlab.Ptr(mr.DiffRefs.HeadSha),
				NewPath: gitlab.Ptr(k.file), OldPath: gitlab.Ptr(k.file), NewLine: gitlab.Ptr(int64(k.line))},
		}, gitlab.WithContext(ctx))
		if err != nil {
			return opened, fmt.Errorf("open a discussion on %s:%d: %w", k.file, k.line, err)
		}
		opened++
	}
	return opened, nil
}

// gitlabLimitWait reads GitLab's rate-limit answer (429): Retry-After in seconds, else
// RateLimit-Reset as a Unix time, else a minute.
func gitlabLimitWait(resp *http.Response, now time.Time) (time.Duration, bool) {
	if resp.StatusCode != http.StatusTooManyRequests {
		return 0, false
	}
	if s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && s >= 0 {
		return max(time.Duration(s)*time.Second, time.Second), true
	}
	if reset, err := strconv.ParseInt(strings.TrimSpace(resp.Header.Get("RateLimit-Reset")), 10, 64); err == nil {
		return max(time.Unix(reset, 0).Sub(now)+time.Second, time.Second), true
	}
	return time.Minute, true
}

// Expire marks the commit status of a GitLab job given up for its age as failed, with why.
func (p *GitLabProcessor) Expire(ctx context.Context, job *Job, why string) error {
	return p.status(ctx, job, gitlab.Failed, "catalog-lint gave up: "+why+"; push again or retry the webhook to lint", "")
}

// Forges hands each job to the processor of its forge.
type Forges struct {
	GitHub *Processor
	GitLab *GitLabProcessor
}

// Process runs a job with its forge's processor.
func (f Forges) Process(ctx context.Context, job *Job) error {
	switch {
	case job.Forge == ForgeGitLab && f.GitLab != nil:
		return f.GitLab.Process(ctx, job)
	case job.Forge == "" && f.GitHub != nil && f.GitHub.App != nil:
		return f.GitHub.Process(ctx, job)
	}
	return fmt.Errorf("no %s configured for this job", forgeName(job.Forge))
}

// Expire closes the status of a job given up for its age, on its forge.
func (f Forges) Expire(ctx context.Context, job *Job, why string) error {
	switch {
	case job.Forge == ForgeGitLab && f.GitLab != nil:
		return f.GitLab.Expire(ctx, job, why)
	case job.Forge == "" && f.GitHub != nil && f.GitHub.App != nil:
		return f.GitHub.Expire(ctx, job, why)
	}
	return fmt.Errorf("no %s configured for this job", forgeName(job.Forge))
}

func forgeName(forge string) string {
	if forge == ForgeGitLab {
		return "GitLab"
	}
	return "GitHub App"
}
