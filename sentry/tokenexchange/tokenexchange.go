// Package tokenexchange gets short-lived Sentry tokens from an access broker with OAuth 2.0 Token
// Exchange (RFC 8693): the caller presents its own identity (a GitHub Actions OIDC token, a token from
// the environment or from a file the platform rotates), the broker answers with an access token for
// the Sentry API. The token endpoint is given or found through the issuer's authorization server
// metadata (RFC 8414). Tokens are cached until shortly before they expire.
//
// Nothing here ever puts a secret, a subject token or an issued token into an error or a debug line;
// text that comes from the broker is scrubbed of all of them before it is shown.
package tokenexchange

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/catalog-lint/catalog-lint/sentry/internal/retry"
)

// The identifiers RFC 8693 defines (sections 2.1 and 3).
const (
	GrantType            = "urn:ietf:params:oauth:grant-type:token-exchange"
	TokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
	TokenTypeIDToken     = "urn:ietf:params:oauth:token-type:id_token"
	TokenTypeJWT         = "urn:ietf:params:oauth:token-type:jwt"
)

// The GitHub Actions variables a job with `permissions: id-token: write` gets.
const (
	EnvOIDCRequestURL   = "ACTIONS_ID_TOKEN_REQUEST_URL"
	EnvOIDCRequestToken = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
)

// Subject says where the subject token comes from.
type Subject struct {
	// Kind is "github-oidc", "env" or "file".
	Kind string
	// Name is the variable (env) or the path (file).
	Name string
}

// ParseSubject reads `github-oidc`, `env:NAME` or `file:PATH`.
func ParseSubject(spec string) (Subject, error) {
	spec = strings.TrimSpace(spec)
	switch {
	case spec == "github-oidc":
		return Subject{Kind: "github-oidc"}, nil
	case strings.HasPrefix(spec, "env:"):
		name := strings.TrimPrefix(spec, "env:")
		if !ValidEnvName(name) {
			return Subject{}, fmt.Errorf("subject token %q: env: needs a variable name such as env:BROKER_SUBJECT_TOKEN", spec)
		}
		return Subject{Kind: "env", Name: name}, nil
	case strings.HasPrefix(spec, "file:"):
		path := strings.TrimPrefix(spec, "file:")
		if path == "" {
			return Subject{}, fmt.Errorf("subject token %q: file: needs a path such as file:/var/run/secrets/tokens/broker", spec)
		}
		return Subject{Kind: "file", Name: path}, nil
	}
	return Subject{}, fmt.Errorf("subject token %q: use github-oidc, env:NAME or file:PATH", spec)
}

// String is the spec the subject was parsed from.
func (s Subject) String() string {
	if s.Kind == "github-oidc" {
		return s.Kind
	}
	return s.Kind + ":" + s.Name
}

// Describe names the subject token in messages, never showing it: "the GitHub OIDC token", "the
// subject token from $NAME", "the subject token from PATH".
func (s Subject) Describe() string {
	switch s.Kind {
	case "github-oidc":
		return "the GitHub OIDC token"
	case "env":
		return "the subject token from $" + s.Name
	}
	return "the subject token from " + s.Name
}

// DefaultTokenType is the subject_token_type sent when none is configured: the GitHub OIDC token is an
// OpenID Connect ID token; a token from the environment or a file is taken for an access token.
func (s Subject) DefaultTokenType() string {
	if s.Kind == "github-oidc" {
		return TokenTypeIDToken
	}
	return TokenTypeAccessToken
}

// ParseTokenType accepts a full token type URN or its short name: access_token, id_token or jwt.
func ParseTokenType(s string) (string, error) {
	switch s {
	case "access_token", TokenTypeAccessToken:
		return TokenTypeAccessToken, nil
	case "id_token", TokenTypeIDToken:
		return TokenTypeIDToken, nil
	case "jwt", TokenTypeJWT:
		return TokenTypeJWT, nil
	}
	if strings.HasPrefix(s, "urn:") && !strings.ContainsAny(s, " \t\r\n") {
		return s, nil
	}
	return "", fmt.Errorf("subject token type %q: use access_token, id_token, jwt or a token type URN", s)
}

