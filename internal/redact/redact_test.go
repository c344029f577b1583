package redact

import (
	"bytes"
	"testing"
)

func TestRedactor(t *testing.T) {
	r := New("s3cr3t-webhook-value", "short", "")
	r.Add("sntryu_configured_token_value_1")
	tests := []struct{ in, want string }{
		{"signature made with s3cr3t-webhook-value", "signature made with [redacted]"},
		{"Bad credentials for ghs_16C7e42F292c6912E7710c838347Ae178B4a", "Bad credentials for [redacted]"},
		{"token github_pat_11ABCDEFG0123456789_abcdefghij", "token [redacted]"},
		{"sentry said: invalid token sntryu_configured_token_value_1", "sentry said: invalid token [redacted]"},
		{"jwt eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxIn0.c2lnbmF0dXJlX3ZhbHVl end", "jwt [redacted] end"},
		{"a short value stays: short", "a short value stays: short"},
		{"ghost_town is a word", "ghost_town is a word"},
	}
	for _, tt := range tests {
		if got := r.String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	var buf bytes.Buffer
	w := r.Writer(&buf)
	if n, err := w.Write([]byte("log: s3cr3t-webhook-value\n")); err != nil || n != 26 {
		t.Errorf("Write = %d, %v", n, err)
	}
	if buf.String() != "log: [redacted]\n" {
		t.Errorf("writer wrote %q", buf.String())
	}
}

// TestEveryTokenShapeIsLookedFor: the quick look for tokens' prefixes finds every shape the
// expression redacts (each of GitHub's five prefixes, fine-grained PATs, both Sentry token kinds,
// JWTs), so skipping the expression on text without them skips nothing.
func TestEveryTokenShapeIsLookedFor(t *testing.T) {
	r := New()
	for _, tok := range []string{"ghp_16C7e42F292c6912E7710c838347Ae178B4a", "gho_16C7e42F292c6912E7710c838347Ae178B4a",
		"ghu_16C7e42F292c6912E7710c838347Ae178B4a", "ghs_16C7e42F292c6912E7710c838347Ae178B4a", "ghr_16C7e42F292c6912E7710c838347Ae178B4a",
		"github_pat_11ABCDEFG0123456789_abcdefghij", "sntrys_eyJpYXQiOjE2OTQwMDAwMDAuMCwidXJs", "sntryu_0123456789abcdef0123456789abcdef",
		"eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxIn0.c2lnbmF0dXJlX3ZhbHVl"} {
		if !tokenShapes.MatchString(tok) {
			t.Errorf("%s: not a token shape", tok)
		}
		if got := r.String(`{"message": "` + tok + `"}`); got != `{"message": "`+Mark+`"}` {
			t.Errorf("%s: redacted to %s", tok, got)
		}
	}
}
