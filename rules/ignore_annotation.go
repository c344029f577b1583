package rules

import (
	"strings"

	"github.com/catalog-lint/catalog-lint/linter"
)

// IgnoreAnnotation checks catalog-lint.io/ignore, so that a typo cannot silently keep a rule on.
var IgnoreAnnotation = &linter.Rule{
	ID:       "ignore-annotation",
	Summary:  "catalog-lint.io/ignore must list known rule IDs",
	Severity: linter.SeverityWarning,
	Doc: "An entity can silence rules for itself with `catalog-lint.io/ignore: rule-a,rule-b`. A name " +
		"that is not a rule ID silences nothing, which is easy to miss; `catalog-lint rules` lists the IDs.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  annotations:
    catalog-lint.io/ignore: unknown-kinds
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
    catalog-lint.io/ignore: unknown-kind
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
}

// The check consults the registry, which lists IgnoreAnnotation itself: set it after initialization.
func init() { IgnoreAnnotation.Check = checkIgnore }

func checkIgnore(p *linter.Pass) {
	_, v := p.Entity.Annotation(linter.IgnoreAnnotation)
	s, ok := linter.String(v)
	if !ok {
		return
	}
	for _, id := range strings.Split(s, ",") {
		id = strings.TrimSpace(id)
		if id == "" || Lookup(id) != nil {
			continue
		}
		if near := closestID(id); near != "" {
			p.Report(v, "%s names unknown rule %q; did you mean %q?", linter.IgnoreAnnotation, id, near)
		} else {
			p.Report(v, "%s names unknown rule %q; `catalog-lint rules` lists them", linter.IgnoreAnnotation, id)
		}
	}
}

func closestID(id string) string {
	best, bestD := "", 4
	for _, r := range All() {
		if d := editDistance(id, r.ID); d < bestD {
			best, bestD = r.ID, d
		}
	}
	return best
}
