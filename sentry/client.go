// Package sentry is a small client for the two Sentry Web API lookups catalog-lint needs (list an
// organization's projects, retrieve one project) and a per-organization index on top of it. It uses
// only the standard library and knows nothing of catalog files or rules.
package sentry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/catalog-lint/catalog-lint/sentry/internal/retry"
)

// DefaultURL is Sentry's SaaS API host; organization-scoped paths are routed to the right region.
const DefaultURL = "https://sentry.io"

// Project is what catalog-lint needs of a Sentry project. Sentry sends the ID as a string.
type Project struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// Config configures a Client. Zero values take the defaults.
type Config struct {
	// BaseURL is the Sentry installation, such as https://sentry.io, https://de.sentry.io or a
	// self-hosted https://sentry.example.com; the API is under /api/0/.
	BaseURL string
	// Token is sent as a Bearer token. It never appears in errors or logs.
	Token string
	// Tokens, when set, supplies the token of every request instead of Token (short-lived tokens from
	// a token exchange). After a 401 the token is invalidated and the request sent once more with a
	// fresh one; a second 401 is the answer.
	Tokens TokenSource
	// Timeout bounds each request (default 15 s).
	Timeout time.Duration
	// Attempts bounds the tries of one request on 5xx, timeouts and connection errors (default 4).
	Attempts int
	// RetryBudget bounds the total time spent retrying one request, waits included (default 60 s).
	RetryBudget time.Duration
	// MaxRateLimitWait is the longest wait for X-Sentry-Rate-Limit-Reset after a 429 (default 30 s);
	// a longer announced wait fails the request instead.
	MaxRateLimitWait time.Duration
	// Transport replaces the HTTP transport (tests).
	Transport http.RoundTripper
	// Sleep replaces waiting between attempts (tests); it must return ctx.Err() when ctx ends.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now replaces the clock used to read X-Sentry-Rate-Limit-Reset (tests).
	Now func() time.Time
	// UserAgent identifies the caller.
	UserAgent string
}

// TokenSource supplies short-lived tokens.
type TokenSource interface {
	// Token returns the token to send.
	Token(ctx context.Context) (string, error)
	// Invalidate says that Sentry refused token, so that the next Token gets a new one.
	Invalidate(token string)
	// Redact removes every secret the source knows of from text.
	Redact(text string) string
}

// TokenError means no token could be obtained to ask Sentry with: Sentry was not asked.
type TokenError struct{ Err error }

func (e *TokenError) Error() string { return "could not get a Sentry token: " + e.Err.Error() }
func (e *TokenError) Unwrap() error { return e.Err }

// Client calls the Sentry Web API. It is safe for concurrent use and reuses connections.
type Client struct {
	base     *url.URL
	token    string
	http     *http.Client
	cfg      Config
	requests atomic.Int64
	// OnResponse, when set, is called after every HTTP exchange with its status (0 when no response
	// arrived); metrics hook in here.
	OnResponse func(op string, status int)
}

