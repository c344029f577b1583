// Package cli is catalog-lint's command line: Main is the whole program, so tests run it in-process
// with their own arguments, input and outputs.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/catalog-lint/catalog-lint/backstage"
	"github.com/catalog-lint/catalog-lint/integrations"
	"github.com/catalog-lint/catalog-lint/internal/redact"
	"github.com/catalog-lint/catalog-lint/linter"
	"github.com/catalog-lint/catalog-lint/linter/report"
	"github.com/catalog-lint/catalog-lint/rules"
	"github.com/catalog-lint/catalog-lint/sentry"
	"github.com/catalog-lint/catalog-lint/sentry/tokenexchange"
)

// Exit codes. They are part of the interface: scripts and the GitHub Action rely on them.
const (
	ExitOK         = 0 // nothing at or above --fail-on
	ExitFindings   = 1 // findings at or above --fail-on
	ExitUsage      = 2 // usage or configuration error
	ExitUnverified = 3 // a remote check (Sentry, GitHub, the Backstage catalog) could not be completed
)

// Version is set at build time with -ldflags "-X github.com/catalog-lint/catalog-lint/cmd/catalog-lint/cli.Version=v1.2.3".
var Version = ""

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

const usage = `catalog-lint keeps Backstage catalog files honest.

Usage:
  catalog-lint check [flags] [PATH...]   lint catalog files (default path: .)
  catalog-lint rules [--format text|json]
                                         list the rules
  catalog-lint version                   print the version
  catalog-lint action                    run as the GitHub Action (reads INPUT_* variables)
  catalog-lint serve [flags]             run the GitHub App webhook server (in the release binaries and
                                         image; docs/github-app.md)
  catalog-lint lsp [--stdio]             run the language server for editors (docs/editors.md)

Run "catalog-lint check --help" for the check flags.

Exit codes:
  0  no finding at or above --fail-on
  1  findings at or above --fail-on
  2  usage or configuration error
  3  a remote check could not be completed (Sentry, GitHub, the Backstage catalog, SonarQube, PagerDuty,
     Jira or GitLab could not be asked)
`

// Env reads environment variables; tests replace it.
type Env func(string) string

// Deps are what the command line takes from its surroundings besides its arguments and streams;
// tests pass their own instead of setting package variables.
type Deps struct {
	// Env reads environment variables.
	Env Env
	// Sleep waits between the retries of Sentry, the Backstage catalog and the token exchange; nil
	// waits for real.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the token exchange's clock; nil is time.Now.
	Now func() time.Time
	// Redact keeps secrets out of stdout, stderr and logs; nil: one made of the environment's
	// secrets (secretVariables), to which tokens read from files are added.
	Redact *redact.Redactor
}

// secretVariables are the environment variables (and the Action's inputs) that hold secrets: their
// values never appear in what catalog-lint prints or logs, even when a service echoes them back.
var secretVariables = []string{"SENTRY_AUTH_TOKEN", "SENTRY_TOKEN", "GITHUB_TOKEN", "BACKSTAGE_TOKEN",
	"GITHUB_WEBHOOK_SECRET", "GITHUB_APP_PRIVATE_KEY", envExchangeClientSecret, "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
	"INPUT_SENTRY-TOKEN", "INPUT_GITHUB-TOKEN", "INPUT_BACKSTAGE-TOKEN", "INPUT_TOKEN-EXCHANGE-CLIENT-SECRET"}

// Main runs catalog-lint with args (without the program name) and returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return MainDeps(args, stdin, stdout, stderr, Deps{Env: os.Getenv})
}

// MainEnv is Main with an explicit environment.
func MainEnv(args []string, stdin io.Reader, stdout, stderr io.Writer, env Env) int {
	return MainDeps(args, stdin, stdout, stderr, Deps{Env: env})
}

