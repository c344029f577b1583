package webhook

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v4"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"

	"github.com/catalog-lint/catalog-lint/integrations"
	"github.com/catalog-lint/catalog-lint/sentry"
	"github.com/catalog-lint/catalog-lint/sentry/sentrytest"
)

const installToken = "ghs_installation_token_for_tests"

// fakeGitHub serves the REST endpoints the processor uses, for one repository o/r, and records the
// check run calls.
type fakeGitHub struct {
	*httptest.Server
	key   *rsa.PrivateKey
	files map[string]string // path -> content, changed by the push (blob SHA = "blob-" + path)
	// untouched are files of the tree the change did not touch.
	untouched map[string]string

	mu       sync.Mutex
	runs     map[int64]string // check run id -> head SHA
	runExt   map[int64]string // check run id -> external ID
	updates  map[int64][]github.UpdateCheckRunOptions
	requests map[string]int
	latency  time.Duration
	tokens   int
	// onBlob, when set, runs before each blob is served.
	onBlob func()
	// modes gives a path's tree entry mode when it is not a regular file (120000 a symbolic link,
	// 160000 a submodule); blobsServed lists the paths whose blobs were fetched.
	modes       map[string]string
	blobsServed []string
	// reviews are the pull request reviews posted, as GitHub received them.
	reviews []map[string]any
	// intercept, when set, may answer a request first (rate limits); it returns true if it did.
	intercept func(w http.ResponseWriter, r *http.Request) bool
}

func newFakeGitHub(t *testing.T, files map[string]string) *fakeGitHub {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	g := &fakeGitHub{key: key, files: files, runs: map[int64]string{}, runExt: map[int64]string{}, updates: map[int64][]github.UpdateCheckRunOptions{}, requests: map[string]int{}}
	g.Server = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.Close)
	return g
}

func (g *fakeGitHub) pem() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(g.key)})
}

