// Package synthetic writes a synthetic monorepo of catalog files for benchmarks and load tests: one
// catalog-info.yaml per service, about 1.3 documents per file, a realistic mix of annotations, and a
// few deliberate mistakes so that rules have something to report.
package synthetic

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
)

// Stats describes what Write produced.
type Stats struct {
	Files, Documents int
}

// Options tune Write.
type Options struct {
	// SentryProjects, when set, makes the services' sentry.io/project-slug annotations name only
	// ProjectSlug(0) .. ProjectSlug(SentryProjects-1), and never with a mistake, so that every
	// annotation names a project of a test Sentry holding those.
	SentryProjects int
	// GitHubRepos, when set, makes github.com/project-slug name only acme/repo-0000 ..
	// acme/repo-(GitHubRepos-1) (GitHubRepo).
	GitHubRepos int
	// Catalog makes a catalog repository of it: a root catalog-info.yaml Location listing the services
	// by glob, an org.yaml defining the owners, systems and resources the services name, and relations
	// beyond the required owner (system, dependsOn) on 30% of the services.
	Catalog bool
	// Dangling makes the monorepo of a service organization whose teams come from an org provider:
	// each service names an owner team, a system, a provided API and a resource it depends on, and
	// only some of those are defined in the repository (half the teams, a quarter of the systems, 30%
	// of the APIs and resources), so that most runs ask for suggestions. It implies Catalog's layout.
	Dangling bool
}

// writeDangling writes the services of Options.Dangling.
func writeDangling(dir string, n int, rng *rand.Rand) (Stats, error) {
	var st Stats
	root := "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: monorepo\nspec:\n  targets:\n    - ./org.yaml\n    - ./services/*/catalog-info.yaml\n"
	teams, systems := max(n/50, 2), max(n/100, 2)
	var org strings.Builder
	for t := 0; t < teams; t += 2 {
		fmt.Fprintf(&org, "---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-%04d\nspec:\n  type: team\n  children: []\n", t)
		st.Documents++
	}
	for s := 0; s < systems; s += 4 {
		fmt.Fprintf(&org, "---\napiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: system-%04d\nspec:\n  owner: team-0000\n", s)
		st.Documents++
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return st, err
	}
	if err := os.WriteFile(filepath.Join(dir, "catalog-info.yaml"), []byte(root), 0o644); err != nil {
		return st, err
	}
	if err := os.WriteFile(filepath.Join(dir, "org.yaml"), []byte(org.String()), 0o644); err != nil {
		return st, err
	}
	st.Files += 2
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.Reset()
		name := fmt.Sprintf("svc-%05d", i)
		fmt.Fprintf(&b, `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: %s
  description: Synthetic service number %d.
  annotations:
    github.com/project-slug: acme/%s
spec:
  type: service
  lifecycle: production
  owner: team-%04d
  system: system-%04d
  providesApis: [%s-api]
  dependsOn: [resource:%s-db]
`, name, i, name, rng.Intn(teams), rng.Intn(systems), name, name)
		st.Documents++
		if rng.Intn(10) < 3 {
			fmt.Fprintf(&b, "---\napiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: %s-api\nspec:\n  type: openapi\n  lifecycle: production\n  owner: team-0000\n  definition: '{}'\n", name)
			st.Documents++
		}
		if rng.Intn(10) < 3 {
			fmt.Fprintf(&b, "---\napiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata:\n  name: %s-db\nspec:\n  type: database\n  owner: team-0000\n", name)
			st.Documents++
		}
		if err := writeService(dir, name, b.String()); err != nil {
			return st, err
		}
		st.Files++
	}
	return st, nil
}

// GitHubRepo is the repository of service i's github.com/project-slug with Options.GitHubRepos.
func GitHubRepo(i, repos int) string { return fmt.Sprintf("acme/repo-%04d", i%repos) }

// ProjectSlug is the Sentry project slug of project i in WriteWith's annotations.
func ProjectSlug(i int) string { return fmt.Sprintf("svc-%05d", i) }

