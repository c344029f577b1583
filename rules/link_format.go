package rules

import (
	"strconv"
	"strings"

	"github.com/catalog-lint/catalog-lint/linter"
)

// LinkFormat is catalog-model's links schema and FieldFormatEntityPolicy's links checks.
var LinkFormat = &linter.Rule{
	Fix:      quoteFix,
	ID:       "link-format",
	Summary:  "links must have a valid url and non-empty title, icon and type",
	Severity: linter.SeverityError,
	Doc: "`metadata.links` is a list of mappings. Each needs `url`, an absolute URL that a browser can " +
		"parse (`https://...`, `mailto:...`); `title`, `icon` and `type` are optional but must not be empty.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  links:
    - url: dashboards/payments
      title: ""
    - title: Runbook
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Good: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  links:
    - url: https://grafana.example.com/d/payments
      title: Dashboard
    - url: https://wiki.example.com/payments/runbook
      title: Runbook
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Check: func(p *linter.Pass) {
		k, v := metadataField(p.Entity, "links")
		if k == nil {
			return
		}
		if linter.TypeOf(v) != linter.TypeSequence {
			p.Report(v, "metadata.links must be a list of mappings with a url, not %s", linter.Describe(v))
			return
		}
		for i, item := range linter.Items(v) {
			path := "metadata.links[" + strconv.Itoa(i) + "]"
			if linter.TypeOf(item) != linter.TypeMapping {
				p.Report(item, "%s must be a mapping with a url, not %s", path, linter.Describe(item))
				continue
			}
			uk, uv := linter.Lookup(item, "url")
			if uk == nil {
				p.Report(item, "%s is missing required field \"url\"", path)
			} else if s, ok := stringField(p, path+".url", uv); ok && !isValidURL(s) {
				if strings.Contains(s, "://") {
					p.Report(uv, "%s.url %q is not a valid URL; check its host and port", path, s)
				} else {
					p.Report(uv, "%s.url %q is not an absolute URL; write it with a scheme and host, such as \"https://example.com/%s\"", path, s, strings.TrimLeft(s, "/"))
				}
			}
			for _, f := range []string{"title", "icon", "type"} {
				fk, fv := linter.Lookup(item, f)
				if fk == nil {
					continue
				}
				if s, ok := stringField(p, path+"."+f, fv); ok && strings.TrimSpace(s) == "" && (f != "type" || s == "") {
					p.Report(fv, "%s.%s must not be empty; remove it or give it a value", path, f)
				}
			}
		}
	},
}
