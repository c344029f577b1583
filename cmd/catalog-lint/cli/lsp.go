package cli

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/catalog-lint/catalog-lint/backstage"
	"github.com/catalog-lint/catalog-lint/integrations"
	"github.com/catalog-lint/catalog-lint/linter"
	"github.com/catalog-lint/catalog-lint/lsp"
	"github.com/catalog-lint/catalog-lint/rules"
)

// runLSP is `catalog-lint lsp`: the language server, over standard input and output (docs/editors.md).
// Its settings are check's, from flags and the environment only: what a document's repository
// configures switches rules, never where a token goes.
func runLSP(args []string, stderr io.Writer, deps Deps) int {
	var f checkFlags
	fs := flag.NewFlagSet("lsp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Bool("stdio", true, "talk over standard input and output (the only transport; clients pass it)")
	fs.BoolVar(&f.offline, "offline", false, "never ask other systems: only the rules that need no network")
	fs.StringVar(&f.config, "config", "", "configuration file (default: the nearest "+linter.ConfigFileName+" above each document)")
	fs.StringVar(&f.sentryOrg, "sentry-org", "", "Sentry organization for values without org/ (default: $SENTRY_ORG, then sentry.organization)")
	fs.StringVar(&f.sentryURL, "sentry-url", "", "Sentry address (default: $SENTRY_URL)")
	fs.StringVar(&f.sentryTokenFile, "sentry-token-file", "", "read the Sentry token from this file (default: $SENTRY_AUTH_TOKEN or $SENTRY_TOKEN)")
	fs.StringVar(&f.backstageURL, "backstage-url", "", "Backstage backend address: relations are also looked up in its catalog, and completion offers its entities (default: $BACKSTAGE_URL)")
	fs.StringVar(&f.backstageTokenFile, "backstage-token-file", "", "read the Backstage token from this file (default: $BACKSTAGE_TOKEN)")
	f.integrations = map[string]string{}
	registerIntegrations(fs, f.integrations)
	fs.Usage = func() {
		io.WriteString(stderr, "Usage: catalog-lint lsp [--stdio] [flags]\n\nA Language Server Protocol server over standard input and output: diagnostics for every rule, quick fixes\nand \"fix all\". Network rules run when a document is opened or saved. Set-up per editor: docs/editors.md.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return ExitOK
	} else if err != nil {
		return ExitUsage
	}
	conn := integrations.Connected{}
	var live *backstage.Client
	if !f.offline {
		var err error
		if live, err = backstageClient(f, deps); err != nil {
			return usageError(stderr, err)
		}
		if conn, err = integrations.Connect(f.integrationSetting(deps.Env), deps.Redact.Add); err != nil {
			return usageError(stderr, err)
		}
	}
	// Answers are cached across lints (each open and save) for ten minutes, as serve caches them across
	// jobs: saving a file again does not ask GitHub, Jira or Sentry again about what it asked a minute
	// ago (Sentry's index, one per configuration, keeps its answers as long).
	l := &lspLinter{f: f, deps: deps, conn: conn, sentries: map[string]integrations.Service{},
		cache: &integrations.Cache{TTL: 10 * time.Minute}}
	if live != nil {
		l.live = live
	}
	srv := &lsp.Server{Lint: l.lint, Files: l.files, Version: version(), Configure: func(o lsp.Options) error {
		if o.Offline {
			l.f.offline = true // the editor's setting can only ask less of the network, never more
		}
		return nil
	}}
	if live != nil {
		srv.LiveRefs = func(ctx context.Context, kind string) ([]string, error) {
			if l.f.offline {
				return nil, nil
			}
			return live.RefsOfKind(ctx, kind)
		}
	}
	return srv.RunStdio()
}

// lspLinter lints an editor's document as `check` lints that file: its repository's configuration,
// the services of the environment (each built once), the findings of that document only.
type lspLinter struct {
	f     checkFlags
	deps  Deps
	conn  integrations.Connected
	cache *integrations.Cache
	live  rules.LiveCatalog // the Backstage catalog, nil without an address

	mu       sync.Mutex
	sentries map[string]integrations.Service // by configuration file
	whys     map[string]string
}

func (l *lspLinter) lint(ctx context.Context, path, text string, open map[string]string, workspace bool) ([]linter.Finding, error) {
	dir := filepath.Dir(path)
	if path == "" {
		var err error
		if dir, err = os.Getwd(); err != nil {
			return nil, err
		}
		path = filepath.Join(dir, "untitled.yaml")
	}
	root := linter.RootOf(dir)
	cfgPath, cfg, err := l.config(dir, root)
	if err != nil {
		return nil, err
	}
	if !cfg.IsCatalogDocument(path, []byte(text)) {
		return nil, lsp.ErrNotCatalog // editors hand the server every YAML file
	}
	var repo *linter.Repo
	if workspace {
		repo, err = linter.DiskRepoWith(root, open)
	} else {
		repo, err = linter.DiskRepo(root, true)
	}
	if err != nil {
		return nil, err
	}
	defer repo.Close()
	run := rules.Run{Repo: repo, Config: cfg, Offline: !workspace || l.f.offline, Jobs: 2}
	if !run.Offline {
		run.Live = l.live
		run.Integrations = l.conn.ForRun(0, nil, nil, l.cache)
		svc, why := l.sentry(cfgPath, cfg)
		switch {
		case svc != nil:
			run.Integrations = run.Integrations.With(integrations.Sentry, svc, nil, nil)
		case why != "":
			run.Integrations = run.Integrations.Skip(integrations.Sentry, why)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var paths []string
	var extra []linter.Input
	_, statErr := os.Stat(path)
	switch {
	case workspace && statErr == nil:
		paths = []string{root} // the repository as check lints it, this document as the editor holds it
	case workspace:
		paths = []string{root}
		extra = append(extra, linter.Input{Name: path, Reader: strings.NewReader(text)}) // not saved yet
	default:
		extra = append(extra, linter.Input{Name: path, Reader: strings.NewReader(text)})
	}
	res, err := run.Lint(ctx, paths, extra...)
	if err != nil {
		return nil, err
	}
	out := res.Findings[:0]
	for _, f := range res.Findings {
		if workspace || f.File == path {
			f.Message = l.deps.Redact.String(f.Message)
			out = append(out, f)
		}
	}
	return out, nil
}

// sentry is the Sentry check of a configuration, built once (nil and why when Sentry is not asked).
func (l *lspLinter) sentry(cfgPath string, cfg *linter.Config) (integrations.Service, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if svc, ok := l.sentries[cfgPath]; ok {
		return svc, l.whys[cfgPath]
	}
	if l.whys == nil {
		l.whys = map[string]string{}
	}
	svc, why, err := sentryService(l.f, cfg, l.deps, func(string, string) {}, 10*time.Minute) // as the other answers
	if err != nil {
		why = err.Error()
	}
	l.sentries[cfgPath], l.whys[cfgPath] = svc, why
	return svc, why
}

// files lists a workspace folder's catalog files as check finds them there: catalog-info.yaml, the
// configuration's include globs (minus its exclude globs), and the YAML files that hold Backstage
// entities (org.yaml, a Location's targets).
func (l *lspLinter) files(_ context.Context, root string) ([]string, error) {
	_, cfg, err := l.config(root, root)
	if err != nil {
		return nil, err
	}
	return cfg.CatalogDocuments(root)
}

// config is the configuration of a document in dir of the repository at root, as check finds it:
// --config, else the nearest .catalog-lint.yaml from dir upward.
func (l *lspLinter) config(dir, root string) (string, *linter.Config, error) {
	cfgPath := l.f.config
	if cfgPath == "" {
		found, err := linter.FindConfig(dir)
		if err != nil {
			return "", nil, err
		}
		cfgPath = found
	}
	cfg, err := rules.LoadConfig(cfgPath, root)
	return cfgPath, cfg, err
}
