package rules

import (
	"fmt"
	"strings"

	"github.com/catalog-lint/catalog-lint/linter"
)

// SentryAnnotation links an entity to its Sentry project (@backstage-community/plugin-sentry).
const SentryAnnotation = "sentry.io/project-slug"

// Sentry's slug limits: project slugs are at most 100 characters (OpenAPI project PUT), organization
// slugs at most 50 (OpenAPI organization PUT).
const (
	maxProjectSlug = 100
	maxOrgSlug     = 50
)

// SentryProjectSlugFormat checks the form of the Sentry annotation before anything asks Sentry.
var SentryProjectSlugFormat = &linter.Rule{
	ID:       "sentry-project-slug-format",
	Summary:  "sentry.io/project-slug must be project or org/project with valid Sentry slugs",
	Severity: linter.SeverityError,
	Doc: "The Sentry plugin reads `sentry.io/project-slug` as `project` (in the organization configured " +
		"in Backstage) or `org/project`, and puts it unchanged into Sentry's API URLs, so a malformed value " +
		"only shows up later as an empty Sentry card. A project slug is lowercase letters, digits, `_` and " +
		"`-` (Sentry's `^(?![0-9]+$)[a-z0-9_-]+$`); an all-digit value is a project ID and is accepted. An " +
		"organization slug is letters, digits and `-`, starting with a letter or digit and not ending with " +
		"`-`. The plugin silently drops everything before the last two parts of `a/b/c`.",
	Bad: `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  annotations:
    sentry.io/project-slug: Acme/Payments API
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
    sentry.io/project-slug: acme/payments-api
spec:
  type: service
  lifecycle: production
  owner: team-payments
`,
	Check: func(p *linter.Pass) {
		k, v := p.Entity.Annotation(SentryAnnotation)
		if k == nil {
			return
		}
		s, ok := linter.String(v)
		if !ok {
			return // annotation-format reports values that are not strings
		}
		if msg := SentrySlugProblem(s); msg != "" {
			p.Report(v, "%s", msg)
		}
	},
}

// SentrySlugProblem explains what is wrong with a sentry.io/project-slug value, or returns "".
func SentrySlugProblem(value string) string {
	const form = "use project or org/project"
	if strings.TrimSpace(value) == "" {
		return fmt.Sprintf("%s is empty; set it to the Sentry project's slug (%s) or remove the annotation", SentryAnnotation, form)
	}
	parts := strings.Split(value, "/")
	if len(parts) > 2 {
		return fmt.Sprintf("%s %q has %d parts; %s (the Sentry plugin would silently ignore %q)",
			SentryAnnotation, value, len(parts), form, strings.Join(parts[:len(parts)-2], "/"))
	}
	project := parts[len(parts)-1]
	if len(parts) == 2 {
		if msg := orgSlugProblem(parts[0]); msg != "" {
			return fmt.Sprintf("%s %q: %s", SentryAnnotation, value, msg)
		}
	}
	if msg := projectSlugProblem(project); msg != "" {
		return fmt.Sprintf("%s %q: %s", SentryAnnotation, value, msg)
	}
	return ""
}

func projectSlugProblem(s string) string {
	fix := func(why string) string {
		return why + hint(s, suggest(s, true, func(c byte) bool { return isLowerAlnum(c) || c == '_' || c == '-' }))
	}
	switch {
	case s == "":
		return "the project part is empty; use org/project"
	case allDigits(s):
		return "" // a project ID
	case len(s) > maxProjectSlug:
		return fmt.Sprintf("the project slug is %d characters long; Sentry allows at most %d", len(s), maxProjectSlug)
	case strings.ContainsAny(s, " \t"):
		return fix("the project slug contains spaces; Sentry slugs use hyphens instead")
	case strings.ToLower(s) != s:
		return fix("the project slug has upper-case letters; Sentry slugs are lowercase")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLowerAlnum(c) && c != '_' && c != '-' {
			return fix(fmt.Sprintf("the project slug contains %q; Sentry slugs use only lowercase letters, digits, _ and -", string(rune(c))))
		}
	}
	return ""
}

func orgSlugProblem(s string) string {
	fix := func(why string) string {
		return why + hint(s, suggest(s, false, func(c byte) bool { return isAlnum(c) || c == '-' }))
	}
	switch {
	case s == "":
		return "the organization part is empty; use project alone or org/project"
	case allDigits(s):
		return "" // an organization ID
	case len(s) > maxOrgSlug:
		return fmt.Sprintf("the organization slug is %d characters long; Sentry allows at most %d", len(s), maxOrgSlug)
	case strings.ContainsAny(s, " \t"):
		return fix("the organization slug contains spaces; Sentry slugs use hyphens instead")
	case !isAlnum(s[0]) || s[len(s)-1] == '-':
		return fix("the organization slug must start with a letter or digit and must not end with -")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' {
			return fix(fmt.Sprintf("the organization slug contains %q; Sentry organization slugs use only letters, digits and -", string(rune(c))))
		}
	}
	return ""
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}