// NewClient checks the configuration and returns a client. The base URL must be http or https with a
// host and no credentials, query or fragment.
func NewClient(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultURL
	}
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("sentry: URL %q is not valid; use the address of the Sentry installation, such as %s", cfg.BaseURL, DefaultURL)
	}
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/api/0")
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 4
	}
	if cfg.RetryBudget <= 0 {
		cfg.RetryBudget = 60 * time.Second
	}
	if cfg.MaxRateLimitWait <= 0 {
		cfg.MaxRateLimitWait = 30 * time.Second
	}
	if cfg.Sleep == nil {
		cfg.Sleep = retry.Sleep
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "catalog-lint"
	}
	transport := cfg.Transport
	if transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 8
		transport = t
	}
	c := &Client{base: u, token: cfg.Token, cfg: cfg, http: &http.Client{
		Transport: transport,
		// A 302 from the project endpoint means the project was renamed: report it, never follow it
		// (and never let a response decide where the token goes next).
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	return c, nil
}

// BaseURL returns the installation the client talks to.
func (c *Client) BaseURL() string { return c.base.String() }

// Requests returns how many HTTP requests the client has sent.
func (c *Client) Requests() int64 { return c.requests.Load() }

// APIError is an answer from Sentry other than success: the status and Sentry's own explanation.
type APIError struct {
	Op     string // what was asked: `list projects of "acme"`
	Status int
	Detail string
	// Renewed is set on a 401 to a token that had just been obtained afresh from the token source.
	Renewed bool
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("sentry: %s: %d %s", e.Op, e.Status, strings.ToLower(http.StatusText(e.Status)))
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// RenamedError is the 302 Sentry answers for a project's old slug.
type RenamedError struct {
	Org, Old, New string
}

func (e *RenamedError) Error() string {
	return fmt.Sprintf("sentry: project %q of %q was renamed to %q", e.Old, e.Org, e.New)
}

// UnavailableError means Sentry could not be asked: connection errors, timeouts, 5xx and 429 that
// outlasted the retries. It is never evidence that a project is missing.
type UnavailableError struct {
	Op  string
	Err error
	// RetryAfter is set when Sentry's rate limit was the cause: how long until it resets.
	RetryAfter time.Duration
}

func (e *UnavailableError) Error() string { return fmt.Sprintf("sentry: %s: %v", e.Op, e.Err) }
func (e *UnavailableError) Unwrap() error { return e.Err }

// StatusOf returns the HTTP status of an APIError in err's chain, or 0.
func StatusOf(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// ListProjects returns every project of org. It first asks for all projects at once (all_projects=1,
// which sentry.io and recent self-hosted versions honour); a server that ignores it answers with the
// first page and a Link header, and the pages are then followed one after another with the cursor
// Sentry gives, never the Link's own URL.
func (c *Client) ListProjects(ctx context.Context, org string) ([]Project, error) {
	op := fmt.Sprintf("list projects of %q", org)
	path := "/api/0/organizations/" + url.PathEscape(org) + "/projects/"
	q := url.Values{"all_projects": {"1"}, "per_page": {"100"}}
	var all []Project
	seenCursors := map[string]bool{}
	for {
		resp, body, err := c.get(ctx, op, path, q)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, c.apiError(op, resp, body)
		}
		var page []Project
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, &UnavailableError{Op: op, Err: fmt.Errorf("unexpected response: %w", err)}
		}
		all = append(all, page...)
		cursor, more := NextCursor(resp.Header.Get("Link"))
		if !more {
			return all, nil
		}
		if seenCursors[cursor] || len(seenCursors) > 10000 {
			return nil, &UnavailableError{Op: op, Err: errors.New("pagination does not advance")}
		}
		seenCursors[cursor] = true
		q = url.Values{"per_page": {"100"}, "cursor": {cursor}}
	}
}

// GetProject retrieves one project by slug or ID. A renamed project gives a *RenamedError, a missing
// one an *APIError with status 404.
func (c *Client) GetProject(ctx context.Context, org, ref string) (Project, error) {
	op := fmt.Sprintf("retrieve project %q of %q", ref, org)
	path := "/api/0/projects/" + url.PathEscape(org) + "/" + url.PathEscape(ref) + "/"
	resp, body, err := c.get(ctx, op, path, nil)
	if err != nil {
		return Project{}, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
		var p Project
		if err := json.Unmarshal(body, &p); err != nil {
			return Project{}, &UnavailableError{Op: op, Err: fmt.Errorf("unexpected response: %w", err)}
		}
		return p, nil
	case http.StatusFound, http.StatusMovedPermanently:
		if slug := movedTo(resp, body); slug != "" {
			return Project{}, &RenamedError{Org: org, Old: ref, New: slug}
		}
	}
	return Project{}, c.apiError(op, resp, body)
}

// movedTo reads the new slug from a 302: the body's "slug", else the last segment of Location.
func movedTo(resp *http.Response, body []byte) string {
	var moved struct {
		Slug   string `json:"slug"`
		Detail struct {
			Extra struct {
				Slug string `json:"slug"`
			} `json:"extra"`
		} `json:"detail"`
	}
	if json.Unmarshal(body, &moved) == nil {
		if moved.Slug != "" {
			return moved.Slug
		}
		if moved.Detail.Extra.Slug != "" {
			return moved.Detail.Extra.Slug
		}
	}
	if loc, err := url.Parse(resp.Header.Get("Location")); err == nil {
		parts := strings.Split(strings.Trim(loc.Path, "/"), "/")
		if len(parts) >= 5 && parts[2] == "projects" {
			return parts[4]
		}
	}
	return ""
}

func (c *Client) apiError(op string, resp *http.Response, body []byte) error {
	return &APIError{Op: op, Status: resp.StatusCode, Detail: c.redact(detailOf(body))}
}

// detailOf extracts Sentry's explanation from an error body: {"detail": "..."}, a bare JSON string
// (older rate-limit answers) or short plain text.
func detailOf(body []byte) string {
	var obj struct {
		Detail any `json:"detail"`
	}
	if json.Unmarshal(body, &obj) == nil {
		if s, ok := obj.Detail.(string); ok {
			return s
		}
	}
	var s string
	if json.Unmarshal(body, &s) == nil {
		return s
	}
	text := strings.TrimSpace(string(body))
	if len(text) > 200 || strings.ContainsAny(text, "<>") {
		return ""
	}
	return text
}

// redact removes the token from text that came from the server, in case a server echoes it.
func (c *Client) redact(s string) string {
	if c.cfg.Tokens != nil {
		s = c.cfg.Tokens.Redact(s)
	}
	if c.token == "" {
		return s
	}
	return strings.ReplaceAll(s, c.token, "[redacted]")
}

// get sends one GET with retries: 5xx, timeouts and connection errors are retried with exponential
// backoff and jitter, a 429 waits until X-Sentry-Rate-Limit-Reset (Sentry sends no Retry-After),
// all within Attempts and RetryBudget. It returns the final response and its body (at most 64 MiB).
func (c *Client) get(ctx context.Context, op, path string, query url.Values) (*http.Response, []byte, error) {
	// The path's segments were escaped with url.PathEscape by the callers, so an organization or a
	// project value can never change the host or climb out of /api/0/.
	target := c.base.String() + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	start := c.cfg.Now()
	var lastErr error
	renewed := false
	for attempt := 1; ; attempt++ {
		token, err := c.bearer(ctx)
		if err != nil {
			return nil, nil, &UnavailableError{Op: op, Err: &TokenError{Err: err}}
		}
		resp, body, err := c.once(ctx, op, target, token)
		var wait, limited time.Duration
		switch {
		case err == nil && resp.StatusCode == http.StatusUnauthorized && c.cfg.Tokens != nil && !renewed:
			// The token may have expired early or been revoked: one fresh token, one more try.
			c.cfg.Tokens.Invalidate(token)
			renewed = true
			attempt--
			continue
		case err == nil && resp.StatusCode == http.StatusUnauthorized && renewed:
			return nil, nil, &APIError{Op: op, Status: resp.StatusCode, Detail: c.redact(detailOf(body)), Renewed: true}
		case err != nil && ctx.Err() != nil:
			return nil, nil, &UnavailableError{Op: op, Err: ctx.Err()}
		case err != nil:
			lastErr = err
			wait = retry.Backoff(attempt)
		case resp.StatusCode == http.StatusTooManyRequests:
			lastErr = fmt.Errorf("429 too many requests: %s", c.redact(detailOf(body)))
			wait = c.rateLimitWait(resp, attempt)
			limited = max(wait, time.Second)
			if wait > c.cfg.MaxRateLimitWait {
				return nil, nil, &UnavailableError{Op: op, Err: fmt.Errorf("%w (rate limit resets in %s)", lastErr, wait.Round(time.Second)), RetryAfter: limited}
			}
		case resp.StatusCode >= 500:
			lastErr = fmt.Errorf("%d %s", resp.StatusCode, strings.ToLower(http.StatusText(resp.StatusCode)))
			wait = retry.Backoff(attempt)
		default:
			return resp, body, nil
		}
		if attempt >= c.cfg.Attempts || c.cfg.Now().Add(wait).Sub(start) > c.cfg.RetryBudget {
			return nil, nil, &UnavailableError{Op: op, Err: fmt.Errorf("%w (after %d attempts)", lastErr, attempt), RetryAfter: limited}
		}
		if err := c.cfg.Sleep(ctx, wait); err != nil {
			return nil, nil, &UnavailableError{Op: op, Err: err}
		}
	}
}

// bearer returns the token for the next request.
func (c *Client) bearer(ctx context.Context) (string, error) {
	if c.cfg.Tokens == nil {
		return c.token, nil
	}
	return c.cfg.Tokens.Token(ctx)
}

func (c *Client) once(ctx context.Context, op, target, token string) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	c.requests.Add(1)
	resp, err := c.http.Do(req)
	if err != nil {
		if c.OnResponse != nil {
			c.OnResponse(op, 0)
		}
		return nil, nil, retry.TransportError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if c.OnResponse != nil {
		c.OnResponse(op, resp.StatusCode)
	}
	if err != nil {
		return nil, nil, retry.TransportError(err)
	}
	return resp, body, nil
}

// rateLimitWait reads X-Sentry-Rate-Limit-Reset (UTC epoch seconds). Without it (self-hosted Sentry
// does not rate limit, so this should not happen) it backs off as for a 5xx.
func (c *Client) rateLimitWait(resp *http.Response, attempt int) time.Duration {
	reset, err := strconv.ParseInt(strings.TrimSpace(resp.Header.Get("X-Sentry-Rate-Limit-Reset")), 10, 64)
	if err != nil || reset <= 0 {
		return retry.Backoff(attempt)
	}
	wait := time.Unix(reset, 0).Sub(c.cfg.Now())
	if wait < 0 {
		wait = 0
	}
	// The reset has one-second resolution: wait into the next window, with a little jitter so that
	// concurrent callers do not all arrive at once.
	return wait + 100*time.Millisecond + time.Duration(rand.Int63n(int64(200*time.Millisecond)))
}

// NextCursor reads Sentry's Link header and returns the next page's cursor when the next link says
// results="true". The cursor is taken from the link's own cursor="..." parameter (or its URL's
// cursor query value); the link's host is never used.
func NextCursor(link string) (string, bool) {
	for _, part := range splitLinks(link) {
		params := map[string]string{}
		target := ""
		for i, field := range strings.Split(part, ";") {
			field = strings.TrimSpace(field)
			if i == 0 {
				target = strings.Trim(field, "<>")
				continue
			}
			if k, v, ok := strings.Cut(field, "="); ok {
				params[strings.ToLower(strings.TrimSpace(k))] = strings.Trim(strings.TrimSpace(v), `"`)
			}
		}
		if params["rel"] != "next" {
			continue
		}
		if params["results"] != "true" {
			return "", false
		}
		cursor := params["cursor"]
		if cursor == "" {
			if u, err := url.Parse(target); err == nil {
				cursor = u.Query().Get("cursor")
			}
		}
		return cursor, cursor != ""
	}
	return "", false
}

// splitLinks splits a Link header at the commas between links (not those inside <...> or quotes).
func splitLinks(h string) []string {
	var parts []string
	depth, quoted, start := 0, false, 0
	for i, r := range h {
		switch {
		case r == '"':
			quoted = !quoted
		case r == '<' && !quoted:
			depth++
		case r == '>' && !quoted:
			depth--
		case r == ',' && depth == 0 && !quoted:
			parts = append(parts, h[start:i])
			start = i + 1
		}
	}
	return append(parts, h[start:])
}
