package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/catalog-lint/catalog-lint/cmd/catalog-lint/cli"
)

func TestServeStartupErrors(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "GITHUB_WEBHOOK_SECRET (a GitHub App) or GITLAB_WEBHOOK_SECRET (GitLab webhooks) is required"},
		{map[string]string{"GITHUB_WEBHOOK_SECRET": "s"}, "GITHUB_APP_ID"},
		{map[string]string{"GITHUB_WEBHOOK_SECRET": "s", "GITHUB_APP_ID": "1"}, "GITHUB_APP_PRIVATE_KEY"},
		{map[string]string{"GITHUB_APP_ID": "1", "GITHUB_APP_PRIVATE_KEY": pemKey}, "is required: without one any request could queue work"},
		// GitLab alone: its token is required, and its address must be http(s).
		{map[string]string{"GITLAB_WEBHOOK_SECRET": "s"}, "GITLAB_TOKEN is required with GITLAB_WEBHOOK_SECRET"},
		{map[string]string{"GITLAB_WEBHOOK_SECRET": "s", "GITLAB_TOKEN": "glpat-x", "GITLAB_URL": "ftp://gitlab.example"}, "GITLAB_URL"},
		{map[string]string{"GITHUB_APP_ID": "1", "GITHUB_APP_PRIVATE_KEY": "not a key", "GITHUB_WEBHOOK_SECRET": "s"}, "private key"},
		{map[string]string{"GITHUB_APP_ID": "1", "GITHUB_APP_PRIVATE_KEY_PATH": "/nonexistent/key.pem", "GITHUB_WEBHOOK_SECRET": "s"}, "GITHUB_APP_PRIVATE_KEY_PATH"},
	}
	for _, tt := range tests {
		r := catalogLint(t, tt.env, "", "serve", "--data-dir", t.TempDir())
		if r.code != cli.ExitUsage || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("env %v: exit %d, stderr %q", keys(tt.env), r.code, r.stderr)
		}
		if strings.Contains(r.stderr, "BEGIN RSA") {
			t.Error("the private key must not be printed")
		}
	}
}

// run is what one run of catalog-lint did.
type run struct {
	code           int
	stdout, stderr string
}

// catalogLint runs the server's catalog-lint with env as its environment.
func catalogLint(t *testing.T, env map[string]string, stdin string, args ...string) run {
	t.Helper()
	cli.Serve = runServe
	var out, errOut bytes.Buffer
	code := cli.MainDeps(args, strings.NewReader(stdin), &out, &errOut, cli.Deps{Env: func(k string) string { return env[k] }})
	return run{code, out.String(), errOut.String()}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestServeLifecycle starts the real server on loopback, sends a signed ping and an unsigned
// delivery, then SIGTERM: the server stops and exits 0.
func TestServeLifecycle(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dataDir := filepath.Join(t.TempDir(), "data")
	env := map[string]string{"GITHUB_APP_ID": "1", "GITHUB_APP_PRIVATE_KEY": pemKey, "GITHUB_WEBHOOK_SECRET": "webhook-secret",
		"GITHUB_API_URL": "http://127.0.0.1:1"}
	done := make(chan run, 1)
	go func() {
		done <- catalogLint(t, env, "", "serve", "--listen", addr, "--data-dir", dataDir, "--workers", "1")
	}()
	base := "http://" + addr
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	body := []byte(`{"zen":"Design for failure.","hook_id":1}`)
	mac := hmac.New(sha256.New, []byte("webhook-secret"))
	mac.Write(body)
	post := func(sig string) int {
		req, _ := http.NewRequest(http.MethodPost, base+"/webhook", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", "ping")
		if sig != "" {
			req.Header.Set("X-Hub-Signature-256", sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("sha256=" + hex.EncodeToString(mac.Sum(nil))); code != 200 {
		t.Errorf("signed ping: %d", code)
	}
	if code := post(""); code != 401 {
		t.Errorf("unsigned: %d", code)
	}
	if _, err := os.Stat(dataDir); err != nil {
		t.Errorf("the data folder must exist: %v", err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.code != cli.ExitOK || !strings.Contains(r.stdout, "stopping") || strings.Contains(r.stdout+r.stderr, "webhook-secret") {
			t.Errorf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not stop on SIGTERM")
	}
}

// TestServeDatabaseUnreachable: a replica that cannot reach its database does not start, and says so
// without the password.
func TestServeDatabaseUnreachable(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	env := map[string]string{"GITHUB_APP_ID": "1", "GITHUB_APP_PRIVATE_KEY": pemKey, "GITHUB_WEBHOOK_SECRET": "s",
		"DATABASE_URL": "postgres://catalog_lint:pg-pass-never-shown@127.0.0.1:1/catalog_lint?connect_timeout=2"}
	for _, extra := range [][]string{nil, {"--database-url", "postgres://x:pg-pass-never-shown@[::1"}} {
		r := catalogLint(t, env, "", append([]string{"serve", "--listen", "127.0.0.1:0"}, extra...)...)
		if r.code != cli.ExitUsage || !strings.Contains(strings.ToLower(r.stderr), "database") || strings.Contains(r.stdout+r.stderr, "pg-pass-never-shown") {
			t.Errorf("%v: exit %d\nstdout %s\nstderr %s", extra, r.code, r.stdout, r.stderr)
		}
	}
}

// TestServeGitLabOnly: with GitLab's settings alone, serve starts without a GitHub App, answers
// /gitlab (its secret token checked) and has no /webhook.
func TestServeGitLabOnly(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	env := map[string]string{"GITLAB_WEBHOOK_SECRET": "gitlab-hook-secret", "GITLAB_TOKEN": "glpat-server-token", "GITLAB_URL": "http://127.0.0.1:1"}
	done := make(chan run, 1)
	go func() {
		done <- catalogLint(t, env, "", "serve", "--listen", addr, "--data-dir", filepath.Join(t.TempDir(), "data"), "--workers", "1")
	}()
	base := "http://" + addr
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	post := func(path, token string) int {
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(`{"object_kind":"note"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Gitlab-Event", "Note Hook")
		if token != "" {
			req.Header.Set("X-Gitlab-Token", token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("/gitlab", "gitlab-hook-secret"); code != http.StatusAccepted {
		t.Errorf("a note hook with the token: %d, want 202 (ignored)", code)
	}
	if code := post("/gitlab", "wrong"); code != http.StatusUnauthorized {
		t.Errorf("a wrong token: %d", code)
	}
	if code := post("/webhook", ""); code != http.StatusNotFound {
		t.Errorf("/webhook without a GitHub App: %d", code)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.code != cli.ExitOK || strings.Contains(r.stdout+r.stderr, "gitlab-hook-secret") || strings.Contains(r.stdout+r.stderr, "glpat-server-token") {
			t.Errorf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not stop on SIGTERM")
	}
}
