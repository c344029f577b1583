package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

const (
	glProject = 4711
	glBase    = "1111111111111111111111111111111111111111"
	glHead    = "2222222222222222222222222222222222222222"
	glFixed   = "3333333333333333333333333333333333333333"
)

var glSecret = []byte("gitlab-webhook-secret-token")

const glGood = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
spec:
  type: service
  lifecycle: production
  owner: team-payments
`

// glBad has one error, which catalog-lint can fix, on line 6 (tag-format).
const glBad = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
  tags:
    - Web-Frontend
spec:
  type: service
  lifecycle: production
  owner: team-payments
`

// gitlabRepo is a commit's files: the catalog file given, 120 other files before it in the tree (so
// that the listing takes two pages), and a symbolic link the fake refuses to serve.
func gitlabRepo(catalog string) map[string]string {
	files := map[string]string{"services/checkout/catalog-info.yaml": catalog, "services/pay/catalog-info.yaml": glGood, "docs/link.link": "/etc/passwd"}
	for i := 0; i < 120; i++ {
		files[fmt.Sprintf("docs/page%03d.md", i)] = "# page\n"
	}
	return files
}

type gitlabFixture struct {
	g       *fakeGitLab
	s       *Server
	q       *Spool
	p       *GitLabProcessor
	metrics *Metrics
}