// ValidEnvName reports whether name can be an environment variable's name.
func ValidEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// CheckURL accepts the address of a broker (issuer, token endpoint): https, or http to a loopback
// host (a broker on the same machine), with no credentials or fragment.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return fmt.Errorf("%q is not an absolute URL", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
	}
	return fmt.Errorf("%q must be https: credentials are sent there", raw)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Config configures a Source.
type Config struct {
	// Issuer is the broker's issuer identifier; its token endpoint is read from the RFC 8414 metadata
	// at /.well-known/oauth-authorization-server (or, when that is missing, OpenID Connect discovery).
	Issuer string
	// TokenEndpoint, when set, is used directly and Issuer is not asked.
	TokenEndpoint string
	// ClientID and ClientSecret authenticate the client with HTTP Basic (RFC 6749 section 2.3.1). With
	// only ClientID, it is sent as the client_id parameter (a public client); with neither, the subject
	// token alone identifies the caller.
	ClientID, ClientSecret string
	// Subject is where the subject token comes from; it is read again for every exchange.
	Subject Subject
	// SubjectTokenType defaults to Subject.DefaultTokenType().
	SubjectTokenType string
	// Audience is the aud of the GitHub OIDC token and the exchange's audience parameter, when set.
	Audience string
	// Resource is the API the token is for, such as https://sentry.io/api/0 (RFC 8707).
	Resource string
	// Scopes are requested with the scope parameter, when set.
	Scopes []string
	// Getenv reads environment variables (env: subjects, the GitHub OIDC request variables).
	Getenv func(string) string
	// Transport replaces the HTTP transport (tests).
	Transport http.RoundTripper
	// Timeout bounds each HTTP request (default 15 s).
	Timeout time.Duration
	// Now and Sleep replace the clock (tests).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Debugf, when set, is told that an exchange happened, for which resource and until when; never a
	// token or a secret.
	Debugf func(format string, args ...any)
	// UserAgent identifies the caller.
	UserAgent string
}

// Source hands out exchanged tokens: cached until shortly before they expire, exchanged again after
// that or after Invalidate. It is safe for concurrent use; concurrent callers share one exchange.
type Source struct {
	cfg  Config
	http *http.Client
	lock chan struct{}

	// Guarded by lock.
	endpoint  string
	token     string
	refresh   time.Time // when to exchange again; zero: the broker gave no lifetime
	end       time.Time // when the token expires
	lastErr   error
	lastErrAt time.Time

	secretsMu sync.Mutex
	secrets   []string // everything that must never be shown, for Redact
}

// failureHold is how long a failed exchange is answered from memory, so that the many lookups of a
// run do not each ask the broker again.
const failureHold = 10 * time.Second

// maxBody bounds what is read of a broker's answer.
const maxBody = 1 << 20

