package webhook

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"

	"github.com/catalog-lint/catalog-lint/integrations"
	"github.com/catalog-lint/catalog-lint/sentry"
)

func openRiver(t *testing.T, databaseURL string, cfg RiverConfig) *RiverQueue {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	q, err := OpenRiver(ctx, databaseURL, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.Close)
	return q
}

// run starts q's workers with r until the test ends.
func run(t *testing.T, q Queue, r *Runner, workers int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = q.Run(ctx, r, workers); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func jobStates(t *testing.T, q *RiverQueue) map[string]int {
	t.Helper()
	rows, err := q.pool.Query(context.Background(), "SELECT state::text, count(*) FROM river_job GROUP BY state")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		out[s] = n
	}
	return out
}

// TestRiverUniqueJobs: a commit's job is stored once per kind, while it waits and after it is done;
// every re-run asked for is a job of its own.
func TestRiverUniqueJobs(t *testing.T) {
	q := openRiver(t, testDatabase(t), RiverConfig{Capacity: 100})
	job := pushJob(headSHA)
	job.Received = time.Now()
	for i, want := range []bool{true, false} {
		if added, err := q.Add(job); added != want || err != nil {
			t.Fatalf("add %d: %v %v, want %v", i, added, err, want)
		}
	}
	var mu sync.Mutex
	processed := map[string]int{}
	run(t, q, &Runner{Process: func(_ context.Context, j *Job) error {
		mu.Lock()
		processed[j.Key]++
		mu.Unlock()
		return nil
	}, Log: zerolog.Nop()}, 2)
	waitFor(t, func() bool { return jobStates(t, q)["completed"] == 1 })
	if added, err := q.Add(job); added || err != nil {
		t.Errorf("a redelivery after completion: added %v %v, want a duplicate", added, err)
	}
	rerun1, rerun2, pr := *job, *job, *job
	rerun1.Key = keyFor("o", "r", headSHA, KindRerun, "d-1")
	rerun2.Key = keyFor("o", "r", headSHA, KindRerun, "d-2")
	pr.Key = keyFor("o", "r", headSHA, KindPullRequest, "")
	for _, j := range []*Job{&rerun1, &rerun2, &pr} {
		if added, err := q.Add(j); !added || err != nil {
			t.Errorf("%s: added %v %v", j.Key, added, err)
		}
	}
	if added, _ := q.Add(&rerun1); added {
		t.Error("the same re-run delivery twice must be one job")
	}
	waitFor(t, func() bool { return jobStates(t, q)["completed"] == 4 })
	mu.Lock()
	defer mu.Unlock()
	for key, n := range processed {
		if n != 1 {
			t.Errorf("%s processed %d times", key, n)
		}
	}
	if len(processed) != 4 {
		t.Errorf("processed %v", processed)
	}
}

// TestRiverMigrationsRace: replicas starting together on an empty database all come up.
func TestRiverMigrationsRace(t *testing.T) {
	dbURL := testDatabase(t)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			q, err := OpenRiver(context.Background(), dbURL, RiverConfig{Capacity: 10})
			if err == nil {
				_, err = q.Add(pushJob(fmt.Sprintf("%040x", i+1)))
				q.Close()
			}
			errs[i] = err
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
}

// TestRiverSnoozesOnGitHubRateLimit: GitHub's primary rate limit on creating the Check Run snoozes
// the job until X-RateLimit-Reset; the snooze is not an attempt, and the job then completes one run.
func TestRiverSnoozesOnGitHubRateLimit(t *testing.T) {
	q := openRiver(t, testDatabase(t), RiverConfig{Capacity: 10})
	g := newFakeGitHub(t, map[string]string{"svc/catalog-info.yaml": component("svc", "payments")})
	var limited atomic.Int32
	g.intercept = func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPost && r.URL.Path == "/repos/o/r/check-runs" && limited.Add(1) <= 2 {
			w.Header().Set("X-RateLimit-Limit", "5000")
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"message":"API rate limit exceeded for installation ID 234.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}`)
			return true
		}
		return false
	}
	p := processor(t, g, nil)
	p.Save = q.Save
	metrics := NewMetrics()
	run(t, q, &Runner{Process: p.Process, Log: zerolog.Nop(), Metrics: metrics}, 1)
	job := pushJob(headSHA)
	job.Received = time.Now()
	if added, err := q.Add(job); !added || err != nil {
		t.Fatal(added, err)
	}
	waitFor(t, func() bool { return jobStates(t, q)["completed"] == 1 })
	var attempt int
	if err := q.pool.QueryRow(context.Background(), "SELECT attempt FROM river_job").Scan(&attempt); err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	runs := len(g.runs)
	g.mu.Unlock()
	if final := g.final(t, 1); final.GetConclusion() != "success" || runs != 1 || attempt != 1 {
		t.Errorf("conclusion %s, %d runs, attempt %d (want success, 1, 1)", final.GetConclusion(), runs, attempt)
	}
	if n := testCounter(t, metrics, `catalog_lint_jobs_total{outcome="snoozed"}`); n < 1 {
		t.Errorf("snoozed %v times", n)
	}
}

