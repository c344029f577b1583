package rules

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"gopkg.in/yaml.v3"

	"github.com/catalog-lint/catalog-lint/backstage"
	"github.com/catalog-lint/catalog-lint/linter"
)

// The catalog-wide rules look at the catalog as a whole, as Backstage ingests it: they run when a run
// has a linter.Catalog (check and serve walk a repository with one) and their questions are answered
// by a CatalogResolver once every file has been read.

// LocationTargetMissing reports Location targets that name no file.
var LocationTargetMissing = &linter.Rule{
	ID:       "location-target-missing",
	Summary:  "a Location's targets must name files that exist",
	Severity: linter.SeverityError,
	Catalog:  true,
	Doc: "Backstage reads every target of a `Location` (relative to the Location's own file; globs such as " +
		"`./services/*/catalog-info.yaml` are expanded). A target that names no file is a `NotFoundError` in " +
		"the catalog's processing log, and the entities it was meant to bring never appear. catalog-lint " +
		"follows targets transitively (cycles are harmless) and lints the files they name; a glob that " +
		"matches nothing is reported too. Absolute URLs are not followed.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: all-services
spec:
  targets:
    - ./services/payments-does-not-exist/catalog-info.yaml
`,
	Good: `apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: all-services
spec:
  targets:
    - ./services/*/catalog-info.yaml
`,
	Check: func(p *linter.Pass) {
		if p.Catalog == nil || p.Path == "" {
			return
		}
		// The engine follows the same targets (linter.Catalog.LocationTargets) whatever this rule's
		// setting; the rule only asks whether each names something.
		for _, t := range p.Catalog.LocationTargets(p.Entity, p.Path) {
			targetQuestions.Ask(p, t.Node, targetQuestion{file: t.From, target: t.Target, written: t.Written})
		}
	},
}

// TemplateSkeletonMissing reports fetch steps whose input.url names nothing.
var TemplateSkeletonMissing = &linter.Rule{
	ID:       "template-skeleton-missing",
	Summary:  "a Template's fetch steps must name a folder or file that exists",
	Severity: linter.SeverityError,
	Catalog:  true,
	Doc: "A scaffolder Template copies its skeleton with `fetch:template`, `fetch:plain`, " +
		"`fetch:cookiecutter` (a folder) or `fetch:template:file`, `fetch:plain:file` (one file); `input.url` " +
		"is relative to the Template's file. When it names nothing, every run of the template fails at that " +
		"step. The files under a skeleton folder are scaffolder input, not catalog files: catalog-lint lists " +
		"them as skipped and reports nothing in them.",
	Bad: `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: new-service
spec:
  type: service
  steps:
    - id: fetch
      action: fetch:template
      input:
        url: ./skeleton-that-does-not-exist
`,
	Good: `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: new-service
spec:
  type: service
  steps:
    - id: fetch
      action: fetch:template
      input:
        url: ./skeleton
`,
	Check: func(p *linter.Pass) {
		if p.Catalog == nil || p.Path == "" {
			return
		}
		for _, f := range linter.TemplateFetches(p.Entity) {
			skeletonQuestions.Ask(p, f.Node, skeletonQuestion{file: p.Path, url: f.URL, single: f.Single})
		}
	},
}

// EntityDuplicate reports entities defined more than once in a run.
var EntityDuplicate = &linter.Rule{
	ID:       "entity-duplicate",
	Summary:  "an entity must be defined once",
	Severity: linter.SeverityError,
	Catalog:  true,
	Doc: "Two definitions of the same `kind:namespace/name` (compared case-insensitively, as Backstage " +
		"does) cannot both be in the catalog: one is kept and the other is reported as a conflict in the " +
		"processing log, which one depending on processing order. Each definition is reported, naming the " +
		"other; rename one entity or delete the copy.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-payments
spec:
  type: team
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: Team-Payments
spec:
  type: team
  children: []
`,
	Good: `apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-payments
spec:
  type: team
  children: []
`,
	// Nothing to ask per entity: the engine records every definition whatever the rules (and an
	// entity's catalog-lint.io/ignore with it), and the answer sweeps the catalog's duplicates once
	// every file is read (duplicateAnswers is a linter.Sweeper). A catalog-wide run so keeps no
	// question per entity.
	Check: func(*linter.Pass) {},
}

// relationFields are the spec fields that refer to other entities, per kind, with the kind a ref
// without one defaults to ("" when the kind must be written), as catalog-model's
// BuiltinKindsEntityProcessor reads them.
var relationFields = map[string][]relationField{
	"component": {{"owner", "group"}, {"system", "system"}, {"subcomponentOf", "component"},
		{"providesApis", "api"}, {"consumesApis", "api"}, {"dependsOn", ""}, {"dependencyOf", ""}},
	"api":      {{"owner", "group"}, {"system", "system"}},
	"resource": {{"owner", "group"}, {"system", "system"}, {"dependsOn", ""}, {"dependencyOf", ""}},
	"system":   {{"owner", "group"}, {"domain", "domain"}},
	"domain":   {{"owner", "group"}, {"subdomainOf", "domain"}},
	"group":    {{"parent", "group"}, {"children", "group"}, {"members", "user"}},
	"user":     {{"memberOf", "group"}},
	"template": {{"owner", "group"}},
}

type relationField struct{ field, defaultKind string }

// relationFieldList is every kind's relation fields in one list, and relationFieldIndex where each is
// in it: a relation question names its field by index, not pointer.
var relationFieldList, relationFieldIndex = func() ([]*relationField, map[*relationField]int32) {
	var list []*relationField
	index := map[*relationField]int32{}
	for _, kind := range sortedKeys(relationFields) {
		for i := range relationFields[kind] {
			f := &relationFields[kind][i]
			index[f] = int32(len(list))
			list = append(list, f)
		}
	}
	return list, index
}()

// RelationField is a spec field that refers to other entities: its name, and the kind a ref without
// one defaults to ("" when the kind must be written).
type RelationField struct{ Field, DefaultKind string }

// RelationFields returns the relation fields of a kind (lowercase), as catalog-model reads them.
func RelationFields(kind string) []RelationField {
	var out []RelationField
	for _, f := range relationFields[kind] {
		out = append(out, RelationField{f.field, f.defaultKind})
	}
	return out
}

// RelationTargetMissing reports relations to entities that are not defined anywhere the run can see.
var RelationTargetMissing = &linter.Rule{
	ID:       "relation-target-missing",
	Summary:  "relations must name entities that exist",
	Severity: linter.SeverityWarning,
	Catalog:  true,
	Doc: "`spec.owner`, `spec.system`, `spec.domain`, `spec.subcomponentOf`, `spec.dependsOn`, " +
		"`spec.dependencyOf`, `spec.providesApis`, `spec.consumesApis`, `spec.parent`, `spec.children`, " +
		"`spec.members`, `spec.memberOf` and `spec.subdomainOf` name other entities. A ref is resolved as " +
		"Backstage resolves it: the field's default kind when none is written (`owner` → Group, `system` → " +
		"System, `providesApis` → API, ...), the referring entity's namespace when none is written, compared " +
		"case-insensitively. A relation to an entity that does not exist dangles: the UI shows the ref " +
		"without a link and ownership features silently miss the entity. Only the entities of the run are " +
		"known: refs to a kind the run defines no entity of (a service repository naming its owner Group, " +
		"kept in the organization's catalog) are not checked, and a notice says so once. The default " +
		"severity is warning; set it to `error` in a repository that holds the whole catalog.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
spec:
  type: service
  lifecycle: production
  owner: team-paymnets
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-payments
spec:
  type: team
  children: []
`,
	Good: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
spec:
  type: service
  lifecycle: production
  owner: team-payments
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-payments
spec:
  type: team
  children: []
`,
	Check: func(p *linter.Pass) {
		if p.Catalog == nil {
			return
		}
		fields := relationFields[strings.ToLower(p.Entity.Kind)]
		var namespace linter.Text // kept on the entity's first question
		kept := false
		for fi, f := range fields {
			_, v := p.Entity.Field("spec", f.field)
			if v == nil {
				continue
			}
			nodes := []*yaml.Node{v}
			if linter.Resolve(v).Kind == yaml.SequenceNode {
				nodes = linter.Items(v)
			}
			for _, n := range nodes {
				s, ok := linter.String(n)
				if !ok || s == "" {
					continue
				}
				ref, ok := ParseRef(s, f.defaultKind, p.Entity.Namespace)
				if !ok {
					continue // the kind's spec rule reports a malformed ref
				}
				if p.Catalog.Defined(ref) {
					continue // answered now: nothing is kept of a relation to an entity defined for good
				}
				// The ref is made again when the question is answered: kept for every relation that
				// waits, it was a tenth of a large run's memory while files are read.
				if !kept {
					namespace, kept = p.Catalog.Keep(p.Entity.Namespace), true
				}
				relationQuestions.Ask(p, n, relationQuestion{field: relationFieldIndex[&fields[fi]], value: p.Catalog.Keep(s), namespace: namespace})
			}
		}
	},
}

// KindNotAllowed reports entities whose kind app-config would reject.
var KindNotAllowed = &linter.Rule{
	ID:       "kind-not-allowed",
	Summary:  "an entity's kind must be allowed by app-config's catalog rules",
	Severity: linter.SeverityError,
	Catalog:  true,
	Doc: "When the repository holds a Backstage `app-config*.yaml` with a `catalog` section, its " +
		"`catalog.rules` (default: `[Component, API, Location]`) and each location's own `rules` say which " +
		"kinds may be ingested; an entity of another kind is rejected with `NotAllowedError` and never " +
		"appears. Allow the kind in app-config (for example `rules: [{allow: [User, Group]}]` on the location " +
		"of org.yaml), or move the entity. The example is linted with `catalog: {rules: [{allow: [Component, " +
		"API, Location]}]}`.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-payments
spec:
  type: team
  children: []
`,
	Good: `apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: all-services
spec:
  targets:
    - ./services/*/catalog-info.yaml
`,
	Check: func(p *linter.Pass) {
		if p.Catalog == nil || p.Entity.Kind == "" {
			return
		}
		// app-config is read before the walk hands out any file, so its rules are known here.
		allowed, allow, from, ok := p.Catalog.KindAllowed(p.Path, p.Entity.Kind)
		if ok && !allowed {
			_, v := p.Entity.Field("kind")
			p.Report(v, "kind %q is not allowed from this location by %s (allowed: %s); Backstage rejects the entity",
				p.Entity.Kind, filepath.ToSlash(from), strings.Join(allow, ", "))
		}
	},
}

// ParseRef resolves an entity ref `[kind:][namespace/]name` as catalog-model's parseEntityRef does:
// a missing kind is defaultKind (the ref is invalid when there is none), a missing namespace is
// namespace. The result is lowercased kind:namespace/name.
func ParseRef(s, defaultKind, namespace string) (string, bool) {
	kind, rest, hasKind := strings.Cut(s, ":")
	if !hasKind {
		kind, rest = defaultKind, s
	}
	ns, name, hasNS := strings.Cut(rest, "/")
	if !hasNS {
		ns, name = namespace, rest
	}
	if kind == "" || ns == "" || name == "" || strings.ContainsAny(name, ":/") {
		return "", false
	}
	return strings.ToLower(kind + ":" + ns + "/" + name), true
}

func isAbsoluteURL(s string) bool { return linter.IsAbsoluteURL(s) }

// CatalogResolver answers the catalog-wide rules' questions from the run's Catalog, once every file
// has been read, and from a live Backstage catalog when one is configured.
type CatalogResolver struct {
	Catalog *linter.Catalog
	// Live, when set, is asked about refs the run does not define, and about every entity of the run
	// (entity-conflict).
	Live LiveCatalog
	// Repository is this repository's URL (https://github.com/acme/repo), to tell its own entities
	// from those another repository registered; "" makes no conflict claim.
	Repository string

	live liveAnswers
}

// The questions of the catalog-wide rules, each type answered by its own part of CatalogResolver.
var (
	targetQuestions    linter.Asks[targetQuestion]
	skeletonQuestions  linter.Asks[skeletonQuestion]
	duplicateQuestions linter.Asks[duplicateQuestion]
	relationQuestions  linter.Asks[relationQuestion]
	techdocsQuestions  linter.Asks[techdocsQuestion]
)

type (
	targetQuestion   struct{ file, target, written string }
	skeletonQuestion struct {
		file, url string
		single    bool
	}
	duplicateQuestion struct{}
	// relationQuestion is a relation that waits for every file to be read: a run of 100,000
	// services keeps 400,000, so it holds no pointer (its field by index in relationFieldList, its
	// texts in the catalog's arena).
	relationQuestion struct {
		field            int32
		value, namespace linter.Text
	}
)

// CatalogResolvers returns the resolvers of every catalog-wide rule, for linter.Options.
func CatalogResolvers(c *linter.Catalog, into map[*linter.Rule]linter.Resolver) map[*linter.Rule]linter.Resolver {
	return (&CatalogResolver{Catalog: c}).Register(into)
}

// Register makes r the resolver of every catalog-wide rule in into, which it returns (a new map when
// nil). With a live catalog, r is also a linter.Finisher (entity-conflict): pass it in
// Options.Finishers.
func (r *CatalogResolver) Register(into map[*linter.Rule]linter.Resolver) map[*linter.Rule]linter.Resolver {
	if into == nil {
		into = map[*linter.Rule]linter.Resolver{}
	}
	into[LocationTargetMissing] = targetQuestions.AnsweredBy(targetAnswers{r})
	into[TemplateSkeletonMissing] = skeletonQuestions.AnsweredBy(skeletonAnswers{r})
	into[EntityDuplicate] = duplicateQuestions.AnsweredBy(duplicateAnswers{r})
	into[RelationTargetMissing] = relationQuestions.AnsweredBy(relationAnswers{r})
	into[TechDocsDirMissing] = techdocsQuestions.AnsweredBy(techdocsAnswers{r})
	return into
}

// answers collects a resolver's answers.
type answers []linter.Answer

func (a *answers) add(i int, rule *linter.Rule, format string, args ...any) {
	*a = append(*a, answer(i, rule, format, args...))
}

// answer is the answer of rule to question i, its message formatted.
func answer(i int, rule *linter.Rule, format string, args ...any) linter.Answer {
	return linter.Answer{Question: i, Rule: rule, Message: fmt.Sprintf(format, args...)}
}

// inParallel calls work on consecutive ranges of [0, n), on one goroutine per CPU (GOMAXPROCS) when n
// is large enough to be worth it (inParallelEach).
func inParallel(n int, work func(lo, hi int)) {
	inParallelEach(n, 4096, parallelChunk, func() func(lo, hi int) { return work })
}

// inParallelEach calls, on each of up to one goroutine per CPU (GOMAXPROCS), but fewer than one per
// perWorker items, worker once, then the function it returns on consecutive ranges of [0, n): what a
// goroutine keeps between its ranges (what it found so far) is its own. The ranges are taken in turn,
// chunk items at a time, not split once in equal parts: a CPU slowed by other work (a shared
// machine's neighbours, the collector) takes fewer of them rather than holding the others up at
// the end.
func inParallelEach(n, perWorker, chunk int, worker func() func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n/perWorker+1, n)
	if workers <= 1 {
		if n > 0 {
			worker()(0, n)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work := worker()
			for {
				hi := int(next.Add(int64(chunk)))
				lo := hi - chunk
				if lo >= n {
					return
				}
				work(lo, min(hi, n))
			}
		}()
	}
	wg.Wait()
}

// parallelChunk is how many items inParallel gives a goroutine at a time.
const parallelChunk = 1024

type targetAnswers struct{ r *CatalogResolver }

// Answer says which Location targets name nothing.
func (t targetAnswers) Answer(_ context.Context, qs []targetQuestion) ([]linter.Answer, []string) {
	var out answers
	for i, q := range qs {
		files, glob, outside := t.r.Catalog.ResolveTarget(q.file, q.target)
		switch {
		case outside:
			out.add(i, LocationTargetMissing, "location target %q is outside the repository; catalog-lint does not read it", q.written)
		case glob && len(files) == 0:
			out.add(i, LocationTargetMissing, "location target %q matches no file; Backstage will ingest nothing from it", q.written)
		case !glob && len(files) == 0:
			out.add(i, LocationTargetMissing, "location target %q does not exist (looked for %s); Backstage reports a NotFoundError and ingests nothing from it",
				q.written, filepath.ToSlash(t.r.Catalog.Name(path.Join(path.Dir(q.file), q.target))))
		}
	}
	return out, nil
}

type techdocsAnswers struct{ r *CatalogResolver }

// Answer says which techdocs-ref dir: values name no documentation.
func (t techdocsAnswers) Answer(_ context.Context, qs []techdocsQuestion) ([]linter.Answer, []string) {
	var out answers
	for i, q := range qs {
		if msg := t.r.techdocs(q); msg != "" {
			out.add(i, TechDocsDirMissing, "%s", msg)
		}
	}
	return out, nil
}

type skeletonAnswers struct{ r *CatalogResolver }

// Answer says which fetch steps name nothing, or a file where a folder is copied (and the reverse).
func (t skeletonAnswers) Answer(_ context.Context, qs []skeletonQuestion) ([]linter.Answer, []string) {
	var out answers
	for i, q := range qs {
		p := path.Join(path.Dir(q.file), q.url)
		if !t.r.Catalog.Inside(p) {
			// Never looked up: whether a file of this machine exists is not the repository's business.
			out.add(i, TemplateSkeletonMissing, "fetch step input.url %q is outside the repository; catalog-lint does not look there", q.url)
			continue
		}
		exists, dir := t.r.Catalog.Stat(p)
		switch {
		case !exists:
			out.add(i, TemplateSkeletonMissing, "fetch step input.url %q does not exist (looked for %s); the template fails at this step",
				q.url, filepath.ToSlash(t.r.Catalog.Name(p)))
		case q.single && dir:
			out.add(i, TemplateSkeletonMissing, "fetch step input.url %q is a folder, but this action copies one file", q.url)
		case !q.single && !dir:
			out.add(i, TemplateSkeletonMissing, "fetch step input.url %q is a file, but this action copies a folder", q.url)
		}
	}
	return out, nil
}

type duplicateAnswers struct{ r *CatalogResolver }

// Answer names, for each definition of an entity defined more than once, the other definitions.
func (t duplicateAnswers) Answer(context.Context, []duplicateQuestion) ([]linter.Answer, []string) {
	var out []linter.Answer
	for _, defs := range t.r.Catalog.Duplicated() {
		for _, d := range defs {
			if d.Ignored[EntityDuplicate.ID] {
				continue // catalog-lint.io/ignore on that entity
			}
			var others []string
			for _, o := range defs {
				if o.File != d.File || o.Line != d.Line {
					others = append(others, fmt.Sprintf("%s:%d", o.File, o.Line))
				}
			}
			out = append(out, linter.Answer{Rule: EntityDuplicate, At: definitionPlace(d),
				Message: fmt.Sprintf("entity %s is also defined at %s; Backstage keeps only one of them", d.Ref, strings.Join(others, ", "))})
		}
	}
	return out, nil
}

// Sweeps makes duplicateAnswers a linter.Sweeper: it answers from the catalog, unasked.
func (duplicateAnswers) Sweeps() bool { return true }

type relationAnswers struct{ r *CatalogResolver }

// Answer says which relations name no entity of the run (nor, with one, of the live catalog).
func (t relationAnswers) Answer(ctx context.Context, qs []relationQuestion) ([]linter.Answer, []string) {
	r := t.r
	texts := r.Catalog.Texts()
	var notices []string
	r.live.local = r.localRefs
	// Each question's ref, when it is not defined, and what is known of it: a run of 100,000 services
	// asks about 300,000, looked up and then worded in parallel, in the order they were asked.
	const (
		defined   = iota
		forLive   // the live catalog is asked
		unchecked // the run defines no entity of its kind
		local     // missing from the run
	)
	refs := make([]string, len(qs))
	class := make([]uint8, len(qs))
	index := r.Catalog.RefIndex()
	inParallel(len(qs), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			q := qs[i]
			ref, _ := ParseRef(texts.Get(q.value), relationFieldList[q.field].defaultKind, texts.Get(q.namespace)) // valid: the rule asked
			if index.Defined(ref) {
				continue
			}
			refs[i] = ref
			kind, _, _ := strings.Cut(ref, ":")
			switch {
			case r.Live != nil:
				class[i] = forLive
			case !index.DefinesKind(kind):
				// The run defines no entity of that kind (a service repository names its owner, whose
				// Group lives in the organization's catalog): nothing can be said, and saying "missing"
				// for every ref would be noise.
				class[i] = unchecked
			default:
				class[i] = local
			}
		}
	})
	uncheckedKinds := map[string]bool{}
	var missing, locals []int // relation questions the run does not answer: for the live catalog, or missing
	for i, c := range class {
		switch c {
		case forLive:
			missing = append(missing, i)
		case unchecked:
			kind, _, _ := strings.Cut(refs[i], ":")
			uncheckedKinds[kind] = true
		case local:
			locals = append(locals, i)
		}
	}
	var found map[string]*backstage.Entity
	var err error
	if len(missing) > 0 {
		lookup := make([]string, len(missing))
		for j, i := range missing {
			lookup[j] = refs[i]
		}
		found, err = r.live.lookup(ctx, r.Live, lookup)
		if err != nil {
			notices = append(notices, fmt.Sprintf("the Backstage catalog could not be asked (%v): refs it would have answered are reported as catalog-unverified, never as missing", err))
		}
	}
	// The suggestions, by question: for the missing relations.
	var suggestFor []string
	var askedBy []int
	for _, i := range locals {
		suggestFor, askedBy = append(suggestFor, refs[i]), append(askedBy, i)
	}
	for _, i := range missing {
		if err == nil && found[refs[i]] == nil {
			suggestFor, askedBy = append(suggestFor, refs[i]), append(askedBy, i)
		}
	}
	suggestions := make([]string, len(qs))
	for k, s := range r.suggestAll(suggestFor) {
		suggestions[askedBy[k]] = s
	}
	// One answer per missing relation, worded in parallel into its slot; a relation the live catalog
	// knows leaves its slot empty (no Rule), dropped below.
	out := make(answers, len(locals)+len(missing))
	inParallel(len(out), func(lo, hi int) {
		for k := lo; k < hi; k++ {
			if k < len(locals) {
				i := locals[k]
				q := qs[i]
				out[k] = linter.Answer{Question: i, Rule: RelationTargetMissing,
					Message: relationMessage(q.field, texts.Get(q.value), refs[i], ", which is not defined in the files linted", suggestions[i])}
				continue
			}
			i := missing[k-len(locals)]
			q := qs[i]
			switch {
			case err != nil:
				out[k] = answer(i, CatalogUnverified, "spec.%s %q refers to %s, which the files linted do not define, and the Backstage catalog could not be asked: %v",
					relationFieldList[q.field].field, texts.Get(q.value), refs[i], err)
			case found[refs[i]] == nil:
				out[k] = linter.Answer{Question: i, Rule: RelationTargetMissing,
					Message: relationMessage(q.field, texts.Get(q.value), refs[i], ", which is neither in the files linted nor in the Backstage catalog", suggestions[i])}
			}
		}
	})
	out = slices.DeleteFunc(out, func(a linter.Answer) bool { return a.Rule == nil })
	sort.Slice(out, func(a, b int) bool { return out[a].Question < out[b].Question })
	for _, kind := range sortedKeys(uncheckedKinds) {
		notices = append(notices, fmt.Sprintf("relations to %s entities were not checked: the files linted define none", kind))
	}
	return out, notices
}

// relationMessage words a missing relation: `spec.FIELD "VALUE" refers to REF` and the rest. It is
// made by concatenation, one allocation, not fmt: one message per missing relation, 300,000 in a run
// of 100,000 services. A value of plain characters is quoted in the concatenation; any other is
// quoted by strconv.Quote, escapes and all.
func relationMessage(field int32, value, ref, rest, suggestion string) string {
	name := relationFieldList[field].field
	if plainQuotable(value) {
		return "spec." + name + ` "` + value + `" refers to ` + ref + rest + suggestion
	}
	return "spec." + name + " " + strconv.Quote(value) + " refers to " + ref + rest + suggestion
}

// plainQuotable reports whether strconv.Quote(s) is s between double quotes: printable ASCII, with
// no double quote or backslash.
func plainQuotable(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// TechDocsAnnotation points TechDocs at an entity's documentation.
const TechDocsAnnotation = "backstage.io/techdocs-ref"

// TechDocsDirMissing reports backstage.io/techdocs-ref: dir:PATH values that name no documentation.
var TechDocsDirMissing = &linter.Rule{
	ID:       "techdocs-dir-missing",
	Summary:  "backstage.io/techdocs-ref dir: must name a folder with mkdocs.yml or docs/",
	Severity: linter.SeverityError,
	Catalog:  true,
	Doc: "`backstage.io/techdocs-ref: dir:PATH` tells TechDocs to build the documentation in PATH, relative " +
		"to the catalog file. The folder must exist and hold `mkdocs.yml` (or `mkdocs.yaml`) or a `docs/` " +
		"folder; otherwise the TechDocs build fails and the entity's Docs tab stays empty. `url:` values are " +
		"not checked. In `serve`, the commit's tree is what is looked at.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  annotations:
    backstage.io/techdocs-ref: dir:./documentation
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Good: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  annotations:
    backstage.io/techdocs-ref: dir:./services/payments
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Check: func(p *linter.Pass) {
		if p.Catalog == nil || p.Path == "" {
			return
		}
		_, v := p.Entity.Annotation(TechDocsAnnotation)
		s, ok := linter.String(v)
		if !ok || !strings.HasPrefix(s, "dir:") {
			return
		}
		dir := strings.TrimSpace(strings.TrimPrefix(s, "dir:"))
		if dir == "" || isAbsoluteURL(dir) || linter.HasTemplateMarker(dir) {
			return
		}
		techdocsQuestions.Ask(p, v, techdocsQuestion{file: p.Path, dir: dir})
	},
}

type techdocsQuestion struct{ file, dir string }

// techdocs answers a techdocs-ref question: "" when the folder holds documentation.
func (r *CatalogResolver) techdocs(q techdocsQuestion) string {
	dir := path.Join(path.Dir(q.file), q.dir)
	if !r.Catalog.Inside(dir) {
		return fmt.Sprintf("backstage.io/techdocs-ref %q names a folder outside the repository", "dir:"+q.dir)
	}
	shown := filepath.ToSlash(r.Catalog.Name(dir))
	exists, isDir := r.Catalog.Stat(dir)
	switch {
	case !exists:
		return fmt.Sprintf("backstage.io/techdocs-ref %q: the folder %s does not exist; the TechDocs build will fail", "dir:"+q.dir, shown)
	case !isDir:
		return fmt.Sprintf("backstage.io/techdocs-ref %q: %s is a file, not a folder", "dir:"+q.dir, shown)
	}
	for _, name := range []string{"mkdocs.yml", "mkdocs.yaml"} {
		if ok, d := r.Catalog.Stat(path.Join(dir, name)); ok && !d {
			return ""
		}
	}
	if ok, d := r.Catalog.Stat(path.Join(dir, "docs")); ok && d {
		return ""
	}
	return fmt.Sprintf("backstage.io/techdocs-ref %q: %s holds neither mkdocs.yml nor a docs/ folder; the TechDocs build will fail", "dir:"+q.dir, shown)
}