// New checks the configuration and returns a Source. It sends nothing yet.
func New(cfg Config) (*Source, error) {
	if cfg.TokenEndpoint == "" && cfg.Issuer == "" {
		return nil, errors.New("token exchange: set the issuer or the token endpoint of the broker")
	}
	if cfg.TokenEndpoint != "" {
		if err := CheckURL(cfg.TokenEndpoint); err != nil {
			return nil, fmt.Errorf("token exchange: token endpoint %w", err)
		}
	} else {
		if err := CheckURL(cfg.Issuer); err != nil {
			return nil, fmt.Errorf("token exchange: issuer %w", err)
		}
		if u, _ := url.Parse(cfg.Issuer); u.RawQuery != "" {
			return nil, fmt.Errorf("token exchange: issuer %q must not have a query (RFC 8414 section 2)", cfg.Issuer)
		}
	}
	if cfg.Subject.Kind == "" {
		return nil, errors.New("token exchange: no subject token: use github-oidc, env:NAME or file:PATH")
	}
	if cfg.SubjectTokenType == "" {
		cfg.SubjectTokenType = cfg.Subject.DefaultTokenType()
	}
	if cfg.Resource != "" {
		if u, err := url.Parse(cfg.Resource); err != nil || !u.IsAbs() || u.Fragment != "" {
			return nil, fmt.Errorf("token exchange: resource %q must be an absolute URI without a fragment (RFC 8707)", cfg.Resource)
		}
	}
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = retry.Sleep
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "catalog-lint"
	}
	transport := cfg.Transport
	if transport == nil {
		transport = http.DefaultTransport
	}
	s := &Source{cfg: cfg, endpoint: cfg.TokenEndpoint, lock: make(chan struct{}, 1), http: &http.Client{
		Transport: transport,
		// A redirect would resend the client secret or the subject token to wherever the answer
		// points: never follow one.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	s.remember(cfg.ClientSecret)
	return s, nil
}

// Token returns a valid token, exchanging a new one when there is none, when the cached one expires
// within its refresh margin, or after Invalidate. When that exchange fails, a cached token that has not
// expired yet is still returned.
func (s *Source) Token(ctx context.Context) (string, error) {
	select {
	case s.lock <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-s.lock }()
	now := s.cfg.Now()
	if s.token != "" && (s.refresh.IsZero() || now.Before(s.refresh)) {
		return s.token, nil
	}
	if s.lastErr == nil || now.Sub(s.lastErrAt) >= failureHold {
		token, err := s.exchange(ctx)
		if err == nil {
			s.lastErr = nil
			return token, nil
		}
		if ctx.Err() != nil {
			return "", err // the caller gave up: nothing was learned about the broker
		}
		s.lastErr, s.lastErrAt = err, s.cfg.Now()
	}
	// The refresh failed, but a token that has not actually expired still serves: a short broker
	// outage must not fail the lookups of a long-running server.
	if s.token != "" && now.Before(s.end) {
		if s.cfg.Debugf != nil {
			s.cfg.Debugf("token exchange: refresh failed (%v); the current token is used until it expires", s.lastErr)
		}
		return s.token, nil
	}
	s.token = ""
	return "", s.lastErr
}

// Invalidate drops token from the cache after the API refused it, so that the next Token exchanges
// again; a token that was already replaced is ignored.
func (s *Source) Invalidate(token string) {
	s.lock <- struct{}{}
	defer func() { <-s.lock }()
	if s.token == token {
		s.token = ""
		s.lastErr = nil
	}
}

// Redact removes every secret the source has handled (client secret, subject tokens, issued tokens)
// from text.
func (s *Source) Redact(text string) string {
	s.secretsMu.Lock()
	defer s.secretsMu.Unlock()
	for _, secret := range s.secrets {
		text = strings.ReplaceAll(text, secret, "[redacted]")
	}
	return text
}

func (s *Source) remember(secret string) {
	if len(secret) < 4 {
		return // too short to redact without mangling ordinary words; also too short to be a real secret
	}
	s.secretsMu.Lock()
	defer s.secretsMu.Unlock()
	for _, known := range s.secrets {
		if known == secret {
			return
		}
	}
	if len(s.secrets) >= 64 {
		s.secrets = s.secrets[1:]
	}
	s.secrets = append(s.secrets, secret)
}

// Error is a failed exchange, in words a user can act on. Code is the OAuth error code when the broker
// sent one.
type Error struct {
	Msg  string
	Code string
	// Temporary is set for failures that may pass (outages, rate limits).
	Temporary bool
}

func (e *Error) Error() string { return "token exchange: " + e.Msg }

func (s *Source) exchange(ctx context.Context) (string, error) {
	endpoint, err := s.tokenEndpoint(ctx)
	if err != nil {
		return "", err
	}
	subject, err := s.subjectToken(ctx)
	if err != nil {
		return "", err
	}
	s.remember(subject)
	form := url.Values{
		"grant_type":         {GrantType},
		"subject_token":      {subject},
		"subject_token_type": {s.cfg.SubjectTokenType},
	}
	if s.cfg.Resource != "" {
		form.Set("resource", s.cfg.Resource)
	}
	if s.cfg.Audience != "" {
		form.Set("audience", s.cfg.Audience)
	}
	if len(s.cfg.Scopes) > 0 {
		form.Set("scope", strings.Join(s.cfg.Scopes, " "))
	}
	if s.cfg.ClientID != "" && s.cfg.ClientSecret == "" {
		form.Set("client_id", s.cfg.ClientID)
	}
	body := form.Encode()
	started := s.cfg.Now()
	resp, data, err := s.do(ctx, "token endpoint "+endpoint, func() (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if s.cfg.ClientSecret != "" {
			// RFC 6749 section 2.3.1: both parts are form-urlencoded before Base64.
			creds := url.QueryEscape(s.cfg.ClientID) + ":" + url.QueryEscape(s.cfg.ClientSecret)
			req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(creds)))
		}
		return req, nil
	})
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", s.oauthError(endpoint, resp, data)
	}
	var answer struct {
		AccessToken     string          `json:"access_token"`
		IssuedTokenType string          `json:"issued_token_type"`
		TokenType       string          `json:"token_type"`
		ExpiresIn       json.RawMessage `json:"expires_in"`
		Scope           string          `json:"scope"`
	}
	if err := json.Unmarshal(data, &answer); err != nil || answer.AccessToken == "" {
		return "", &Error{Msg: fmt.Sprintf("the answer of %s has no access_token", endpoint), Temporary: true}
	}
	s.remember(answer.AccessToken)
	if tt := answer.TokenType; tt != "" && !strings.EqualFold(tt, "bearer") {
		return "", &Error{Msg: fmt.Sprintf("%s issued a token of type %q; Sentry needs a Bearer token", endpoint, s.clean(tt))}
	}
	lifetime, err := expiresIn(answer.ExpiresIn)
	if err != nil {
		return "", &Error{Msg: fmt.Sprintf("the answer of %s has an unreadable expires_in: %v", endpoint, err)}
	}
	s.token = answer.AccessToken
	s.refresh, s.end = time.Time{}, time.Time{}
	expires := "no expiry given; kept until the API refuses it"
	if lifetime > 0 {
		// Counted from when the request left, and renewed a margin before the end, so that a token is
		// never sent in its last moments.
		s.end = started.Add(lifetime)
		s.refresh = s.end.Add(-refreshMargin(lifetime))
		expires = fmt.Sprintf("expires %s (in %s)", s.end.UTC().Format(time.RFC3339), lifetime)
	}
	if s.cfg.Debugf != nil {
		resource := s.cfg.Resource
		if resource == "" {
			resource = "(none given)"
		}
		s.cfg.Debugf("token exchange: exchanged %s at %s for resource %s; %s", s.cfg.Subject.Describe(), endpoint, resource, expires)
	}
	return s.token, nil
}

