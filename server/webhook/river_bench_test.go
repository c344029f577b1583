package webhook

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// BenchmarkRiverAccept: signed push deliveries, 16 at a time, to a server storing each job in
// PostgreSQL before answering; reports deliveries per second and the p50/p99 answer latency.
func BenchmarkRiverAccept(b *testing.B) {
	q, err := OpenRiver(context.Background(), testDatabase(b), RiverConfig{Capacity: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	s, err := NewServer(Config{Secret: secret, Queue: q, Logger: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	n := max(b.N, 2000)
	latencies := make([]time.Duration, n)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	next := make(chan int)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				body := pushPayload("refs/heads/main", baseSHA, fmt.Sprintf("%040x", i+1))
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhook", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-GitHub-Event", "push")
				req.Header.Set("X-Hub-Signature-256", sign(body))
				t0 := time.Now()
				resp, err := client.Do(req)
				latencies[i] = time.Since(t0)
				if err != nil || resp.StatusCode != http.StatusAccepted {
					b.Errorf("delivery %d: %v %v", i, err, resp)
					return
				}
				resp.Body.Close()
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	b.ReportMetric(float64(n)/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(float64(latencies[n/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(latencies[n*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkRiverJobs: 200 push jobs worked by 1 or 2 replicas (each its own River client and
// connection pool, 4 workers) against a GitHub that takes 50 ms a request; reports completed jobs
// per second.
func BenchmarkRiverJobs(b *testing.B) {
	for _, replicas := range []int{1, 2} {
		b.Run(fmt.Sprintf("replicas=%d", replicas), func(b *testing.B) {
			t := &testing.T{}
			g := newFakeGitHub(t, map[string]string{"svc/catalog-info.yaml": component("svc", "payments")})
			defer g.Close()
			g.latency = 50 * time.Millisecond
			dbURL := testDatabase(b)
			var queues []*RiverQueue
			for i := 0; i < replicas; i++ {
				q, err := OpenRiver(context.Background(), dbURL, RiverConfig{Capacity: 1 << 30})
				if err != nil {
					b.Fatal(err)
				}
				defer q.Close()
				queues = append(queues, q)
			}
			const jobs = 200
			var mu sync.Mutex
			done := 0
			all := make(chan struct{})
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			for _, q := range queues {
				p := processor(t, g, nil)
				p.Save = q.Save
				wg.Add(1)
				go func() {
					defer wg.Done()
					_ = q.Run(ctx, &Runner{Log: zerolog.Nop(), Process: func(ctx context.Context, j *Job) error {
						err := p.Process(ctx, j)
						mu.Lock()
						if done++; done == jobs*b.N {
							close(all)
						}
						mu.Unlock()
						return err
					}}, 4)
				}()
			}
			b.ResetTimer()
			start := time.Now()
			for round := 0; round < b.N; round++ {
				for i := 0; i < jobs; i++ {
					j := pushJob(fmt.Sprintf("%08x%032x", round, i+1))
					j.Received = time.Now()
					if _, err := queues[0].Add(j); err != nil {
						b.Fatal(err)
					}
				}
			}
			<-all
			elapsed := time.Since(start)
			b.StopTimer()
			cancel()
			wg.Wait()
			b.ReportMetric(float64(jobs*b.N)/elapsed.Seconds(), "jobs/s")
		})
	}
}
