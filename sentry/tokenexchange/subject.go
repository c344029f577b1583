package tokenexchange

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
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
