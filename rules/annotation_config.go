package rules

import (
	"fmt"
	"strings"

	"github.com/catalog-lint/catalog-lint/linter"
)

// exampleAnnotationsConfig is the .catalog-lint.yaml the examples of the configured annotation rules
// are linted with; their docs show it.
const exampleAnnotationsConfig = `annotations:
  sentry.io/project-slug:
    required: [Component:service, Component:website]
  pagerduty.com/service-id:
    pattern: '^P[A-Z0-9]{6}$'
    message: PagerDuty service IDs look like PABC123
`

// AnnotationRequired reports entities without an annotation .catalog-lint.yaml requires of them.
var AnnotationRequired = &linter.Rule{
	ID:       "annotation-required",
	Summary:  "entities must have the annotations the configuration requires of their kind and type",
	Severity: linter.SeverityError,
	Doc: "A platform team can require annotations in `.catalog-lint.yaml`: `annotations: {KEY: {required: " +
		"[Kind, Kind:type]}}`, where `Kind` is an entity kind (case-sensitive, as Backstage compares kinds) " +
		"and `type` its `spec.type`. An entity that matches and lacks the annotation is reported at " +
		"`metadata.annotations` (or at `metadata` when it has none). The examples are linted with:\n\n" +
		"```yaml\n" + exampleAnnotationsConfig + "```",
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
  name: payments
  annotations:
    sentry.io/project-slug: payments
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Check: func(p *linter.Pass) {
		if p.Config == nil || len(p.Config.Annotations) == 0 {
			return
		}
		e := p.Entity
		_, typeNode := e.Field("spec", "type")
		typ, _ := linter.String(typeNode)
		for _, rule := range p.Config.Annotations {
			var matched *linter.KindType
			for i, kt := range rule.Required {
				if kt.Matches(e.Kind, typ) {
					matched = &rule.Required[i]
					break
				}
			}
			if matched == nil {
				continue
			}
			if k, _ := e.Annotation(rule.Key); k != nil {
				continue
			}
			at, _ := e.Field("metadata", "annotations")
			if at == nil {
				at, _ = e.Field("metadata")
			}
			who := e.Kind + " entities"
			if matched.Type != "" {
				who = fmt.Sprintf("%s entities of type %q", e.Kind, matched.Type)
			}
			p.Report(at, "annotation %q is required for %s (%s line %d); add it under metadata.annotations",
				rule.Key, who, configName(p.Config), rule.Line)
		}
	},
}

// AnnotationPattern reports annotation values that do not have the shape .catalog-lint.yaml gives.
var AnnotationPattern = &linter.Rule{
	ID:       "annotation-pattern",
	Summary:  "annotation values must match the pattern the configuration gives",
	Severity: linter.SeverityError,
	Doc: "`.catalog-lint.yaml` can give an annotation's shape: `annotations: {KEY: {pattern: RE2, message: " +
		"TEXT}}`. The pattern must match the whole value (RE2 syntax, as Go's regexp); the message, when " +
		"given, says what a good value looks like. The configuration is checked when it is loaded: a pattern " +
		"that does not compile is an error naming its line. The examples are linted with:\n\n" +
		"```yaml\n" + exampleAnnotationsConfig + "```",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  annotations:
    sentry.io/project-slug: payments
    pagerduty.com/service-id: payments-oncall
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
    sentry.io/project-slug: payments
    pagerduty.com/service-id: PABC123
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Check: func(p *linter.Pass) {
		if p.Config == nil {
			return
		}
		for _, rule := range p.Config.Annotations {
			if rule.Pattern == nil {
				continue
			}
			_, v := p.Entity.Annotation(rule.Key)
			s, ok := linter.String(v)
			if !ok || rule.Pattern.MatchString(s) {
				continue // a value that is not a string is annotation-format's
			}
			msg := rule.Message
			if msg == "" {
				msg = fmt.Sprintf("it must match %s (%s line %d)", rule.PatternText, configName(p.Config), rule.Line)
			}
			p.Report(v, "annotation %q has the value %q: %s", rule.Key, s, strings.TrimSuffix(msg, "."))
		}
	},
}

func configName(c *linter.Config) string {
	if c.Path == "" {
		return linter.ConfigFileName
	}
	return c.Path
}
