package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"
	gitlab "gitlab.com/gitlab-org/api/client-go"

	"github.com/catalog-lint/catalog-lint/sentry"
)

// Attempts is how often a job is tried before it is given up (with its Check Run marked failed when
// GitHub allows). Waiting out a rate limit is not an attempt.
const Attempts = 3

// DefaultJobTimeout bounds one attempt at a job. With PostgreSQL, a job running longer than this plus
// a margin is taken to belong to a dead replica and is rescued by another one.
const DefaultJobTimeout = 20 * time.Second

// Runner is the job logic both queues share: it runs one attempt at a job and says what comes next
// (done, retry after a pause, or snooze until a rate limit resets).
type Runner struct {
	// Process runs a job to a completed Check Run.
	Process func(context.Context, *Job) error
	// Expire, when set, closes the Check Run of a job given up for its age.
	Expire  func(context.Context, *Job, string) error
	Log     zerolog.Logger
	Metrics *Metrics
	// Timeout bounds one attempt (0: DefaultJobTimeout); the queue's own limit, if shorter, wins.
	Timeout time.Duration
	// MaxAge gives up a job whose delivery is older than this when a worker takes it (0: no limit):
	// a backlog or a long rate limit must not publish results hours late.
	MaxAge time.Duration
	// Now is the clock (tests).
	Now func() time.Time
}

// Step is what comes after an attempt: nothing (the job is done, well or not), a retry after Retry,
// or a new try after Snooze that does not count as an attempt.
type Step struct {
	Retry, Snooze time.Duration
	Err           error
}

// SnoozeError asks for a job to be tried again after Wait without counting an attempt: GitHub or
// Sentry asked us to slow down.
type SnoozeError struct {
	Wait   time.Duration
	Reason string
}