// refreshMargin is how long before expiry a token is replaced: a fifth of its lifetime, at most a
// minute.
func refreshMargin(lifetime time.Duration) time.Duration {
	return min(lifetime/5, time.Minute)
}

// expiresIn reads expires_in, a number of seconds; some brokers send it as a string.
func expiresIn(raw json.RawMessage) (time.Duration, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	text := strings.Trim(string(raw), `"`)
	secs, err := strconv.ParseFloat(text, 64)
	if err != nil || secs < 0 || secs > 1e9 {
		return 0, fmt.Errorf("%s is not a number of seconds", strconv.Quote(text))
	}
	return time.Duration(secs * float64(time.Second)), nil
}

// oauthMessages explains the error codes of RFC 6749 section 5.2 and RFC 8693 section 2.2.2.
var oauthMessages = map[string]string{
	"invalid_client":         "the broker did not accept the client credentials",
	"invalid_grant":          "the broker did not accept the subject token",
	"invalid_target":         "the broker will not issue a token for the requested resource or audience",
	"invalid_scope":          "the broker will not grant the requested scopes",
	"invalid_request":        "the broker found the request malformed",
	"unauthorized_client":    "this client may not use token exchange",
	"unsupported_grant_type": "the broker does not support token exchange (RFC 8693)",
	"access_denied":          "the broker's policy denied the exchange",
}