func newGitLabFixture(t *testing.T) *gitlabFixture {
	t.Helper()
	g := newFakeGitLab(t, glProject, "acme/platform/catalog")
	client, err := NewGitLabClient(g.srv.URL, g.token, nil)
	if err != nil {
		t.Fatal(err)
	}
	q, err := OpenSpool(filepath.Join(t.TempDir(), "spool"), 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(Config{GitLabSecret: glSecret, Queue: q, Logger: zerolog.Nop(), MaxBody: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	p := &GitLabProcessor{Client: client, WebURL: g.srv.URL, Log: zerolog.Nop(), Blobs: NewBlobCache(1 << 20)}
	f := &gitlabFixture{g: g, s: s, q: q, p: p, metrics: NewMetrics()}
	run(t, q, &Runner{Process: Forges{GitLab: p}.Process, Log: zerolog.Nop(), Metrics: f.metrics}, 1)
	return f
}

func (f *gitlabFixture) deliver(event, token string, body []byte) (int, string) {
	req := httptest.NewRequest(http.MethodPost, "/gitlab", bytes.NewReader(body))
	req.Header.Set("X-Gitlab-Event", event)
	req.Header.Set("X-Gitlab-Event-UUID", "13792a34-cac6-4fda-95a8-c58e00a3954e")
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("X-Gitlab-Token", token)
	}
	w := httptest.NewRecorder()
	f.s.Handler().ServeHTTP(w, req)
	var answer struct{ Outcome string }
	_ = json.Unmarshal(w.Body.Bytes(), &answer)
	return w.Code, answer.Outcome
}

func (f *gitlabFixture) completed(t *testing.T, n float64) {
	t.Helper()
	waitFor(t, func() bool { return testCounter(t, f.metrics, `catalog_lint_jobs_total{outcome="completed"}`) >= n })
}

// glMRPayload is a Merge Request Hook as GitLab sends it (the fields catalog-lint reads, and others).
func glMRPayload(action string, iid int64, sha, oldrev string) []byte {
	attrs := map[string]any{"id": 90000 + iid, "iid": iid, "action": action, "state": "opened", "source_branch": "feature",
		"target_branch": "main", "last_commit": map[string]any{"id": sha, "message": "Add checkout"}}
	if oldrev != "" {
		attrs["oldrev"] = oldrev
	}
	b, _ := json.Marshal(map[string]any{"object_kind": "merge_request", "event_type": "merge_request",
		"project":           map[string]any{"id": glProject, "name": "catalog", "path_with_namespace": "acme/platform/catalog", "web_url": "https://gitlab.example/acme/platform/catalog"},
		"object_attributes": attrs})
	return b
}

func glPushPayload(before, after string) []byte {
	b, _ := json.Marshal(map[string]any{"object_kind": "push", "event_name": "push", "before": before, "after": after,
		"ref": "refs/heads/main", "checkout_sha": after, "project_id": glProject,
		"project": map[string]any{"id": glProject, "path_with_namespace": "acme/platform/catalog"}})
	return b
}

// TestGitLabMergeRequest: a Merge Request Hook for a commit with one bad catalog file ends in one
// failed commit status, one merge request note with the summary, and one discussion at the line of
// the error catalog-lint can fix, with a GitLab suggestion; a second delivery adds nothing.
func TestGitLabMergeRequest(t *testing.T) {
	f := newGitLabFixture(t)
	f.g.commit(glBase, gitlabRepo(glGood))
	f.g.commit(glHead, gitlabRepo(glBad))
	f.g.mergeRequest(7, glBase, glHead, "services/checkout/catalog-info.yaml")

	if code, outcome := f.deliver("Merge Request Hook", string(glSecret), glMRPayload("open", 7, glHead, "")); code != http.StatusAccepted || outcome != "queued" {
		t.Fatalf("delivery: %d %s", code, outcome)
	}
	f.completed(t, 1)
	f.g.mu.Lock()
	statuses, notes, threads := f.g.statuses[glHead], f.g.notes[7], f.g.threads[7]
	requests := f.g.requests
	f.g.mu.Unlock()
	if len(statuses) != 2 || statuses[0].State != "running" || statuses[1].State != "failed" || statuses[1].Name != StatusName {
		t.Fatalf("statuses %+v", statuses)
	}
	if !strings.Contains(statuses[1].TargetURL, "/acme/platform/catalog/-/merge_requests/7#note_1") {
		t.Errorf("target_url %q", statuses[1].TargetURL)
	}
	if len(notes) != 1 || !strings.Contains(notes[0].Body, gitlabSummaryMarker) || !strings.Contains(notes[0].Body, "tag-format") ||
		!strings.Contains(notes[0].Body, "services/checkout/catalog-info.yaml") {
		t.Fatalf("notes %+v", notes)
	}
	if len(threads) != 1 || !strings.Contains(threads[0].Body, "```suggestion:-0+0\n    - web-frontend\n```") ||
		!strings.Contains(threads[0].Body, "(`tag-format`)") || threads[0].Position["new_line"] != float64(6) ||
		threads[0].Position["new_path"] != "services/checkout/catalog-info.yaml" || threads[0].Position["head_sha"] != glHead {
		t.Fatalf("discussions %+v", threads)
	}

	if code, outcome := f.deliver("Merge Request Hook", string(glSecret), glMRPayload("open", 7, glHead, "")); code != http.StatusAccepted || outcome != "duplicate" {
		t.Fatalf("second delivery: %d %s", code, outcome)
	}
	time.Sleep(100 * time.Millisecond)
	f.g.mu.Lock()
	defer f.g.mu.Unlock()
	if len(f.g.statuses[glHead]) != 2 || len(f.g.notes[7]) != 1 || len(f.g.threads[7]) != 1 || f.g.requests != requests {
		t.Errorf("the second delivery added: %d statuses, %d notes, %d discussions, %d requests (was %d)",
			len(f.g.statuses[glHead]), len(f.g.notes[7]), len(f.g.threads[7]), f.g.requests, requests)
	}
}

// TestGitLabNextCommitEditsTheNote: a push to the merge request that fixes the file edits the one
// note, sets success on the new commit, and opens no discussion on it.
func TestGitLabNextCommitEditsTheNote(t *testing.T) {
	f := newGitLabFixture(t)
	f.g.commit(glBase, gitlabRepo(glGood))
	f.g.commit(glHead, gitlabRepo(glBad))
	f.g.commit(glFixed, gitlabRepo(strings.ReplaceAll(glBad, "Web-Frontend", "web-frontend")))
	f.g.mergeRequest(7, glBase, glHead, "services/checkout/catalog-info.yaml")
	f.deliver("Merge Request Hook", string(glSecret), glMRPayload("open", 7, glHead, ""))
	f.completed(t, 1)
	f.g.mergeRequest(7, glBase, glFixed, "services/checkout/catalog-info.yaml")
	if code, outcome := f.deliver("Merge Request Hook", string(glSecret), glMRPayload("update", 7, glFixed, glHead)); outcome != "queued" {
		t.Fatalf("update: %d %s", code, outcome)
	}
	f.completed(t, 2)
	f.g.mu.Lock()
	defer f.g.mu.Unlock()
	if st := f.g.statuses[glFixed]; len(st) != 2 || st[1].State != "success" {
		t.Errorf("statuses of the fix: %+v", st)
	}
	if n := f.g.notes[7]; len(n) != 1 || strings.Contains(n[0].Body, "tag-format") || !strings.Contains(n[0].Body, gitlabSummaryMarker) {
		t.Errorf("%d notes: %+v", len(n), n)
	}
	if len(f.g.threads[7]) != 1 {
		t.Errorf("discussions: %d, want the first commit's one", len(f.g.threads[7]))
	}
	// An update that only edits the title changes no commit.
	if _, outcome := f.deliver("Merge Request Hook", string(glSecret), glMRPayload("update", 7, glFixed, "")); outcome != "ignored" {
		t.Errorf("title edit: %s", outcome)
	}
}

// TestGitLabPush: a push gets a commit status, comparing with the commit before it; a deleted branch
// is ignored.
func TestGitLabPush(t *testing.T) {
	f := newGitLabFixture(t)
	f.g.commit(glBase, gitlabRepo(glGood))
	f.g.commit(glHead, gitlabRepo(glBad))
	if _, outcome := f.deliver("Push Hook", string(glSecret), glPushPayload(glBase, glHead)); outcome != "queued" {
		t.Fatalf("push: %s", outcome)
	}
	f.completed(t, 1)
	f.g.mu.Lock()
	st := f.g.statuses[glHead]
	f.g.mu.Unlock()
	if len(st) != 2 || st[1].State != "failed" || !strings.Contains(st[1].Description, "error") {
		t.Errorf("statuses: %+v", st)
	}
	if _, outcome := f.deliver("Push Hook", string(glSecret), glPushPayload(glHead, zeroSHA)); outcome != "ignored" {
		t.Errorf("deleted branch: %s", outcome)
	}
	if _, outcome := f.deliver("Tag Push Hook", string(glSecret), glPushPayload(glBase, glHead)); outcome != "ignored" {
		t.Errorf("tag push: %s", outcome)
	}
}

// TestGitLabSecretToken: a missing or wrong X-Gitlab-Token is 401 before the body is read, and
// nothing is queued; a body over the limit is 413; a malformed one 400.
func TestGitLabSecretToken(t *testing.T) {
	f := newGitLabFixture(t)
	for _, token := range []string{"", "wrong", string(glSecret) + "x", strings.ToUpper(string(glSecret))} {
		if code, outcome := f.deliver("Merge Request Hook", token, []byte("not even json")); code != http.StatusUnauthorized || outcome != "bad_token" {
			t.Errorf("token %q: %d %s", token, code, outcome)
		}
	}
	if code, _ := f.deliver("Push Hook", string(glSecret), []byte(`{"after": 12`)); code != http.StatusBadRequest {
		t.Errorf("malformed: %d", code)
	}
	big := append(append([]byte(`{"x":"`), bytes.Repeat([]byte("a"), 70<<10)...), []byte(`"}`)...)
	if code, _ := f.deliver("Push Hook", string(glSecret), big); code != http.StatusRequestEntityTooLarge {
		t.Errorf("too large: %d", code)
	}
	if code, _ := f.deliver("Push Hook", string(glSecret), []byte(`{"after":"`+glHead+`","project":{"id":-1}}`)); code != http.StatusBadRequest {
		t.Errorf("no project: %d", code)
	}
	if d := f.q.Depth(); d != 0 {
		t.Errorf("%d jobs queued", d)
	}
	// The GitHub route is not there without GitHub's secret.
	req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader("{}"))
	w := httptest.NewRecorder()
	f.s.Handler().ServeHTTP(w, req)
	if w.Code != http.StatusNotFound {
		t.Errorf("/webhook without a GitHub secret: %d", w.Code)
	}
}

// TestGitLabRateLimitSnoozes: GitLab's 429 snoozes the job until RateLimit-Reset, with no attempt
// counted; the status says nothing new meanwhile.
func TestGitLabRateLimitSnoozes(t *testing.T) {
	f := newGitLabFixture(t)
	f.g.commit(glHead, gitlabRepo(glGood))
	reset := time.Now().Add(45 * time.Second).Unix()
	f.g.fail = func(r *http.Request) (int, map[string]string) {
		if strings.HasSuffix(r.URL.Path, "/repository/tree") {
			return http.StatusTooManyRequests, map[string]string{"RateLimit-Reset": strconv.FormatInt(reset, 10),
				"RateLimit-Limit": "600", "RateLimit-Remaining": "0"}
		}
		return 0, nil
	}
	job := &Job{Forge: ForgeGitLab, Kind: KindPush, ProjectID: glProject, Owner: "acme/platform", Repo: "catalog", HeadSHA: glHead, Received: time.Now()}
	step := (&Runner{Process: f.p.Process, Log: zerolog.Nop()}).Attempt(context.Background(), job, 1, 3)
	if step.Snooze < 40*time.Second || step.Snooze > 47*time.Second || step.Retry != 0 {
		t.Errorf("step %+v, want a snooze of about 45 s", step)
	}
	f.g.mu.Lock()
	defer f.g.mu.Unlock()
	if st := f.g.statuses[glHead]; len(st) != 1 || st[0].State != "running" {
		t.Errorf("statuses: %+v", st)
	}
}

// TestGitLabLargeFileNotDownloadedWhole: GitLab's tree gives no sizes, so a catalog file over
// max_file_size is read no further than one byte past it, and reported as too large.
func TestGitLabLargeFileNotDownloadedWhole(t *testing.T) {
	f := newGitLabFixture(t)
	files := gitlabRepo(glGood)
	files[".catalog-lint.yaml"] = "max_file_size: 4KiB\n"
	files["services/big/catalog-info.yaml"] = glGood + "# " + strings.Repeat("x", 1<<20) + "\n"
	f.g.commit(glHead, files)
	var served int
	f.g.fail = func(r *http.Request) (int, map[string]string) {
		if strings.Contains(r.URL.EscapedPath(), "services%2Fbig") {
			served++
		}
		return 0, nil
	}
	job := &Job{Forge: ForgeGitLab, Kind: KindPush, ProjectID: glProject, Owner: "acme/platform", Repo: "catalog", HeadSHA: glHead, Received: time.Now()}
	res, _, _, _, err := f.p.lint(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	var tooLarge bool
	for _, fd := range res.Findings {
		if fd.File == "services/big/catalog-info.yaml" && strings.Contains(fd.Message, "file is over the 4.0 KiB limit") {
			tooLarge = true
		}
	}
	if !tooLarge || served != 1 {
		t.Errorf("served %d times; findings %+v", served, res.Findings)
	}
	if _, cached := f.p.Blobs.Get(gitBlobID(files["services/big/catalog-info.yaml"])); cached {
		t.Error("a file cut short must not be cached")
	}
	if _, cached := f.p.Blobs.Get(gitBlobID(glGood)); !cached {
		t.Error("a file read whole is cached by its blob ID")
	}
}

// TestGitLabFlood: GitLab's deliveries share the queue's capacity with GitHub's: past it, 503 (GitLab
// retries), and a delivery of a commit already queued is a duplicate.
func TestGitLabFlood(t *testing.T) {
	q, err := OpenSpool(filepath.Join(t.TempDir(), "spool"), 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(Config{GitLabSecret: glSecret, Queue: q, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	f := &gitlabFixture{s: s}
	want := []string{"queued", "queued", "queue_full"}
	for i, sha := range []string{glBase, glHead, glFixed} {
		if code, outcome := f.deliver("Push Hook", string(glSecret), glPushPayload(zeroSHA, sha)); outcome != want[i] {
			t.Errorf("push %d: %d %s, want %s", i, code, outcome, want[i])
		}
	}
	if _, outcome := f.deliver("Push Hook", string(glSecret), glPushPayload(zeroSHA, glBase)); outcome != "duplicate" {
		t.Errorf("a second delivery of a queued commit: %s", outcome)
	}
}

// TestGitLabExpiredJob: a job given up for its age leaves a failed status that says why, not a
// running one.
func TestGitLabExpiredJob(t *testing.T) {
	f := newGitLabFixture(t)
	f.g.commit(glHead, gitlabRepo(glGood))
	job := &Job{Forge: ForgeGitLab, Kind: KindPush, ProjectID: glProject, Owner: "acme/platform", Repo: "catalog", HeadSHA: glHead,
		Received: time.Now().Add(-2 * time.Hour)}
	forges := Forges{GitLab: f.p}
	(&Runner{Process: forges.Process, Expire: forges.Expire, MaxAge: time.Hour, Log: zerolog.Nop()}).Attempt(context.Background(), job, 1, 3)
	f.g.mu.Lock()
	defer f.g.mu.Unlock()
	if st := f.g.statuses[glHead]; len(st) != 1 || st[0].State != "failed" || !strings.Contains(st[0].Description, "longer than the 1h0m0s allowed") {
		t.Errorf("statuses: %+v", st)
	}
	if err := (Forges{}).Process(context.Background(), job); err == nil || !strings.Contains(err.Error(), "no GitLab configured") {
		t.Errorf("a GitLab job without GitLab's settings: %v", err)
	}
}

// TestGitLabErrorWithoutFix: an error catalog-lint cannot fix gets a discussion with its message and
// no suggestion; a warning on an added line gets none.
func TestGitLabErrorWithoutFix(t *testing.T) {
	f := newGitLabFixture(t)
	bad := strings.Replace(glGood, "lifecycle: production", "lifecycle: [production]", 1) +
		"---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: web\n  annotations:\n    sonarqube.org/project_key: acme_web\nspec:\n  type: website\n  lifecycle: production\n  owner: team-web\n"
	f.g.commit(glBase, gitlabRepo(glGood))
	f.g.commit(glHead, map[string]string{"catalog-info.yaml": bad})
	f.g.mergeRequest(8, glBase, glHead, "catalog-info.yaml")
	f.deliver("Merge Request Hook", string(glSecret), glMRPayload("open", 8, glHead, ""))
	f.completed(t, 1)
	f.g.mu.Lock()
	defer f.g.mu.Unlock()
	threads := f.g.threads[8]
	if len(threads) != 1 || strings.Contains(threads[0].Body, "suggestion") || !strings.Contains(threads[0].Body, "spec.lifecycle") ||
		threads[0].Position["new_line"] != float64(7) {
		t.Errorf("discussions %+v", threads)
	}
}
