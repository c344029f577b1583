package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/catalog-lint/catalog-lint/integrations"
	"github.com/catalog-lint/catalog-lint/linter"
	"github.com/catalog-lint/catalog-lint/linter/report"
	"github.com/catalog-lint/catalog-lint/rules"
)

// A check runs in steps: planCheck validates the flags (pure, nothing read), buildCheck finds each
// path's repository and configuration and builds the services they ask (once), lintRepos lints, and
// check writes the output. --fix is a second round of lintRepos with the same services.

// checkPlan is what a check was asked to do, validated before anything is read or asked.
type checkPlan struct {
	failOn     linter.Severity
	reportOpts report.Options
	writer     report.Writer
	// walked are the folders and files to walk, "-" left out; stdin says "-" was given.
	walked []string
	stdin  bool
	// keep, when set, limits the report to the files it accepts (--context, the Action's only-changed).
	keep func(path string) bool
}

// planCheck validates the flags and paths; it reads no file and asks no service.
func planCheck(f checkFlags, paths []string, stdout io.Writer, env Env) (*checkPlan, error) {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	failOn, err := parseFailOn(f.failOn)
	if err != nil {
		return nil, err
	}
	format := f.format
	if format == "" {
		format = "text"
		if env("GITHUB_ACTIONS") == "true" {
			format = "github"
		}
	}
	color, err := wantColor(f.color, stdout, env)
	if err != nil {
		return nil, err
	}
	plan := &checkPlan{failOn: failOn, reportOpts: report.Options{Color: color, Rules: rules.All(), Version: version()}, keep: f.keep}
	if plan.writer, err = report.New(format, plan.reportOpts); err != nil {
		return nil, err
	}
	stdinCount := 0
	for _, p := range paths {
		if p == "-" {
			stdinCount++
		}
	}
	switch {
	case stdinCount > 1:
		return nil, errors.New("- (standard input) can be given only once")
	case f.fix && f.diff:
		return nil, errors.New("--fix and --diff do not go together: --diff shows what --fix would change")
	case f.fix && stdinCount > 0:
		return nil, errors.New("--fix cannot change standard input; use --diff, or name the file")
	}
	plan.stdin = stdinCount == 1
	plan.walked = without(paths, "-")
	if f.context != "" {
		// The files named are reported on; the catalog under the context folder is what they are
		// checked against (refs, duplicates), as Backstage would ingest them together.
		named := map[string]bool{}
		for _, p := range plan.walked {
			named[absPath(p)] = true
		}
		if plan.keep == nil {
			plan.keep = func(file string) bool { return named[absPath(file)] }
		}
		plan.walked = []string{f.context}
	}
	return plan, nil
}

// repoRun is the part of a check within one repository: the Git work tree that holds its paths (the
// folder itself when there is none), the configuration found from there, and the paths.
type repoRun struct {
	root    string
	abs     bool // findings name files by absolute paths, as the paths were given
	cfg     *linter.Config
	paths   []string
	stdin   bool
	repoURL string
	// sentry answers the Sentry check this repository's configuration asks for (its organization);
	// nil when Sentry is not asked, and sentryWhy then says why (given only if the files name a
	// project).
	sentry    integrations.Service
	sentryWhy string
}

// checkServices are the remote services of a check, built once and shared by every repository and
// by --fix's rounds: GitHub and the Backstage catalog are set by the environment alone.
type checkServices struct {
	live         rules.LiveCatalog
	integrations integrations.Connected
}

