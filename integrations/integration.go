// Package integrations checks that an annotation naming an object in another system names one that
// exists: a SonarQube project, a PagerDuty service, a Jira project, a GitLab project. Each
// integration is one file of declarations (an Integration: its annotation keys, how a value parses,
// its settings, the texts of its rules) and its client (a Service). This file and resolve.go are what
// they share: the three rules made from a declaration (format, exists, unverified), lookups of each
// distinct value once per run with a bounded number in flight, started while files are still being
// read, rate limits waited out, and the one reading of an answer: only a definite "not found" from an
// authenticated request is "missing"; 401, 403, 5xx, timeouts and rate limits are "could not verify".
package integrations

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/catalog-lint/catalog-lint/linter"
)

// Integration declares one linked system.
type Integration struct {
	// Name is the system in rule IDs, flags and notices ("sonarqube"); Title in messages ("SonarQube").
	Name, Title string
	// Object is what an annotation names ("project"): rule IDs are <name>-<object>-exists, -format and
	// -unverified. Noun, when set, names it in messages instead ("repository" for "repo").
	Object, Noun string
	// FormatID, when set, is the format rule's ID instead (Sentry's sentry-project-slug-format, as
	// configurations name it).
	FormatID string
	// InstanceNoun, when set, names in messages the instance a value was asked in (Sentry's
	// "organization"): ` in organization "acme"`.
	InstanceNoun string
	// Keys are the annotation keys the plugins read, each naming one object.
	Keys []string
	// Parse reads an annotation's value; annotation reads the entity's other annotations. problem,
	// when not "", says what is wrong with its form (an offline finding); otherwise v is what to look
	// up.
	Parse func(key, value string, annotation func(key string) string) (v Value, problem string)
	// Lists are the keys whose value is a list of objects, with their separator (Axis's
	// jira.com/components: "Backend, Web"): each item is parsed and looked up on its own.
	Lists map[string]string
	// Settings come from the environment and flags only, never from a repository.
	Settings []Setting
	// Connect builds the client from the settings; it returns a *NotConfigured error when a setting it
	// needs (the token) is not set, and another error when a setting is wrong. nil: the caller
	// connects the integration itself (Sentry, whose settings include a token exchange and the
	// repository's `sentry` section) with Connected.With, or leaves it out with Connected.Skip.
	Connect func(s Settings) (Service, error)
	// MissingCaveat, when set, ends every "missing" message (Jira answers 404 for a project the token
	// cannot browse).
	MissingCaveat string
	// Fix, when set, says which "missing" findings carry a fix (a moved object's new name).
	Fix string
	// Warn, when set, reports Result.Warn: something found but not as it should be (an archived
	// repository).
	Warn *linter.Rule
	// Extra are the integration's other rules (offline ones, such as a secret in an annotation).
	Extra []*linter.Rule
	// Batched says that the Service is a Batcher: Request then says how values are grouped and how
	// many requests run at once.
	Batched bool
	// Docs of the three rules; Request is the request made per value, Token the token to create.
	ExistsDoc, FormatDoc, Request, Token string
	// Examples: a Good entity, a Bad one that names a missing object, one with a malformed value, and
	// one whose service answers 503.
	Good, BadMissing, BadFormat, BadUnverified string

	Exists, Format, Unverified *linter.Rule
}

// Value is an annotation's value as the integration reads it.
type Value struct {
	// Key is what is looked up: two annotations with the same Key are asked about once per run.
	Key string
	// Name is the object as messages name it.
	Name string
	// Instance is the configured instance that answers ("" for the default one): SonarQube's
	// `instance/key` prefix, GitLab's gitlab.com/instance annotation.
	Instance string
	// ID is the object's identifier in API paths when it is not Name (a GitLab project's numeric ID).
	ID string
	// Object, when set, is what the value names when it is not the integration's Object (a Jira
	// component), and Where where it is looked for (` in project "PAY"`), for messages.
	Object, Where string
	// Prefix is what the annotation holds before the name, kept when a fix replaces the name (Sentry's
	// `org/`, as written).
	Prefix string
}

// Verdict is what a service answered about one value.
type Verdict int

// The verdicts.
const (
	Found      Verdict = iota
	Missing            // a definite "not found" from an authenticated request
	Moved              // found under another name: Current is the value the annotation should have
	Unverified         // the service could not be asked: Reason says why
)

