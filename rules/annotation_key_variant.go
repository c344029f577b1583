package rules

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/catalog-lint/catalog-lint/integrations"
	"github.com/catalog-lint/catalog-lint/linter"
)

// knownAnnotationKeys are the keys plugins read that catalog-lint knows: a key that differs from
// one only in case, `_` for `-`, or an `https://` in front is never read by the plugin.
func knownAnnotationKeys() []string {
	keys := append([]string{TechDocsAnnotation, "backstage.io/source-location",
		"backstage.io/kubernetes-id", "datadoghq.com/dashboard-url", "datadoghq.com/graph-token"}, integrations.Keys()...)
	sort.Strings(keys)
	return slices.Compact(keys)
}

// knownKeysByNormal maps each known key's normalized form to it, built once.
var knownKeysByNormal = sync.OnceValue(func() map[string]string {
	known := map[string]string{}
	for _, k := range knownAnnotationKeys() {
		known[normalizedKey(k)] = k
	}
	return known
})

// alternativeKeys are keys of different plugins for the same thing: a repository should use the one
// its Backstage has the plugin of; the one most of its entities use is taken to be that one.
var alternativeKeys = [][]string{
	{"jira/project-key", "jira.com/project-key"},
	{"datadoghq.com/dashboard-url", "datadog/dashboard-url"},
}

// normalizedKey is a key as plugins' keys are compared here: lowercase, without a scheme, `_` as `-`.
func normalizedKey(k string) string {
	k = strings.ToLower(strings.TrimSpace(k))
	for _, scheme := range []string{"https://", "http://"} {
		k = strings.TrimPrefix(k, scheme)
	}
	return strings.TrimSuffix(strings.ReplaceAll(k, "_", "-"), "/")
}

// AnnotationKeyVariant reports annotation keys that are a variant of the key a plugin reads.
var AnnotationKeyVariant = &linter.Rule{
	ID:       "annotation-key-variant",
	Summary:  "an annotation key must be the one its plugin reads, not a variant of it",
	Severity: linter.SeverityWarning,
	Fix:      "the key is renamed to the one the plugin reads",
	Doc: "Plugins read one exact annotation key. `sonarqube.org/project_key`, `PagerDuty.com/service-id` or " +
		"`https://github.com/project-slug` are never read, and the entity's card stays empty without an error. " +
		"A key that differs from a known one (" + "`" + strings.Join(knownAnnotationKeys(), "`, `") + "`" + ") only in case, " +
		"`_` for `-` or a scheme in front is reported with the key to use. Where two plugins read different keys " +
		"for the same thing (`jira/project-key` for Roadie's Jira plugin, `jira.com/project-key` for Axis's; " +
		"`datadoghq.com/dashboard-url` and `datadog/dashboard-url`), an entity that uses the key fewer of the " +
		"repository's entities use is reported, as only one plugin is installed.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  annotations:
    sonarqube.org/project_key: acme_payments
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
    sonarqube.org/project-key: acme_payments
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Check: func(p *linter.Pass) {
		_, v := metadataField(p.Entity, "annotations")
		if linter.TypeOf(v) != linter.TypeMapping {
			return
		}
		known := knownKeysByNormal()
		linter.Pairs(v, func(ak, _ *yaml.Node) {
			key, ok := linter.String(ak)
			if !ok {
				return
			}
			if want, ok := known[normalizedKey(key)]; ok && want != key {
				p.ReportFix(ak, linter.ReplaceValue(want, "rename the key to "+want),
					"annotation key %q is not read by any plugin; the plugin reads %q", key, want)
				return
			}
			for g, group := range alternativeKeys {
				for _, alt := range group {
					if key == alt {
						variantQuestions.Ask(p, ak, variantQuestion{group: g, key: key})
					}
				}
			}
		})
	},
}

// variantQuestion is an entity's use of one of the alternative keys of group.
type variantQuestion struct {
	group int
	key   string
}

var variantQuestions linter.Asks[variantQuestion]

// variantAnswers reports, per group of alternative keys, the uses of the keys fewer entities use.
type variantAnswers struct{}

func (variantAnswers) Answer(_ context.Context, qs []variantQuestion) ([]linter.Answer, []string) {
	counts := map[int]map[string]int{}
	for _, q := range qs {
		if counts[q.group] == nil {
			counts[q.group] = map[string]int{}
		}
		counts[q.group][q.key]++
	}
	var out []linter.Answer
	for i, q := range qs {
		best, bestN, tie := "", 0, false
		for k, n := range counts[q.group] {
			switch {
			case n > bestN:
				best, bestN, tie = k, n, false
			case n == bestN:
				tie = true
			}
		}
		if tie || best == q.key {
			continue
		}
		use := best
		out = append(out, linter.Answer{Question: i, Rule: AnnotationKeyVariant, Replace: &use,
			Message: fmt.Sprintf("annotation keys %q and %q are read by different plugins, and %d of the repository's entities use %q: use it here too, so that the installed plugin reads this one",
				q.key, best, bestN, best)})
	}
	return out, nil
}

// RegisterOffline adds the resolvers of the rules whose questions need the whole run but no network
// (annotation-key-variant's alternative keys).
func RegisterOffline(into map[*linter.Rule]linter.Resolver) map[*linter.Rule]linter.Resolver {
	if into == nil {
		into = map[*linter.Rule]linter.Resolver{}
	}
	into[AnnotationKeyVariant] = variantQuestions.AnsweredBy(variantAnswers{})
	return into
}