// MainDeps is Main with explicit dependencies.
func MainDeps(args []string, stdin io.Reader, stdout, stderr io.Writer, deps Deps) int {
	if deps.Redact == nil {
		deps.Redact = redact.New()
		for _, name := range secretVariables {
			deps.Redact.Add(deps.Env(name))
		}
		if u, err := url.Parse(deps.Env("DATABASE_URL")); err == nil && u.User != nil {
			if pw, ok := u.User.Password(); ok {
				deps.Redact.Add(pw)
			}
		}
	}
	stdout, stderr = redactedWriter(deps.Redact, stdout), redactedWriter(deps.Redact, stderr)
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return ExitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	switch args[0] {
	case "check":
		return runCheck(ctx, args[1:], stdin, stdout, stderr, deps)
	case "rules":
		return runRules(args[1:], stdout, stderr)
	case "action":
		return runAction(ctx, stdin, stdout, stderr, deps)
	case "serve":
		if Serve == nil {
			return usageError(stderr, errors.New("serve is not part of this build, which leaves out the server's dependencies: run a release binary or image (docs/github-app.md), or build the server from a clone: cd server && go build ./cmd/catalog-lint"))
		}
		return Serve(args[1:], stdout, stderr, deps)
	case "lsp":
		return runLSP(args[1:], stderr, deps)
	case "version", "--version":
		fmt.Fprintln(stdout, "catalog-lint", version())
		return ExitOK
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return ExitOK
	}
	fmt.Fprintf(stderr, "catalog-lint: unknown command %q\n\n%s", args[0], usage)
	return ExitUsage
}

// redactedWriter is w with secrets redacted; an *os.File stays recognisable as one (for colours).
func redactedWriter(r *redact.Redactor, w io.Writer) io.Writer {
	if f, ok := w.(*os.File); ok {
		return redactedFile{File: f, w: r.Writer(f)}
	}
	return r.Writer(w)
}

// redactedFile writes through a redactor but is still the terminal it writes to, for wantColor.
type redactedFile struct {
	*os.File
	w io.Writer
}

func (f redactedFile) Write(p []byte) (int, error) { return f.w.Write(p) }

// registerBudget adds the flags that bound what a repository can make a run do.
func registerBudget(fs *flag.FlagSet, b *linter.Budget) {
	fs.IntVar(&b.Targets, "max-targets", linter.DefaultMaxTargets, "most Location and app-config targets a run follows; beyond, it stops and exits 3")
	fs.IntVar(&b.Files, "max-files", linter.DefaultMaxFiles, "most files a run reads; beyond, it stops and exits 3")
	fs.Int64Var(&b.Bytes, "max-bytes", linter.DefaultMaxBytes, "most bytes a run reads; beyond, it stops and exits 3")
}