func testCounter(t *testing.T, m *Metrics, series string) float64 {
	t.Helper()
	w := httptest.NewRecorder()
	m.handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	for _, line := range strings.Split(w.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// TestSentryRateLimitSnoozes: when Sentry's rate limit leaves projects unverified, the job waits
// for the reset (its Check Run in progress, saying why) instead of publishing "could not verify",
// then completes with Sentry's real answer. The spool shares the logic.
func TestSentryRateLimitSnoozes(t *testing.T) {
	g := newFakeGitHub(t, map[string]string{"svc/catalog-info.yaml": component("svc", "payments")})
	s := sentryWith(t)
	var calls atomic.Int32
	s.Fail = func(r *http.Request, n int) int {
		if calls.Add(1) <= 3 {
			return http.StatusTooManyRequests
		}
		return 0
	}
	c, err := sentry.NewClient(sentry.Config{BaseURL: s.URL, Token: "sntryu_server", Attempts: 3,
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	p := processor(t, g, nil)
	p.Sentry = func(string) integrations.Service {
		return integrations.NewSentryService(sentry.NewIndex(c), "acme")
	}
	q, err := OpenSpool(t.TempDir(), 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	p.Save = q.Save
	metrics := NewMetrics()
	run(t, q, &Runner{Process: p.Process, Log: zerolog.Nop(), Metrics: metrics}, 1)
	job := pushJob(headSHA)
	job.Received = time.Now()
	if ok, err := q.Add(job); !ok || err != nil {
		t.Fatal(ok, err)
	}
	waitFor(t, func() bool { return testCounter(t, metrics, `catalog_lint_jobs_total{outcome="completed"}`) == 1 })
	g.mu.Lock()
	ups := g.updates[1]
	g.mu.Unlock()
	if len(ups) < 2 || ups[0].GetStatus() != "in_progress" || ups[0].GetOutput().GetTitle() != "Waiting for a rate limit" {
		t.Fatalf("updates %+v", ups)
	}
	if final := g.final(t, 1); final.GetConclusion() != "success" {
		t.Errorf("conclusion %s: %s", final.GetConclusion(), final.GetOutput().GetSummary())
	}
}

// TestRateLimitedReadsGitHub: the waits come from GitHub's own answers, as go-github reports them.
func TestRateLimitedReadsGitHub(t *testing.T) {
	reset := time.Now().Add(90 * time.Second).Truncate(time.Second)
	tests := []struct {
		name   string
		status int
		header map[string]string
		body   string
		min    time.Duration
		max    time.Duration
	}{
		{"primary", 403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(reset.Unix(), 10)},
			`{"message":"API rate limit exceeded"}`, 80 * time.Second, 92 * time.Second},
		{"secondary with Retry-After", 403, map[string]string{"Retry-After": "120"},
			`{"message":"You have exceeded a secondary rate limit","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`,
			120 * time.Second, 120 * time.Second},
		{"secondary without a time", 403, nil,
			`{"message":"You have exceeded a secondary rate limit","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`,
			60 * time.Second, 60 * time.Second},
		{"429", 429, nil, `{"message":"Too many requests"}`, 60 * time.Second, 60 * time.Second},
		{"a plain 403 is not a limit", 403, nil, `{"message":"Resource not accessible by integration"}`, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			}))
			defer srv.Close()
			gh := github.NewClient(nil)
			gh.BaseURL, _ = gh.BaseURL.Parse(srv.URL + "/")
			_, _, err := gh.Repositories.Get(context.Background(), "o", "r")
			wait, _, ok := RateLimited(fmt.Errorf("create check run: %w", err), time.Now())
			if ok != (tt.max > 0) || wait < tt.min || wait > tt.max {
				t.Errorf("wait %v %v (%v), want %v..%v", wait, ok, err, tt.min, tt.max)
			}
		})
	}
}

