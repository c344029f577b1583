package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/catalog-lint/catalog-lint/linter"
	"github.com/catalog-lint/catalog-lint/sentry"
	"github.com/catalog-lint/catalog-lint/sentry/tokenexchange"
)

// exchangeFlags are the token exchange settings from the command line, the environment and the
// Action's inputs: the operator's, so they may say where credentials go. A repository's
// .catalog-lint.yaml may not (see resolveExchange).
type exchangeFlags struct {
	issuer, endpoint, subject, subjectType, audience, resource, scopes string
	clientIDEnv, clientSecretEnv                                       string
	// clientID and clientSecret are values (the Action's inputs), never flags: a secret must not
	// appear on a command line.
	clientID, clientSecret string
}

// The environment variables matching the flags.
const (
	envExchangeIssuer          = "SENTRY_TOKEN_EXCHANGE_ISSUER"
	envExchangeEndpoint        = "SENTRY_TOKEN_EXCHANGE_ENDPOINT"
	envExchangeSubject         = "SENTRY_TOKEN_EXCHANGE_SUBJECT_TOKEN"
	envExchangeSubjectType     = "SENTRY_TOKEN_EXCHANGE_SUBJECT_TOKEN_TYPE"
	envExchangeAudience        = "SENTRY_TOKEN_EXCHANGE_AUDIENCE"
	envExchangeResource        = "SENTRY_TOKEN_EXCHANGE_RESOURCE"
	envExchangeScopes          = "SENTRY_TOKEN_EXCHANGE_SCOPES"
	envExchangeClientIDEnv     = "SENTRY_TOKEN_EXCHANGE_CLIENT_ID_ENV"
	envExchangeClientSecretEnv = "SENTRY_TOKEN_EXCHANGE_CLIENT_SECRET_ENV"
	// The variables the client ID and secret are read from when no other name is configured.
	envExchangeClientID     = "SENTRY_TOKEN_EXCHANGE_CLIENT_ID"
	envExchangeClientSecret = "SENTRY_TOKEN_EXCHANGE_CLIENT_SECRET"
)

func (x *exchangeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&x.issuer, "token-exchange-issuer", "", "get the Sentry token from this OAuth broker by token exchange (RFC 8693); its token endpoint is discovered (default: $"+envExchangeIssuer+")")
	fs.StringVar(&x.endpoint, "token-exchange-endpoint", "", "the broker's token endpoint, instead of discovering it (default: $"+envExchangeEndpoint+")")
	fs.StringVar(&x.subject, "token-exchange-subject-token", "", "identity presented to the broker: github-oidc, env:NAME or file:PATH (default: $"+envExchangeSubject+", then github-oidc)")
	fs.StringVar(&x.subjectType, "token-exchange-subject-token-type", "", "access_token, id_token, jwt or a URN (default: id_token for github-oidc, else access_token)")
	fs.StringVar(&x.audience, "token-exchange-audience", "", "audience of the GitHub OIDC token and of the exchange (default: $"+envExchangeAudience+")")
	fs.StringVar(&x.resource, "token-exchange-resource", "", "resource the token is for (default: the Sentry URL + /api/0)")
	fs.StringVar(&x.scopes, "token-exchange-scopes", "", "scopes to ask for, separated by spaces or commas (default: $"+envExchangeScopes+")")
	fs.StringVar(&x.clientIDEnv, "token-exchange-client-id-env", "", "variable holding the broker client ID (default: $"+envExchangeClientID+")")
	fs.StringVar(&x.clientSecretEnv, "token-exchange-client-secret-env", "", "variable holding the broker client secret, sent as HTTP Basic auth (default: $"+envExchangeClientSecret+")")
}

// exchangePlan is what resolveExchange decided.
type exchangePlan struct {
	// cfg is set when the token exchange is to be used.
	cfg *tokenexchange.Config
	// skip, when set, says why the exchange that was asked for cannot be used here; the caller falls
	// back to a static token, or skips the Sentry check with this notice.
	skip string
	// notes are told to the user (a repository setting that was ignored).
	notes []string
	// debug lines for --debug.
	debug []string
}

// configured reports whether anything asks for a token exchange.
func (x exchangeFlags) configured(cfg *linter.Config, env Env) bool {
	return x.issuer != "" || x.endpoint != "" || env(envExchangeIssuer) != "" || env(envExchangeEndpoint) != "" ||
		sentry.SettingsOf(cfg).TokenExchange != nil
}

