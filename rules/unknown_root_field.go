package rules

import (
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/catalog-lint/catalog-lint/linter"
)

var rootFields = []string{"apiVersion", "kind", "metadata", "spec"}

// UnknownRootField is catalog-model's NoForeignRootFieldsEntityPolicy.
var UnknownRootField = &linter.Rule{
	ID:       "unknown-root-field",
	Summary:  "an entity's root may only hold apiVersion, kind, metadata and spec",
	Severity: linter.SeverityError,
	Doc: "Backstage rejects any other field at the root of an entity (\"Unknown field\"), including " +
		"`relations` and `status`, which the catalog computes itself. Custom data belongs in " +
		"`metadata.annotations`, `metadata.labels` or `spec`.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
owner: team-payments
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Good: componentExample,
	Check: func(p *linter.Pass) {
		linter.Pairs(p.Entity.Root, func(k, _ *yaml.Node) {
			name := linter.Resolve(k).Value
			if contains(rootFields, name) {
				return
			}
			msg := "unknown field %q at the root; only apiVersion, kind, metadata and spec are allowed"
			for _, f := range rootFields {
				if strings.EqualFold(f, name) || editDistance(f, name) <= 2 && len(name) > 3 {
					p.Report(k, msg+"; did you mean %q?", name, f)
					return
				}
			}
			if name == "relations" || name == "status" {
				p.Report(k, msg+" (the catalog computes %s itself; remove it)", name, name)
				return
			}
			p.Report(k, msg+" (move it under metadata.annotations or spec)", name)
		})
	},
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