func (g *fakeGitHub) serve(w http.ResponseWriter, r *http.Request) {
	if g.latency > 0 {
		time.Sleep(g.latency)
	}
	if g.intercept != nil && g.intercept(w, r) {
		return
	}
	p := r.URL.Path
	g.mu.Lock()
	g.requests[r.Method+" "+strings.SplitN(strings.TrimPrefix(p, "/repos/o/r/"), "/", 2)[0]]++
	g.mu.Unlock()
	writeJSON := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	if r.Method == http.MethodPost && p == "/app/installations/234/access_tokens" {
		// The App authenticates with a JWT signed with its private key (RS256), iss = App ID.
		raw := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		tok, err := jwt.Parse(raw, func(t *jwt.Token) (any, error) {
			if t.Method != jwt.SigningMethodRS256 {
				return nil, fmt.Errorf("alg %v", t.Header["alg"])
			}
			return &g.key.PublicKey, nil
		})
		if err != nil || tok.Claims.(jwt.MapClaims)["iss"] != "1" {
			writeJSON(401, map[string]string{"message": "A JSON web token could not be decoded"})
			return
		}
		g.mu.Lock()
		g.tokens++
		g.mu.Unlock()
		writeJSON(201, map[string]any{"token": installToken, "expires_at": time.Now().Add(time.Hour).Format(time.RFC3339)})
		return
	}
	if r.Header.Get("Authorization") != "token "+installToken {
		writeJSON(401, map[string]string{"message": "Bad credentials"})
		return
	}
	switch {
	case r.Method == http.MethodGet && p == "/repos/o/r":
		writeJSON(200, map[string]any{"id": 1, "name": "r", "full_name": "o/r", "archived": false, "owner": map[string]any{"login": "o"}})
	case r.Method == http.MethodGet && p == "/repos/o/r/contents/.catalog-lint.yaml":
		cfg, ok := g.files[".catalog-lint.yaml"]
		if !ok || r.URL.Query().Get("ref") == "" {
			writeJSON(404, map[string]string{"message": "Not Found"})
			return
		}
		writeJSON(200, map[string]any{"type": "file", "encoding": "base64", "path": ".catalog-lint.yaml",
			"content": base64.StdEncoding.EncodeToString([]byte(cfg))})
	case r.Method == http.MethodGet && p == "/repos/o/r/pulls/5/files":
		var files []map[string]string
		for path, content := range g.files {
			// An added file: its patch adds every line.
			lines := strings.Split(strings.TrimSuffix(content, "\n"), "\n")
			patch := fmt.Sprintf("@@ -0,0 +1,%d @@\n+%s", len(lines), strings.Join(lines, "\n+"))
			files = append(files, map[string]string{"filename": path, "status": "added", "sha": "blob-" + path, "patch": patch})
		}
		writeJSON(200, files)
	case r.Method == http.MethodGet && p == "/repos/o/r/pulls/5/reviews":
		g.mu.Lock()
		var list []map[string]any
		for i, rv := range g.reviews {
			list = append(list, map[string]any{"id": i + 1, "commit_id": rv["commit_id"], "body": rv["body"], "state": "COMMENTED"})
		}
		g.mu.Unlock()
		writeJSON(200, list)
	case r.Method == http.MethodPost && p == "/repos/o/r/pulls/5/reviews":
		var rv map[string]any
		if err := json.NewDecoder(r.Body).Decode(&rv); err != nil {
			writeJSON(400, map[string]string{"message": "Problems parsing JSON"})
			return
		}
		// GitHub refuses a comment on a line outside the diff (422); every line of an added file is in it.
		for _, c := range rv["comments"].([]any) {
			cm := c.(map[string]any)
			if cm["path"] == nil || cm["line"] == nil || cm["side"] != "RIGHT" || cm["body"] == nil {
				writeJSON(422, map[string]any{"message": "Unprocessable Entity", "errors": []string{"Line could not be resolved"}})
				return
			}
		}
		g.mu.Lock()
		g.reviews = append(g.reviews, rv)
		n := len(g.reviews)
		g.mu.Unlock()
		writeJSON(200, map[string]any{"id": n, "commit_id": rv["commit_id"], "body": rv["body"], "state": "COMMENTED"})
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/repos/o/r/git/trees/"):
		var entries []map[string]any
		for _, m := range []map[string]string{g.files, g.untouched} {
			for path, content := range m {
				mode, typ := "100644", "blob"
				if g.modes[path] != "" {
					mode = g.modes[path]
				}
				entry := map[string]any{"path": path, "type": typ, "sha": "blob-" + path, "mode": mode, "size": len(content)}
				if mode == "160000" {
					entry["type"] = "commit"
					delete(entry, "size") // GitHub gives no size for a submodule
				}
				entries = append(entries, entry)
			}
		}
		writeJSON(200, map[string]any{"sha": "tree", "truncated": false, "tree": entries})
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/repos/o/r/compare/"):
		var files []map[string]string
		for path := range g.files {
			files = append(files, map[string]string{"filename": path, "status": "modified", "sha": "blob-" + path})
		}
		files = append(files, map[string]string{"filename": "gone/catalog-info.yaml", "status": "removed", "sha": "x"})
		writeJSON(200, map[string]any{"status": "ahead", "files": files})
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/repos/o/r/git/blobs/"):
		if g.onBlob != nil {
			g.onBlob()
		}
		name := strings.TrimPrefix(p, "/repos/o/r/git/blobs/blob-")
		g.mu.Lock()
		g.blobsServed = append(g.blobsServed, name)
		g.mu.Unlock()
		content, ok := g.files[name]
		if !ok {
			content, ok = g.untouched[name]
		}
		if !ok || r.Header.Get("Accept") != "application/vnd.github.v3.raw" {
			writeJSON(404, map[string]string{"message": "Not Found"})
			return
		}
		_, _ = io.WriteString(w, content)
	case r.Method == http.MethodPost && p == "/repos/o/r/check-runs":
		var opts github.CreateCheckRunOptions
		_ = json.NewDecoder(r.Body).Decode(&opts)
		g.mu.Lock()
		id := int64(len(g.runs) + 1)
		g.runs[id] = opts.HeadSHA
		g.runExt[id] = opts.GetExternalID()
		g.mu.Unlock()
		writeJSON(201, map[string]any{"id": id, "head_sha": opts.HeadSHA, "status": opts.GetStatus()})
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/repos/o/r/commits/") && strings.HasSuffix(p, "/check-runs"):
		sha := strings.TrimSuffix(strings.TrimPrefix(p, "/repos/o/r/commits/"), "/check-runs")
		g.mu.Lock()
		var list []map[string]any
		for id, head := range g.runs {
			if head != sha || r.URL.Query().Get("check_name") != CheckName {
				continue
			}
			status := "in_progress"
			if ups := g.updates[id]; len(ups) > 0 && ups[len(ups)-1].GetStatus() == "completed" {
				status = "completed"
			}
			list = append(list, map[string]any{"id": id, "name": CheckName, "head_sha": head, "external_id": g.runExt[id], "status": status})
		}
		g.mu.Unlock()
		writeJSON(200, map[string]any{"total_count": len(list), "check_runs": list})
	case r.Method == http.MethodPatch && strings.HasPrefix(p, "/repos/o/r/check-runs/"):
		var opts github.UpdateCheckRunOptions
		if err := json.NewDecoder(r.Body).Decode(&opts); err != nil || len(opts.GetOutput().Annotations) > 50 ||
			len(opts.GetOutput().GetSummary()) > 65535 {
			writeJSON(422, map[string]string{"message": "Validation Failed"})
			return
		}
		var id int64
		fmt.Sscan(strings.TrimPrefix(p, "/repos/o/r/check-runs/"), &id)
		g.mu.Lock()
		g.updates[id] = append(g.updates[id], opts)
		g.mu.Unlock()
		writeJSON(200, map[string]any{"id": id})
	default:
		writeJSON(404, map[string]string{"message": "Not Found"})
	}
}

