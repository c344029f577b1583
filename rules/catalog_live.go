package rules

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/catalog-lint/catalog-lint/backstage"
	"github.com/catalog-lint/catalog-lint/linter"
)

// LiveCatalog is the Backstage catalog API as the catalog-wide rules ask it (backstage.Client).
type LiveCatalog interface {
	EntitiesByRefs(ctx context.Context, refs []string) (map[string]*backstage.Entity, int, error)
}

// EntityConflict reports entities that the live catalog already holds from another repository.
var EntityConflict = &linter.Rule{
	ID:       "entity-conflict",
	Summary:  "an entity must not already exist in the catalog from another repository",
	Severity: linter.SeverityError,
	Network:  true,
	Doc: "With a live catalog configured (`--backstage-url`/`BACKSTAGE_URL` and `BACKSTAGE_TOKEN`; see " +
		"docs/discovery.md), every entity of the run is looked up with `POST /api/catalog/entities/by-refs`. " +
		"One that exists with a `backstage.io/managed-by-origin-location` outside this repository is " +
		"rejected by Backstage as a conflicting entity: the existing one stays and the new service never " +
		"appears. This is what happens when a `catalog-info.yaml` is copied to a new repository. Rename " +
		"the entity, or unregister the other location first. This repository's URL comes from " +
		"`--repository-url`, `GITHUB_SERVER_URL` and `GITHUB_REPOSITORY`, or the `origin` remote; when it " +
		"is unknown no conflict is claimed.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Good: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments-v2
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
}

// CatalogUnverified carries the refs the live catalog could not be asked about.
var CatalogUnverified = &linter.Rule{
	ID:           "catalog-unverified",
	Summary:      "a ref or an entity could not be checked against the Backstage catalog",
	Severity:     linter.SeverityWarning,
	Network:      true,
	Inconclusive: true,
	Doc: "Reported where the live Backstage catalog was needed and could not answer: unreachable, a " +
		"timeout, 5xx, or the token was rejected (401, 403). It is never a claim that an entity is " +
		"missing or conflicts: relation-target-missing and entity-conflict say nothing about what could " +
		"not be checked. The run then ends with exit code 3 (unless errors already make it 1), and the " +
		"reason is printed once.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Good: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments-v2
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
}

// liveAnswers asks the live catalog once per run: the entities of the run and the refs it does not
// define, together, in batches.
type liveAnswers struct {
	once  sync.Once
	local func() []string
	found map[string]*backstage.Entity
	err   error
	asked map[string]bool
}

// lookup returns what the catalog holds of refs (and of every entity of the run, asked at the same
// time so that entity-conflict needs no request of its own).
func (l *liveAnswers) lookup(ctx context.Context, live LiveCatalog, refs []string) (map[string]*backstage.Entity, error) {
	l.once.Do(func() {
		all := append([]string(nil), refs...)
		if l.local != nil {
			all = append(all, l.local()...)
		}
		sort.Strings(all)
		uniq := all[:0]
		for i, ref := range all {
			if i == 0 || ref != all[i-1] {
				uniq = append(uniq, ref)
			}
		}
		l.asked = map[string]bool{}
		for _, ref := range uniq {
			l.asked[ref] = true
		}
		l.found, _, l.err = live.EntitiesByRefs(ctx, uniq)
	})
	return l.found, l.err
}

// localRefs are the refs the run defines.
func (r *CatalogResolver) localRefs() []string {
	var refs []string
	for _, d := range r.Catalog.AllDefinitions() {
		refs = append(refs, d.Ref)
	}
	return refs
}

// Finish implements linter.Finisher: entities of the run that the live catalog holds from another
// repository.
func (r *CatalogResolver) Finish(ctx context.Context) ([]linter.Answer, []string) {
	if r.Live == nil {
		return nil, nil
	}
	defs := r.Catalog.AllDefinitions()
	if len(defs) == 0 {
		return nil, nil
	}
	r.live.local = r.localRefs
	found, err := r.live.lookup(ctx, r.Live, nil)
	if err != nil {
		first := defs[0]
		return []linter.Answer{{Rule: CatalogUnverified, At: definitionPlace(first), Message: fmt.Sprintf(
			"%d %s of this run could not be compared with the Backstage catalog for conflicts: %v", len(defs),
			plural(len(defs), "entity", "entities"), err)}}, nil
	}
	if r.Repository == "" {
		for _, d := range defs {
			if e := found[d.Ref]; e != nil && e.Origin() != "" {
				return nil, []string{"entities were not compared with the origins of the Backstage catalog's: this repository's URL is unknown (set --repository-url, or GITHUB_SERVER_URL and GITHUB_REPOSITORY)"}
			}
		}
		return nil, nil
	}
	var answers []linter.Answer
	for _, d := range defs {
		e := found[d.Ref]
		if e == nil {
			continue
		}
		origin := strings.TrimPrefix(e.Origin(), "url:")
		if origin == "" || !strings.HasPrefix(e.Origin(), "url:") || SameRepository(origin, r.Repository) {
			continue
		}
		answers = append(answers, linter.Answer{Rule: EntityConflict, At: definitionPlace(d), Message: fmt.Sprintf(
			"entity %s already exists in the Backstage catalog, registered from %s; Backstage rejects this definition as a conflicting entity and keeps that one: rename this entity or unregister the other location",
			d.Ref, origin)})
	}
	return answers, nil
}

func definitionPlace(d linter.Definition) *linter.Finding {
	return &linter.Finding{File: d.File, Line: d.Line, Column: d.Column, EndLine: d.Line, EndColumn: d.EndColumn,
		Entity: d.Entity, Document: d.Document}
}

// SameRepository reports whether location (a file's URL, such as
// https://github.com/acme/pay/blob/main/catalog-info.yaml) is inside the repository at repo
// (https://github.com/acme/pay), comparing host and path case-insensitively.
func SameRepository(location, repo string) bool {
	norm := func(s string) string {
		s = strings.ToLower(strings.TrimSpace(s))
		if i := strings.Index(s, "://"); i >= 0 {
			s = s[i+3:]
		}
		s = strings.TrimPrefix(s, "www.")
		return strings.TrimSuffix(strings.TrimSuffix(s, "/"), ".git")
	}
	l, r := norm(location), norm(repo)
	return r != "" && (l == r || strings.HasPrefix(l, r+"/"))
}