func (s *Source) oauthError(endpoint string, resp *http.Response, data []byte) error {
	var e struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
		ErrorURI         string `json:"error_uri"`
	}
	_ = json.Unmarshal(data, &e)
	code := s.clean(e.Error)
	msg, known := oauthMessages[code]
	if !known {
		msg = fmt.Sprintf("%s answered %d %s", endpoint, resp.StatusCode, strings.ToLower(http.StatusText(resp.StatusCode)))
	}
	if code != "" {
		msg += " (" + code
		if d := s.clean(e.ErrorDescription); d != "" {
			msg += ": " + d
		}
		msg += ")"
	}
	switch code {
	case "invalid_client":
		msg += hint(s.cfg.ClientID == "", "; no client ID was sent")
	case "invalid_grant":
		msg += s.subjectHint()
	case "invalid_target":
		msg += fmt.Sprintf("; requested resource %s", orNone(s.cfg.Resource))
		if s.cfg.Audience != "" {
			msg += fmt.Sprintf(", audience %q", s.cfg.Audience)
		}
	case "invalid_scope":
		msg += fmt.Sprintf("; requested %q", strings.Join(s.cfg.Scopes, " "))
	}
	if u := s.clean(e.ErrorURI); u != "" {
		msg += "; see " + u
	}
	return &Error{Msg: msg, Code: code, Temporary: code == "" && resp.StatusCode >= 500}
}

func (s *Source) subjectHint() string {
	switch s.cfg.Subject.Kind {
	case "github-oidc":
		aud := "GitHub's default audience"
		if s.cfg.Audience != "" {
			aud = fmt.Sprintf("audience %q", s.cfg.Audience)
		}
		return fmt.Sprintf("; the subject was this workflow's GitHub OIDC token (%s), sent as %s: check the broker's trust policy for this repository", aud, s.cfg.SubjectTokenType)
	case "file":
		return fmt.Sprintf("; the subject token was read from %s and sent as %s", s.cfg.Subject.Name, s.cfg.SubjectTokenType)
	default:
		return fmt.Sprintf("; the subject token came from $%s and was sent as %s", s.cfg.Subject.Name, s.cfg.SubjectTokenType)
	}
}

func hint(cond bool, text string) string {
	if cond {
		return text
	}
	return ""
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// clean makes text from a broker safe to show: secrets removed, control characters (terminal escapes,
// forged log lines) dropped, and at most 300 characters kept.
func (s *Source) clean(text string) string {
	text = s.Redact(text)
	text = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, text)
	text = strings.TrimSpace(text)
	if r := []rune(text); len(r) > 300 {
		text = string(r[:300]) + "…"
	}
	return text
}