// final returns a check run's completing update.
func (g *fakeGitHub) final(t *testing.T, id int64) github.UpdateCheckRunOptions {
	t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	ups := g.updates[id]
	if len(ups) == 0 || ups[len(ups)-1].GetStatus() != "completed" {
		t.Fatalf("check run %d was not completed: %+v", id, ups)
	}
	return ups[len(ups)-1]
}

func processor(t *testing.T, g *fakeGitHub, sentryServer *sentrytest.Server) *Processor {
	t.Helper()
	app, err := NewApp(1, g.pem(), g.URL, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &Processor{App: app, Log: zerolog.Nop()}
	if sentryServer != nil {
		c, err := sentry.NewClient(sentry.Config{BaseURL: sentryServer.URL, Token: "sntryu_server",
			Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }})
		if err != nil {
			t.Fatal(err)
		}
		p.Sentry = func(org string) integrations.Service {
			return integrations.NewSentryService(sentry.NewIndex(c), "acme")
		}
	}
	return p
}

func component(name, slug string) string {
	return "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: " + name +
		"\n  annotations:\n    sentry.io/project-slug: " + slug + "\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"
}

func sentryWith(t *testing.T) *sentrytest.Server {
	t.Helper()
	s := sentrytest.New()
	t.Cleanup(s.Close)
	s.AddToken("sntryu_server", sentrytest.Token{Scopes: []string{"org:read", "project:read"}})
	s.AddProjects("acme", sentrytest.Project{ID: "1", Slug: "payments"}, sentrytest.Project{ID: "2", Slug: "checkout"})
	return s
}

func pushJob(sha string) *Job {
	return &Job{Key: jobKey("o", "r", sha), Event: "push", Owner: "o", Repo: "r", HeadSHA: sha, BaseSHA: baseSHA, Installation: 234}
}