// buildCheck finds the repository of each path (the Git work tree that holds it) and the
// configuration of each repository's run (--config, else the nearest .catalog-lint.yaml from the
// folder that holds all its paths, upward), and builds the services they ask. Standard input belongs
// to the current folder's repository.
func buildCheck(f checkFlags, plan *checkPlan, deps Deps, stderr io.Writer, say func(kind, msg string)) ([]*repoRun, *checkServices, outcome, error) {
	env := deps.Env
	out := outcome{sentry: "offline"}
	var runs []*repoRun
	byRoot := map[string]*repoRun{}
	dirs := map[*repoRun][]string{}
	add := func(p string, dir string) *repoRun {
		root := linter.RootOf(dir)
		r := byRoot[root]
		if r == nil {
			r = &repoRun{root: root}
			byRoot[root] = r
			runs = append(runs, r)
		}
		if p != "" {
			r.paths = append(r.paths, p)
			r.abs = len(r.paths) == 1 && filepath.IsAbs(p) || r.abs && filepath.IsAbs(p)
		}
		dirs[r] = append(dirs[r], absPath(dir))
		return r
	}
	for _, p := range plan.walked {
		dir := p
		if err := linter.CheckPaths([]string{p}); err != nil {
			return nil, nil, out, err
		}
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			dir = filepath.Dir(p)
		}
		add(p, dir)
	}
	if plan.stdin {
		add("", ".").stdin = true
	}
	configs := map[string]*linter.Config{}
	sentries := map[*linter.Config]integrations.Service{}
	for _, r := range runs {
		cfgPath := f.config
		if cfgPath == "" {
			found, err := linter.FindConfig(commonDir(dirs[r]))
			if err != nil {
				return nil, nil, out, err
			}
			cfgPath = found
		}
		cfg, ok := configs[cfgPath]
		if !ok {
			var err error
			if cfg, err = rules.LoadConfig(cfgPath, r.root); err != nil {
				return nil, nil, out, err
			}
			configs[cfgPath] = cfg
		}
		r.cfg = cfg
		r.repoURL = firstNonEmpty(f.repositoryURL, githubRepositoryURL(env), originRemote(r.root))
	}
	svc := &checkServices{}
	if f.offline {
		return runs, svc, out, nil
	}
	whys := map[*linter.Config]string{}
	for _, r := range runs {
		if s, ok := sentries[r.cfg]; ok {
			r.sentry, r.sentryWhy = s, whys[r.cfg]
			continue
		}
		service, why, err := sentryService(f, r.cfg, deps, say, 0)
		if err != nil {
			return nil, nil, out, err
		}
		if out.sentry == "offline" {
			out.sentry = "checked"
		}
		if why != "" {
			// Said at the end of the run, once, and only if the files name a Sentry project.
			out.sentry, out.skipped = "no token", why
			r.sentryWhy, whys[r.cfg] = why, why
		}
		r.sentry = service
		sentries[r.cfg] = service
	}
	live, err := liveCatalog(f, deps)
	if err != nil {
		return nil, nil, out, err
	}
	if live != nil {
		for _, r := range runs {
			if r.repoURL == "" {
				fmt.Fprintln(stderr, "catalog-lint: this repository's URL is unknown (set --repository-url): entities are not checked for conflicts with the Backstage catalog")
				break
			}
		}
	}
	svc.live = live
	if svc.integrations, err = integrations.Connect(f.integrationSetting(env), deps.Redact.Add); err != nil {
		return nil, nil, out, err
	}
	return runs, svc, out, nil
}

// lintRepos lints every repository of a check, each as Backstage would ingest it (Locations
// followed, skeletons left out, the catalog-wide rules seeing its entities), and merges the results.
func lintRepos(ctx context.Context, f checkFlags, runs []*repoRun, svc *checkServices, stdin io.Reader, deps Deps) (*linter.Result, error) {
	var results []*linter.Result
	for _, r := range runs {
		repo, err := linter.DiskRepo(r.root, r.abs)
		if err != nil {
			return nil, err
		}
		// A rate limit that resets within a minute is waited out; a longer one is "could not verify".
		conn := svc.integrations.ForRun(time.Minute, deps.Sleep, nil, nil)
		switch {
		case r.sentry != nil:
			conn = conn.With(integrations.Sentry, r.sentry, nil, nil)
		case r.sentryWhy != "":
			conn = conn.Skip(integrations.Sentry, r.sentryWhy)
		}
		run := rules.Run{Repo: repo, Config: r.cfg, RepositoryURL: r.repoURL, Offline: f.offline,
			Live: svc.live, Jobs: f.jobs, Budget: f.budget, Integrations: conn}
		var extra []linter.Input
		if r.stdin {
			extra = append(extra, linter.Input{Name: f.stdinName, Reader: stdin})
		}
		res, err := run.Lint(ctx, r.paths, extra...)
		repo.Close()
		if err != nil {
			return nil, err
		}
		results = append(results, res)
	}
	return linter.MergeResults(results...), nil
}

