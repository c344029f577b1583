// Package webhook is catalog-lint's GitHub App server: it checks each delivery's signature before
// anything else, turns pushes and pull requests into lint jobs, and stores each accepted job (in a
// spool folder, or in PostgreSQL shared by every replica) before answering, until it is done.
package webhook

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Job is one lint to run: a commit of a repository, and what to compare it with.
type Job struct {
	// Key identifies the work: owner/repo@sha for a push, with "#pull_request" for a pull request and
	// "#rerun-DELIVERY" for a re-run asked for from GitHub. Deliveries with the same key are linted
	// once, while the job is pending and for the queue's retention after it is done. It is also the
	// Check Run's external ID.
	Key string `json:"key"`
	// Kind is push, pull_request or rerun (check_run and check_suite "rerequested").
	Kind         string    `json:"kind,omitempty"`
	Delivery     string    `json:"delivery"`
	Event        string    `json:"event"`
	Owner        string    `json:"owner"`
	Repo         string    `json:"repo"`
	HeadSHA      string    `json:"head_sha"`
	BaseSHA      string    `json:"base_sha,omitempty"`
	PullRequest  int       `json:"pull_request,omitempty"`
	Installation int64     `json:"installation"`
	Received     time.Time `json:"received"`
	// CheckRunID is the Check Run created for the job, once there is one: a job resumed after a
	// restart completes that run instead of leaving it in progress and starting another.
	CheckRunID int64 `json:"check_run_id,omitempty"`
	// CreatingCheckRun is recorded before the Check Run is asked for: a job resumed with it set and no
	// CheckRunID may have been stopped after GitHub created the run but before its ID was recorded, so
	// it looks for that run (by its external ID) before creating one.
	CreatingCheckRun bool `json:"creating_check_run,omitempty"`
	// Forge is where the repository lives: "" for GitHub, ForgeGitLab for GitLab, whose jobs name the
	// project by ProjectID (Owner is its namespace, Repo its path) and a merge request by its IID.
	Forge        string `json:"forge,omitempty"`
	ProjectID    int64  `json:"project_id,omitempty"`
	MergeRequest int64  `json:"merge_request,omitempty"`
	// resumed is set on a job taken up again after its replica died: a completed Check Run of its key
	// then means that replica finished the job but did not live to record it.
	resumed bool
}

// Kinds of job. A commit gets one Check Run per kind: pushes and pull requests compare it with
// different commits (and a pull request's may carry suggestions), and every re-run asked for in
// GitHub's interface lints again.
const (
	KindPush        = "push"
	KindPullRequest = "pull_request"
	KindRerun       = "rerun"
	// KindMergeRequest is a GitLab merge request's commit (its feedback: a note and discussions).
	KindMergeRequest = "merge_request"
)

// ForgeGitLab marks a GitLab job.
const ForgeGitLab = "gitlab"

func jobKey(owner, repo, sha string) string { return strings.ToLower(owner+"/"+repo) + "@" + sha }

// keyFor returns the job key of a kind; a re-run's names its delivery (sanitized: the header is the
// sender's, though only a signed delivery gets this far).
func keyFor(owner, repo, sha, kind, delivery string) string {
	key := jobKey(owner, repo, sha)
	switch kind {
	case KindPullRequest:
		key += "#pull_request"
	case KindRerun:
		d := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r == '-' {
				return r
			}
			return -1
		}, strings.ToLower(delivery))
		key += "#rerun-" + truncate(d, 64)
	}
	return key
}

// ErrQueueFull means the queue holds as many jobs as it may; the delivery should be refused (503) so
// that GitHub records a failed delivery that can be redelivered, rather than dropped.
var ErrQueueFull = errors.New("webhook: the job queue is full")

// Queue stores accepted jobs until they are done and hands them to workers. Its two implementations
// are the spool folder of a single process (Spool) and PostgreSQL shared by every replica
// (RiverQueue); the job logic itself, Runner, is the same for both.
type Queue interface {
	// Add stores j durably before it returns. It returns false without error when a job with the
	// same key is pending or was done within the retention, ErrQueueFull when there is no room, and
	// another error when the job could not be stored (the delivery must then be refused).
	Add(j *Job) (added bool, err error)
	// Save records a pending job's progress (its Check Run), so that a job resumed elsewhere or after
	// a restart completes the same run.
	Save(j *Job) error
	// Run hands jobs to r with at most workers at once until ctx ends, then waits for the jobs in
	// progress.
	Run(ctx context.Context, r *Runner, workers int) error
	// Stats says how much waits, for /metrics and /readyz.
	Stats(ctx context.Context) (QueueStats, error)
}

// QueueStats describes the jobs waiting for a worker.
type QueueStats struct {
	// Depth is the number of jobs waiting (snoozed and retrying ones included), Capacity how many may.
	Depth, Capacity int
	// Oldest is how long the oldest waiting job has waited since its delivery (0: none waits).
	Oldest time.Duration
}
