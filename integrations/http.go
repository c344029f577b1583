package integrations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/catalog-lint/catalog-lint/internal/credentials"
)

// maxBody bounds what is read of an answer: the lookups need a few fields of one object.
const maxBody = 1 << 20

// api is an integration's HTTP client: a base URL, how a request is authenticated, and a transport
// that keeps the credentials on the base URL's host whatever a redirect says.
type api struct {
	title string
	base  *url.URL
	hc    *http.Client
	auth  func(h http.Header)
	now   func() time.Time
}

// newAPI checks a base URL from the settings (setting names it in errors) and builds the client.
func newAPI(title, setting, raw string, auth func(h http.Header)) (*api, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(raw), "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" {
		return nil, fmt.Errorf("%s %q is not an http(s) address", setting, raw)
	}
	return &api{title: title, base: u, auth: auth, now: time.Now,
		hc: &http.Client{Timeout: 30 * time.Second, Transport: credentials.OnlyTo(u.Host, nil)}}, nil
}

// answer is one HTTP answer, its body cut at maxBody.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// get sends GET base+path (path already escaped) with the query.
func (a *api) get(ctx context.Context, path string, query url.Values) (answer, error) {
	u := *a.base
	u.RawPath = a.base.EscapedPath() + path
	u.Path, _ = url.PathUnescape(u.RawPath)
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "catalog-lint")
	a.auth(req.Header)
	resp, err := a.hc.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return answer{}, err
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// decode reads a JSON body into v; false when it is not the JSON expected.
func (ans answer) decode(v any) bool { return json.Unmarshal(ans.body, v) == nil }

// unverified is the reading every integration shares of an answer that is neither found nor missing,
// or of a request that got no answer: why the value could not be verified. tokenEnv names the token's
// variable in the advice.
func (a *api) unverified(ctx context.Context, ans answer, err error, tokenEnv string) Result {
	switch {
	case ctx.Err() != nil:
		return Result{Verdict: Unverified, Reason: "interrupted"}
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return Result{Verdict: Unverified, Reason: a.title + " did not answer in time"}
	case err != nil:
		return Result{Verdict: Unverified, Reason: a.title + " could not be reached"}
	case ans.status == http.StatusTooManyRequests:
		wait := retryAfter(ans.header, a.now())
		return Result{Verdict: Unverified, RetryAfter: wait,
			Reason: fmt.Sprintf("%s's rate limit was reached (it resets in %s)", a.title, wait.Round(time.Second))}
	case ans.status == http.StatusUnauthorized:
		return Result{Verdict: Unverified, Reason: fmt.Sprintf("%s rejected the token (401); set %s to a valid token", a.title, tokenEnv)}
	case ans.status == http.StatusForbidden:
		return Result{Verdict: Unverified, Reason: fmt.Sprintf("%s refused the token (403); it lacks the permission to read this", a.title)}
	}
	return Result{Verdict: Unverified, Reason: fmt.Sprintf("%s answered %d %s", a.title, ans.status, http.StatusText(ans.status))}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// retryAfter reads how long a rate limit lasts: Retry-After (seconds or an HTTP date); else
// RateLimit-Reset, which PagerDuty gives in seconds and GitLab as a Unix time; else Jira's
// X-RateLimit-Reset (an ISO 8601 time); else a minute.
func retryAfter(h http.Header, now time.Time) time.Duration {
	at := func(t time.Time) time.Duration { return max(t.Sub(now), time.Second) }
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s >= 0 {
			return max(time.Duration(s)*time.Second, time.Second)
		}
		if t, err := http.ParseTime(v); err == nil {
			return at(t)
		}
	}
	if s, err := strconv.ParseInt(strings.TrimSpace(h.Get("RateLimit-Reset")), 10, 64); err == nil && s >= 0 {
		if s > 1_000_000_000 {
			return at(time.Unix(s, 0))
		}
		return max(time.Duration(s)*time.Second, time.Second)
	}
	if v := strings.TrimSpace(h.Get("X-RateLimit-Reset")); v != "" {
		for _, layout := range []string{"2006-01-02T15:04Z07:00", "2006-01-02T15:04Z", time.RFC3339} {
			if t, err := time.Parse(layout, v); err == nil {
				return at(t)
			}
		}
	}
	return time.Minute
}
