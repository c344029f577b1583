package tokenexchange

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/catalog-lint/catalog-lint/sentry/internal/retry"
)

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
