package webhook

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Attempts is how often a job is tried before it is given up (with its Check Run marked failed when
// GitHub allows).
const Attempts = 3

// Work runs workers that take jobs from q and process them until ctx ends. A job in progress then is
// finished (each has its own time limit); a job not yet taken stays in the spool for the next start.
// Work returns when every worker has stopped.
func Work(ctx context.Context, q *Queue, process func(context.Context, *Job) error, workers int, log zerolog.Logger, metrics *Metrics) {
	var wg sync.WaitGroup
	for w := 0; w < max(workers, 1); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case job := <-q.Jobs():
					runJob(ctx, q, process, job, log, metrics)
				}
			}
		}()
	}
	wg.Wait()
}

func runJob(ctx context.Context, q *Queue, process func(context.Context, *Job) error, job *Job, log zerolog.Logger, metrics *Metrics) {
	jobCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	defer cancel()
	var err error
	for attempt := 1; attempt <= Attempts; attempt++ {
		if err = process(jobCtx, job); err == nil {
			break
		}
		log.Warn().Err(err).Str("job", job.Key).Int("attempt", attempt).Msg("job failed")
		if attempt < Attempts && sleepCtx(jobCtx, time.Duration(attempt)*2*time.Second) != nil {
			break
		}
	}
	outcome := "completed"
	if err != nil {
		outcome = "failed"
		log.Error().Err(err).Str("job", job.Key).Msg("job given up")
	}
	if metrics != nil {
		metrics.Job(outcome, time.Since(job.Received))
	}
	if derr := q.Done(job); derr != nil {
		log.Error().Err(derr).Str("job", job.Key).Msg("could not remove the job from the spool")
	}
}
