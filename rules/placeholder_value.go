package rules

import (
	"gopkg.in/yaml.v3"

	"github.com/catalog-lint/catalog-lint/linter"
)

// PlaceholderValue checks the substitution placeholders Backstage resolves at ingestion.
var PlaceholderValue = &linter.Rule{
	ID:       "placeholder-value",
	Summary:  "placeholders such as $text must name a file or URL",
	Severity: linter.SeverityError,
	Doc: "Backstage replaces `$text`, `$json` and `$yaml` objects (and `$openapi`, `$asyncapi` with the " +
		"API docs plugins) with the content of the file or URL they name, so they are accepted wherever a " +
		"string is expected. An empty placeholder, or one whose value is not a string, cannot be resolved: " +
		"give it a relative path or an absolute URL.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: payments-api
spec:
  type: openapi
  lifecycle: production
  owner: team-payments
  definition:
    $text:
`,
	Good: `apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: payments-api
spec:
  type: openapi
  lifecycle: production
  owner: team-payments
  definition:
    $text: ./openapi.yaml
`,
	Check: func(p *linter.Pass) { walkPlaceholders(p, p.Entity.Root, 0) },
}

func walkPlaceholders(p *linter.Pass, n *yaml.Node, depth int) {
	if n == nil || depth > 100 || n.Kind == yaml.AliasNode {
		return // aliases are judged where their anchor stands
	}
	if name, v, ok := linter.Placeholder(n); ok {
		s, isString := linter.String(v)
		switch {
		case linter.TypeOf(v) == linter.TypeNull || isString && s == "":
			p.Report(v, "%s placeholder is empty; give it a path or URL (such as %s: ./openapi.yaml) or remove it", name, name)
		case !isString:
			p.Report(v, "%s placeholder must be a path or URL string, not %s", name, linter.Describe(v))
		}
		return
	}
	for _, c := range n.Content {
		walkPlaceholders(p, c, depth+1)
	}
}
