package webhook

import (
	"context"
	"fmt"
	"math/rand"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"

	"github.com/catalog-lint/catalog-lint/internal/credentials"
)

// DefaultAPIURL is github.com's REST API; GitHub Enterprise Server uses https://HOST/api/v3.
const DefaultAPIURL = "https://api.github.com"

// App talks to GitHub as a GitHub App: a JWT (RS256) for the App itself, and per installation an
// access token that ghinstallation caches until shortly before it expires.
type App struct {
	apiURL  *url.URL
	apps    *ghinstallation.AppsTransport
	base    http.RoundTripper
	mu      sync.Mutex
	clients map[int64]*github.Client
}

// NewApp prepares GitHub access for App appID with its PEM private key. transport is the HTTP
// transport underneath (nil: the default one).
func NewApp(appID int64, privateKey []byte, apiURL string, transport http.RoundTripper, metrics *Metrics) (*App, error) {
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	u, err := url.Parse(strings.TrimRight(apiURL, "/") + "/")
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("webhook: GitHub API URL %q is not valid", apiURL)
	}
	if transport == nil {
		transport = http.DefaultTransport
	}
	// Beneath the App's JWT and installation tokens: a redirect to another host gets neither.
	base := credentials.OnlyTo(u.Host, &retryTransport{next: &countingTransport{next: transport, metrics: metrics}, sleep: sleepCtx})
	apps, err := ghinstallation.NewAppsTransport(base, appID, privateKey)
	if err != nil {
		return nil, fmt.Errorf("webhook: GitHub App private key: %w", err)
	}
	apps.BaseURL = strings.TrimRight(u.String(), "/")
	return &App{apiURL: u, apps: apps, base: base, clients: map[int64]*github.Client{}}, nil
}

// Client returns the API client of an installation; its token is refreshed as needed.
func (a *App) Client(installation int64) *github.Client {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c := a.clients[installation]; c != nil {
		return c
	}
	tr := ghinstallation.NewFromAppsTransport(a.apps, installation)
	c := github.NewClient(&http.Client{Transport: tr, Timeout: 30 * time.Second})
	c.BaseURL = a.apiURL
	a.clients[installation] = c
	return c
}

// countingTransport records every exchange with GitHub in the metrics.
type countingTransport struct {
	next    http.RoundTripper
	metrics *Metrics
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if t.metrics != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.metrics.Request("github", status)
	}
	return resp, err
}

// retryTransport retries GitHub requests that did not go through: 5xx on reads, 502/503/504 on
// writes, and rate limits (429, or 403 with Retry-After: a secondary limit), waiting as GitHub asks,
// all bounded.
type retryTransport struct {
	next  http.RoundTripper
	sleep func(ctx context.Context, d time.Duration) error
}

// A rate limit asking for a longer wait than retryMaxWait is not waited out in the request: the job
// is snoozed instead (see RateLimited), freeing its worker and staying within the job timeout.
const (
	retryAttempts = 4
	retryMaxWait  = 10 * time.Second
)

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 1; ; attempt++ {
		if attempt > 1 && req.Body != nil {
			if req.GetBody == nil {
				return nil, fmt.Errorf("cannot retry %s %s: body not replayable", req.Method, req.URL.Path)
			}
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req = req.Clone(req.Context())
			req.Body = body
		}
		resp, err := t.next.RoundTrip(req)
		wait, retry := t.shouldRetry(req, resp, err, attempt)
		if !retry || attempt >= retryAttempts {
			return resp, err
		}
		if resp != nil {
			resp.Body.Close()
		}
		if err := t.sleep(req.Context(), wait); err != nil {
			return nil, err
		}
	}
}

func (t *retryTransport) shouldRetry(req *http.Request, resp *http.Response, err error, attempt int) (time.Duration, bool) {
	backoff := time.Duration(250<<(attempt-1))*time.Millisecond + time.Duration(rand.Int63n(int64(250*time.Millisecond)))
	if err != nil {
		return backoff, req.Context().Err() == nil
	}
	read := req.Method == http.MethodGet || req.Method == http.MethodHead
	switch {
	case resp.StatusCode == http.StatusTooManyRequests ||
		(resp.StatusCode == http.StatusForbidden && resp.Header.Get("Retry-After") != ""):
		// The same reading of GitHub's limit headers as the job's snooze (RateLimited); a wait
		// longer than retryMaxWait is left to the snooze.
		if d, limited := githubLimitWait(resp, time.Now()); limited {
			return d, d <= retryMaxWait
		}
		return 0, false
	case resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusServiceUnavailable ||
		resp.StatusCode == http.StatusGatewayTimeout:
		return backoff, true
	case resp.StatusCode >= 500:
		return backoff, read
	}
	return 0, false
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
