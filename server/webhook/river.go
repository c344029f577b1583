package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// RiverConfig configures the PostgreSQL queue.
type RiverConfig struct {
	// Capacity bounds the jobs waiting (across every replica); beyond it deliveries get 503.
	Capacity int
	// Retention is how long a done job is kept, and with it the key that makes a redelivery of its
	// commit a duplicate (0: DefaultRetention).
	Retention time.Duration
	// JobTimeout bounds one attempt (0: DefaultJobTimeout). A job running for JobTimeout plus
	// RescueMargin is taken to belong to a dead replica and is handed to another one.
	JobTimeout time.Duration
	// Workers is the number of jobs this replica runs at once (default 4).
	Workers int
	// LogWriter receives River's own warnings and errors as JSON lines (nil: discarded).
	LogWriter io.Writer
	// InsertTimeout bounds the storing of a delivery's job (default 3 s): a database that does not
	// answer makes the delivery fail fast with 503 rather than time out at GitHub.
	InsertTimeout time.Duration
}

// RescueMargin is added to the job timeout before a running job is taken for stuck. River's
// rescuer looks every 30 s, so a dead replica's job runs again within JobTimeout + 5 s + 30 s
// (55 s with the default timeout) plus a 2 s retry delay.
const RescueMargin = 5 * time.Second

// riverKind is the River job kind of a lint job.
const riverKind = "catalog_lint"

// lintArgs is a lint job as River stores it. Uniqueness is by Key alone (repository, commit and
// kind), in every state but cancelled and discarded: a redelivery while the job waits, runs or
// after it completed (within the retention) is a duplicate.
type lintArgs struct {
	Key string `json:"key" river:"unique"`
	Job Job    `json:"job"`
}

func (lintArgs) Kind() string { return riverKind }

// RiverQueue is the queue shared by every replica, on PostgreSQL with River: a delivery's job is
// inserted before the delivery is answered, any replica's worker takes it, and a job whose replica
// died is rescued by another. A job's progress (its Check Run) is kept in a table of ours,
// catalog_lint_job_progress, so that whoever resumes the job completes the same run.
type RiverQueue struct {
	pool     *pgxpool.Pool
	driver   *riverpgxv5.Driver
	inserter *river.Client[pgx.Tx]
	cfg      RiverConfig
	logger   *slog.Logger
	runner   *Runner
}

