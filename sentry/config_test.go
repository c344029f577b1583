package sentry

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/catalog-lint/catalog-lint/linter"
)

// TestConfigSection: the sentry section of .catalog-lint.yaml is read here, with the lines of its
// mistakes, whatever the engine reads around it.
func TestConfigSection(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		wantErr string
	}{
		{name: "organization and a SaaS region", input: "include: [x/*.yaml]\nsentry:\n  organization: acme\n  url: https://de.sentry.io\n"},
		{name: "a self-hosted URL from a repository file", input: "sentry:\n  url: https://sentry.acme.internal\n",
			wantErr: `c.yaml:2: sentry.url "https://sentry.acme.internal": a repository file may only name sentry.io`},
		{name: "not a mapping", input: "sentry: acme\n", wantErr: "c.yaml:1: sentry must be a mapping, not a string"},
		{name: "token exchange", input: exchangeConfig},
		{name: "unknown sentry key", input: "sentry:\n  org: acme\n", wantErr: `c.yaml:2: unknown key "org" in sentry`},
		{name: "token exchange", input: exchangeConfig},
		{name: "token exchange scopes as a string", input: "sentry:\n  auth:\n    token_exchange:\n      issuer: https://zone-123.keycard.cloud\n      scopes: org:read project:read\n"},
		{name: "token exchange http issuer", input: "sentry:\n  auth:\n    token_exchange:\n      issuer: http://broker.example.com\n",
			wantErr: `c.yaml:4: sentry.auth.token_exchange.issuer: "http://broker.example.com" must be https: credentials are sent there`},
		// Which secret goes to the broker is the operator's choice, never a repository's (issue 19, case 6).
		{name: "token exchange subject from a file", input: "sentry:\n  auth:\n    token_exchange:\n      subject_token: file:/etc/hostname\n",
			wantErr: `c.yaml:4: sentry.auth.token_exchange.subject_token "file:/etc/hostname": a repository's file may only say github-oidc; which variable or file is presented to the broker is set with SENTRY_TOKEN_EXCHANGE_SUBJECT_TOKEN`},
		{name: "token exchange subject from a variable", input: "sentry:\n  auth:\n    token_exchange:\n      subject_token: env:AWS_SECRET_ACCESS_KEY\n",
			wantErr: `c.yaml:4: sentry.auth.token_exchange.subject_token "env:AWS_SECRET_ACCESS_KEY": a repository's file may only say github-oidc`},
		{name: "token exchange client secret variable", input: "sentry:\n  auth:\n    token_exchange:\n      client_secret_env: AWS_SECRET_ACCESS_KEY\n",
			wantErr: `c.yaml:4: sentry.auth.token_exchange.client_secret_env: a repository's file cannot choose which secret goes to the token broker; set SENTRY_TOKEN_EXCHANGE_CLIENT_SECRET_ENV`},
		{name: "token exchange client ID variable", input: "sentry:\n  auth:\n    token_exchange:\n      client_id_env: HOME\n",
			wantErr: `c.yaml:4: sentry.auth.token_exchange.client_id_env: a repository's file cannot choose`},
		{name: "token exchange audience", input: "sentry:\n  auth:\n    token_exchange:\n      audience: sts.amazonaws.com\n",
			wantErr: `c.yaml:4: sentry.auth.token_exchange.audience: a repository's file cannot choose`},
		{name: "token exchange unknown key", input: "sentry:\n  auth:\n    token_exchange:\n      client_secret: x\n",
			wantErr: `c.yaml:4: unknown key "client_secret" in sentry.auth.token_exchange`},
		{name: "token exchange bad type", input: "sentry:\n  auth:\n    token_exchange:\n      subject_token_type: saml\n",
			wantErr: `c.yaml:4: sentry.auth.token_exchange.subject_token_type: subject token type "saml"`},
		{name: "token exchange bad scopes", input: "sentry:\n  auth:\n    token_exchange:\n      scopes: {a: b}\n",
			wantErr: `c.yaml:4: sentry.auth.token_exchange.scopes must be a list`},
		{name: "unknown auth", input: "sentry:\n  auth:\n    bearer: x\n", wantErr: `c.yaml:3: unknown key "bearer" in sentry.auth`},
		{name: "an unknown top-level key still fails", input: "sentry: {organization: acme}\nsentri: {}\n",
			wantErr: `c.yaml:2: unknown key "sentri"; known keys are annotations, exclude, include, max_file_size, rules and sentry`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := linter.ParseConfig("c.yaml", "/repo", []byte(tt.input), ConfigSection)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
			if cfg != nil {
				t.Error("a failed load must not return a configuration")
			}
		})
	}
	cfg, err := linter.ParseConfig("c.yaml", "/repo", []byte("sentry: {organization: acme, url: 'https://us.sentry.io'}\n"), ConfigSection)
	if err != nil {
		t.Fatal(err)
	}
	if s := SettingsOf(cfg); s.Organization != "acme" || s.URL != "https://us.sentry.io" || s.TokenExchange != nil {
		t.Errorf("settings not read as written: %+v", s)
	}
	if s := SettingsOf(linter.DefaultConfig(".")); s != (Settings{}) {
		t.Errorf("no section must give the zero settings, got %+v", s)
	}

	cfg, err = linter.ParseConfig("c.yaml", "/repo", []byte(exchangeConfig), ConfigSection)
	if err != nil {
		t.Fatal(err)
	}
	want := &TokenExchangeSettings{
		Issuer: "https://zone-123.keycard.cloud", TokenEndpoint: "https://zone-123.keycard.cloud/oauth/token",
		SubjectTokenType: "jwt", Resource: "https://sentry.io/api/0",
		Scopes: []string{"org:read", "project:read"}, Line: 4,
	}
	if diff := cmp.Diff(want, SettingsOf(cfg).TokenExchange); diff != "" {
		t.Errorf("token exchange (-want +got):\n%s", diff)
	}
}

const exchangeConfig = `sentry:
  organization: acme
  auth:
    token_exchange:
      issuer: https://zone-123.keycard.cloud
      token_endpoint: https://zone-123.keycard.cloud/oauth/token
      subject_token: github-oidc
      subject_token_type: jwt
      resource: https://sentry.io/api/0
      scopes: [org:read, project:read]
`
