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
