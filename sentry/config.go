package sentry

import (
	"fmt"
	"net/url"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/catalog-lint/catalog-lint/linter"
	"github.com/catalog-lint/catalog-lint/sentry/tokenexchange"
)

// ConfigSection is the `sentry` section of .catalog-lint.yaml, read here and nowhere else: the
// engine routes the section to it (linter.Section) and keeps what it returns, a Settings.
var ConfigSection = linter.Section{Key: "sentry", Parse: func(file string, v *yaml.Node) (any, []error) {
	p := &linter.ConfigReader{Path: file}
	s := parseSettings(p, v)
	return s, p.Errs
}}

// SettingsOf returns the `sentry` section of a configuration; the zero Settings when it has none.
func SettingsOf(cfg *linter.Config) Settings {
	if cfg == nil {
		return Settings{}
	}
	s, _ := cfg.Sections[ConfigSection.Key].(Settings)
	return s
}

// IsSaaS reports whether raw is an https URL of sentry.io or one of its subdomains, with no
// credentials, port or path beyond the root: the only Sentry addresses a repository's configuration
// file may choose, because the token goes wherever the URL points.
func IsSaaS(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.User != nil || u.Port() != "" || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" {
		return false
	}
	host := strings.ToLower(u.Hostname())
	return host == "sentry.io" || strings.HasSuffix(host, ".sentry.io")
}

// Settings are the `sentry` section of .catalog-lint.yaml.
type Settings struct {
	Organization string
	URL          string
	// TokenExchange is sentry.auth.token_exchange, nil without one.
	TokenExchange *TokenExchangeSettings
}

// TokenExchangeSettings are sentry.auth.token_exchange: how to get a short-lived Sentry token from an
// access broker (RFC 8693). Values are checked for form here; the issuer and token endpoint of a
// repository's file are only used when the environment trusts them (see docs/sentry.md), because
// the client secret and the subject token go there.
type TokenExchangeSettings struct {
	Issuer, TokenEndpoint string
	// Which secrets are sent (the client credentials' variables, a subject token other than
	// github-oidc, the audience) is never a repository's choice: those keys are errors here.
	SubjectTokenType string
	Resource         string
	Scopes           []string
	// Line is where token_exchange stands, for messages about it.
	Line int
}

func parseSettings(p *linter.ConfigReader, v *yaml.Node) Settings {
	var s Settings
	if linter.TypeOf(v) != linter.TypeMapping {
		p.Add(v, fmt.Sprintf("sentry must be a mapping, not %s", linter.Describe(v)))
		return s
	}
	linter.Pairs(v, func(k, val *yaml.Node) {
		switch k.Value {
		case "organization":
			s.Organization = p.Str("sentry.organization", val)
		case "auth":
			s.TokenExchange = parseAuth(p, val)
		case "url":
			s.URL = p.Str("sentry.url", val)
			if s.URL != "" && !IsSaaS(s.URL) {
				p.Add(val, fmt.Sprintf("sentry.url %q: a repository file may only name sentry.io or one of its regions "+
					"(https://sentry.io, https://us.sentry.io, https://de.sentry.io); for a self-hosted Sentry set SENTRY_URL or "+
					"--sentry-url, so that a change to the repository cannot decide where the Sentry token is sent", s.URL))
				s.URL = ""
			}
		default:
			p.Add(k, fmt.Sprintf("unknown key %q in sentry; known keys are auth, organization and url", k.Value))
		}
	})
	return s
}

func parseAuth(p *linter.ConfigReader, v *yaml.Node) *TokenExchangeSettings {
	if linter.TypeOf(v) != linter.TypeMapping {
		p.Add(v, fmt.Sprintf("sentry.auth must be a mapping, not %s", linter.Describe(v)))
		return nil
	}
	var out *TokenExchangeSettings
	linter.Pairs(v, func(k, val *yaml.Node) {
		if k.Value != "token_exchange" {
			p.Add(k, fmt.Sprintf("unknown key %q in sentry.auth; the known key is token_exchange", k.Value))
			return
		}
		out = parseTokenExchange(p, k, val)
	})
	return out
}

