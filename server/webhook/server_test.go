package webhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

var secret = []byte("It's a Secret to Everybody")

const (
	headSHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
	baseSHA = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
)

func sign(body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Payloads shaped like GitHub's (see octokit's payload examples), cut to what matters.
func pushPayload(ref, before, after string) []byte {
	return []byte(fmt.Sprintf(`{"ref":%q,"before":%q,"after":%q,"created":false,"deleted":%t,"forced":false,
"repository":{"id":35129377,"name":"public-repo","full_name":"baxterthehacker/public-repo","owner":{"name":"baxterthehacker","email":"baxterthehacker@users.noreply.github.com"}},
"installation":{"id":234},"sender":{"login":"baxterthehacker"},"commits":[{"id":%q,"added":["catalog-info.yaml"],"removed":[],"modified":[]}]}`,
		ref, before, after, after == strings.Repeat("0", 40), after))
}

func prPayload(action string) []byte {
	return []byte(fmt.Sprintf(`{"action":%q,"number":2,"pull_request":{"number":2,"state":"open","head":{"ref":"changes","sha":%q},"base":{"ref":"master","sha":%q}},
"repository":{"id":35129377,"name":"public-repo","owner":{"login":"baxterthehacker","type":"User"}},"installation":{"id":234},"sender":{"login":"baxterthehacker"}}`,
		action, headSHA, baseSHA))
}

func setup(t *testing.T, capacity int) (*Server, *Spool, *bytes.Buffer) {
	t.Helper()
	q, err := OpenSpool(filepath.Join(t.TempDir(), "spool"), capacity, 0)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	s, err := NewServer(Config{Secret: secret, AppID: 1, Queue: q, Logger: zerolog.New(zerolog.SyncWriter(&logs)).Level(zerolog.DebugLevel), MaxBody: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	return s, q, &logs
}

func deliver(s *Server, event string, body []byte, signature string, contentType string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	if contentType == "" {
		contentType = "application/json"
	}
	req.Header.Set("Content-Type", contentType)
	if signature != "" {
		req.Header.Set("X-Hub-Signature-256", signature)
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, req)
	return w
}

func TestSignatureTestVector(t *testing.T) {
	// GitHub's documented example: validating-webhook-deliveries.
	if got := sign([]byte("Hello, World!")); got != "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17" {
		t.Fatalf("sign = %s", got)
	}
}

func TestNewServerRequiresSecret(t *testing.T) {
	q, _ := OpenSpool(t.TempDir(), 1, 0)
	if _, err := NewServer(Config{Queue: q}); err == nil || !strings.Contains(err.Error(), "secret is required") {
		t.Errorf("err = %v", err)
	}
}

func TestDeliveries(t *testing.T) {
	push := pushPayload("refs/heads/main", baseSHA, headSHA)
	form := "payload=" + url.QueryEscape(string(prPayload("opened")))
	big := append([]byte(`{"zen":"`), bytes.Repeat([]byte("a"), 70<<10)...)
	mac1 := hmac.New(sha256.New, secret) // an X-Hub-Signature (SHA-1 style) header is not enough
	tests := []struct {
		name, event string
		body        []byte
		signature   string
		contentType string
		status      int
		outcome     string
	}{
		{"no signature", "push", push, "", "", 401, "bad_signature"},
		{"wrong signature", "push", push, sign([]byte("other")), "", 401, "bad_signature"},
		{"sha1 prefix", "push", push, "sha1=" + hex.EncodeToString(mac1.Sum(nil)), "", 401, "bad_signature"},
		{"signature of another secret", "push", push, "sha256=" + strings.Repeat("0", 64), "", 401, "bad_signature"},
		{"too large", "push", big, sign(big), "", 413, "too_large"},
		{"ping", "ping", []byte(`{"zen":"Keep it logically awesome.","hook_id":1}`), sign([]byte(`{"zen":"Keep it logically awesome.","hook_id":1}`)), "", 200, "pong"},
		{"unknown event", "star", []byte(`{}`), sign([]byte(`{}`)), "", 202, "ignored"},
		{"malformed JSON", "push", []byte(`{"ref":`), sign([]byte(`{"ref":`)), "", 400, "malformed"},
		{"wrong types", "push", []byte(`{"ref":5}`), sign([]byte(`{"ref":5}`)), "", 400, "malformed"},
		{"no repository", "push", []byte(`{"ref":"refs/heads/x"}`), sign([]byte(`{"ref":"refs/heads/x"}`)), "", 400, "malformed"},
		{"tag push", "push", pushPayload("refs/tags/v1", baseSHA, headSHA), sign(pushPayload("refs/tags/v1", baseSHA, headSHA)), "", 202, "ignored"},
		{"branch deletion", "push", pushPayload("refs/heads/gone", baseSHA, strings.Repeat("0", 40)), sign(pushPayload("refs/heads/gone", baseSHA, strings.Repeat("0", 40))), "", 202, "ignored"},
		{"closed pull request", "pull_request", prPayload("closed"), sign(prPayload("closed")), "", 202, "ignored"},
		{"unsupported content type", "push", push, sign(push), "text/plain", 400, "malformed"},
		{"push", "push", push, sign(push), "", 202, "queued"},
		{"push again", "push", push, sign(push), "", 202, "duplicate"},
		// A pull request's job is another kind: it compares with the base and may post suggestions.
		{"form-encoded pull request for the same commit", "pull_request", []byte(form), sign([]byte(form)), "application/x-www-form-urlencoded", 202, "queued"},
		{"the pull request again", "pull_request", prPayload("synchronize"), sign(prPayload("synchronize")), "", 202, "duplicate"},
	}
	s, q, logs := setup(t, 10)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := deliver(s, tt.event, tt.body, tt.signature, tt.contentType)
			var got struct{ Outcome string }
			_ = json.Unmarshal(w.Body.Bytes(), &got)
			if w.Code != tt.status || got.Outcome != tt.outcome {
				t.Errorf("got %d %s, want %d %s (%s)", w.Code, got.Outcome, tt.status, tt.outcome, w.Body.String())
			}
		})
	}
	if q.Depth() != 2 {
		t.Fatalf("queue depth %d, want 2", q.Depth())
	}
	j := <-q.Jobs()
	if pr := <-q.Jobs(); pr.Key != "baxterthehacker/public-repo@"+headSHA+"#pull_request" || pr.Kind != KindPullRequest || pr.PullRequest != 2 {
		t.Errorf("pull request job = %+v", *pr)
	}
	want := Job{Key: "baxterthehacker/public-repo@" + headSHA, Kind: KindPush, Delivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958", Event: "push",
		Owner: "baxterthehacker", Repo: "public-repo", HeadSHA: headSHA, BaseSHA: baseSHA, Installation: 234, Received: j.Received}
	if *j != want {
		t.Errorf("job = %+v", *j)
	}
	if strings.Contains(logs.String(), string(secret)) || strings.Contains(logs.String(), "public-repo\",\"owner") {
		t.Error("logs must hold neither the secret nor payloads")
	}
}