func (e *SnoozeError) Error() string {
	return fmt.Sprintf("%s: waiting %s", e.Reason, e.Wait.Round(time.Second))
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Attempt runs attempt number attempt (of at most maxAttempts) at job.
func (r *Runner) Attempt(ctx context.Context, job *Job, attempt, maxAttempts int) Step {
	log := r.Log.With().Str("job", job.Key).Int("attempt", attempt).Logger()
	if age := r.now().Sub(job.Received); r.MaxAge > 0 && age > r.MaxAge {
		why := fmt.Sprintf("the job waited %s, longer than the %s allowed", age.Round(time.Second), r.MaxAge)
		log.Warn().Str("reason", why).Msg("job given up")
		if r.Expire != nil {
			ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			if err := r.Expire(ectx, job, why); err != nil {
				log.Warn().Err(err).Msg("could not close the check run of the expired job")
			}
			cancel()
		}
		r.record("expired", job)
		return Step{}
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultJobTimeout
	}
	// A job in progress when the process is asked to stop is finished, within its time limit.
	jobCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	jobCtx, _ = WithRateLimits(jobCtx)
	err := r.Process(jobCtx, job)
	cancel()
	if err == nil {
		r.record("completed", job)
		return Step{}
	}
	if wait, reason, ok := RateLimited(err, r.now()); ok {
		log.Info().Str("reason", reason).Dur("wait", wait).Msg("job snoozed")
		r.record("snoozed", nil)
		return Step{Snooze: wait, Err: err}
	}
	if attempt >= maxAttempts {
		log.Error().Err(err).Msg("job given up")
		r.record("failed", job)
		return Step{Err: err}
	}
	log.Warn().Err(err).Msg("job failed")
	r.record("retried", nil)
	return Step{Retry: time.Duration(attempt) * 2 * time.Second, Err: err}
}

// record counts an outcome; a finished job (job != nil) also gives its latency from delivery.
func (r *Runner) record(outcome string, job *Job) {
	if r.Metrics == nil {
		return
	}
	var d time.Duration
	if job != nil {
		d = r.now().Sub(job.Received)
	}
	r.Metrics.Job(outcome, d, job != nil)
}

// Rate limits met during a job, from any client: the job's context carries where to note them.
type rateLimitsKey struct{}

// RateLimits collects the rate limits a job met; the longest wait wins.
type RateLimits struct {
	mu     sync.Mutex
	wait   time.Duration
	reason string
}

// WithRateLimits returns a context under which NoteRateLimit records into the returned RateLimits.
func WithRateLimits(ctx context.Context) (context.Context, *RateLimits) {
	rl := &RateLimits{}
	return context.WithValue(ctx, rateLimitsKey{}, rl), rl
}

// NoteRateLimit records, for the job of ctx, that a service asked to wait d. Without a job (the
// CLI), it does nothing.
func NoteRateLimit(ctx context.Context, d time.Duration, reason string) {
	rl, _ := ctx.Value(rateLimitsKey{}).(*RateLimits)
	if rl == nil {
		return
	}
	rl.mu.Lock()
	if d > rl.wait {
		rl.wait, rl.reason = d, reason
	}
	rl.mu.Unlock()
}

// Limited returns the longest wait noted under ctx, if any.
func Limited(ctx context.Context) (time.Duration, string, bool) {
	rl, _ := ctx.Value(rateLimitsKey{}).(*RateLimits)
	if rl == nil {
		return 0, "", false
	}
	rl.mu.Lock()
	defer rl.mu.Unlock()
	return rl.wait, rl.reason, rl.wait > 0
}

// SecondaryLimitWait is what GitHub asks for after a secondary rate limit that names no time.
const SecondaryLimitWait = 60 * time.Second

// RateLimited says whether err is a rate limit (from GitHub, GitLab or Sentry, or a SnoozeError) and how long to wait.
func RateLimited(err error, now time.Time) (time.Duration, string, bool) {
	var se *SnoozeError
	if errors.As(err, &se) {
		return max(se.Wait, time.Second), se.Reason, true
	}
	var rle *github.RateLimitError
	if errors.As(err, &rle) {
		return max(rle.Rate.Reset.Time.Sub(now)+time.Second, time.Second), "GitHub rate limit", true
	}
	var abuse *github.AbuseRateLimitError
	if errors.As(err, &abuse) {
		if abuse.RetryAfter != nil && *abuse.RetryAfter > 0 {
			return *abuse.RetryAfter, "GitHub secondary rate limit", true
		}
		return SecondaryLimitWait, "GitHub secondary rate limit", true
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		if d, ok := githubLimitWait(er.Response, now); ok {
			return d, "GitHub rate limit", true
		}
	}
	var gle *gitlab.ErrorResponse
	if errors.As(err, &gle) && gle.Response != nil {
		if d, ok := gitlabLimitWait(gle.Response, now); ok {
			return d, "GitLab rate limit", true
		}
	}
	var ue *sentry.UnavailableError
	if errors.As(err, &ue) && ue.RetryAfter > 0 {
		return ue.RetryAfter, "Sentry rate limit", true
	}
	return 0, "", false
}

// githubLimitWait reads GitHub's rate-limit answer: 429, or 403 with Retry-After or no requests
// remaining. Retry-After wins, then X-RateLimit-Reset, else at least a minute.
func githubLimitWait(resp *http.Response, now time.Time) (time.Duration, bool) {
	h := resp.Header
	limited := resp.StatusCode == http.StatusTooManyRequests ||
		resp.StatusCode == http.StatusForbidden && (h.Get("Retry-After") != "" || h.Get("X-RateLimit-Remaining") == "0")
	if !limited {
		return 0, false
	}
	if s, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After"))); err == nil && s >= 0 {
		return max(time.Duration(s)*time.Second, time.Second), true
	}
	if h.Get("X-RateLimit-Remaining") == "0" {
		if reset, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			return max(time.Unix(reset, 0).Sub(now)+time.Second, time.Second), true
		}
	}
	return SecondaryLimitWait, true
}
