package cli

import (
	"context"
	"flag"
	"io"
	"time"

	"github.com/rs/zerolog"

	"github.com/catalog-lint/catalog-lint/integrations"
	"github.com/catalog-lint/catalog-lint/linter"
	"github.com/catalog-lint/catalog-lint/rules"
	"github.com/catalog-lint/catalog-lint/sentry"
)

// Serve runs `catalog-lint serve`. The server's build (server/cmd/catalog-lint, its own module) sets
// it; this module's build leaves it nil, so that what `go install`, `go run` and pre-commit compile
// holds none of the server's dependencies (gin, River, pgx, Prometheus, the App's authentication).
var Serve func(args []string, stdout, stderr io.Writer, deps Deps) int

// UsageError prints err as catalog-lint's errors are printed and returns ExitUsage.
func UsageError(stderr io.Writer, err error) int { return usageError(stderr, err) }

// UnwrapPath shortens an *os.PathError to "path: reason".
func UnwrapPath(err error) error { return unwrapPath(err) }

// ServeFlags are the flags serve shares with check: the services a job asks, from the server's flags
// and environment only (never from a repository), and the budget of a job.
type ServeFlags struct {
	f               checkFlags
	integrationsTTL time.Duration
}

// RegisterServeFlags adds them to fs.
func RegisterServeFlags(fs *flag.FlagSet) *ServeFlags {
	s := &ServeFlags{}
	f := &s.f
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
	fs.DurationVar(&s.integrationsTTL, "integrations-cache-ttl", 10*time.Minute, "how long an answer of SonarQube, PagerDuty, Jira or GitLab (found, missing, moved) is reused across jobs; 0: not at all")
	return s
}

// Budget is what a repository may make a job do.
func (s *ServeFlags) Budget() linter.Budget { return s.f.budget }

// ServeHooks tie the services to the server: its metrics and its job queue.
type ServeHooks struct {
	// SentryResponse is told the status of each Sentry request (0: no answer).
	SentryResponse func(status int)
	// OnRateLimit is told of an integration's rate limit (Sentry's too), to snooze the job.
	OnRateLimit func(ctx context.Context, wait time.Duration, reason string)
}

// ServeServices are the services each job asks.
type ServeServices struct {
	// Sentry returns the Sentry service of a job, for the organization a repository names (the
	// server's own otherwise); nil without a Sentry token.
	Sentry func(org string) integrations.Service
	// Live is the Backstage catalog the catalog-wide rules also ask; nil without an address.
	Live rules.LiveCatalog
	// Integrations returns one job's SonarQube, PagerDuty, Jira and GitLab checks.
	Integrations func() integrations.Connected
	// SkippedIntegrations says why each integration left out is (its token is not set).
	SkippedIntegrations map[string]string
}

// Services builds the services from the flags and deps.Env. A token exchange or an address the
// server cannot use is an error: the operator asked for it.
func (s *ServeFlags) Services(deps Deps, hooks ServeHooks, log zerolog.Logger) (ServeServices, error) {
	var out ServeServices
	var err error
	if out.Sentry, err = serverSentry(s.f, deps, hooks, log); err != nil {
		return out, err
	}
	if out.Live, err = liveCatalog(s.f, deps); err != nil {
		return out, err
	}
	conn, err := integrations.Connect(s.f.integrationSetting(deps.Env), deps.Redact.Add)
	if err != nil {
		return out, err
	}
	out.SkippedIntegrations = conn.Skipped
	cache := &integrations.Cache{TTL: s.integrationsTTL}
	// Each job looks each value up once, and a rate limit snoozes the job rather than block a worker.
	out.Integrations = func() integrations.Connected { return conn.ForRun(0, nil, hooks.OnRateLimit, cache) }
	return out, nil
}

// serverSentry builds the per-job Sentry check from the server's flags and environment (never from a
// repository's configuration), or nil without credentials. Each job gets a fresh index (a
// long-running server must not keep stale answers) over one shared client: connections are reused,
// and so is an exchanged token until it nears expiry. A token exchange the server cannot use is a
// startup error: the operator asked for it.
func serverSentry(f checkFlags, deps Deps, hooks ServeHooks, log zerolog.Logger) (func(org string) integrations.Service, error) {
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
	if hooks.SentryResponse != nil {
		client.OnResponse = func(_ string, status int) { hooks.SentryResponse(status) }
	}
	serverOrg := firstNonEmpty(f.sentryOrg, env("SENTRY_ORG"))
	// One index for every job: an organization's project list is read at most once per TTL, however
	// many pushes arrive. --sentry-cache-ttl 0 gives every job its own index.
	var shared *sentry.Index
	if f.sentryCacheTTL > 0 {
		shared = sentry.NewIndex(client)
		shared.TTL = f.sentryCacheTTL
	}
	return func(repoOrg string) integrations.Service {
		index := shared
		if index == nil {
			index = sentry.NewIndex(client)
		}
		return integrations.NewSentryService(index, firstNonEmpty(repoOrg, serverOrg))
	}, nil
}
