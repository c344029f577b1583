package cli

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

	"github.com/catalog-lint/catalog-lint/integrations"
	"github.com/catalog-lint/catalog-lint/rules"
	"github.com/catalog-lint/catalog-lint/sentry"
	"github.com/catalog-lint/catalog-lint/webhook"
)

// runServe is `catalog-lint serve`: the GitHub App's webhook server.
func runServe(args []string, stdout, stderr io.Writer, deps Deps) int {
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
	var f checkFlags
	fs.StringVar(&f.sentryOrg, "sentry-org", "", "default Sentry organization (default: $SENTRY_ORG)")
	fs.StringVar(&f.sentryURL, "sentry-url", "", "Sentry address (default: $SENTRY_URL, then "+sentry.DefaultURL+")")
	fs.StringVar(&f.sentryTokenFile, "sentry-token-file", "", "read the Sentry token from this file (default: $SENTRY_AUTH_TOKEN or $SENTRY_TOKEN)")
	fs.DurationVar(&f.sentryCacheTTL, "sentry-cache-ttl", time.Minute, "how long an organization's Sentry project list (and the answers from it) are reused across jobs; 0: not at all")
	fs.StringVar(&f.backstageURL, "backstage-url", "", "Backstage backend address: refs the files do not define are looked up in its catalog, and entities checked for conflicts (default: $BACKSTAGE_URL)")
	fs.StringVar(&f.backstageTokenFile, "backstage-token-file", "", "read the Backstage token from this file (default: $BACKSTAGE_TOKEN)")
	f.exchange.register(fs)
	registerBudget(fs, &f.budget)
	f.integrations = map[string]string{}
	registerIntegrations(fs, f.integrations)
	integrationsTTL := fs.Duration("integrations-cache-ttl", 10*time.Minute, "how long an answer of SonarQube, PagerDuty, Jira or GitLab (found, missing, moved) is reused across jobs; 0: not at all")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	level := zerolog.InfoLevel
	if *debug {
		level = zerolog.DebugLevel
	}
	// Deliveries and workers log from many goroutines: one writer, one line at a time.
	log := zerolog.New(zerolog.SyncWriter(stdout)).Level(level).With().Timestamp().Logger()

	appID, err := strconv.ParseInt(env("GITHUB_APP_ID"), 10, 64)
	if err != nil || appID <= 0 {
		return usageError(stderr, errors.New("GITHUB_APP_ID must be the App's numeric ID"))
	}
	key := []byte(env("GITHUB_APP_PRIVATE_KEY"))
	if len(key) == 0 && env("GITHUB_APP_PRIVATE_KEY_PATH") != "" {
		if key, err = os.ReadFile(env("GITHUB_APP_PRIVATE_KEY_PATH")); err != nil {
			return usageError(stderr, fmt.Errorf("GITHUB_APP_PRIVATE_KEY_PATH: %w", unwrapPath(err)))
		}
	}
	if len(key) == 0 {
		return usageError(stderr, errors.New("set GITHUB_APP_PRIVATE_KEY or GITHUB_APP_PRIVATE_KEY_PATH to the App's private key"))
	}
	deps.Redact.Add(string(key))
	secret := env("GITHUB_WEBHOOK_SECRET")
	if secret == "" {
		return usageError(stderr, errors.New("GITHUB_WEBHOOK_SECRET is required: without it any request could queue work"))
	}
	metrics := webhook.NewMetrics()
	app, err := webhook.NewApp(appID, key, env("GITHUB_API_URL"), nil, metrics)
	if err != nil {
		return usageError(stderr, err)
	}
	var queue webhook.Queue
	dbURL := firstNonEmpty(*databaseURL, env("DATABASE_URL"))
	if dbURL != "" {
		openCtx, cancelOpen := context.WithTimeout(context.Background(), 60*time.Second)
		rq, err := webhook.OpenRiver(openCtx, dbURL, webhook.RiverConfig{Capacity: *queueSize, Retention: *retention,
			JobTimeout: *jobTimeout, Workers: *workers, LogWriter: zerolog.SyncWriter(stdout)})
		cancelOpen()
		if err != nil {
			return usageError(stderr, err)
		}
		defer rq.Close()
		queue = rq
	} else {
		spool, err := webhook.OpenSpool(*dataDir, *queueSize, *retention)
		if err != nil {
			return usageError(stderr, err)
		}
		if spool.Depth() > 0 {
			log.Info().Int("jobs", spool.Depth()).Msg("resuming unfinished jobs")
		}
		queue = spool
	}
	server, err := webhook.NewServer(webhook.Config{Secret: []byte(secret), AppID: appID, Queue: queue, Logger: log, Metrics: metrics})
	if err != nil {
		return usageError(stderr, err)
	}
	// The server's own Sentry settings; a repository's configuration only chooses the organization.
	sentryFactory, err := serverSentry(f, deps, metrics, log)
	if err != nil {
		return usageError(stderr, err)
	}
	if sentryFactory == nil {
		log.Warn().Msg("no Sentry token: the existence check is skipped")
	}
	// The server's own Backstage catalog, if any; each job's repository URL tells its entities apart.
	live, err := liveCatalog(f, deps)
	if err != nil {
		return usageError(stderr, err)
	}
	// The server's own integration settings and tokens; a repository can only switch their rules.
	conn, err := integrations.Connect(f.integrationSetting(env), deps.Redact.Add)
	if err != nil {
		return usageError(stderr, err)
	}
	for name, why := range conn.Skipped {
		log.Info().Str("integration", name).Str("reason", why).Msg("integration not configured: its annotations are not checked")
	}
	integrationCache := &integrations.Cache{TTL: *integrationsTTL}
	proc := &webhook.Processor{App: app, Sentry: sentryFactory, Log: log, Save: queue.Save,
		// Each job looks each value up once, and a rate limit snoozes the job rather than block a worker.
		Integrations: func() integrations.Connected {
			return conn.ForRun(0, nil, webhook.NoteRateLimit, integrationCache)
		},
		Blobs: webhook.NewBlobCache(webhook.DefaultBlobCacheBytes), Live: live, WebURL: webhook.WebURL(env("GITHUB_API_URL")),
		Suggestions: *suggestions, Redact: deps.Redact.String, Budget: f.budget}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	workDone := make(chan struct{})
	workCtx, stopWork := context.WithCancel(context.Background())
	runner := &webhook.Runner{Process: proc.Process, Expire: proc.Expire, Log: log, Metrics: metrics,
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
		return usageError(stderr, err)
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
	return ExitOK
}

// serverSentry builds the per-job Sentry check from the server's flags and environment (never from a
// repository's configuration), or nil without credentials. Each job gets a fresh index (a
// long-running server must not keep stale answers) over one shared client: connections are reused,
// and so is an exchanged token until it nears expiry. A token exchange the server cannot use is a
// startup error: the operator asked for it.
func serverSentry(f checkFlags, deps Deps, metrics *webhook.Metrics, log zerolog.Logger) (func(org string) *rules.SentryResolver, error) {
	client, _, err := sentryClient(f, nil, deps, true, func(kind, msg string) {
		if kind == "debug" {
			log.Debug().Msg(msg)
		} else {
			log.Info().Msg(msg)
		}
	})
	if client == nil || err != nil {
		return nil, err
	}
	env := deps.Env
	client.OnResponse = func(_ string, status int) { metrics.Request("sentry", status) }
	serverOrg := firstNonEmpty(f.sentryOrg, env("SENTRY_ORG"))
	// One index for every job: an organization's project list is read at most once per TTL, however
	// many pushes arrive.
	// --sentry-cache-ttl 0 gives every job its own index, as before.
	var shared *sentry.Index
	if f.sentryCacheTTL > 0 {
		shared = sentry.NewIndex(client)
		shared.TTL = f.sentryCacheTTL
	}
	return func(repoOrg string) *rules.SentryResolver {
		index := shared
		if index == nil {
			index = sentry.NewIndex(client)
		}
		return &rules.SentryResolver{Lookup: webhook.SentryLookup{Index: index}, DefaultOrg: firstNonEmpty(repoOrg, serverOrg)}
	}, nil
}