// OpenRiver connects to databaseURL, migrates the database (River's tables and ours, one replica at
// a time) and returns the queue. It fails when the database cannot be reached: a replica that
// cannot store jobs must not report ready.
func OpenRiver(ctx context.Context, databaseURL string, cfg RiverConfig) (*RiverQueue, error) {
	if cfg.Capacity < 1 {
		cfg.Capacity = 1
	}
	if cfg.Retention == 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = DefaultJobTimeout
	}
	if cfg.Workers < 1 {
		cfg.Workers = 4
	}
	if cfg.InsertTimeout <= 0 {
		cfg.InsertTimeout = 3 * time.Second
	}
	pc, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		// pgx's parse errors can quote the URL, password included: say only what is wrong.
		return nil, errors.New("webhook: DATABASE_URL is not a valid PostgreSQL connection string")
	}
	// River holds one connection to listen, and one per producer and completer; each worker and each
	// delivery being stored need one more at times.
	pc.MaxConns = int32(cfg.Workers + 8)
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("webhook: database: %w", err)
	}
	q := &RiverQueue{pool: pool, driver: riverpgxv5.New(pool), cfg: cfg,
		logger: slog.New(slog.NewJSONHandler(cmpWriter(cfg.LogWriter), &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if err := q.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &lintWorker{q: q})
	// An insert-only client: the workers run in the client Run starts.
	if q.inserter, err = river.NewClient(q.driver, &river.Config{Workers: workers, Logger: q.logger}); err != nil {
		pool.Close()
		return nil, fmt.Errorf("webhook: job queue: %w", err)
	}
	return q, nil
}

func cmpWriter(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// migrationLock is the advisory lock under which replicas migrate, one at a time.
const migrationLock = 0x636c696e74 // "clint"

const progressTable = `CREATE TABLE IF NOT EXISTS catalog_lint_job_progress (
	key text PRIMARY KEY,
	check_run_id bigint NOT NULL DEFAULT 0,
	creating_check_run boolean NOT NULL DEFAULT false,
	updated_at timestamptz NOT NULL DEFAULT now()
)`

// migrate brings River's schema and our table up to date under a session advisory lock: replicas
// starting together wait for each other instead of racing on the same DDL (River's migrations run
// one transaction each, as some cannot share one). The lock goes with the session if a replica dies.
func (q *RiverQueue) migrate(ctx context.Context) error {
	conn, err := q.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("webhook: database: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(migrationLock)); err != nil {
		return fmt.Errorf("webhook: migrate: %w", err)
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(migrationLock))
	}()
	migrator, err := rivermigrate.New(q.driver, &rivermigrate.Config{Logger: q.logger})
	if err != nil {
		return fmt.Errorf("webhook: migrate: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("webhook: migrate River: %w", err)
	}
	if _, err := conn.Exec(ctx, progressTable); err != nil {
		return fmt.Errorf("webhook: migrate: %w", err)
	}
	// Progress of jobs that ended without cleaning up (discarded by the rescuer) is of no use.
	if _, err := conn.Exec(ctx, "DELETE FROM catalog_lint_job_progress WHERE updated_at < now() - interval '7 days'"); err != nil {
		return fmt.Errorf("webhook: migrate: %w", err)
	}
	return nil
}

// Close closes the database connections.
func (q *RiverQueue) Close() { q.pool.Close() }

// Add implements Queue: the job is in the database when Add returns true.
func (q *RiverQueue) Add(j *Job) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), q.cfg.InsertTimeout)
	defer cancel()
	st, err := q.Stats(ctx)
	if err != nil {
		return false, err
	}
	if st.Depth >= q.cfg.Capacity {
		return false, ErrQueueFull
	}
	res, err := q.inserter.Insert(ctx, lintArgs{Key: j.Key, Job: *j}, &river.InsertOpts{
		MaxAttempts: Attempts + 1, // a rescue after a replica died counts as an attempt
		UniqueOpts:  river.UniqueOpts{ByArgs: true},
	})
	if err != nil {
		return false, fmt.Errorf("webhook: store job: %w", err)
	}
	return !res.UniqueSkippedAsDuplicate, nil
}

// Save implements Queue: it records the job's Check Run for whoever resumes it.
func (q *RiverQueue) Save(j *Job) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := q.pool.Exec(ctx, `INSERT INTO catalog_lint_job_progress (key, check_run_id, creating_check_run, updated_at)
VALUES ($1, $2, $3, now())
ON CONFLICT (key) DO UPDATE SET check_run_id = excluded.check_run_id, creating_check_run = excluded.creating_check_run, updated_at = now()`,
		j.Key, j.CheckRunID, j.CreatingCheckRun)
	if err != nil {
		return fmt.Errorf("webhook: save job progress: %w", err)
	}
	return nil
}

func (q *RiverQueue) load(ctx context.Context, j *Job) error {
	err := q.pool.QueryRow(ctx, "SELECT check_run_id, creating_check_run FROM catalog_lint_job_progress WHERE key = $1", j.Key).
		Scan(&j.CheckRunID, &j.CreatingCheckRun)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	return err
}

func (q *RiverQueue) forget(ctx context.Context, key string) error {
	_, err := q.pool.Exec(ctx, "DELETE FROM catalog_lint_job_progress WHERE key = $1", key)
	return err
}

// Stats implements Queue, for every replica at once.
func (q *RiverQueue) Stats(ctx context.Context) (QueueStats, error) {
	var depth int
	var oldest float64
	err := q.pool.QueryRow(ctx, `SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8
FROM river_job WHERE kind = $1 AND state IN ('available', 'pending', 'retryable', 'scheduled')`, riverKind).Scan(&depth, &oldest)
	if err != nil {
		return QueueStats{}, fmt.Errorf("webhook: queue stats: %w", err)
	}
	return QueueStats{Depth: depth, Capacity: q.cfg.Capacity, Oldest: time.Duration(oldest * float64(time.Second))}, nil
}