// parseInterspersed parses flags that may come before, between or after the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if rest[0] == "--" {
			return append(positional, rest[1:]...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

type checkFlags struct {
	format, failOn, config, color, stdinName string
	sentryOrg, sentryURL, sentryTokenFile    string
	sarifFile, codeQualityFile               string
	context                                  string
	backstageURL, backstageTokenFile         string
	repositoryURL                            string
	// backstageToken, when set, is the token itself (the Action's input).
	backstageToken            string
	offline, debug, fix, diff bool
	// sentryCacheTTL is serve's --sentry-cache-ttl.
	sentryCacheTTL time.Duration
	// budget bounds what a repository can make a run do (--max-targets, --max-files, --max-bytes).
	budget   linter.Budget
	jobs     int
	exchange exchangeFlags
	// sentryToken, when set, is the token itself (the GitHub Action's input); not a flag, so that a
	// token never appears on a command line.
	sentryToken string
	// keep, when set, limits the run to the discovered files it accepts (the Action's only-changed).
	keep func(path string) bool
	// filesFrom names a file listing paths to lint, one per line ("-": standard input).
	filesFrom string
	// integrations are the integrations' settings given as flags or Action inputs, by variable
	// name (SONARQUBE_URL); the environment gives the rest.
	integrations map[string]string
}

// registerIntegrations adds a flag for each integration setting that is not a secret
// (--sonarqube-url, --jira-email, …): secrets come from the environment only, never a command line.
func registerIntegrations(fs *flag.FlagSet, into map[string]string) {
	for _, i := range integrations.All() {
		for _, s := range i.Settings {
			if s.Secret || s.Flag == "" {
				continue
			}
			env := s.Env
			doc := fmt.Sprintf("%s: %s (default: $%s", i.Title, s.Doc, env)
			if s.Default != "" {
				doc += ", then " + s.Default
			}
			fs.Func(s.Flag, doc+")", func(v string) error { into[env] = v; return nil })
		}
	}
}

// integrationSetting reads an integration setting: the flag or Action input, else the environment.
func (f checkFlags) integrationSetting(env Env) func(string) string {
	return func(name string) string { return firstNonEmpty(f.integrations[name], env(name)) }
}

// outcome is what a check run produced, for the callers that report more than the exit code.
type outcome struct {
	res *linter.Result
	// sentry says whether Sentry was asked: "checked", "no token" or "offline".
	sentry string
	// skipped says why Sentry was not asked ("no token").
	skipped string
	code    int
}

func runCheck(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, deps Deps) int {
	var f checkFlags
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.format, "format", "", "output format: text, json, sarif, github or gitlab (GitLab's Code Quality report) (default: github when GITHUB_ACTIONS=true, else text)")
	fs.StringVar(&f.failOn, "fail-on", "error", "lowest severity that makes the exit code 1: error, warning, info or none")
	fs.StringVar(&f.config, "config", "", "configuration file (default: the nearest "+linter.ConfigFileName+" in the linted folder or above)")
	fs.StringVar(&f.color, "color", "auto", "colour text output: auto, always or never (NO_COLOR always wins)")
	fs.StringVar(&f.stdinName, "stdin-filename", "<stdin>", "file name to report for input read from - (standard input)")
	fs.StringVar(&f.sarifFile, "sarif-file", "", "also write the findings as SARIF to this file (for code scanning)")
	fs.StringVar(&f.codeQualityFile, "codequality-file", "", "also write the findings as GitLab's Code Quality report to this file (artifacts: reports: codequality:)")
	fs.BoolVar(&f.offline, "offline", false, "skip every rule that needs the network")
	fs.BoolVar(&f.fix, "fix", false, "apply the fixes of the findings that have one to the files, then report what is left")
	fs.BoolVar(&f.diff, "diff", false, "print the fixes as a unified diff and change nothing")
	fs.StringVar(&f.filesFrom, "files-from", "", "also lint the paths listed in this file, one per line (- reads them from standard input)")
	fs.StringVar(&f.context, "context", "", "lint the catalog under this folder as context and report only on the files named (pre-commit)")
	fs.Func("jobs", "files linted at once, at least 1 (default: one per CPU)", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("%q is not a number of files of at least 1", v)
		}
		f.jobs = n
		return nil
	})
	registerBudget(fs, &f.budget)
	fs.StringVar(&f.sentryOrg, "sentry-org", "", "Sentry organization for values without org/ (default: $SENTRY_ORG, then sentry.organization)")
	fs.StringVar(&f.sentryURL, "sentry-url", "", "Sentry address (default: $SENTRY_URL, then sentry.url, then "+sentry.DefaultURL+")")
	fs.StringVar(&f.sentryTokenFile, "sentry-token-file", "", "read the Sentry token from this file (default: $SENTRY_AUTH_TOKEN or $SENTRY_TOKEN)")
	fs.StringVar(&f.backstageURL, "backstage-url", "", "Backstage backend address: refs the files do not define are looked up in its catalog, and entities checked for conflicts (default: $BACKSTAGE_URL)")
	fs.StringVar(&f.backstageTokenFile, "backstage-token-file", "", "read the Backstage token from this file (default: $BACKSTAGE_TOKEN)")
	fs.StringVar(&f.repositoryURL, "repository-url", "", "this repository's URL, to tell its entities from those another repository registered (default: $GITHUB_SERVER_URL/$GITHUB_REPOSITORY, then the origin remote)")
	f.exchange.register(fs)
	f.integrations = map[string]string{}
	registerIntegrations(fs, f.integrations)
	fs.BoolVar(&f.debug, "debug", false, "say how the Sentry token was obtained (never the token) on standard error")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: catalog-lint check [flags] [PATH...]\n\nLints what Backstage would ingest under each PATH (default .): catalog-info.yaml/.yml, YAML files holding\nentities, app-config locations and Location targets; - reads one file from standard input. A PATH may be\na glob, quoted so that the shell leaves it alone: 'services/*/catalog-info.yaml', 'catalog/**/*.yaml'.\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprint(stderr, "\nExit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage or configuration error, 3 could not verify (Sentry, GitHub, the Backstage catalog, SonarQube, PagerDuty, Jira or GitLab could not be asked).\n")
	}
	paths, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		return ExitUsage
	}
	return check(ctx, f, paths, stdin, stdout, stderr, deps).code
}

// exitFor sets the exit code the findings and the unverified checks call for.
func exitFor(out outcome, res *linter.Result, failOn linter.Severity) outcome {
	for _, fd := range res.Findings {
		if failOn > 0 && fd.Severity >= failOn {
			out.code = ExitFindings
			return out
		}
	}
	if res.Inconclusive > 0 || res.Incomplete != "" {
		out.code = ExitUnverified
	}
	return out
}

