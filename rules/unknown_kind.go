package rules

import (
	"sort"
	"strings"

	"github.com/catalog-lint/catalog-lint/linter"
)

// UnknownKind warns about entities no built-in kind validator accepts.
var UnknownKind = &linter.Rule{
	Fix:      "a built-in kind in the wrong case is written as Backstage spells it (`component` becomes `Component`)",
	ID:       "unknown-kind",
	Summary:  "kind and apiVersion should name a kind Backstage knows",
	Severity: linter.SeverityWarning,
	Doc: "Backstage validates Component, API, Resource, System, Domain, Group, User and Location with " +
		"`apiVersion: backstage.io/v1alpha1` (or `v1beta1`), and the scaffolder's Template with " +
		"`scaffolder.backstage.io/v1beta3`. Kinds are case-sensitive. Any other kind or apiVersion is only " +
		"ingested when a custom processor accepts it, so this is a warning: turn it off in " +
		"`.catalog-lint.yaml` if you run such a processor.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: component
metadata:
  name: payments
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Good: componentExample,
	Check: func(p *linter.Pass) {
		e := p.Entity
		if e.Kind == "" || e.APIVersion == "" || !isValidKind(e.Kind) || !isValidAPIVersion(e.APIVersion) {
			return // missing or malformed: other rules say so
		}
		versions, known := builtinKinds[e.Kind]
		if known && contains(versions, e.APIVersion) {
			return
		}
		_, kindNode := e.Field("kind")
		_, versionNode := e.Field("apiVersion")
		if known {
			p.Report(versionNode, "kind %s needs apiVersion %s; with %q Backstage does not recognise the entity",
				e.Kind, strings.Join(quotedAll(versions), " or "), e.APIVersion)
			return
		}
		for k := range builtinKinds {
			if strings.EqualFold(k, e.Kind) {
				p.ReportFix(kindNode, linter.ReplaceValue(k, "write the kind as Backstage does"), "kind %q is not a built-in kind (kinds are case-sensitive); did you mean %q?", e.Kind, k)
				return
			}
		}
		p.Report(kindNode, "kind %q is not a built-in kind (%s); Backstage ingests it only if a custom processor accepts it",
			e.Kind, strings.Join(sortedKinds(), ", "))
	},
}

func quotedAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = quote(s)
	}
	return out
}

func sortedKinds() []string {
	var ks []string
	for k := range builtinKinds {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