func TestPushWithBadSlugFailsCheckRun(t *testing.T) {
	g := newFakeGitHub(t, map[string]string{
		"svc/catalog-info.yaml": component("svc", "paymnets"),
		"web/catalog-info.yaml": component("web", "checkout"),
		"README.md":             "# not a catalog file\n",
	})
	if err := processor(t, g, sentryWith(t)).Process(context.Background(), pushJob(headSHA)); err != nil {
		t.Fatal(err)
	}
	final := g.final(t, 1)
	out := final.GetOutput()
	if final.GetConclusion() != "failure" || len(out.Annotations) != 1 {
		t.Fatalf("conclusion %s, %d annotations, summary:\n%s", final.GetConclusion(), len(out.Annotations), out.GetSummary())
	}
	a := out.Annotations[0]
	want := `Sentry project "paymnets" does not exist in organization "acme"; did you mean "payments"?`
	if a.GetPath() != "svc/catalog-info.yaml" || a.GetStartLine() != 6 || a.GetStartColumn() != 29 || a.GetAnnotationLevel() != "failure" ||
		a.GetMessage() != want || a.GetTitle() != "sentry-project-exists" {
		t.Errorf("annotation %+v", a)
	}
	if len(g.blobsServed) != 2 || g.tokens != 1 {
		t.Errorf("want the two catalog blobs fetched with one token exchange: %v, %d tokens", g.blobsServed, g.tokens)
	}
}

// TestServerWithoutSentryTokenSaysSo: a server with no Sentry credentials cannot check a repository's
// sentry.io/project-slug annotations; its Check Run says so (as check does) rather than pass them in
// silence, and says nothing when no file names a Sentry project.
func TestServerWithoutSentryTokenSaysSo(t *testing.T) {
	want := "sentry: " + NoSentryToken + ", so 1 sentry.io/project-slug annotation was not checked against Sentry"
	for _, tt := range []struct {
		file   string
		notice bool
	}{
		{component("svc", "paymnets"), true},
		{strings.Replace(component("svc", "paymnets"), "    sentry.io/project-slug: paymnets\n", "    backstage.io/techdocs-ref: url:https://docs.example.com\n", 1), false},
	} {
		g := newFakeGitHub(t, map[string]string{"svc/catalog-info.yaml": tt.file})
		if err := processor(t, g, nil).Process(context.Background(), pushJob(headSHA)); err != nil {
			t.Fatal(err)
		}
		final := g.final(t, 1)
		summary := final.GetOutput().GetSummary()
		if strings.Contains(summary, want) != tt.notice || len(final.GetOutput().Annotations) != 0 {
			t.Errorf("notice wanted: %v; conclusion %s, summary:\n%s", tt.notice, final.GetConclusion(), summary)
		}
	}
}

// TestLinksAndSubmodulesAreNeverFetched: a pull request that adds a catalog file as a symbolic link
// (to /etc/passwd, say) or a submodule named like one gets neither fetched nor linted.
func TestLinksAndSubmodulesAreNeverFetched(t *testing.T) {
	for _, job := range []*Job{pushJob(headSHA), {Key: jobKey("o", "r", headSHA), Event: "pull_request", Owner: "o", Repo: "r",
		HeadSHA: headSHA, PullRequest: 5, Installation: 234}} {
		g := newFakeGitHub(t, map[string]string{
			"svc/catalog-info.yaml":  "/etc/passwd",
			"mod/catalog-info.yaml":  "",
			"real/catalog-info.yaml": component("real", "payments"),
		})
		g.modes = map[string]string{"svc/catalog-info.yaml": "120000", "mod/catalog-info.yaml": "160000"}
		if err := processor(t, g, nil).Process(context.Background(), job); err != nil {
			t.Fatal(err)
		}
		final := g.final(t, 1)
		if diff := cmp.Diff([]string{"real/catalog-info.yaml"}, g.blobsServed); diff != "" {
			t.Errorf("%s: blobs fetched (-want +got):\n%s", job.Event, diff)
		}
		if final.GetConclusion() != "success" || strings.Contains(final.GetOutput().GetSummary(), "passwd") {
			t.Errorf("%s: conclusion %s, summary:\n%s", job.Event, final.GetConclusion(), final.GetOutput().GetSummary())
		}
	}
}

