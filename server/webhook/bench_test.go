package webhook

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// BenchmarkAcceptLatency sends signed push deliveries to a real HTTP server on loopback at 500 per
// second (each to a new commit, so every one is spooled and queued) and reports the handler's answer
// latency: p50 and p99, as the client sees it.
func BenchmarkAcceptLatency(b *testing.B) {
	q, err := OpenSpool(filepath.Join(b.TempDir(), "spool"), 1<<20, 0)
	if err != nil {
		b.Fatal(err)
	}
	s, err := NewServer(Config{Secret: secret, Queue: q, Logger: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	const perSecond = 500
	n := max(b.N, 1000)
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = pushPayload("refs/heads/main", baseSHA, fmt.Sprintf("%040x", i+1))
	}
	latencies := make([]time.Duration, n)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / perSecond)
	defer tick.Stop()
	b.ResetTimer()
	for i := 0; i < n; i++ {
		<-tick.C
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhook", bytes.NewReader(bodies[i]))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-GitHub-Event", "push")
			req.Header.Set("X-Hub-Signature-256", sign(bodies[i]))
			start := time.Now()
			resp, err := client.Do(req)
			latencies[i] = time.Since(start)
			if err != nil || resp.StatusCode != http.StatusAccepted {
				b.Errorf("delivery %d: %v %v", i, err, resp)
				return
			}
			resp.Body.Close()
		}(i)
	}
	wg.Wait()
	b.StopTimer()
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	b.ReportMetric(float64(latencies[n/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(latencies[n*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(q.Depth()), "queued")
}

// BenchmarkPushToCheckRun processes a push touching 20 catalog files against a GitHub that takes
// 50 ms per request, and reports the time to the completed Check Run and the requests it took.
func BenchmarkPushToCheckRun(b *testing.B) {
	files := map[string]string{}
	for i := 0; i < 20; i++ {
		files[fmt.Sprintf("svc-%02d/catalog-info.yaml", i)] = component(fmt.Sprintf("svc-%02d", i), "payments")
	}
	t := &testing.T{}
	g := newFakeGitHub(t, files)
	defer g.Close()
	g.latency = 50 * time.Millisecond
	p := processor(t, g, nil)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := p.Process(context.Background(), pushJob(headSHA)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	total := 0
	for _, n := range g.requests {
		total += n
	}
	b.ReportMetric(float64(total)/float64(b.N), "requests/op")
}