// sayer prints notes on standard error, and debug lines with --debug (or, in the GitHub Action, when
// the run has debug logging on) as `catalog-lint: debug:` lines or ::debug:: commands. It is safe for
// concurrent use: token exchanges happen in the lookups' goroutines.
func sayer(f checkFlags, stdout, stderr io.Writer, env Env) func(kind, msg string) {
	var mu sync.Mutex
	actionDebug := f.format == "github" && env("RUNNER_DEBUG") == "1"
	return func(kind, msg string) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case kind != "debug":
			fmt.Fprintln(stderr, "catalog-lint: "+msg)
		case f.debug:
			fmt.Fprintln(stderr, "catalog-lint: debug: "+msg)
		case actionDebug:
			fmt.Fprintln(stdout, "::debug::"+report.EscapeData(msg))
		}
	}
}

// writeFile writes res in format to path.
func writeFile(path, format string, opts report.Options, res *linter.Result) error {
	w, err := report.New(format, opts)
	if err != nil {
		return err
	}
	file, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("%s file: %w", format, unwrapPath(err))
	}
	if err := w.Write(file, res); err != nil {
		file.Close()
		return fmt.Errorf("%s file: %w", format, err)
	}
	return file.Close()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// sentryService builds the Sentry existence check of check, action and lsp from flags, environment
// and configuration, in that order of precedence (sentryClient). Without a token it returns why
// instead: the format rules still run. ttl bounds how long answers are kept (0: for the index's
// life, one run of check).
func sentryService(f checkFlags, cfg *linter.Config, deps Deps, say func(kind, msg string), ttl time.Duration) (integrations.Service, string, error) {
	client, why, err := sentryClient(f, cfg, deps, false, say)
	if client == nil || err != nil {
		return nil, why, err
	}
	org := firstNonEmpty(f.sentryOrg, deps.Env("SENTRY_ORG"), sentry.SettingsOf(cfg).Organization)
	index := sentry.NewIndex(client)
	index.TTL = ttl
	return integrations.NewSentryService(index, org), "", nil
}

// sentryClient builds the Sentry client of check, action and serve: the address from flags, the
// environment, then the configuration (cfg, nil for the server); the token from a token exchange when
// one is configured and usable, else a static token. Without either it returns why (nil client). For
// the server (strict), a token exchange it cannot use is an error: the operator asked for it. say
// tells the user things ("note") and how the token was obtained ("debug").
func sentryClient(f checkFlags, cfg *linter.Config, deps Deps, strict bool, say func(kind, msg string)) (*sentry.Client, string, error) {
	env := deps.Env
	baseURL := firstNonEmpty(f.sentryURL, env("SENTRY_URL"), sentry.SettingsOf(cfg).URL, sentry.DefaultURL)
	token, tokenFrom, err := staticToken(f, env)
	if err != nil {
		return nil, "", err
	}
	deps.Redact.Add(token) // read from a file, perhaps: never printed, whatever Sentry echoes
	plan, err := resolveExchange(f.exchange, cfg, env, baseURL)
	if err != nil {
		return nil, "", err
	}
	if strict && plan != nil && plan.skip != "" {
		return nil, "", errors.New("the Sentry token exchange cannot be used: " + plan.skip)
	}
	sc := sentry.Config{BaseURL: baseURL, UserAgent: "catalog-lint/" + version(), Sleep: deps.Sleep}
	switch {
	case plan != nil && plan.cfg != nil:
		for _, n := range plan.notes {
			say("note", n)
		}
		for _, d := range plan.debug {
			say("debug", d)
		}
		if token != "" {
			say("debug", "the static token from "+tokenFrom+" is not used: the token exchange is configured")
		}
		plan.cfg.UserAgent = sc.UserAgent
		plan.cfg.Debugf = func(format string, args ...any) { say("debug", fmt.Sprintf(format, args...)) }
		plan.cfg.Sleep, plan.cfg.Now = deps.Sleep, deps.Now
		src, err := tokenexchange.New(*plan.cfg)
		if err != nil {
			return nil, "", err
		}
		sc.Tokens = src
	case token != "":
		if plan != nil && plan.skip != "" {
			say("note", "the Sentry token exchange is not used: "+plan.skip+"; using the token from "+tokenFrom)
		}
		say("debug", "Sentry token: from "+tokenFrom)
		sc.Token = token
	case plan != nil && plan.skip != "":
		return nil, plan.skip, nil
	default:
		return nil, noSentryToken, nil
	}
	client, err := sentry.NewClient(sc)
	if err != nil {
		return nil, "", err
	}
	return client, "", nil
}

