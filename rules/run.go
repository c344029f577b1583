package rules

import (
	"context"
	"sort"

	"github.com/catalog-lint/catalog-lint/integrations"
	"github.com/catalog-lint/catalog-lint/linter"
)

// Run is one lint of a repository with every rule and the services they ask: the one pipeline that
// `catalog-lint check` (a repository on disk) and the App (a commit's tree) both call, so that the
// same files give the same findings in both.
type Run struct {
	// Repo is the repository: linter.DiskRepo or linter.NewTreeRepo.
	Repo   *linter.Repo
	Config *linter.Config
	// RepositoryURL is the repository's web address: Location targets that are URLs into it are its
	// files, and entity-conflict tells its entities from others'.
	RepositoryURL string
	// Offline leaves out every rule that needs the network.
	Offline bool
	// Live answers the catalog-wide rules from the Backstage catalog; nil leaves it out.
	Live LiveCatalog
	// Integrations answer the rules of Sentry, GitHub, SonarQube, PagerDuty, Jira and GitLab
	// (integrations.Connect, Connected.With); those it has no resolver for are left out, those it
	// skips (no token) give one notice when the files name them.
	Integrations integrations.Connected
	// Jobs is how many files are linted at once (0: one per CPU).
	Jobs int
	// Budget bounds what the repository can make the run do (linter.Budget).
	Budget linter.Budget
}

// Lint lints what Backstage would ingest from paths of the repository (folders walked, files named;
// "." for all of it), Locations followed and skeletons left out, and extra inputs (standard input).
func (r Run) Lint(ctx context.Context, paths []string, extra ...linter.Input) (*linter.Result, error) {
	catalog := linter.NewCatalog(r.Repo)
	catalog.RepositoryURL = r.RepositoryURL
	resolvers := map[*linter.Rule]linter.Resolver{}
	if !r.Offline {
		resolvers = r.Integrations.Register(resolvers)
	}
	resolvers = RegisterOffline(resolvers)
	cr := &CatalogResolver{Catalog: catalog, Repository: r.RepositoryURL, Live: r.Live}
	resolvers = cr.Register(resolvers)
	var finishers []linter.Finisher
	if r.Live != nil {
		finishers = append(finishers, cr) // entity-conflict: every entity of the run against the live catalog
	}
	l, err := linter.New(linter.Options{Rules: All(), Config: r.Config, Offline: r.Offline, Jobs: r.Jobs, Resolvers: resolvers,
		Finishers: finishers, Catalog: catalog, Budget: r.Budget})
	if err != nil {
		return nil, err
	}
	res, err := l.LintPaths(ctx, paths, r.Config, extra...)
	if err != nil {
		return nil, err
	}
	res.Services = r.services()
	return res, nil
}

// services names the services the run asks, sorted.
func (r Run) services() []string {
	if r.Offline {
		return nil
	}
	var out []string
	if r.Live != nil {
		out = append(out, "backstage")
	}
	out = append(out, r.Integrations.Names()...)
	sort.Strings(out)
	return out
}

// UnverifiedBy names the services whose answers a result could not verify, in the order of its
// findings (Sentry, GitHub, the Backstage catalog, SonarQube, …).
func UnverifiedBy(res *linter.Result) []string {
	names := map[string]string{CatalogUnverified.ID: "the Backstage catalog"}
	for _, i := range integrations.All() {
		names[i.Unverified.ID] = i.Title
	}
	var by []string
	seen := map[string]bool{}
	for _, f := range res.Findings {
		if name := names[f.Rule]; name != "" && !seen[name] {
			seen[name] = true
			by = append(by, name)
		}
	}
	return by
}