// resolveExchange merges the token exchange settings: flags, then the environment, then the
// repository's configuration file (cfg, nil for the webhook server). The issuer and the token endpoint
// decide where the client secret and the subject token are sent, so they come only from flags, the
// environment or the Action's inputs; the file's own values are used only when they match. sentryURL
// is the Sentry address, for the default resource. It returns nil when nothing asks for an exchange.
func resolveExchange(x exchangeFlags, cfg *linter.Config, env Env, sentryURL string) (*exchangePlan, error) {
	if !x.configured(cfg, env) {
		return nil, nil
	}
	var file sentry.TokenExchangeSettings
	where := "the configuration file"
	if x := sentry.SettingsOf(cfg).TokenExchange; x != nil {
		file = *x
		where = fmt.Sprintf("%s:%d", cfg.Path, file.Line)
	}
	plan := &exchangePlan{}
	issuer := firstNonEmpty(x.issuer, env(envExchangeIssuer))
	endpoint := firstNonEmpty(x.endpoint, env(envExchangeEndpoint))
	if issuer == "" && endpoint == "" {
		named := firstNonEmpty(file.TokenEndpoint, file.Issuer)
		if named == "" {
			plan.skip = fmt.Sprintf("%s asks for a Sentry token exchange but names no broker; set %s (or --token-exchange-issuer)", where, envExchangeIssuer)
		} else {
			plan.skip = fmt.Sprintf("%s asks for a Sentry token exchange with %s, but a repository's file cannot choose where credentials are sent; "+
				"to trust that broker, set %s=%s in the CI job or pass --token-exchange-issuer", where, named, envExchangeIssuer, named)
		}
		return plan, nil
	}
	for _, v := range []struct{ name, file, trusted string }{{"issuer", file.Issuer, issuer}, {"token_endpoint", file.TokenEndpoint, endpoint}} {
		if v.file != "" && v.file != v.trusted {
			plan.notes = append(plan.notes, fmt.Sprintf("%s: token_exchange.%s %s is not used: credentials go only to the broker the environment names (%s)",
				where, v.name, v.file, firstNonEmpty(endpoint, issuer)))
		}
	}

	spec := firstNonEmpty(x.subject, env(envExchangeSubject), "github-oidc")
	subject, err := tokenexchange.ParseSubject(spec)
	if err != nil {
		return nil, fmt.Errorf("token exchange: %w", err)
	}
	tc := &tokenexchange.Config{
		Issuer: issuer, TokenEndpoint: endpoint, Subject: subject,
		Audience: firstNonEmpty(x.audience, env(envExchangeAudience)),
		Resource: firstNonEmpty(x.resource, env(envExchangeResource), file.Resource, strings.TrimRight(sentryURL, "/")+"/api/0"),
		Getenv:   env,
	}
	if tc.TokenEndpoint != "" {
		tc.Issuer = "" // a given endpoint is used as is; the issuer is not asked
	}
	if t := firstNonEmpty(x.subjectType, env(envExchangeSubjectType), file.SubjectTokenType); t != "" {
		if tc.SubjectTokenType, err = tokenexchange.ParseTokenType(t); err != nil {
			return nil, fmt.Errorf("token exchange: %w", err)
		}
	}
	if s := firstNonEmpty(x.scopes, env(envExchangeScopes)); s != "" {
		tc.Scopes = strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
	} else {
		tc.Scopes = file.Scopes
	}

	// The client credentials: values from the Action, else the variables named, else the defaults.
	idEnv := firstNonEmpty(x.clientIDEnv, env(envExchangeClientIDEnv))
	secretEnv := firstNonEmpty(x.clientSecretEnv, env(envExchangeClientSecretEnv))
	for _, name := range []string{idEnv, secretEnv} {
		if name != "" && !tokenexchange.ValidEnvName(name) {
			return nil, fmt.Errorf("token exchange: %q is not an environment variable name", name)
		}
	}
	tc.ClientID = firstNonEmpty(x.clientID, env(firstNonEmpty(idEnv, envExchangeClientID)))
	tc.ClientSecret = firstNonEmpty(x.clientSecret, env(firstNonEmpty(secretEnv, envExchangeClientSecret)))
	tc.ClientID, tc.ClientSecret = strings.TrimSpace(tc.ClientID), strings.TrimSpace(tc.ClientSecret)
	if secretEnv != "" && tc.ClientSecret == "" && x.clientSecret == "" {
		// Named but empty: the job has no access to the secret (a pull request from a fork).
		plan.skip = fmt.Sprintf("the broker client secret variable %s is not set (pull requests from forks get no secrets)", secretEnv)
		return plan, nil
	}
	if tc.ClientSecret != "" && tc.ClientID == "" {
		return nil, fmt.Errorf("token exchange: a client secret is set but no client ID (set %s)", firstNonEmpty(idEnv, envExchangeClientID))
	}

	if subject.Kind == "github-oidc" && !tokenexchange.GitHubOIDCAvailable(env) {
		switch {
		case env("GITHUB_ACTIONS") != "true":
			plan.skip = "the token exchange presents the GitHub Actions OIDC token (subject token github-oidc), which only exists inside a GitHub Actions job"
			return plan, nil
		case forkPullRequest(env):
			plan.skip = "pull requests from forks get no GitHub OIDC token, so no Sentry token can be exchanged"
			return plan, nil
		}
		// Otherwise the job lacks `permissions: id-token: write`: the exchange fails with exactly
		// that message and every reference is reported as unverified.
	}
	plan.cfg = tc
	target := firstNonEmpty(tc.TokenEndpoint, tc.Issuer)
	plan.debug = append(plan.debug, fmt.Sprintf("Sentry token: by token exchange at %s, subject %s, resource %s", target, subject, tc.Resource))
	return plan, nil
}

// forkPullRequest reports whether the workflow runs for a pull request from another repository.
func forkPullRequest(env Env) bool {
	if !strings.HasPrefix(env("GITHUB_EVENT_NAME"), "pull_request") || env("GITHUB_EVENT_PATH") == "" {
		return false
	}
	data, err := os.ReadFile(env("GITHUB_EVENT_PATH"))
	if err != nil {
		return false
	}
	var ev struct {
		PullRequest struct {
			Head struct {
				Repo struct {
					FullName string `json:"full_name"`
				} `json:"repo"`
			} `json:"head"`
			Base struct {
				Repo struct {
					FullName string `json:"full_name"`
				} `json:"repo"`
			} `json:"base"`
		} `json:"pull_request"`
	}
	if json.Unmarshal(data, &ev) != nil {
		return false
	}
	head, base := ev.PullRequest.Head.Repo.FullName, ev.PullRequest.Base.Repo.FullName
	return head != "" && base != "" && !strings.EqualFold(head, base)
}
