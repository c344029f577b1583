package retry

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestBackoffBounds(t *testing.T) {
	for attempt := 1; attempt <= 70; attempt++ {
		base := 500 * time.Millisecond << (attempt - 1)
		if base > 10*time.Second || base <= 0 {
			base = 10 * time.Second
		}
		for i := 0; i < 50; i++ {
			if d := Backoff(attempt); d < base/2 || d >= base*3/2 {
				t.Fatalf("attempt %d: %s outside [%s, %s)", attempt, d, base/2, base*3/2)
			}
		}
	}
}

func TestSleepStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep = %v", err)
	}
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("Sleep = %v", err)
	}
}

func TestTransportErrorDropsURL(t *testing.T) {
	c := &http.Client{Timeout: time.Nanosecond}
	_, err := c.Get("http://127.0.0.1:1/secret-path?token=abc")
	if err == nil {
		t.Skip("unexpectedly connected")
	}
	if msg := TransportError(err).Error(); strings.Contains(msg, "secret-path") || strings.Contains(msg, "token=abc") {
		t.Errorf("URL kept: %q", msg)
	}
}
