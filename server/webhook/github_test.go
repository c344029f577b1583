package webhook

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/catalog-lint/catalog-lint/linter"
)

// TestRetryTransport: reads are retried on 5xx, writes only when GitHub did not take them (502, 503,
// 504, rate limits), rate limits wait as GitHub asks, and everything is bounded.
func TestRetryTransport(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		answers  []int
		header   http.Header
		want     int // final status
		requests int
		waits    []time.Duration
	}{
		{"read after 500", "GET", []int{500, 200}, nil, 200, 2, nil},
		{"write not retried after 500", "POST", []int{500, 200}, nil, 500, 1, nil},
		{"write retried after 502", "PATCH", []int{502, 200}, nil, 200, 2, nil},
		{"secondary rate limit waits Retry-After", "POST", []int{403, 201}, http.Header{"Retry-After": {"3"}}, 201, 2, []time.Duration{3 * time.Second}},
		{"a plain 403 is final", "GET", []int{403, 200}, nil, 403, 1, nil},
		{"429 asking too long a wait", "GET", []int{429, 200}, http.Header{"Retry-After": {"3600"}}, 429, 1, nil},
		{"bounded", "GET", []int{503, 503, 503, 503, 503, 200}, nil, 503, retryAttempts, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header()[k] = v
				}
				w.WriteHeader(tt.answers[min(n, len(tt.answers)-1)])
				n++
			}))
			defer srv.Close()
			var waits []time.Duration
			rt := &retryTransport{next: http.DefaultTransport, sleep: func(_ context.Context, d time.Duration) error {
				waits = append(waits, d)
				return nil
			}}
			req, _ := http.NewRequest(tt.method, srv.URL, strings.NewReader(`{"a":1}`))
			resp, err := rt.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want || n != tt.requests {
				t.Errorf("status %d after %d requests, want %d after %d", resp.StatusCode, n, tt.want, tt.requests)
			}
			if tt.waits != nil && fmt.Sprint(waits) != fmt.Sprint(tt.waits) {
				t.Errorf("waits %v, want %v", waits, tt.waits)
			}
		})
	}
}

func TestSummaryLimit(t *testing.T) {
	res := &linter.Result{Files: 1, Entities: 1}
	for i := 0; i < 5000; i++ {
		res.Findings = append(res.Findings, linter.Finding{Rule: "tag-format", Severity: linter.SeverityError,
			File: "svc/catalog-info.yaml", Line: i + 1, Column: 3, Message: strings.Repeat("long message | with a pipe ", 3)})
	}
	s := checkSummary(res, map[string]bool{"svc/catalog-info.yaml": true}, nil)
	if len(s) > maxSummaryChars || !strings.Contains(s, "more findings are not listed") || strings.Contains(s, "message | with") {
		t.Errorf("summary of %d characters:\n%s", len(s), s[len(s)-300:])
	}
}
