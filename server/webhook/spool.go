package webhook

import (
	"context"
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

// DefaultRetention is how long a done job's key is remembered, so that a redelivery of its commit
// does not lint it again.
const DefaultRetention = 24 * time.Hour

// Spool is the queue of a single process, backed by a spool folder: a job is written to disk before
// it is accepted and removed when it is done, so that accepted work survives a restart. The key of a
// done job is kept (as an empty file under done/) for the retention.
type Spool struct {
	dir       string
	ch        chan *Job
	retention time.Duration
	mu        sync.Mutex
	pending   map[string]bool
	waiting   int // snoozed jobs, out of ch until their time
	now       func() time.Time
}

// OpenSpool opens (creating it if needed) the spool folder dir and returns a queue of the given
// capacity holding every job a previous run left unfinished, oldest first. Done jobs' keys are kept
// for retention (0: DefaultRetention; negative: not at all).
func OpenSpool(dir string, capacity int, retention time.Duration) (*Spool, error) {
	if capacity < 1 {
		capacity = 1
	}
	if retention == 0 {
		retention = DefaultRetention
	}
	if err := os.MkdirAll(filepath.Join(dir, "done"), 0o700); err != nil {
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
	q := &Spool{dir: dir, ch: make(chan *Job, max(capacity, len(resumed))), pending: map[string]bool{},
		retention: retention, now: time.Now}
	for _, j := range resumed {
		if !q.pending[j.Key] {
			q.pending[j.Key] = true
			q.ch <- j
		}
	}
	q.prune()
	return q, nil
}

func (q *Spool) name(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

func (q *Spool) path(key string) string { return filepath.Join(q.dir, q.name(key)+".json") }

func (q *Spool) donePath(key string) string { return filepath.Join(q.dir, "done", q.name(key)) }

// Add spools and queues j. It returns false without error when a job with the same key is pending
// or was done within the retention, and ErrQueueFull when there is no room.
func (q *Spool) Add(j *Job) (bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.pending[j.Key] || q.recentlyDone(j.Key) {
		return false, nil
	}
	if len(q.ch)+q.waiting >= cap(q.ch) {
		return false, ErrQueueFull
	}
	if err := q.spool(j); err != nil {
		return false, err
	}
	q.pending[j.Key] = true
	q.ch <- j // cannot block: there was room, and senders hold q.mu or own a waiting slot
	return true, nil
}

func (q *Spool) recentlyDone(key string) bool {
	if q.retention < 0 {
		return false
	}
	st, err := os.Stat(q.donePath(key))
	return err == nil && q.now().Sub(st.ModTime()) < q.retention
}

// prune forgets done keys older than the retention.
func (q *Spool) prune() {
	entries, _ := os.ReadDir(filepath.Join(q.dir, "done"))
	for _, e := range entries {
		if info, err := e.Info(); err == nil && q.now().Sub(info.ModTime()) >= q.retention {
			_ = os.Remove(filepath.Join(q.dir, "done", e.Name()))
		}
	}
}

// spool writes j to its file atomically (write, sync, rename).
func (q *Spool) spool(j *Job) error {
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
func (q *Spool) Save(j *Job) error {
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
func (q *Spool) Jobs() <-chan *Job { return q.ch }

// Done removes a finished job from the spool and remembers its key for the retention.
func (q *Spool) Done(j *Job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.pending, j.Key)
	if q.retention > 0 {
		if err := os.WriteFile(q.donePath(j.Key), nil, 0o600); err != nil {
			return fmt.Errorf("webhook: remember done job: %w", err)
		}
	}
	if err := os.Remove(q.path(j.Key)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("webhook: unspool job: %w", err)
	}
	return nil
}

// later puts a snoozed job back in line after d. It keeps its place in the capacity meanwhile.
func (q *Spool) later(ctx context.Context, j *Job, d time.Duration) {
	q.mu.Lock()
	q.waiting++
	q.mu.Unlock()
	go func() {
		err := sleepCtx(ctx, d)
		q.mu.Lock()
		q.waiting--
		if err == nil {
			q.ch <- j // room: the job held its slot while waiting
		}
		// When the process stops first, the job stays spooled and resumes at the next start.
		q.mu.Unlock()
	}()
}

// Depth returns the number of jobs waiting for a worker.
func (q *Spool) Depth() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.ch) + q.waiting
}

// Capacity returns how many jobs may wait.
func (q *Spool) Capacity() int { return cap(q.ch) }

// Stats implements Queue. The oldest job's age is not tracked by the spool (0).
func (q *Spool) Stats(context.Context) (QueueStats, error) {
	return QueueStats{Depth: q.Depth(), Capacity: q.Capacity()}, nil
}

// Run implements Queue: workers take jobs from the spool until ctx ends. A job in progress then is
// finished (each has its own time limit); a job not yet taken stays in the spool for the next start.
func (q *Spool) Run(ctx context.Context, r *Runner, workers int) error {
	var wg sync.WaitGroup
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	for w := 0; w < max(workers, 1); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case job := <-q.ch:
					q.run(ctx, r, job)
				}
			}
		}()
	}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-prune.C:
				q.mu.Lock()
				q.prune()
				q.mu.Unlock()
			}
		}
	}()
	wg.Wait()
	return nil
}

// run tries a job until it is done, failed for good or snoozed.
func (q *Spool) run(ctx context.Context, r *Runner, job *Job) {
	for attempt := 1; ; attempt++ {
		step := r.Attempt(ctx, job, attempt, Attempts)
		switch {
		case step.Snooze > 0:
			q.later(ctx, job, step.Snooze)
			return
		case step.Retry > 0:
			if sleepCtx(ctx, step.Retry) == nil {
				continue
			}
			return // stopping: the job stays spooled
		}
		if err := q.Done(job); err != nil {
			r.Log.Error().Err(err).Str("job", job.Key).Msg("could not remove the job from the spool")
		}
		return
	}
}
