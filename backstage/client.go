// Package backstage is a read-only client of a Backstage instance's catalog API: the one call
// catalog-lint needs, POST /api/catalog/entities/by-refs, batched, with answers as the catalog
// backend's OpenAPI description gives them. It knows nothing of rules.
package backstage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// MaxRefsPerRequest is how many refs one by-refs request carries.
const MaxRefsPerRequest = 1000

// OriginAnnotation names the location an entity was first ingested from.
const OriginAnnotation = "backstage.io/managed-by-origin-location"

// Config is how to reach a Backstage instance.
type Config struct {
	// BaseURL is the instance's backend address, such as https://backstage.example.com.
	BaseURL string
	// Token is sent as a Bearer token (a static external-access token); "" sends none.
	Token     string
	UserAgent string
	// HTTPClient defaults to one with Timeout.
	HTTPClient *http.Client
	// Timeout bounds each request (default 30 s).
	Timeout time.Duration
	// Retries is how many times a 5xx, 429 or transport error is retried (0: the default, 2; a
	// negative number: none); Sleep waits between them (tests replace it).
	Retries int
	Sleep   func(ctx context.Context, d time.Duration) error
}

// Entity is what catalog-lint reads of a catalog entity.
type Entity struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name        string            `json:"name"`
		Namespace   string            `json:"namespace"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
}

// Origin is the entity's origin location (url:https://...), or "".
func (e *Entity) Origin() string { return e.Metadata.Annotations[OriginAnnotation] }

// Client asks one Backstage instance. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base *url.URL
	http *http.Client
}

// Error is a request the catalog did not answer: its status (0 for a transport failure) and why.
// It never holds the token.
type Error struct {
	Status int
	Reason string
}

func (e *Error) Error() string {
	if e.Status == 0 {
		return "backstage catalog: " + e.Reason
	}
	return fmt.Sprintf("backstage catalog: %d %s: %s", e.Status, http.StatusText(e.Status), e.Reason)
}

// NewClient checks cfg and returns a Client.
func NewClient(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("backstage URL %q: want an http(s) address such as https://backstage.example.com", cfg.BaseURL)
	}
	if u.User != nil {
		return nil, fmt.Errorf("backstage URL: credentials in the address are not accepted; use BACKSTAGE_TOKEN")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	switch {
	case cfg.Retries == 0:
		cfg.Retries = 2
	case cfg.Retries < 0: // no retry
		cfg.Retries = 0
	}
	if cfg.Sleep == nil {
		cfg.Sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: cfg.Timeout}
	}
	// A redirect could carry the token elsewhere: never follow one.
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{cfg: cfg, base: u, http: &c}, nil
}

// EntitiesByRefs looks refs up (kind:namespace/name, lowercase) in batches of MaxRefsPerRequest and
// returns the entities found, by ref; a ref absent from the map does not exist in the catalog. Any
// batch that cannot be answered makes the whole call fail: nothing is claimed missing then.
func (c *Client) EntitiesByRefs(ctx context.Context, refs []string) (map[string]*Entity, int, error) {
	found := map[string]*Entity{}
	requests := 0
	for start := 0; start < len(refs); start += MaxRefsPerRequest {
		batch := refs[start:min(start+MaxRefsPerRequest, len(refs))]
		items, n, err := c.byRefs(ctx, batch)
		requests += n
		if err != nil {
			return nil, requests, err
		}
		for i, e := range items {
			if e != nil {
				found[batch[i]] = e
			}
		}
	}
	return found, requests, nil
}

func (c *Client) byRefs(ctx context.Context, refs []string) ([]*Entity, int, error) {
	body, _ := json.Marshal(map[string]any{"entityRefs": refs, "fields": []string{"kind", "metadata"}})
	endpoint := c.base.JoinPath("api", "catalog", "entities", "by-refs").String()
	var lastErr error
	for attempt := 0; attempt <= c.cfg.Retries; attempt++ {
		if attempt > 0 {
			if err := c.cfg.Sleep(ctx, time.Duration(attempt)*500*time.Millisecond); err != nil {
				return nil, attempt, &Error{Reason: "interrupted"}
			}
		}
		items, retry, err := c.post(ctx, endpoint, body, len(refs))
		if err == nil {
			return items, attempt + 1, nil
		}
		lastErr = err
		if !retry {
			return nil, attempt + 1, err
		}
	}
	return nil, c.cfg.Retries + 1, lastErr
}

// post sends one request; retry says whether the failure may pass (5xx, 429, transport).
func (c *Client) post(ctx context.Context, endpoint string, body []byte, want int) ([]*Entity, bool, error) {
	req, err := c.request(ctx, http.MethodPost, endpoint, body)
	if err != nil {
		return nil, false, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, ctx.Err() == nil, &Error{Reason: transportReason(err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, true, &Error{Status: resp.StatusCode, Reason: "the answer was cut short"}
	}
	if resp.StatusCode == http.StatusOK {
		var out struct {
			Items []*Entity `json:"items"`
		}
		if err := json.Unmarshal(data, &out); err != nil || len(out.Items) != want {
			return nil, false, &Error{Status: resp.StatusCode, Reason: fmt.Sprintf("unexpected answer (%d items for %d refs)", len(out.Items), want)}
		}
		return out.Items, false, nil
	}
	retry, err := c.failure(resp.StatusCode, data)
	return nil, retry, err
}

// request is a request to the catalog API with the client's headers (a JSON body when body is set).
func (c *Client) request(ctx context.Context, method, endpoint string, body []byte) (*http.Request, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, endpoint, r)
	if err != nil {
		return nil, &Error{Reason: "cannot build the request"}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.cfg.UserAgent != "" {
		req.Header.Set("User-Agent", c.cfg.UserAgent)
	}
	if c.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	}
	return req, nil
}

// failure reads an answer other than 200; retry says whether it may pass (5xx, 429).
func (c *Client) failure(status int, data []byte) (retry bool, err error) {
	switch {
	case status == http.StatusUnauthorized:
		return false, &Error{Status: status, Reason: "the token was rejected (set BACKSTAGE_TOKEN to a static external-access token of the instance)" + detail(data, c.cfg.Token)}
	case status == http.StatusForbidden:
		return false, &Error{Status: status, Reason: "the token may not read the catalog" + detail(data, c.cfg.Token)}
	case status == http.StatusNotFound:
		return false, &Error{Status: status, Reason: "no catalog API at this address (is it the backend's URL?)"}
	case status >= 300 && status < 400:
		return false, &Error{Status: status, Reason: "redirected; give the backend's final address (redirects are not followed, so that the token stays there)"}
	case status == http.StatusTooManyRequests || status >= 500:
		return true, &Error{Status: status, Reason: "the catalog is unavailable" + detail(data, c.cfg.Token)}
	}
	return false, &Error{Status: status, Reason: "unexpected status" + detail(data, c.cfg.Token)}
}

// detail is the catalog's own error message ({"error": {"name", "message"}}), short, without the
// token should a server echo it.
func detail(data []byte, token string) string {
	var e struct {
		Error struct {
			Name, Message string
		} `json:"error"`
	}
	if json.Unmarshal(data, &e) != nil || e.Error.Message == "" {
		return ""
	}
	msg := e.Error.Name + ": " + e.Error.Message
	if token != "" {
		msg = strings.ReplaceAll(msg, token, "[token]")
	}
	msg = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, msg)
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	return " (" + msg + ")"
}

func transportReason(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "interrupted"
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return "cannot connect: " + op.Err.Error()
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return "cannot resolve " + dns.Name
	}
	return "cannot connect"
}

// MaxListed bounds the entities RefsOfKind lists (20 pages of 500).
const MaxListed = 10000

// RefsOfKind lists the refs (kind:namespace/name, as the catalog writes them) of the catalog's
// entities of kind, page by page (GET /api/catalog/entities/by-query with only the fields a ref
// needs), at most MaxListed.
func (c *Client) RefsOfKind(ctx context.Context, kind string) ([]string, error) {
	var refs []string
	cursor := ""
	for len(refs) < MaxListed {
		u := c.base.JoinPath("api", "catalog", "entities", "by-query")
		q := u.Query()
		if cursor != "" {
			q.Set("cursor", cursor)
		} else {
			q.Set("filter", "kind="+kind)
			q.Set("fields", "kind,metadata.namespace,metadata.name")
		}
		q.Set("limit", "500")
		u.RawQuery = q.Encode()
		req, err := c.request(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, err
		}
		resp, err := c.http.Do(req)
		if err != nil {
			return nil, &Error{Reason: transportReason(err)}
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if err != nil {
			return nil, &Error{Status: resp.StatusCode, Reason: "the answer was cut short"}
		}
		if resp.StatusCode != http.StatusOK {
			_, err := c.failure(resp.StatusCode, data)
			return nil, err
		}
		var page struct {
			Items    []*Entity `json:"items"`
			PageInfo struct {
				NextCursor string `json:"nextCursor"`
			} `json:"pageInfo"`
		}
		if err := json.Unmarshal(data, &page); err != nil {
			return nil, &Error{Status: resp.StatusCode, Reason: "unexpected answer"}
		}
		for _, e := range page.Items {
			if e != nil && e.Metadata.Name != "" {
				ns := e.Metadata.Namespace
				if ns == "" {
					ns = "default"
				}
				refs = append(refs, e.Kind+":"+ns+"/"+e.Metadata.Name)
			}
		}
		if page.PageInfo.NextCursor == "" || len(page.Items) == 0 {
			break
		}
		cursor = page.PageInfo.NextCursor
	}
	return refs, nil
}