// Result is a service's answer about one value.
type Result struct {
	Verdict Verdict
	Current string
	Reason  string
	// RetryAfter is set with Unverified when a rate limit refused the request: when to ask again.
	RetryAfter time.Duration
	// Warn, with Found or Moved, is Integration.Warn's message (the repository is archived).
	Warn string
	// Suggestion, with Missing, is the closest existing name, for a "did you mean" (never a fix).
	Suggestion string
	// Note, with Missing, is what else the answer may mean (the organization itself may not exist).
	Note string
	// Instance is the instance that answered when the value left it to the configuration (Sentry's
	// default organization), for messages.
	Instance string
}

// Service is an integration's client.
type Service interface {
	Lookup(ctx context.Context, v Value) Result
}

// Batcher is a Service that answers a run's values together, grouped as its API is best asked
// (Sentry: per organization, its project list read once when more than a few of its projects are
// named). The Resolver then leaves the lookups, their concurrency and rate-limit waits to it.
type Batcher interface {
	Service
	// Seen is told of each value as files name it, so that a batch can start while files are still
	// being read.
	Seen(ctx context.Context, v Value)
	// LookupAll answers each value, in order.
	LookupAll(ctx context.Context, vs []Value) []Result
}

// Setting is one setting of an integration: an environment variable, and for a setting that is not a
// secret a flag of check and serve (and an input of the Action) of the same name.
type Setting struct {
	Env  string // SONARQUBE_URL
	Flag string // sonarqube-url; "" for secrets, which come from the environment only
	// Default is the value when neither is set.
	Default string
	Secret  bool
	// NoInput keeps the setting from the Action's inputs (GITHUB_TOKEN: the input of that name is
	// the job's own token, for other uses).
	NoInput bool
	Doc     string
}

// Settings are an integration's settings as the operator gave them: Get returns a variable's value
// (flags applied, then the declared default), also for variables named after an instance
// (SONARQUBE_<INSTANCE>_URL).
type Settings struct {
	get func(env string) string
}

// Get returns a setting's value, "" when unset.
func (s Settings) Get(env string) string { return strings.TrimSpace(s.get(env)) }

// NotConfigured says that an integration is left out because a setting it needs is not set.
type NotConfigured struct{ Missing string }

func (e *NotConfigured) Error() string { return e.Missing + " is not set" }

// Question is what an integration's exists rule asks about one annotation.
type Question struct {
	Integration *Integration
	// Key is the annotation key, Value what it names.
	Key   string
	Value Value
}

var questions linter.Asks[Question]

var registry []*Integration

// define makes the rules of an integration and adds it to the registry.
func define(i *Integration) *Integration {
	prefix := i.Name + "-" + i.Object
	noun := i.Object
	if i.Noun != "" {
		noun = i.Noun
	}
	keys := "`" + strings.Join(i.Keys, "`, `") + "`"
	first := i.Keys[0]
	formatID := prefix + "-format"
	if i.FormatID != "" {
		formatID = i.FormatID
	}
	i.Format = &linter.Rule{
		ID:       formatID,
		Summary:  fmt.Sprintf("%s must name a %s %s in the form its plugin reads", first, i.Title, noun),
		Severity: linter.SeverityError,
		Doc:      i.FormatDoc,
		Bad:      i.BadFormat,
		Good:     i.Good,
		Check: func(p *linter.Pass) {
			for _, key := range i.Keys {
				if _, problem, v, ok := read(p, i, key); ok && problem != "" {
					p.Report(v, "%s", problem)
				}
			}
		},
	}
	i.Exists = &linter.Rule{
		ID:       prefix + "-exists",
		Summary:  fmt.Sprintf("%s must name a %s %s that exists", first, i.Title, noun),
		Severity: linter.SeverityError,
		Network:  true,
		Doc: i.ExistsDoc + fmt.Sprintf(" Annotations read: %s. Each distinct value is asked once per run (%s)%s. Only a definite \"not found\" for an "+
			"authenticated request is reported here; when %s cannot be asked (401, 403, a rate limit that "+
			"does not reset within a minute, 5xx, a timeout) %s-unverified says so instead, and without "+
			"%s the rule is skipped with one notice.", keys, i.Request, concurrency(i), i.Title, prefix, tokenSettings(i)),
		Bad:  i.BadMissing,
		Good: i.Good,
		Check: func(p *linter.Pass) {
			for _, key := range i.Keys {
				if vals, problem, n, ok := read(p, i, key); ok && problem == "" {
					for _, val := range vals {
						questions.Ask(p, n, Question{Integration: i, Key: key, Value: val})
					}
				}
			}
		},
	}
	i.Unverified = &linter.Rule{
		ID:           prefix + "-unverified",
		Summary:      fmt.Sprintf("%s could not be checked against %s", first, i.Title),
		Severity:     linter.SeverityWarning,
		Network:      true,
		Inconclusive: true,
		Doc: fmt.Sprintf("Reported for each annotation whose %s %s could not be looked up: %s rejected or refused the "+
			"token (401, 403), its rate limit did not reset within a minute, it answered 5xx, it did not "+
			"answer, or the value names an instance that is not configured. It is never a claim that the "+
			"%s is missing. The run then ends with exit code 3 (unless errors already make it 1), and the "+
			"reason is printed once.", i.Title, noun, i.Title, noun),
		Bad:  i.BadUnverified,
		Good: i.Good,
	}
	i.Exists.Fix = i.Fix
	registry = append(registry, i)
	sort.Slice(registry, func(a, b int) bool { return registry[a].Name < registry[b].Name })
	return i
}