// operatorSetting names, for the token exchange settings that say which secret is sent, the variable
// and the flag that set them: the operator's, never a repository's.
var operatorSetting = map[string][2]string{
	"client_id_env":     {"SENTRY_TOKEN_EXCHANGE_CLIENT_ID_ENV", "--token-exchange-client-id-env"},
	"client_secret_env": {"SENTRY_TOKEN_EXCHANGE_CLIENT_SECRET_ENV", "--token-exchange-client-secret-env"},
	"audience":          {"SENTRY_TOKEN_EXCHANGE_AUDIENCE", "--token-exchange-audience"},
	"subject_token":     {"SENTRY_TOKEN_EXCHANGE_SUBJECT_TOKEN", "--token-exchange-subject-token"},
}

func parseTokenExchange(p *linter.ConfigReader, key, v *yaml.Node) *TokenExchangeSettings {
	const prefix = "sentry.auth.token_exchange"
	if linter.TypeOf(v) != linter.TypeMapping {
		p.Add(v, fmt.Sprintf("%s must be a mapping, not %s", prefix, linter.Describe(v)))
		return nil
	}
	x := &TokenExchangeSettings{Line: key.Line}
	linter.Pairs(v, func(k, val *yaml.Node) {
		name := prefix + "." + k.Value
		switch k.Value {
		case "issuer", "token_endpoint":
			u := p.Str(name, val)
			if err := tokenexchange.CheckURL(u); u != "" && err != nil {
				p.Add(val, fmt.Sprintf("%s: %v", name, err))
			}
			if k.Value == "issuer" {
				x.Issuer = u
			} else {
				x.TokenEndpoint = u
			}
		case "client_id_env", "client_secret_env", "audience":
			p.Add(k, fmt.Sprintf("%s: a repository's file cannot choose which secret goes to the token broker; set %s "+
				"(or the flag %s) in the CI job, or the Action's input", name, operatorSetting[k.Value][0], operatorSetting[k.Value][1]))
		case "subject_token":
			v := p.Str(name, val)
			if v != "github-oidc" {
				// env:NAME and file:PATH would let the repository pick a secret of the machine to send.
				p.Add(val, fmt.Sprintf("%s %q: a repository's file may only say github-oidc; which variable or file is presented "+
					"to the broker is set with %s (or the flag %s) in the CI job", name, v, operatorSetting[k.Value][0], operatorSetting[k.Value][1]))
			}
		case "subject_token_type":
			x.SubjectTokenType = p.Str(name, val)
			if _, err := tokenexchange.ParseTokenType(x.SubjectTokenType); err != nil {
				p.Add(val, fmt.Sprintf("%s: %v", name, err))
			}
		case "resource":
			x.Resource = p.Str(name, val)
			if u, err := url.Parse(x.Resource); x.Resource != "" && (err != nil || !u.IsAbs() || u.Fragment != "") {
				p.Add(val, fmt.Sprintf("%s must be an absolute URI such as https://sentry.io/api/0, not %q", name, x.Resource))
			}
		case "scopes":
			x.Scopes = parseScopes(p, name, val)
		default:
			p.Add(k, fmt.Sprintf("unknown key %q in %s; known keys are issuer, resource, scopes, subject_token (github-oidc), "+
				"subject_token_type and token_endpoint", k.Value, prefix))
		}
	})
	return x
}

// scopes reads a list of scopes, or one string of space-separated scopes as OAuth writes them.
func parseScopes(p *linter.ConfigReader, key string, v *yaml.Node) []string {
	if linter.TypeOf(v) == linter.TypeString {
		return strings.Fields(linter.Resolve(v).Value)
	}
	if linter.TypeOf(v) != linter.TypeSequence {
		p.Add(v, fmt.Sprintf("%s must be a list such as [org:read, project:read], not %s", key, linter.Describe(v)))
		return nil
	}
	var out []string
	for _, item := range linter.Items(v) {
		s := p.Str(key+" entry", item)
		if s == "" || strings.ContainsAny(s, " \t\"") {
			p.Add(item, fmt.Sprintf("%s entry %q is not a scope", key, s))
			continue
		}
		out = append(out, s)
	}
	return out
}
