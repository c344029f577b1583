package rules

import "github.com/catalog-lint/catalog-lint/integrations"

// GitHub's rules are declared with the other integrations (integrations/github.go); these names stay
// for the code that refers to them.
var (
	GitHubRepoExists     = integrations.GitHub.Exists
	GitHubRepoUnverified = integrations.GitHub.Unverified
	GitHubRepoArchived   = integrations.GitHubRepoArchived
)

// GitHubAnnotation links an entity to its GitHub repository.
const GitHubAnnotation = integrations.GitHubAnnotation
