package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/catalog-lint/catalog-lint/cmd/catalog-lint/cli"
	"github.com/catalog-lint/catalog-lint/server/webhook"
)

// runServe is `catalog-lint serve`: the GitHub App's webhook server.
func runServe(args []string, stdout, stderr io.Writer, deps cli.Deps) int {
	env := deps.Env
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", ":8080", "address to listen on")
	dataDir := fs.String("data-dir", "./data", "folder where accepted jobs are kept until done (without a database)")
	databaseURL := fs.String("database-url", "", "PostgreSQL connection string: the job queue shared by every replica (default: $DATABASE_URL; none: the spool folder of --data-dir)")
	workers := fs.Int("workers", 4, "jobs processed at once (by this replica)")
	queueSize := fs.Int("queue-size", 1000, "jobs that may wait (across replicas); beyond, deliveries get 503 and can be redelivered")
	jobTimeout := fs.Duration("job-timeout", webhook.DefaultJobTimeout, "longest attempt at a job; with a database, a job running longer than this plus "+webhook.RescueMargin.String()+" is rescued by another replica")
	maxJobAge := fs.Duration("max-job-age", time.Hour, "a job whose delivery is older than this when a worker takes it is given up, its Check Run timed out (0: no limit)")
	retention := fs.Duration("job-retention", webhook.DefaultRetention, "how long a done job is remembered: a redelivery of its commit within it is a duplicate")
	debug := fs.Bool("debug", false, "log at debug level")
	suggestions := fs.Bool("suggestions", false, "on pull requests, post one review per commit suggesting the fix of each fixable finding on a changed line (needs pull_requests: write)")
	services := cli.RegisterServeFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cli.ExitOK
		}
		return cli.ExitUsage
	}
	level := zerolog.InfoLevel
	if *debug {
		level = zerolog.DebugLevel
	}
	// Deliveries and workers log from many goroutines: one writer, one line at a time.
	log := zerolog.New(zerolog.SyncWriter(stdout)).Level(level).With().Timestamp().Logger()

	// GitHub (the App) and GitLab (project or group webhooks with a project access token): either or
	// both, each configured by its own variables.
	var app *webhook.App
	var appID int64
	secret := env("GITHUB_WEBHOOK_SECRET")
	gitlabSecret := env("GITLAB_WEBHOOK_SECRET")
	if secret == "" && gitlabSecret == "" {
		return cli.UsageError(stderr, errors.New("GITHUB_WEBHOOK_SECRET (a GitHub App) or GITLAB_WEBHOOK_SECRET (GitLab webhooks) is required: without one any request could queue work"))
	}
	metrics := webhook.NewMetrics()
	if secret != "" {
		var err error
		appID, err = strconv.ParseInt(env("GITHUB_APP_ID"), 10, 64)
		if err != nil || appID <= 0 {
			return cli.UsageError(stderr, errors.New("GITHUB_APP_ID must be the App's numeric ID"))
		}
		key := []byte(env("GITHUB_APP_PRIVATE_KEY"))
		if len(key) == 0 && env("GITHUB_APP_PRIVATE_KEY_PATH") != "" {
			if key, err = os.ReadFile(env("GITHUB_APP_PRIVATE_KEY_PATH")); err != nil {
				return cli.UsageError(stderr, fmt.Errorf("GITHUB_APP_PRIVATE_KEY_PATH: %w", cli.UnwrapPath(err)))
			}
		}
		if len(key) == 0 {
			return cli.UsageError(stderr, errors.New("set GITHUB_APP_PRIVATE_KEY or GITHUB_APP_PRIVATE_KEY_PATH to the App's private key"))
		}
		deps.Redact.Add(string(key))
		if app, err = webhook.NewApp(appID, key, env("GITHUB_API_URL"), nil, metrics); err != nil {
			return cli.UsageError(stderr, err)
		}
	}
	var gl *webhook.GitLabProcessor
	if gitlabSecret != "" {
		deps.Redact.Add(gitlabSecret)
		token := env("GITLAB_TOKEN")
		if token == "" {
			return cli.UsageError(stderr, errors.New("GITLAB_TOKEN is required with GITLAB_WEBHOOK_SECRET: a project or group access token with the api scope, to read the repository and answer on it"))
		}
		deps.Redact.Add(token)
		base := env("GITLAB_URL")
		if base == "" {
			base = "https://gitlab.com"
		}
		client, err := webhook.NewGitLabClient(base, token, nil)
		if err != nil {
			return cli.UsageError(stderr, err)
		}
		gl = &webhook.GitLabProcessor{Client: client, WebURL: base}
	}
	var queue webhook.Queue
	dbURL := *databaseURL
	if dbURL == "" {
		dbURL = env("DATABASE_URL")
	}
	if dbURL != "" {
		openCtx, cancelOpen := context.WithTimeout(context.Background(), 60*time.Second)
		rq, err := webhook.OpenRiver(openCtx, dbURL, webhook.RiverConfig{Capacity: *queueSize, Retention: *retention,
			JobTimeout: *jobTimeout, Workers: *workers, LogWriter: zerolog.SyncWriter(stdout)})
		cancelOpen()
		if err != nil {
			return cli.UsageError(stderr, err)
		}
		defer rq.Close()
		queue = rq
	} else {
		spool, err := webhook.OpenSpool(*dataDir, *queueSize, *retention)
		if err != nil {
			return cli.UsageError(stderr, err)
		}
		if spool.Depth() > 0 {
			log.Info().Int("jobs", spool.Depth()).Msg("resuming unfinished jobs")
		}
		queue = spool
	}
	server, err := webhook.NewServer(webhook.Config{Secret: []byte(secret), GitLabSecret: []byte(gitlabSecret), AppID: appID,
		Queue: queue, Logger: log, Metrics: metrics})
	if err != nil {
		return cli.UsageError(stderr, err)
	}
	// The server's own Sentry, Backstage catalog and integration settings; a repository's
	// configuration only chooses the Sentry organization and switches rules.
	svc, err := services.Services(deps, cli.ServeHooks{
		SentryResponse: func(status int) { metrics.Request("sentry", status) },
		OnRateLimit:    webhook.NoteRateLimit,
	}, log)
	if err != nil {
		return cli.UsageError(stderr, err)
	}
	if svc.Sentry == nil {
		log.Warn().Msg("no Sentry token: the existence check is skipped")
	}
	for name, why := range svc.SkippedIntegrations {
		log.Info().Str("integration", name).Str("reason", why).Msg("integration not configured: its annotations are not checked")
	}
	blobs := webhook.NewBlobCache(webhook.DefaultBlobCacheBytes)
	proc := &webhook.Processor{App: app, Sentry: svc.Sentry, Log: log, Save: queue.Save, Integrations: svc.Integrations,
		Blobs: blobs, Live: svc.Live, WebURL: webhook.WebURL(env("GITHUB_API_URL")),
		Suggestions: *suggestions, Redact: deps.Redact.String, Budget: services.Budget()}
	if gl != nil {
		gl.Log, gl.Sentry, gl.Integrations, gl.Live, gl.Budget, gl.Blobs, gl.Redact = log, svc.Sentry, svc.Integrations, svc.Live, services.Budget(), blobs, deps.Redact.String
	}
	forge := webhook.Forges{GitHub: proc, GitLab: gl}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	workDone := make(chan struct{})
	workCtx, stopWork := context.WithCancel(context.Background())
	runner := &webhook.Runner{Process: forge.Process, Expire: forge.Expire, Log: log, Metrics: metrics,
		Timeout: *jobTimeout, MaxAge: *maxJobAge}
	go func() {
		if err := queue.Run(workCtx, runner, *workers); err != nil {
			log.Error().Err(err).Msg("the workers could not start")
		}
		close(workDone)
	}()
	srv := &http.Server{Addr: *listen, Handler: server.Handler(), ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.ListenAndServe() }()
	store := "spool folder " + *dataDir
	if dbURL != "" {
		store = "PostgreSQL"
	}
	log.Info().Str("listen", *listen).Str("queue", store).Int("workers", *workers).Msg("serving")
	select {
	case err := <-serveErr:
		stopWork()
		return cli.UsageError(stderr, err)
	case <-ctx.Done():
	}
	log.Info().Msg("stopping: no new deliveries; finishing the jobs in progress")
	server.StopAccepting()
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	stopWork()
	select {
	case <-workDone:
	case <-time.After(60 * time.Second):
		log.Warn().Msg("jobs still running after 60 s; they stay queued and resume at the next start (or on another replica)")
	}
	return cli.ExitOK
}