// tokenEndpoint returns the configured endpoint, or discovers it once from the issuer's metadata.
func (s *Source) tokenEndpoint(ctx context.Context) (string, error) {
	if s.endpoint != "" {
		return s.endpoint, nil
	}
	issuer := s.cfg.Issuer
	u, _ := url.Parse(issuer)
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	// RFC 8414 section 3.1: the well-known segment goes between the host and the issuer's path.
	wellKnown := u.Scheme + "://" + u.Host + "/.well-known/oauth-authorization-server" + path
	// OpenID Connect Discovery 1.0 section 4: appended to the issuer.
	openID := u.Scheme + "://" + u.Host + path + "/.well-known/openid-configuration"
	var meta struct {
		Issuer              string   `json:"issuer"`
		TokenEndpoint       string   `json:"token_endpoint"`
		GrantTypesSupported []string `json:"grant_types_supported"`
	}
	var where string
	for _, target := range []string{wellKnown, openID} {
		resp, data, err := s.do(ctx, "metadata "+target, func() (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		})
		if err != nil {
			return "", err
		}
		if resp.StatusCode == http.StatusNotFound {
			continue
		}
		if resp.StatusCode != http.StatusOK {
			return "", &Error{Msg: fmt.Sprintf("could not read the authorization server metadata of %s: %s answered %d %s",
				issuer, target, resp.StatusCode, strings.ToLower(http.StatusText(resp.StatusCode))), Temporary: resp.StatusCode >= 500}
		}
		if err := json.Unmarshal(data, &meta); err != nil {
			return "", &Error{Msg: fmt.Sprintf("the metadata at %s is not JSON metadata: %v", target, err)}
		}
		where = target
		break
	}
	if where == "" {
		return "", &Error{Msg: fmt.Sprintf("%s has no authorization server metadata (%s and %s answered 404); set the token endpoint directly", issuer, wellKnown, openID)}
	}
	// RFC 8414 section 3.3: metadata naming another issuer must not be used.
	if strings.TrimSuffix(meta.Issuer, "/") != strings.TrimSuffix(issuer, "/") {
		return "", &Error{Msg: fmt.Sprintf("the metadata at %s names the issuer %q, not %q; it is not used (RFC 8414 section 3.3)", where, s.clean(meta.Issuer), issuer)}
	}
	if meta.TokenEndpoint == "" {
		return "", &Error{Msg: fmt.Sprintf("the metadata at %s has no token_endpoint", where)}
	}
	if err := CheckURL(meta.TokenEndpoint); err != nil {
		return "", &Error{Msg: fmt.Sprintf("the metadata at %s gives a token endpoint that cannot be used: %v", where, err)}
	}
	if len(meta.GrantTypesSupported) > 0 && !contains(meta.GrantTypesSupported, GrantType) {
		return "", &Error{Msg: fmt.Sprintf("%s does not offer token exchange: its metadata lists the grant types %s, not %s", issuer,
			s.clean(strings.Join(meta.GrantTypesSupported, ", ")), GrantType), Code: "unsupported_grant_type"}
	}
	s.endpoint = meta.TokenEndpoint
	if s.cfg.Debugf != nil {
		s.cfg.Debugf("token exchange: %s has the token endpoint %s (from %s)", issuer, s.endpoint, where)
	}
	return s.endpoint, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// subjectToken reads the subject token afresh: platforms rotate the file, and the GitHub OIDC token
// is short-lived.
func (s *Source) subjectToken(ctx context.Context) (string, error) {
	var token string
	switch s.cfg.Subject.Kind {
	case "github-oidc":
		return s.githubOIDC(ctx)
	case "env":
		token = strings.TrimSpace(s.cfg.Getenv(s.cfg.Subject.Name))
		if token == "" {
			return "", &Error{Msg: fmt.Sprintf("the subject token variable %s is not set", s.cfg.Subject.Name)}
		}
	case "file":
		data, err := os.ReadFile(s.cfg.Subject.Name)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return "", &Error{Msg: fmt.Sprintf("read the subject token from %s: %v", s.cfg.Subject.Name, err), Temporary: true}
		}
		if token = strings.TrimSpace(string(data)); token == "" {
			return "", &Error{Msg: fmt.Sprintf("the subject token file %s is empty", s.cfg.Subject.Name), Temporary: true}
		}
	default:
		return "", &Error{Msg: fmt.Sprintf("unknown subject token source %q", s.cfg.Subject.Kind)}
	}
	return token, nil
}

// ErrNoGitHubOIDC is the answer outside a GitHub Actions job allowed to request an OIDC token.
var ErrNoGitHubOIDC = &Error{Msg: "the GitHub OIDC token cannot be requested: " + EnvOIDCRequestURL + " and " +
	EnvOIDCRequestToken + " are not set; the workflow or job needs `permissions: id-token: write`"}