// noSentryToken is why Sentry is not asked when no token is given.
const noSentryToken = "no token (set SENTRY_AUTH_TOKEN or SENTRY_TOKEN, pass --sentry-token-file, or configure a token exchange)"

// staticToken returns the long-lived token given, and where it came from (never the token itself).
func staticToken(f checkFlags, env Env) (token, from string, err error) {
	switch {
	case strings.TrimSpace(f.sentryToken) != "":
		return strings.TrimSpace(f.sentryToken), "the sentry-token input", nil
	case f.sentryTokenFile != "":
		data, err := os.ReadFile(f.sentryTokenFile)
		if err != nil {
			return "", "", fmt.Errorf("--sentry-token-file: %w", unwrapPath(err))
		}
		if token = strings.TrimSpace(string(data)); token == "" {
			return "", "", fmt.Errorf("--sentry-token-file %s is empty", f.sentryTokenFile)
		}
		return token, f.sentryTokenFile, nil
	case strings.TrimSpace(env("SENTRY_AUTH_TOKEN")) != "":
		return strings.TrimSpace(env("SENTRY_AUTH_TOKEN")), "SENTRY_AUTH_TOKEN", nil
	case strings.TrimSpace(env("SENTRY_TOKEN")) != "":
		return strings.TrimSpace(env("SENTRY_TOKEN")), "SENTRY_TOKEN", nil
	}
	return "", "", nil
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return filepath.Clean(p)
}

// unverifiedBy names the services that could not be asked: "Sentry", "the Backstage catalog".
func unverifiedBy(res *linter.Result) string {
	by := rules.UnverifiedBy(res)
	if len(by) == 0 {
		return "Sentry"
	}
	return strings.Join(by, ", ")
}

// githubClient is a GitHub REST client with token, at apiURL ("" for api.github.com). The token goes
// to that host only: a redirect elsewhere gets none.
func githubClient(token, apiURL string) (*github.Client, error) {
	return integrations.NewGitHubClient(token, apiURL)
}

// liveCatalog builds the Backstage catalog client from flags and the environment (never from the
// repository's configuration, so that a pull request cannot choose where the token goes). Without an
// address it returns nil: the catalog-wide rules use the files alone.
func liveCatalog(f checkFlags, deps Deps) (rules.LiveCatalog, error) {
	c, err := backstageClient(f, deps)
	if c == nil || err != nil {
		return nil, err
	}
	return c, nil
}

// backstageClient is liveCatalog's client (nil without an address).
func backstageClient(f checkFlags, deps Deps) (*backstage.Client, error) {
	env := deps.Env
	base := firstNonEmpty(f.backstageURL, env("BACKSTAGE_URL"))
	if base == "" {
		return nil, nil
	}
	token := strings.TrimSpace(f.backstageToken)
	switch {
	case token != "":
	case f.backstageTokenFile != "":
		data, err := os.ReadFile(f.backstageTokenFile)
		if err != nil {
			return nil, fmt.Errorf("--backstage-token-file: %w", unwrapPath(err))
		}
		if token = strings.TrimSpace(string(data)); token == "" {
			return nil, fmt.Errorf("--backstage-token-file %s is empty", f.backstageTokenFile)
		}
	default:
		token = strings.TrimSpace(env("BACKSTAGE_TOKEN"))
	}
	deps.Redact.Add(token)
	bc := backstage.Config{BaseURL: base, Token: token, UserAgent: "catalog-lint/" + version(), Sleep: deps.Sleep}
	c, err := backstage.NewClient(bc)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func githubRepositoryURL(env Env) string {
	if env("GITHUB_SERVER_URL") == "" || env("GITHUB_REPOSITORY") == "" {
		return ""
	}
	return strings.TrimRight(env("GITHUB_SERVER_URL"), "/") + "/" + env("GITHUB_REPOSITORY")
}

// originRemote reads the origin remote's URL from the repository's .git/config, as an https
// address (git@github.com:acme/pay.git becomes https://github.com/acme/pay); "" when there is none.
func originRemote(root string) string {
	data, err := os.ReadFile(filepath.Join(root, ".git", "config"))
	if err != nil {
		return ""
	}
	inOrigin := false
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			inOrigin = line == `[remote "origin"]`
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !inOrigin || !ok || strings.TrimSpace(key) != "url" {
			continue
		}
		return httpsRemote(strings.TrimSpace(value))
	}
	return ""
}