// read returns the value of annotation key of the entity p checks, parsed (each item of a list
// key); ok is false when the entity has no such annotation or its value is not a string
// (annotation-format reports those). problem is the first item's problem.
func read(p *linter.Pass, i *Integration, key string) (vs []Value, problem string, n *yaml.Node, ok bool) {
	k, node := p.Entity.Annotation(key)
	if k == nil {
		return nil, "", nil, false
	}
	s, isString := linter.String(node)
	if !isString {
		return nil, "", nil, false
	}
	other := func(other string) string {
		_, n := p.Entity.Annotation(other)
		s, _ := linter.String(n)
		return s
	}
	items := []string{s}
	if sep, isList := i.Lists[key]; isList {
		items = strings.Split(s, sep)
	}
	for _, item := range items {
		if sep, isList := i.Lists[key]; isList {
			item = strings.TrimSpace(item)
			if item == "" && strings.TrimSpace(s) != "" {
				return nil, fmt.Sprintf("%s %q has an empty item; separate the items with %q", key, s, sep), node, true
			}
		}
		v, problem := i.Parse(key, item, other)
		if problem != "" {
			return nil, problem, node, true
		}
		if v.Key != "" {
			vs = append(vs, v)
		}
	}
	return vs, "", node, true
}

func concurrency(i *Integration) string {
	if i.Batched {
		return ""
	}
	return ", at most 8 at a time, the requests starting while files are still being read"
}

func tokenSettings(i *Integration) string {
	var names []string
	for _, s := range i.Settings {
		if s.Secret {
			names = append(names, "`"+s.Env+"`")
		}
	}
	return strings.Join(names, " and ")
}

// All returns every integration, sorted by name.
func All() []*Integration { return append([]*Integration{}, registry...) }

// Rules returns the rules of every integration.
func Rules() []*linter.Rule {
	var out []*linter.Rule
	for _, i := range registry {
		out = append(out, i.Format, i.Exists, i.Unverified)
		out = append(out, i.Extra...)
	}
	return out
}

// Keys returns every annotation key an integration reads.
func Keys() []string {
	var out []string
	for _, i := range registry {
		out = append(out, i.Keys...)
	}
	return out
}

// ConfigSections are the integrations' keys of .catalog-lint.yaml, each an error: their addresses and
// tokens decide where credentials go, so they come from the operator (environment, flags, Action
// inputs), never from a repository's file. A repository switches the rules and sets their severity
// under `rules:`.
func ConfigSections() []linter.Section {
	var out []linter.Section
	for _, i := range registry {
		if i.Connect == nil {
			continue // its caller reads its section (Sentry's, with what a repository may set)
		}
		out = append(out, linter.Section{Key: i.Name, Parse: func(file string, v *yaml.Node) (any, []error) {
			var where []string
			for _, s := range i.Settings {
				if s.Flag != "" {
					where = append(where, fmt.Sprintf("$%s or --%s", s.Env, s.Flag))
				} else {
					where = append(where, "$"+s.Env)
				}
			}
			p := &linter.ConfigReader{Path: file}
			p.Add(v, fmt.Sprintf("%s settings cannot come from a repository's configuration, as they decide where a token goes: set %s where catalog-lint runs (the Action's inputs of the same names); here, only switch its rules under rules: (%s, …)",
				i.Title, strings.Join(where, ", "), i.Exists.ID))
			return nil, p.Errs
		}})
	}
	return out
}

// exampleEntity is a rule example: a Component with one annotation.
func exampleEntity(key, value string) string {
	return fmt.Sprintf(`apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  annotations:
    %s: %s
spec:
  type: service
  lifecycle: production
  owner: team-payments
`, key, value)
}
