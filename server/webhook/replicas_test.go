package webhook

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// replica is a `catalog-lint serve` process.
type replica struct {
	cmd  *exec.Cmd
	base string
	out  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

var buildOnce struct {
	sync.Once
	path string
	err  error
}

// catalogLintBinary builds the command once per test run.
func catalogLintBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "catalog-lint-bin")
		if err != nil {
			buildOnce.err = err
			return
		}
		buildOnce.path = filepath.Join(dir, "catalog-lint")
		out, err := exec.Command("go", "build", "-o", buildOnce.path, "../cmd/catalog-lint").CombinedOutput()
		if err != nil {
			buildOnce.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildOnce.err != nil {
		t.Fatal(buildOnce.err)
	}
	return buildOnce.path
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startReplica(t *testing.T, env []string, args ...string) *replica {
	t.Helper()
	addr := freeAddr(t)
	r := &replica{base: "http://" + addr, out: &syncBuffer{}}
	r.cmd = exec.Command(catalogLintBinary(t), append([]string{"serve", "--listen", addr}, args...)...)
	r.cmd.Env = env
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.cmd.Process.Kill(); _ = r.cmd.Wait() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(r.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica did not become ready:\n%s", r.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (r *replica) deliver(event, delivery string, body []byte) (int, error) {
	req, _ := http.NewRequest(http.MethodPost, r.base+"/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", delivery)
	req.Header.Set("X-Hub-Signature-256", sign(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func ourPush(sha string) []byte {
	p := pushPayload("refs/heads/main", baseSHA, sha)
	p = bytes.ReplaceAll(p, []byte(`"baxterthehacker"`), []byte(`"o"`))
	return bytes.ReplaceAll(p, []byte(`"public-repo"`), []byte(`"r"`))
}

// TestTwoReplicasOneKilled is issue 13's scenario: two `serve` processes on one database, every one
// of 40 commits delivered to both, one replica killed with SIGKILL in the middle of a job. Each
// commit gets exactly one Check Run, every run is completed (the dead replica's by the other one,
// within 60 s with the default job timeout), and no job is lost.
func TestTwoReplicasOneKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers and waits for a rescue")
	}
	dbURL := testDatabase(t)
	g := newFakeGitHub(t, map[string]string{"svc/catalog-info.yaml": component("svc", "payments")})
	g.latency = 20 * time.Millisecond
	// Each replica reaches the fake under its own prefix, so that the test can hold replica a's
	// requests from a chosen moment: a is then killed in the middle of a job.
	var mu sync.Mutex
	holdA := false
	held := make(chan struct{}, 1)
	release := make(chan struct{})
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		which, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		mu.Lock()
		hold := which == "a" && holdA && !strings.HasPrefix(rest, "app/")
		mu.Unlock()
		if hold {
			select {
			case held <- struct{}{}:
			default:
			}
			<-release
			return
		}
		r.URL.Path = "/" + rest
		g.serve(w, r)
	}))
	defer front.Close()
	defer close(release) // before Close, which waits for the held requests
	env := func(which string) []string {
		return []string{"GITHUB_APP_ID=1", "GITHUB_APP_PRIVATE_KEY=" + string(g.pem()), "GITHUB_WEBHOOK_SECRET=" + string(secret),
			"GITHUB_API_URL=" + front.URL + "/" + which, "DATABASE_URL=" + dbURL, "PATH=" + os.Getenv("PATH")}
	}
	a := startReplica(t, env("a"), "--workers", "4")
	b := startReplica(t, env("b"), "--workers", "4")

	var killedAt time.Time
	killed := make(chan struct{})
	go func() {
		select {
		case <-held:
		case <-release:
			return
		}
		mu.Lock()
		killedAt = time.Now()
		mu.Unlock()
		_ = a.cmd.Process.Signal(syscall.SIGKILL)
		close(killed)
	}()
	accepted := map[string]bool{}
	for i := 1; i <= 40; i++ {
		sha := fmt.Sprintf("%040x", 0xc0ffee00+i)
		body := ourPush(sha)
		delivery := fmt.Sprintf("00000000-0000-0000-0000-%012d", i)
		if i == 21 {
			mu.Lock()
			holdA = true
			mu.Unlock()
		}
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for k, r := range []*replica{a, b} {
			wg.Add(1)
			go func() { defer wg.Done(); codes[k], _ = r.deliver("push", delivery, body) }()
		}
		wg.Wait()
		// GitHub counts a delivery as accepted when either replica's 2xx came back (behind one URL,
		// it would retry the other); with both up, one says queued and the other duplicate.
		if codes[0] == 202 || codes[1] == 202 {
			accepted[sha] = true
		}
		time.Sleep(25 * time.Millisecond)
	}
	if len(accepted) != 40 {
		t.Fatalf("%d of 40 deliveries accepted", len(accepted))
	}
	select {
	case <-killed:
	case <-time.After(30 * time.Second):
		t.Fatal("replica a took no job after the 20th commit: nothing to rescue")
	}
	perSHA := func() (completed map[string]int, inProgress int) {
		g.mu.Lock()
		defer g.mu.Unlock()
		completed = map[string]int{}
		for id, sha := range g.runs {
			if ups := g.updates[id]; len(ups) > 0 && ups[len(ups)-1].GetStatus() == "completed" {
				completed[sha]++
			} else {
				inProgress++
			}
		}
		return completed, inProgress
	}
	deadline := time.Now().Add(120 * time.Second)
	for {
		completed, inProgress := perSHA()
		if len(completed) == 40 && inProgress == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d commits with a completed run, %d runs in progress\nreplica b:\n%s", len(completed), inProgress, b.out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	defer func() {
		if t.Failed() {
			for _, line := range strings.Split(b.out.String(), "\n") {
				if !strings.Contains(line, `"level":"info"`) {
					t.Log(line)
				}
			}
		}
	}()
	mu.Lock()
	rescue := time.Since(killedAt)
	mu.Unlock()
	t.Logf("every run completed %v after the kill", rescue.Round(100*time.Millisecond))
	if rescue > 60*time.Second {
		t.Errorf("the dead replica's job was completed %v after the kill, want within 60 s", rescue)
	}
	completed, _ := perSHA()
	g.mu.Lock()
	created := len(g.runs)
	g.mu.Unlock()
	for sha := range accepted {
		if completed[sha] != 1 {
			t.Errorf("%s: %d completed check runs", sha, completed[sha])
			g.mu.Lock()
			for id, s := range g.runs {
				if s == sha {
					var titles []string
					for _, u := range g.updates[id] {
						titles = append(titles, u.GetStatus()+":"+u.GetOutput().GetTitle())
					}
					t.Logf("  run %d ext %s updates %v", id, g.runExt[id], titles)
				}
			}
			g.mu.Unlock()
			for _, line := range strings.Split(a.out.String()+b.out.String(), "\n") {
				if strings.Contains(line, sha) {
					t.Log("  " + line)
				}
			}
		}
	}
	if created != 40 {
		t.Errorf("%d check runs created, want 40", created)
	}
	q := openRiver(t, dbURL, RiverConfig{Capacity: 10})
	deadline = time.Now().Add(30 * time.Second)
	for jobStates(t, q)["completed"] != 40 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond) // River records completions in batches
	}
	states := jobStates(t, q)
	var rescued int
	if err := q.pool.QueryRow(context.Background(), "SELECT count(*) FROM river_job WHERE attempt > 1").Scan(&rescued); err != nil {
		t.Fatal(err)
	}
	if states["completed"] != 40 || len(states) != 1 || rescued < 1 {
		t.Errorf("jobs by state %v, %d rescued (want 40 completed, at least 1 rescued)", states, rescued)
		rows, _ := q.pool.Query(context.Background(), "SELECT id, state::text, attempt, attempted_by::text, errors::text, args->>'key', attempted_at::text FROM river_job WHERE attempt > 1 OR state <> 'completed'")
		for rows.Next() {
			var id int64
			var st, by, errs, key, at string
			var attempt int
			_ = rows.Scan(&id, &st, &attempt, &by, &errs, &key, &at)
			t.Logf("job %d %s attempt %d by %s at %s key %s errors %s", id, st, attempt, by, at, key, errs)
		}
		rows.Close()
	}
	password, _ := urlPassword(dbURL)
	for name, r := range map[string]*replica{"a": a, "b": b} {
		if out := r.out.String(); strings.Contains(out, password) || strings.Contains(out, string(secret)) || strings.Contains(out, "BEGIN RSA") {
			t.Errorf("replica %s logged a secret", name)
		}
	}
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- b.cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Errorf("replica b after SIGTERM: %v", err)
		}
	case <-time.After(40 * time.Second):
		t.Error("replica b did not stop within 40 s of SIGTERM")
	}
}