// httpsRemote turns a Git remote address into the repository's web address.
func httpsRemote(remote string) string {
	remote = strings.TrimSuffix(remote, ".git")
	switch {
	case strings.HasPrefix(remote, "https://"), strings.HasPrefix(remote, "http://"):
		if u, err := url.Parse(remote); err == nil {
			u.User = nil // never carry credentials along
			return u.String()
		}
		return ""
	case strings.HasPrefix(remote, "ssh://"):
		if u, err := url.Parse(remote); err == nil {
			return "https://" + u.Hostname() + u.Path
		}
		return ""
	case strings.Contains(remote, "@") && strings.Contains(remote, ":"):
		hostPath := remote[strings.Index(remote, "@")+1:]
		host, path, _ := strings.Cut(hostPath, ":")
		return "https://" + host + "/" + strings.TrimPrefix(path, "/")
	}
	return ""
}

// keepOnly narrows a result to the files keep accepts: their findings, and them in linted and skipped.
func keepOnly(res *linter.Result, keep func(string) bool) *linter.Result {
	out := *res
	out.Findings, out.Linted, out.LintedEntities, out.SkippedFiles = nil, nil, nil, nil
	for _, f := range res.Findings {
		if keep(f.File) {
			out.Findings = append(out.Findings, f)
		}
	}
	out.Entities = 0
	for i, f := range res.Linted {
		if keep(f) {
			n := 0
			if i < len(res.LintedEntities) {
				n = res.LintedEntities[i]
			}
			out.Linted = append(out.Linted, f)
			out.LintedEntities = append(out.LintedEntities, n)
			out.Entities += n
		}
	}
	for _, s := range res.SkippedFiles {
		if keep(s.File) {
			out.SkippedFiles = append(out.SkippedFiles, s)
		}
	}
	out.Files = len(out.Linted)
	return &out
}

func without(list []string, drop string) []string {
	var out []string
	for _, s := range list {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}

func usageError(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "catalog-lint: %v\n", err)
	return ExitUsage
}

// parseFailOn reads --fail-on; "none" returns 0 (never fail on findings).
func parseFailOn(s string) (linter.Severity, error) {
	if s == "none" {
		return 0, nil
	}
	sev, err := linter.ParseSeverity(s)
	if err != nil {
		return 0, fmt.Errorf("--fail-on: %w (or none)", err)
	}
	return sev, nil
}

func wantColor(mode string, stdout io.Writer, env Env) (bool, error) {
	if env("NO_COLOR") != "" {
		return false, nil
	}
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto":
		f, ok := stdout.(*os.File)
		if rf, isRedacted := stdout.(redactedFile); isRedacted {
			f, ok = rf.File, true
		}
		if !ok || env("TERM") == "dumb" {
			return false, nil
		}
		st, err := f.Stat()
		return err == nil && st.Mode()&os.ModeCharDevice != 0, nil
	}
	return false, fmt.Errorf("--color: use auto, always or never, not %q", mode)
}

func runRules(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rules", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "text or json (docs/rules.md describes every rule)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	switch *format {
	case "text":
		for _, r := range rules.All() {
			net := ""
			if r.Network {
				net = " (network)"
			}
			fmt.Fprintf(stdout, "%-28s %-8s %s%s\n", r.ID, r.Severity, r.Summary, net)
		}
	case "json":
		return writeRulesJSON(stdout, stderr)
	default:
		return usageError(stderr, fmt.Errorf("rules --format: use text or json, not %q", *format))
	}
	return ExitOK
}

func writeRulesJSON(stdout, stderr io.Writer) int {
	type ruleJSON struct {
		ID       string `json:"id"`
		Severity string `json:"severity"`
		Network  bool   `json:"network"`
		Summary  string `json:"summary"`
	}
	var out []ruleJSON
	for _, r := range rules.All() {
		out = append(out, ruleJSON{r.ID, r.Severity.String(), r.Network, r.Summary})
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(stderr, err)
		return ExitUsage
	}
	return ExitOK
}
