// Package webhook is catalog-lint's GitHub App server: it checks each delivery's signature before
// anything else, turns pushes and pull requests into lint jobs, and keeps accepted jobs on disk until
// they are done.
package webhook

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Job is one lint to run: a commit of a repository, and what to compare it with.
type Job struct {
	// Key identifies the work: owner/repo@sha. Deliveries with the same key while a job is pending
	// are linted once.
	Key          string    `json:"key"`
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
}

func jobKey(owner, repo, sha string) string { return strings.ToLower(owner+"/"+repo) + "@" + sha }

// ErrQueueFull means the queue holds as many jobs as it may; the delivery should be refused (503) so
// that GitHub records a failed delivery that can be redelivered, rather than dropped.
var ErrQueueFull = errors.New("webhook: the job queue is full")

// Queue is a bounded job queue backed by a spool folder: a job is written to disk before it is
// accepted and removed when it is done, so that accepted work survives a restart.
type Queue struct {
	dir     string
	ch      chan *Job
	mu      sync.Mutex
	pending map[string]bool
}

// OpenQueue opens (creating it if needed) the spool folder dir and returns a queue of the given
// capacity holding every job a previous run left unfinished, oldest first.
func OpenQueue(dir string, capacity int) (*Queue, error) {
	if capacity < 1 {
		capacity = 1
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("webhook: spool folder: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("webhook: spool folder: %w", err)
	}
	var resumed []*Job
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".json") {
			if strings.HasSuffix(name, ".tmp") {
				_ = os.Remove(filepath.Join(dir, name)) // a write interrupted before its rename
			}
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("webhook: spool folder: %w", err)
		}
		var j Job
		if err := json.Unmarshal(data, &j); err != nil || j.Key == "" {
			// Not ours or damaged: keep it aside rather than crash or lose it silently.
			_ = os.Rename(filepath.Join(dir, name), filepath.Join(dir, name+".bad"))
			continue
		}
		resumed = append(resumed, &j)
	}
	sort.SliceStable(resumed, func(a, b int) bool { return resumed[a].Received.Before(resumed[b].Received) })
	q := &Queue{dir: dir, ch: make(chan *Job, max(capacity, len(resumed))), pending: map[string]bool{}}
	for _, j := range resumed {
		if !q.pending[j.Key] {
			q.pending[j.Key] = true
			q.ch <- j
		}
	}
	return q, nil
}

func (q *Queue) path(key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(q.dir, hex.EncodeToString(sum[:16])+".json")
}

// Add spools and queues j. It returns false without error when a job with the same key is already
// pending, and ErrQueueFull when there is no room.
func (q *Queue) Add(j *Job) (bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.pending[j.Key] {
		return false, nil
	}
	if len(q.ch) == cap(q.ch) {
		return false, ErrQueueFull
	}
	if err := q.spool(j); err != nil {
		return false, err
	}
	q.pending[j.Key] = true
	q.ch <- j // cannot block: there was room, and only Add sends, under q.mu
	return true, nil
}

// spool writes j to its file atomically (write, sync, rename).
func (q *Queue) spool(j *Job) error {
	data, err := json.Marshal(j)
	if err != nil {
		return err
	}
	final := q.path(j.Key)
	tmp := final + ".tmp"
	if err := writeSynced(tmp, data); err != nil {
		return fmt.Errorf("webhook: spool job: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("webhook: spool job: %w", err)
	}
	return nil
}

// Save rewrites a pending job's spool file, to record progress such as its Check Run.
func (q *Queue) Save(j *Job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.pending[j.Key] {
		return nil // already done
	}
	return q.spool(j)
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Jobs delivers queued jobs to workers.
func (q *Queue) Jobs() <-chan *Job { return q.ch }

// Done removes a finished job from the spool; a new delivery with its key is then a new job.
func (q *Queue) Done(j *Job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.pending, j.Key)
	if err := os.Remove(q.path(j.Key)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("webhook: unspool job: %w", err)
	}
	return nil
}

// Depth returns the number of jobs waiting for a worker.
func (q *Queue) Depth() int { return len(q.ch) }

// Capacity returns how many jobs may wait.
func (q *Queue) Capacity() int { return cap(q.ch) }
