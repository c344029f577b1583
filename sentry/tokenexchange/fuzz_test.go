package tokenexchange_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/catalog-lint/catalog-lint/sentry/tokenexchange"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// FuzzBrokerAnswer: whatever a broker answers, Token returns a token or an error, never panics, and
// no error carries the client secret, the subject token or a control character.
func FuzzBrokerAnswer(f *testing.F) {
	f.Add(200, `{"access_token":"tok","token_type":"Bearer","expires_in":300}`)
	f.Add(200, `{"access_token":"tok","expires_in":"1e99"}`)
	f.Add(200, `{"access_token":"","token_type":"Bearer"}`)
	f.Add(400, `{"error":"invalid_grant","error_description":"bad subject `+subjectToken+`"}`)
	f.Add(401, `{"error":"invalid_client","error_description":"secret `+clientSecret+` is wrong","error_uri":"https://broker.example/e"}`)
	f.Add(400, `{"error":"invalid_target\u001b[2J","error_description":"`+strings.Repeat("x", 1000)+`"}`)
	f.Add(400, `{"error":{"nested":true}}`)
	f.Add(302, ``)
	f.Add(503, `<html>`)
	f.Add(200, `null`)
	f.Add(200, `[1,2,3]`)
	f.Fuzz(func(t *testing.T, status int, body string) {
		if status < 100 || status > 599 {
			return
		}
		clk := newClock()
		src, err := tokenexchange.New(tokenexchange.Config{
			TokenEndpoint: "https://broker.example/oauth2/token",
			ClientID:      clientID, ClientSecret: clientSecret,
			Subject:  tokenexchange.Subject{Kind: "env", Name: "S"},
			Getenv:   func(string) string { return subjectToken },
			Resource: sentryAPI,
			Now:      clk.Now,
			Sleep:    func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
			Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
					Body: io.NopCloser(bytes.NewBufferString(body)), Request: r}, nil
			}),
		})
		if err != nil {
			t.Fatal(err)
		}
		token, err := src.Token(context.Background())
		if err == nil {
			if token == "" {
				t.Fatal("no error and no token")
			}
			return
		}
		msg := err.Error()
		if strings.Contains(msg, clientSecret) || strings.Contains(msg, subjectToken) {
			t.Fatalf("secret in error: %q", msg)
		}
		for _, r := range msg {
			if unicode.IsControl(r) {
				t.Fatalf("control character %U in error: %q", r, msg)
			}
		}
	})
}
