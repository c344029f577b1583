// Package redact keeps secrets out of what catalog-lint prints, logs and publishes: the secrets it was
// configured with, and anything shaped like a GitHub, Sentry or JSON Web Token, wherever it comes
// from (an error body a proxy echoed, a service's message).
package redact

import (
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Mark replaces what is redacted.
const Mark = "[redacted]"

// tokenShapes are credentials recognisable by their form: GitHub's tokens (ghp_, gho_, ghu_, ghs_,
// ghr_, github_pat_), Sentry's (sntrys_, sntryu_) and JSON Web Tokens (three base64url parts).
var tokenShapes = regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9_]{16,}|github_pat_[A-Za-z0-9_]{16,}|sntry[su]_[A-Za-z0-9_+/=.-]{16,}|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})`)

// Redactor replaces secrets in text. It is safe for concurrent use; secrets can be added while it is
// used (an installation token fetched later).
type Redactor struct {
	mu      sync.RWMutex
	secrets []string // longest first, so that a secret holding another is replaced whole
}

// New returns a Redactor of secrets (empty and short values are ignored: see Add).
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	for _, s := range secrets {
		r.Add(s)
	}
	return r
}

// Add makes secret redacted from now on. Values shorter than 8 bytes are not secrets worth the
// damage of replacing them everywhere they occur.
func (r *Redactor) Add(secret string) {
	secret = strings.TrimSpace(secret)
	if r == nil || len(secret) < 8 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.secrets {
		if s == secret {
			return
		}
	}
	r.secrets = append(r.secrets, secret)
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

// String returns s with every secret and every token-shaped string replaced by Mark.
func (r *Redactor) String(s string) string {
	if r != nil {
		r.mu.RLock()
		for _, secret := range r.secrets {
			if strings.Contains(s, secret) {
				s = strings.ReplaceAll(s, secret, Mark)
			}
		}
		r.mu.RUnlock()
	}
	if !mayHoldToken(s) {
		return s
	}
	return tokenShapes.ReplaceAllString(s, Mark)
}

// tokenPrefixes are the literal starts of tokenShapes: text without any of them holds no token, and
// looking for them is far cheaper than the expression (every byte of a large JSON report passes here).
var tokenPrefixes = []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "sntrys_", "sntryu_", "eyJ"}

func mayHoldToken(s string) bool {
	for _, p := range tokenPrefixes {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// Writer returns w redacting each write: for logs and streams written a line or an event at a time
// (zerolog writes one event per call), so that a secret is never cut across two writes.
func (r *Redactor) Writer(w io.Writer) io.Writer { return writer{r, w} }

type writer struct {
	r *Redactor
	w io.Writer
}

func (w writer) Write(p []byte) (int, error) {
	if _, err := io.WriteString(w.w, w.r.String(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