func TestManyFindingsInBatchesOf50(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: many\n  tags:\n")
	for i := 0; i < 120; i++ {
		b.WriteString("    - Bad Tag\n")
	}
	b.WriteString("spec: {type: service, lifecycle: production, owner: team-a}\n")
	g := newFakeGitHub(t, map[string]string{"svc/catalog-info.yaml": b.String()})
	if err := processor(t, g, nil).Process(context.Background(), pushJob(headSHA)); err != nil {
		t.Fatal(err)
	}
	ups := g.updates[1]
	if len(ups) != 3 || len(ups[0].GetOutput().Annotations) != 50 || len(ups[1].GetOutput().Annotations) != 50 ||
		len(ups[2].GetOutput().Annotations) != 20 || ups[2].GetConclusion() != "failure" || ups[0].Status != nil {
		t.Errorf("%d updates", len(ups))
	}
}

func TestSentryOutageIsNeutral(t *testing.T) {
	s := sentryWith(t)
	s.Fail = func(*http.Request, int) int { return http.StatusServiceUnavailable }
	g := newFakeGitHub(t, map[string]string{"svc/catalog-info.yaml": component("svc", "payments")})
	if err := processor(t, g, s).Process(context.Background(), pushJob(headSHA)); err != nil {
		t.Fatal(err)
	}
	final := g.final(t, 1)
	if final.GetConclusion() != "neutral" || !strings.Contains(final.GetOutput().GetSummary(), "503") ||
		strings.Contains(final.GetOutput().GetSummary(), "does not exist") {
		t.Errorf("conclusion %s\n%s", final.GetConclusion(), final.GetOutput().GetSummary())
	}
}

