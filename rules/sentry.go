package rules

import "github.com/catalog-lint/catalog-lint/integrations"

// Sentry's rules are declared with the other integrations (integrations/sentry.go); these names stay
// for the code that refers to them.
var (
	SentryProjectExists     = integrations.Sentry.Exists
	SentryProjectSlugFormat = integrations.Sentry.Format
	SentryProjectUnverified = integrations.Sentry.Unverified
)

// SentryAnnotation links an entity to its Sentry project (@backstage-community/plugin-sentry).
const SentryAnnotation = integrations.SentryAnnotation