// Write creates n services under dir (services/svc-NNNNN/catalog-info.yaml), deterministically for
// a given seed. About 30% of files also hold an API entity; about 2% have a mistake.
func Write(dir string, n int, seed int64) (Stats, error) { return WriteWith(dir, n, seed, Options{}) }

// WriteWith is Write with options.
func WriteWith(dir string, n int, seed int64, opts Options) (Stats, error) {
	rng := rand.New(rand.NewSource(seed))
	if opts.Dangling {
		return writeDangling(dir, n, rng)
	}
	var st Stats
	if opts.Catalog {
		if err := writeCatalogRoot(dir, n); err != nil {
			return st, err
		}
		st.Files += 2
	}
	owners := []string{"team-payments", "team-web", "team-data", "team-platform", "group:default/team-ml"}
	lifecycles := []string{"production", "experimental", "deprecated"}
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.Reset()
		name := fmt.Sprintf("svc-%05d", i)
		owner := owners[rng.Intn(len(owners))]
		tags := []string{"java", "go", "python", "grpc", "rest", "kafka"}
		rng.Shuffle(len(tags), func(a, c int) { tags[a], tags[c] = tags[c], tags[a] })
		tagList := strings.Join(tags[:1+rng.Intn(3)], ", ")
		repo := "acme/" + name
		if opts.GitHubRepos > 0 {
			repo = GitHubRepo(i, opts.GitHubRepos)
		}
		slug := name
		if opts.SentryProjects > 0 {
			slug = ProjectSlug(i % opts.SentryProjects)
		} else if rng.Intn(50) == 0 {
			slug = strings.ToUpper(name) // a mistake for sentry-project-slug-format
		}
		fmt.Fprintf(&b, `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: %s
  title: Service %d
  description: Synthetic service number %d, generated for benchmarks.
  labels:
    example.com/tier: "%d"
  annotations:
    github.com/project-slug: %s
    sentry.io/project-slug: %s
    backstage.io/techdocs-ref: url:https://github.com/%s
    pagerduty.com/service-id: P%06d
  tags: [%s]
  links:
    - url: https://grafana.example.com/d/%s
      title: Dashboard
spec:
  type: service
  lifecycle: %s
  owner: %s
`, name, i, i, 1+rng.Intn(3), repo, slug, repo, i, tagList, name, lifecycles[rng.Intn(len(lifecycles))], owner)
		if !opts.Catalog || rng.Intn(10) < 3 {
			fmt.Fprintf(&b, "  system: system-%d\n  dependsOn:\n    - resource:%s-db\n", i%40, name)
			if opts.Catalog {
				fmt.Fprintf(&b, `---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: %s-db
spec:
  type: database
  owner: %s
`, name, owner)
				st.Documents++
			}
		}
		st.Documents++
		if rng.Intn(10) < 3 {
			fmt.Fprintf(&b, `---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: %s-api
  description: The API of %s.
spec:
  type: openapi
  lifecycle: production
  owner: %s
  definition:
    $text: ./openapi.yaml
`, name, name, owner)
			st.Documents++
		}
		if err := writeService(dir, name, b.String()); err != nil {
			return st, err
		}
		st.Files++
	}
	return st, nil
}

// writeCatalogRoot writes the root Location and org.yaml of a catalog repository.
func writeCatalogRoot(dir string, n int) error {
	root := `apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: monorepo
spec:
  targets:
    - ./org.yaml
    - ./services/*/catalog-info.yaml
`
	var org strings.Builder
	for _, g := range []string{"team-payments", "team-web", "team-data", "team-platform", "team-ml"} {
		fmt.Fprintf(&org, "---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: %s\nspec:\n  type: team\n  children: []\n", g)
	}
	for i := 0; i < 40 && i < n; i++ {
		fmt.Fprintf(&org, "---\napiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: system-%d\nspec:\n  owner: team-platform\n", i)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "catalog-info.yaml"), []byte(root), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "org.yaml"), []byte(org.String()), 0o644)
}

// writeService writes services/NAME/catalog-info.yaml under dir.
func writeService(dir, name, content string) error {
	p := filepath.Join(dir, "services", name, "catalog-info.yaml")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(content), 0o644)
}