// TestRiverDatabaseDown: while the database is away, deliveries get 503 (GitHub keeps them as
// failed, to redeliver) and /readyz says not ready; once it is back, both recover on their own, and
// the jobs stored before and after are done. The database's password appears in no answer and no log.
func TestRiverDatabaseDown(t *testing.T) {
	dbURL := testDatabase(t)
	proxy := newTCPProxy(t, hostOf(t, dbURL))
	var logs strings.Builder
	var logMu sync.Mutex
	logw := writerFunc(func(p []byte) (int, error) { logMu.Lock(); defer logMu.Unlock(); return logs.Write(p) })
	q := openRiver(t, proxy.via(t, dbURL), RiverConfig{Capacity: 100, InsertTimeout: 2 * time.Second, LogWriter: logw})
	log := zerolog.New(logw)
	s, err := NewServer(Config{Secret: secret, AppID: 1, Queue: q, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	var done sync.Map
	run(t, q, &Runner{Process: func(_ context.Context, j *Job) error { done.Store(j.HeadSHA, true); return nil }, Log: log}, 2)
	push := func(n int) *httptest.ResponseRecorder {
		body := pushPayload("refs/heads/main", baseSHA, fmt.Sprintf("%040x", n))
		return deliver(s, "push", body, sign(body), "")
	}
	get := func(path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		return w
	}
	if w := push(1); w.Code != 202 {
		t.Fatalf("before: %d %s", w.Code, w.Body.String())
	}
	waitFor(t, func() bool { _, ok := done.Load(fmt.Sprintf("%040x", 1)); return ok })
	proxy.cut()
	start := time.Now()
	if w := push(2); w.Code != 503 || !strings.Contains(w.Body.String(), "queue_unavailable") {
		t.Errorf("database away: %d %s", w.Code, w.Body.String())
	}
	t.Logf("503 after %v", time.Since(start).Round(time.Millisecond))
	if w := get("/readyz"); w.Code != 503 {
		t.Errorf("readyz with the database away: %d", w.Code)
	}
	if m := get("/metrics").Body.String(); !strings.Contains(m, "catalog_lint_queue_up 0") {
		t.Errorf("metrics must say the queue is down:\n%s", m)
	}
	proxy.restore()
	waitFor(t, func() bool { return push(2).Code == 202 })
	if w := get("/readyz"); w.Code != 200 {
		t.Errorf("readyz after recovery: %d", w.Code)
	}
	defer func() {
		if t.Failed() {
			logMu.Lock()
			t.Logf("states %v\n%s", jobStates(t, q), logs.String())
			logMu.Unlock()
		}
	}()
	waitFor(t, func() bool {
		_, ok := done.Load(fmt.Sprintf("%040x", 2))
		return ok
	})
	password, _ := urlPassword(dbURL)
	logMu.Lock()
	defer logMu.Unlock()
	if password == "" || strings.Contains(logs.String(), password) {
		t.Errorf("the database password must not be logged (password set: %v)", password != "")
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func urlPassword(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return "", false
	}
	return u.User.Password()
}

// TestRiverWorkersStartWhenDatabaseReturns: a replica whose database goes away just as its workers
// start keeps trying, and works the stored jobs once the database is back.
func TestRiverWorkersStartWhenDatabaseReturns(t *testing.T) {
	dbURL := testDatabase(t)
	proxy := newTCPProxy(t, hostOf(t, dbURL))
	q := openRiver(t, proxy.via(t, dbURL), RiverConfig{Capacity: 10})
	if added, err := q.Add(pushJob(headSHA)); !added || err != nil {
		t.Fatal(added, err)
	}
	proxy.cut()
	var done atomic.Bool
	run(t, q, &Runner{Process: func(context.Context, *Job) error { done.Store(true); return nil }, Log: zerolog.Nop()}, 1)
	time.Sleep(500 * time.Millisecond)
	proxy.restore()
	waitFor(t, done.Load)
}

// TestResumedJobAlreadyDone: a replica completed a job's Check Run and died before the queue
// recorded the job as done; the replica that takes the job up finds the completed run by its
// external ID and creates no second one.
func TestResumedJobAlreadyDone(t *testing.T) {
	g := newFakeGitHub(t, map[string]string{"svc/catalog-info.yaml": component("svc", "payments")})
	job := pushJob(headSHA)
	g.runs[1], g.runExt[1] = headSHA, job.Key
	g.updates[1] = []github.UpdateCheckRunOptions{{Status: github.String("completed"), Conclusion: github.String("success")}}
	job.CreatingCheckRun, job.resumed = true, true
	if err := processor(t, g, nil).Process(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.runs) != 1 || len(g.updates[1]) != 1 {
		t.Errorf("%d runs, %d updates of the completed one (want 1, 1)", len(g.runs), len(g.updates[1]))
	}
}

// TestExpiredJobTimesOut: a job older than MaxAge when a worker takes it is not linted; its Check
// Run is completed timed_out, saying why, so that a required check does not wait forever.
func TestExpiredJobTimesOut(t *testing.T) {
	g := newFakeGitHub(t, map[string]string{"svc/catalog-info.yaml": component("svc", "payments")})
	p := processor(t, g, nil)
	metrics := NewMetrics()
	r := &Runner{Process: p.Process, Expire: p.Expire, Log: zerolog.Nop(), Metrics: metrics, MaxAge: time.Hour}
	job := pushJob(headSHA)
	job.Received = time.Now().Add(-2 * time.Hour)
	if step := r.Attempt(context.Background(), job, 1, Attempts); step.Retry != 0 || step.Snooze != 0 || step.Err != nil {
		t.Fatalf("step %+v", step)
	}
	g.mu.Lock()
	blobs, runs := len(g.blobsServed), len(g.runs)
	g.mu.Unlock()
	final := g.final(t, 1)
	if runs != 1 || blobs != 0 || final.GetConclusion() != "timed_out" || !strings.Contains(final.GetOutput().GetSummary(), "longer than the 1h0m0s allowed") {
		t.Errorf("%d runs, %d blobs, %s: %s", runs, blobs, final.GetConclusion(), final.GetOutput().GetSummary())
	}
	if n := testCounter(t, metrics, `catalog_lint_jobs_total{outcome="expired"}`); n != 1 {
		t.Errorf("expired %v", n)
	}
}
