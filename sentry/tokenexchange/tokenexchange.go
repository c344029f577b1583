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