func TestEventsToJobs(t *testing.T) {
	checkSuite := []byte(fmt.Sprintf(`{"action":"rerequested","check_suite":{"head_sha":%q,"before":%q},"repository":{"name":"r","owner":{"login":"o"}},"installation":{"id":9}}`, headSHA, baseSHA))
	checkRunOther := []byte(fmt.Sprintf(`{"action":"rerequested","check_run":{"head_sha":%q,"app":{"id":77}},"repository":{"name":"r","owner":{"login":"o"}},"installation":{"id":9}}`, headSHA))
	checkRunOurs := bytes.Replace(checkRunOther, []byte(`"id":77`), []byte(`"id":1`), 1)
	badSHA := []byte(`{"action":"rerequested","check_run":{"head_sha":"../../etc","app":{"id":1}},"repository":{"name":"r","owner":{"login":"o"}},"installation":{"id":9}}`)
	noInstall := []byte(fmt.Sprintf(`{"action":"opened","pull_request":{"head":{"sha":%q}},"repository":{"name":"r","owner":{"login":"o"}}}`, headSHA))
	tests := []struct {
		event   string
		payload []byte
		want    string // the job key, or "" when ignored
		err     bool
	}{
		{"check_suite", checkSuite, "o/r@" + headSHA, false},
		{"check_run", checkRunOurs, "o/r@" + headSHA, false},
		{"check_run", checkRunOther, "", false},
		{"check_run", badSHA, "", true},
		{"pull_request", noInstall, "", false},
		{"pull_request", prPayload("synchronize"), "baxterthehacker/public-repo@" + headSHA, false},
		{"check_suite", bytes.Replace(checkSuite, []byte(`"rerequested"`), []byte(`"requested"`), 1), "", false},
	}
	for i, tt := range tests {
		j, why, err := jobFor(tt.event, tt.payload, 1)
		switch {
		case tt.err:
			if err == nil {
				t.Errorf("%d: want an error", i)
			}
		case tt.want == "":
			if j != nil || why == "" {
				t.Errorf("%d: want ignored with a reason, got %+v %q %v", i, j, why, err)
			}
		case err != nil || j == nil || j.Key != tt.want:
			t.Errorf("%d: got %+v %v", i, j, err)
		}
	}
}