// check runs a lint as the flags say, writes the output, and returns what happened.
func check(ctx context.Context, f checkFlags, paths []string, stdin io.Reader, stdout, stderr io.Writer, deps Deps) outcome {
	env := deps.Env
	fail := func(err error) outcome { return outcome{code: usageError(stderr, err)} }
	paths, err := expandPaths(paths, f.filesFrom, stdin)
	if err != nil {
		return fail(err)
	}
	plan, err := planCheck(f, paths, stdout, env)
	if err != nil {
		return fail(err)
	}
	runs, svc, out, err := buildCheck(f, plan, deps, stderr, sayer(f, stdout, stderr, env))
	if err != nil {
		return fail(err)
	}
	// --diff of standard input: its content is kept to show the fixes (--fix cannot change it).
	var held map[string][]byte
	if f.diff && plan.stdin {
		data, err := io.ReadAll(io.LimitReader(stdin, linter.DefaultMaxFileSize*64))
		if err != nil {
			return fail(fmt.Errorf("read standard input: %w", err))
		}
		stdin, held = bytes.NewReader(data), map[string][]byte{f.stdinName: data}
	}
	var res *linter.Result
	for round := 1; ; round++ {
		if res, err = lintRepos(ctx, f, runs, svc, stdin, deps); err != nil {
			return fail(err)
		}
		if plan.keep != nil {
			// Only the changed files are reported on, with the whole catalog as their context.
			res = keepOnly(res, plan.keep)
		}
		if !f.fix && !f.diff || round > 1 {
			break
		}
		stdinName := f.stdinName
		if held != nil {
			stdinName = "" // its fixes are shown too
		}
		files, fixes := fixesByFile(res, stdinName)
		if f.diff {
			out.res = res
			if err := writeDiff(stdout, files, fixes, held); err != nil {
				return fail(err)
			}
			return exitFor(out, res, plan.failOn)
		}
		applied, changed, err := applyFixes(files, fixes)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stderr, "catalog-lint: fixed %d %s in %d %s\n", applied, plural(applied, "problem", "problems"), changed, plural(changed, "file", "files"))
		// The next round reports what is left, as a run without --fix would.
	}
	out.res = res
	if out.sentry == "no token" && !slices.ContainsFunc(res.Notices, func(n string) bool { return strings.HasPrefix(n, "sentry: "+out.skipped) }) {
		out.sentry = "unused" // no file names a Sentry project: nothing to say about Sentry
	}
	if res.Files == 0 && plan.keep == nil && len(res.SkippedFiles) > 0 {
		fmt.Fprintf(stderr, "catalog-lint: no catalog file was linted: the %d found %s skipped (listed with the reason)\n",
			len(res.SkippedFiles), plural(len(res.SkippedFiles), "was", "were"))
	} else if res.Files == 0 && plan.keep == nil {
		shown := paths
		if len(shown) == 0 {
			shown = []string{"."}
		}
		fmt.Fprintf(stderr, "catalog-lint: no catalog files found under %s (looked for catalog-info.yaml, catalog-info.yml, YAML files holding Backstage entities and the include globs of %s)\n",
			strings.Join(shown, ", "), linter.ConfigFileName)
	}
	if err := plan.writer.Write(stdout, res); err != nil {
		return fail(fmt.Errorf("write output: %w", err))
	}
	if f.sarifFile != "" {
		if err := writeFile(f.sarifFile, "sarif", plan.reportOpts, res); err != nil {
			return fail(err)
		}
	}
	if f.codeQualityFile != "" {
		if err := writeFile(f.codeQualityFile, "gitlab", plan.reportOpts, res); err != nil {
			return fail(err)
		}
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "catalog-lint: interrupted")
		out.code = ExitUsage
		return out
	}
	for _, n := range res.Notices {
		fmt.Fprintln(stderr, "catalog-lint: "+n)
	}
	out = exitFor(out, res, plan.failOn)
	if res.Incomplete != "" {
		fmt.Fprintf(stderr, "catalog-lint: the run stopped before reading everything: %s; nothing was reported as missing; exit code %d unless errors were found\n",
			res.Incomplete, ExitUnverified)
	} else if out.code == ExitUnverified {
		fmt.Fprintf(stderr, "catalog-lint: %d %s could not be verified (%s); exit code %d\n",
			res.Inconclusive, plural(res.Inconclusive, "reference", "references"), unverifiedBy(res), ExitUnverified)
	}
	return out
}

// commonDir is the deepest folder holding every one of dirs (absolute, clean).
func commonDir(dirs []string) string {
	common := dirs[0]
	for _, d := range dirs[1:] {
		for !within(common, d) {
			parent := filepath.Dir(common)
			if parent == common {
				break
			}
			common = parent
		}
	}
	return common
}

// within reports whether path is dir or inside it.
func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// expandPaths expands the globs among paths (quoted, so that the shell leaves them alone:
// 'services/*/catalog-info.yaml', 'catalog/**/*.yaml') and adds the paths of --files-from, one per
// line ("-": standard input).
func expandPaths(paths []string, filesFrom string, stdin io.Reader) ([]string, error) {
	if filesFrom != "" {
		var data []byte
		var err error
		if filesFrom == "-" {
			if slices.Contains(paths, "-") {
				return nil, errors.New("--files-from - reads the paths from standard input: - cannot also be a file to lint")
			}
			data, err = io.ReadAll(io.LimitReader(stdin, 64<<20))
		} else {
			data, err = os.ReadFile(filesFrom)
		}
		if err != nil {
			return nil, fmt.Errorf("--files-from: %w", unwrapPath(err))
		}
		for _, line := range strings.Split(string(data), "\n") {
			if line = strings.TrimSpace(strings.TrimSuffix(line, "\r")); line != "" {
				paths = append(paths, line)
			}
		}
		if len(paths) == 0 {
			return nil, fmt.Errorf("--files-from %s names no file", filesFrom)
		}
	}
	var out []string
	for _, p := range paths {
		if p == "-" || !linter.HasGlob(p) {
			out = append(out, p)
			continue
		}
		if _, err := os.Stat(p); err == nil {
			out = append(out, p) // a file whose name holds [ or *: itself
			continue
		}
		files, err := linter.ExpandGlob(p)
		if err != nil {
			return nil, err
		}
		out = append(out, files...)
	}
	return out, nil
}