// TestRestartCompletesJob: the process dies in the middle of a job (after creating the Check Run,
// while fetching files). The next process, on the same spool folder, completes that same Check Run
// and creates no other.
func TestRestartCompletesJob(t *testing.T) {
	g := newFakeGitHub(t, map[string]string{"svc/catalog-info.yaml": component("svc", "payments")})
	dir := filepath.Join(t.TempDir(), "spool")
	first, _ := OpenSpool(dir, 10, 0)
	job := pushJob(headSHA)
	if ok, err := first.Add(job); !ok || err != nil {
		t.Fatal(ok, err)
	}
	dying, die := context.WithCancel(context.Background())
	// The process dies once GitHub has created the Check Run (whether or not the answer reached it).
	g.onBlob = func() {
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			g.mu.Lock()
			n := len(g.runs)
			g.mu.Unlock()
			if n > 0 {
				break
			}
		}
		die()
		time.Sleep(50 * time.Millisecond)
	}
	p := processor(t, g, nil)
	p.Save = first.Save
	if err := p.Process(dying, <-first.Jobs()); err == nil {
		t.Fatal("the interrupted job must fail")
	}
	// The process is gone; its job is still spooled, with its Check Run. A new one starts.
	g.onBlob = nil
	second, err := OpenSpool(dir, 10, 0)
	if err != nil || second.Depth() != 1 {
		t.Fatalf("resumed %d, %v", second.Depth(), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	p2 := processor(t, g, nil)
	p2.Save = second.Save
	go func() { _ = second.Run(ctx, &Runner{Process: p2.Process, Log: zerolog.Nop()}, 2); close(done) }()
	waitFor(t, func() bool { second.mu.Lock(); defer second.mu.Unlock(); return len(second.pending) == 0 })
	cancel()
	<-done
	g.mu.Lock()
	runs := len(g.runs)
	g.mu.Unlock()
	if final := g.final(t, 1); final.GetConclusion() != "success" || runs != 1 {
		t.Errorf("conclusion %s, %d check runs created (want 1)", final.GetConclusion(), runs)
	}
	if entries, _ := filepath.Glob(filepath.Join(dir, "*.json")); len(entries) != 0 {
		t.Errorf("the spool still holds %d jobs", len(entries))
	}
}

// TestFloodOfDeliveries: 1,000 signed deliveries for 200 commits, processed by 4 workers: every
// commit gets exactly one completed check run.
func TestFloodOfDeliveries(t *testing.T) {
	g := newFakeGitHub(t, map[string]string{"svc/catalog-info.yaml": component("svc", "payments")})
	s, q, _ := setup(t, 1000)
	var wg sync.WaitGroup
	for i := 0; i < 1000; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			body := pushPayload("refs/heads/main", baseSHA, fmt.Sprintf("%040x", i%200+1))
			if w := deliver(s, "push", body, sign(body), ""); w.Code != 202 {
				t.Errorf("%d %s", w.Code, w.Body.String())
			}
		}(i)
	}
	wg.Wait()
	// The deliveries' repository is baxterthehacker/public-repo; point the jobs at the fake's o/r.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	proc := processor(t, g, nil)
	done := make(chan struct{})
	go func() {
		_ = q.Run(ctx, &Runner{Process: func(ctx context.Context, j *Job) error {
			cp := *j
			cp.Owner, cp.Repo = "o", "r"
			return proc.Process(ctx, &cp)
		}, Log: zerolog.Nop(), Metrics: s.metrics}, 4)
		close(done)
	}()
	waitFor(t, func() bool { q.mu.Lock(); defer q.mu.Unlock(); return len(q.pending) == 0 && len(q.ch) == 0 })
	cancel()
	<-done
	perSHA := map[string]int{}
	g.mu.Lock()
	for id, sha := range g.runs {
		perSHA[sha]++
		if ups := g.updates[id]; len(ups) == 0 || ups[len(ups)-1].GetStatus() != "completed" {
			t.Errorf("check run %d not completed", id)
		}
	}
	g.mu.Unlock()
	if len(perSHA) != 200 {
		t.Errorf("%d commits got check runs, want 200", len(perSHA))
	}
	for sha, n := range perSHA {
		if n != 1 {
			t.Errorf("%s got %d check runs", sha, n)
		}
	}
	m := httptest.NewRecorder()
	s.Handler().ServeHTTP(m, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(m.Body.String(), `catalog_lint_jobs_total{outcome="completed"} 200`) {
		t.Errorf("metrics:\n%s", m.Body.String())
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPullRequestFiles(t *testing.T) {
	g := newFakeGitHub(t, map[string]string{"svc/catalog-info.yaml": component("svc bad", "payments")})
	job := pushJob(headSHA)
	job.Event, job.PullRequest, job.BaseSHA = "pull_request", 5, baseSHA
	if err := processor(t, g, nil).Process(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	if final := g.final(t, 1); final.GetConclusion() != "failure" || len(final.GetOutput().Annotations) != 1 ||
		g.requests["GET pulls"] != 1 || g.requests["GET compare"] != 0 {
		t.Errorf("conclusion %s, requests %v", final.GetConclusion(), g.requests)
	}
}

// TestConfigChangeLintsEveryFile: when .catalog-lint.yaml changes, every catalog file is linted with
// it; findings in files the change did not touch are in the summary but not annotated.
func TestConfigChangeLintsEveryFile(t *testing.T) {
	g := newFakeGitHub(t, map[string]string{
		".catalog-lint.yaml":    "rules:\n  entity-name-format: warning\nsentry:\n  organization: acme\n",
		"svc/catalog-info.yaml": component("svc", "Bad Slug"),
	})
	g.untouched = map[string]string{"old/catalog-info.yaml": component("old one", "payments"), "docs/readme.md": "x"}
	if err := processor(t, g, nil).Process(context.Background(), pushJob(headSHA)); err != nil {
		t.Fatal(err)
	}
	final := g.final(t, 1)
	out := final.GetOutput()
	if len(out.Annotations) != 1 || out.Annotations[0].GetPath() != "svc/catalog-info.yaml" {
		t.Fatalf("annotations %+v", out.Annotations)
	}
	for _, want := range []string{"old/catalog-info.yaml` (not changed)", "1 finding in files this change did not touch is counted here but not annotated",
		".catalog-lint.yaml changed, so every catalog file was linted", "| warning | `entity-name-format` |"} {
		if !strings.Contains(out.GetSummary(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.GetSummary())
		}
	}
}

// TestRepositoryTokenExchangeIgnored: a repository's .catalog-lint.yaml may carry a token exchange
// (for the CLI and the Action); the server accepts the file but never sends anything to its broker,
// and checks Sentry with its own credentials.
func TestRepositoryTokenExchangeIgnored(t *testing.T) {
	var stolen atomic.Int64
	evil := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { stolen.Add(1) }))
	defer evil.Close()
	g := newFakeGitHub(t, map[string]string{
		".catalog-lint.yaml":    "sentry:\n  organization: acme\n  auth:\n    token_exchange:\n      issuer: " + evil.URL + "\n",
		"svc/catalog-info.yaml": component("svc", "paymnets"),
	})
	if err := processor(t, g, sentryWith(t)).Process(context.Background(), pushJob(headSHA)); err != nil {
		t.Fatal(err)
	}
	final := g.final(t, 1)
	if final.GetConclusion() != "failure" || !strings.Contains(final.GetOutput().GetSummary(), `Sentry project \"paymnets\" does not exist`) &&
		!strings.Contains(final.GetOutput().GetSummary(), `Sentry project "paymnets" does not exist`) {
		t.Errorf("conclusion %s\n%s", final.GetConclusion(), final.GetOutput().GetSummary())
	}
	if stolen.Load() != 0 {
		t.Errorf("the repository's broker received %d requests", stolen.Load())
	}

	// A file naming which secret to present is a configuration error, said on the Check Run.
	g = newFakeGitHub(t, map[string]string{
		".catalog-lint.yaml": "sentry:\n  organization: acme\n  auth:\n    token_exchange:\n      issuer: " + evil.URL +
			"\n      subject_token: file:/var/run/secrets/kubernetes.io/serviceaccount/token\n",
		"svc/catalog-info.yaml": component("svc", "paymnets"),
	})
	if err := processor(t, g, sentryWith(t)).Process(context.Background(), pushJob(headSHA)); err == nil {
		t.Error("the job must fail on the configuration error")
	}
	final = g.final(t, 1)
	if final.GetConclusion() != "failure" || !strings.Contains(final.GetOutput().GetSummary(), "may only say github-oidc") {
		t.Errorf("conclusion %s\n%s", final.GetConclusion(), final.GetOutput().GetSummary())
	}
	if stolen.Load() != 0 {
		t.Errorf("the repository's broker received %d requests", stolen.Load())
	}
}

// TestResumeFindsRunCreatedBeforeCrash: the process died after GitHub created the Check Run but
// before its ID reached the spool. The resumed job finds that run by its external ID and completes it
// instead of leaving it in progress forever next to a second one.
func TestResumeFindsRunCreatedBeforeCrash(t *testing.T) {
	g := newFakeGitHub(t, map[string]string{"svc/catalog-info.yaml": component("svc", "payments")})
	job := pushJob(headSHA)
	g.mu.Lock()
	g.runs[1], g.runExt[1] = headSHA, job.Key // created by the attempt that died
	g.runs[2], g.runExt[2] = headSHA, "someone-else"
	g.mu.Unlock()
	job.CreatingCheckRun = true
	if err := processor(t, g, nil).Process(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	runs, lookups := len(g.runs), g.requests["GET commits"]
	g.mu.Unlock()
	if final := g.final(t, 1); final.GetConclusion() != "success" || runs != 2 || job.CheckRunID != 1 || job.CreatingCheckRun {
		t.Errorf("conclusion %s, %d runs, job %+v, %d lookups", final.GetConclusion(), runs, job, lookups)
	}

	// Nothing was created before the crash: the lookup finds nothing and one run is created.
	g2 := newFakeGitHub(t, map[string]string{"svc/catalog-info.yaml": component("svc", "payments")})
	job2 := pushJob(headSHA)
	job2.CreatingCheckRun = true
	if err := processor(t, g2, nil).Process(context.Background(), job2); err != nil {
		t.Fatal(err)
	}
	if final := g2.final(t, 1); final.GetConclusion() != "success" || len(g2.runs) != 1 {
		t.Errorf("conclusion %s, %d runs", final.GetConclusion(), len(g2.runs))
	}
}