func TestQueueFullAndShutdown(t *testing.T) {
	s, q, _ := setup(t, 1)
	first := pushPayload("refs/heads/a", baseSHA, headSHA)
	other := pushPayload("refs/heads/b", baseSHA, baseSHA)
	if w := deliver(s, "push", first, sign(first), ""); w.Code != 202 {
		t.Fatal(w.Body.String())
	}
	if w := deliver(s, "push", other, sign(other), ""); w.Code != 503 || !strings.Contains(w.Body.String(), "queue_full") {
		t.Errorf("full queue: %d %s", w.Code, w.Body.String())
	}
	ready := httptest.NewRecorder()
	s.Handler().ServeHTTP(ready, httptest.NewRequest("GET", "/readyz", nil))
	if ready.Code != 503 {
		t.Errorf("readyz with a full queue: %d", ready.Code)
	}
	q.Done(<-q.Jobs())
	s.StopAccepting()
	if w := deliver(s, "push", other, sign(other), ""); w.Code != 503 || !strings.Contains(w.Body.String(), "shutting_down") {
		t.Errorf("shutting down: %d %s", w.Code, w.Body.String())
	}
	health := httptest.NewRecorder()
	s.Handler().ServeHTTP(health, httptest.NewRequest("GET", "/healthz", nil))
	if health.Code != 200 {
		t.Errorf("healthz: %d", health.Code)
	}
	m := httptest.NewRecorder()
	s.Handler().ServeHTTP(m, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{`catalog_lint_webhook_deliveries_total{event="push",outcome="queued"} 1`,
		`catalog_lint_webhook_deliveries_total{event="push",outcome="queue_full"} 1`, "catalog_lint_queue_depth 0"} {
		if !strings.Contains(m.Body.String(), want) {
			t.Errorf("metrics lack %q:\n%s", want, m.Body.String())
		}
	}
}

// TestSpoolSurvivesRestart: jobs accepted but not done are there again after a restart; done ones
// are not; a damaged spool file is set aside.
func TestSpoolSurvivesRestart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	q, err := OpenSpool(dir, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	var jobs []*Job
	for i := 0; i < 3; i++ {
		j := &Job{Key: jobKey("o", "r", fmt.Sprintf("%040d", i)), Owner: "o", Repo: "r", HeadSHA: fmt.Sprintf("%040d", i),
			Installation: 1, Received: time.Unix(int64(1700000000+i), 0)}
		if ok, err := q.Add(j); !ok || err != nil {
			t.Fatal(ok, err)
		}
		jobs = append(jobs, j)
	}
	_ = q.Done(<-q.Jobs())
	_ = os.WriteFile(filepath.Join(dir, "garbage.json"), []byte("{not json"), 0o600)
	_ = os.WriteFile(filepath.Join(dir, "half.json.tmp"), []byte("{"), 0o600)

	q2, err := OpenSpool(dir, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if q2.Depth() != 2 {
		t.Fatalf("resumed %d jobs, want 2", q2.Depth())
	}
	for _, want := range jobs[1:] {
		if got := <-q2.Jobs(); got.Key != want.Key {
			t.Errorf("resumed %s, want %s", got.Key, want.Key)
		}
	}
	if ok, _ := q2.Add(jobs[1]); ok {
		t.Error("a resumed job is pending: the same key must be a duplicate")
	}
	if _, err := os.Stat(filepath.Join(dir, "garbage.json.bad")); err != nil {
		t.Error("a damaged spool file must be set aside")
	}
	if _, err := os.Stat(filepath.Join(dir, "half.json.tmp")); err == nil {
		t.Error("an interrupted write must be cleaned up")
	}
}

// TestConcurrentDeliveries: a flood of signed deliveries, many for the same commits, yields exactly
// one pending job per commit and no lost one.
func TestConcurrentDeliveries(t *testing.T) {
	s, q, _ := setup(t, 1000)
	var wg sync.WaitGroup
	for i := 0; i < 1000; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			body := pushPayload("refs/heads/main", baseSHA, fmt.Sprintf("%040x", i%250+1))
			if w := deliver(s, "push", body, sign(body), ""); w.Code != 202 {
				t.Errorf("delivery %d: %d %s", i, w.Code, w.Body.String())
			}
		}(i)
	}
	wg.Wait()
	if q.Depth() != 250 {
		t.Errorf("queue holds %d jobs, want 250", q.Depth())
	}
	entries, _ := filepath.Glob(filepath.Join(q.dir, "*.json"))
	if len(entries) != 250 {
		t.Errorf("spool holds %d files, want 250", len(entries))
	}
}