// Run implements Queue: this replica's workers take jobs until ctx ends, then finish those in
// progress (for at most the job timeout; what is left is rescued by another replica).
func (q *RiverQueue) Run(ctx context.Context, r *Runner, workers int) error {
	q.runner = r
	if r.Timeout <= 0 {
		r.Timeout = q.cfg.JobTimeout
	}
	var client *river.Client[pgx.Tx]
	// The database may be away as the replica starts: River's producers do not start without it, so
	// try again until they do (once running, River rides out an outage on its own).
	for wait := time.Second; ; wait = min(2*wait, 30*time.Second) {
		var err error
		if client, err = q.newWorkerClient(workers); err != nil {
			return err
		}
		if err = client.Start(context.WithoutCancel(ctx)); err == nil {
			break
		}
		stop, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = client.StopAndCancel(stop)
		cancel()
		r.Log.Warn().Err(err).Dur("retry_in", wait).Msg("the job queue's workers could not start")
		if sleepCtx(ctx, wait) != nil {
			return nil
		}
	}
	<-ctx.Done()
	stop, cancel := context.WithTimeout(context.Background(), q.cfg.JobTimeout)
	defer cancel()
	if err := client.Stop(stop); err != nil {
		// What is still running is cancelled; the rescuer hands it to another replica.
		hard, cancelHard := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancelHard()
		_ = client.StopAndCancel(hard)
	}
	return nil
}

func (q *RiverQueue) newWorkerClient(workers int) (*river.Client[pgx.Tx], error) {
	ws := river.NewWorkers()
	river.AddWorker(ws, &lintWorker{q: q})
	client, err := river.NewClient(q.driver, &river.Config{
		Queues:                      map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: max(workers, 1)}},
		Workers:                     ws,
		JobTimeout:                  q.cfg.JobTimeout,
		RescueStuckJobsAfter:        q.cfg.JobTimeout + RescueMargin,
		CompletedJobRetentionPeriod: q.cfg.Retention,
		RetryPolicy:                 retryPolicy{},
		Logger:                      q.logger,
		FetchCooldown:               20 * time.Millisecond,
	})
	if err != nil {
		return nil, fmt.Errorf("webhook: job queue: %w", err)
	}
	return client, nil
}

// retryPolicy retries a failed attempt (or a rescued job) after 2 s per attempt made, as the spool does.
type retryPolicy struct{}

func (retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(time.Duration(max(job.Attempt, 1)) * 2 * time.Second)
}

// lintWorker runs lint jobs from River with the shared Runner.
type lintWorker struct {
	river.WorkerDefaults[lintArgs]
	q *RiverQueue
}

func (w *lintWorker) Work(ctx context.Context, rj *river.Job[lintArgs]) error {
	r := w.q.runner
	if r == nil {
		return river.JobSnooze(time.Second) // cannot happen: only Run's client works
	}
	job := rj.Args.Job
	if err := w.q.load(ctx, &job); err != nil {
		return fmt.Errorf("load job progress: %w", err)
	}
	if rj.Attempt > 1 && job.CheckRunID == 0 {
		// An earlier attempt may have created the run, or even completed it, without living to
		// record it: look for the run by its external ID before doing anything.
		job.CreatingCheckRun, job.resumed = true, true
	}
	step := r.Attempt(ctx, &job, rj.Attempt, rj.MaxAttempts)
	switch {
	case step.Snooze > 0:
		return river.JobSnooze(step.Snooze)
	case step.Retry > 0:
		return step.Err
	}
	if err := w.q.forget(context.WithoutCancel(ctx), job.Key); err != nil {
		r.Log.Warn().Err(err).Str("job", job.Key).Msg("could not clear the job's progress")
	}
	if step.Err != nil {
		return river.JobCancel(step.Err) // given up: a redelivery may try again
	}
	return nil
}