// GitHubOIDCAvailable reports whether the GitHub Actions OIDC request variables are set.
func GitHubOIDCAvailable(getenv func(string) string) bool {
	return getenv(EnvOIDCRequestURL) != "" && getenv(EnvOIDCRequestToken) != ""
}

// githubOIDC asks the Actions token service for the job's OIDC token, as @actions/core getIDToken
// does: GET the request URL with audience added, the request token as a Bearer credential, the token
// in the answer's "value".
func (s *Source) githubOIDC(ctx context.Context) (string, error) {
	if !GitHubOIDCAvailable(s.cfg.Getenv) {
		return "", ErrNoGitHubOIDC
	}
	raw, bearer := s.cfg.Getenv(EnvOIDCRequestURL), s.cfg.Getenv(EnvOIDCRequestToken)
	s.remember(bearer)
	u, err := url.Parse(raw)
	if err != nil || CheckURL(raw) != nil {
		return "", &Error{Msg: EnvOIDCRequestURL + " is not an https URL"}
	}
	if s.cfg.Audience != "" {
		q := u.Query()
		q.Set("audience", s.cfg.Audience)
		u.RawQuery = q.Encode()
	}
	target := u.String()
	resp, data, err := s.do(ctx, "GitHub's OIDC token service", func() (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+bearer)
		req.Header.Set("Accept", "application/json; api-version=2.0")
		return req, nil
	})
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		detail := ""
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &e) == nil && e.Message != "" {
			detail = ": " + s.clean(e.Message)
		}
		return "", &Error{Msg: fmt.Sprintf("GitHub's OIDC token service answered %d %s%s", resp.StatusCode,
			strings.ToLower(http.StatusText(resp.StatusCode)), detail), Temporary: resp.StatusCode >= 500}
	}
	var answer struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(data, &answer); err != nil || answer.Value == "" {
		return "", &Error{Msg: "GitHub's OIDC token service answered without a token", Temporary: true}
	}
	s.remember(answer.Value)
	return answer.Value, nil
}

// do sends a request built by build, retrying connection errors, timeouts, 5xx and 429 (at most 3
// attempts, waiting as Retry-After says up to 30 s, else 0.5 s then 1 s, with jitter). what names the
// target in errors; URLs never carry secrets here.
func (s *Source) do(ctx context.Context, what string, build func() (*http.Request, error)) (*http.Response, []byte, error) {
	const attempts = 3
	for attempt := 1; ; attempt++ {
		resp, data, err := s.once(ctx, build)
		var wait time.Duration
		var problem string
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, nil, &Error{Msg: fmt.Sprintf("%s: %v", what, ctx.Err()), Temporary: true}
		case err != nil:
			problem = err.Error()
			wait = retry.Backoff(attempt)
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			problem = fmt.Sprintf("%d %s", resp.StatusCode, strings.ToLower(http.StatusText(resp.StatusCode)))
			wait = retry.Backoff(attempt)
			if ra, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && ra >= 0 {
				wait = time.Duration(ra) * time.Second
			}
		default:
			return resp, data, nil
		}
		if attempt >= attempts || wait > 30*time.Second {
			return nil, nil, &Error{Msg: fmt.Sprintf("%s could not be reached: %s (after %d attempts)", what, s.clean(problem), attempt), Temporary: true}
		}
		if err := s.cfg.Sleep(ctx, wait); err != nil {
			return nil, nil, &Error{Msg: fmt.Sprintf("%s: %v", what, err), Temporary: true}
		}
	}
}

func (s *Source) once(ctx context.Context, build func() (*http.Request, error)) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := build()
	if err != nil {
		return nil, nil, err
	}
	req = req.WithContext(ctx)
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	req.Header.Set("User-Agent", s.cfg.UserAgent)
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, nil, retry.TransportError(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, nil, retry.TransportError(err)
	}
	return resp, data, nil
}
