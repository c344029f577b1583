// Package retry holds what the Sentry client and the token exchange share about waiting between
// attempts and reporting transport failures.
package retry

import (
	"context"
	"errors"
	"math/rand"
	"net"
	"net/url"
	"time"
)

// Sleep waits for d, or returns ctx.Err() when ctx ends first.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Backoff is the wait before attempt+1: exponential (0.5 s, 1 s, 2 s, ...) with ±50% jitter, capped
// at 10 s.
func Backoff(attempt int) time.Duration {
	d := 500 * time.Millisecond << (attempt - 1)
	if d > 10*time.Second || d <= 0 {
		d = 10 * time.Second
	}
	return d/2 + time.Duration(rand.Int63n(int64(d)))
}

// TransportError keeps the cause of a transport failure without the request URL, which url.Error
// would repeat in every message, and says "request timed out" for any timeout.
func TransportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return errors.New("request timed out")
	}
	return err
}
