package webhook

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is what GET /metrics exposes, with the Prometheus client: deliveries by event and outcome,
// jobs by outcome with their latency, GitHub and Sentry requests by status, the queue's depth and
// oldest job (read from the queue at each scrape: with PostgreSQL, for every replica at once), and
// the Go and process collectors. Each Metrics has its own registry.
type Metrics struct {
	registry   *prometheus.Registry
	deliveries *prometheus.CounterVec
	jobs       *prometheus.CounterVec
	jobSeconds prometheus.Histogram
	requests   *prometheus.CounterVec
}

// NewMetrics returns zeroed metrics on a registry of their own.
func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "catalog_lint_webhook_deliveries_total",
			Help: "Webhook deliveries by event and outcome."}, []string{"event", "outcome"}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "catalog_lint_jobs_total",
			Help: "Job attempts by outcome: completed, failed (given up), expired (too old), retried, snoozed (rate limit)."}, []string{"outcome"}),
		jobSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "catalog_lint_job_seconds",
			Help:    "Time from delivery to a finished job (completed, failed or expired).",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600}}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "catalog_lint_requests_total",
			Help: "Requests to GitHub and Sentry by status (0: no answer)."}, []string{"service", "status"}),
	}
	m.registry.MustRegister(m.deliveries, m.jobs, m.jobSeconds, m.requests,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *Metrics) delivery(event, outcome string) {
	// A client chooses the header: keep the label set small and the label text plain.
	if len(event) == 0 || len(event) > 40 || strings.Trim(event, "abcdefghijklmnopqrstuvwxyz_") != "" {
		event = "other"
	}
	m.deliveries.WithLabelValues(event, outcome).Inc()
}

// Job records a job outcome; finished jobs also record how long they took from their delivery.
func (m *Metrics) Job(outcome string, d time.Duration, finished bool) {
	m.jobs.WithLabelValues(outcome).Inc()
	if finished {
		m.jobSeconds.Observe(d.Seconds())
	}
}

// Request records an HTTP exchange with "github" or "sentry"; status 0 means no answer arrived.
func (m *Metrics) Request(service string, status int) {
	m.requests.WithLabelValues(service, strconv.Itoa(status)).Inc()
}

// watchQueue exposes q's depth and oldest job age, read at each scrape.
func (m *Metrics) watchQueue(q Queue) {
	err := m.registry.Register(&queueCollector{q: q,
		depth: prometheus.NewDesc("catalog_lint_queue_depth", "Jobs waiting for a worker (snoozed and retrying ones included).", nil, nil),
		age:   prometheus.NewDesc("catalog_lint_queue_oldest_job_seconds", "Time since the delivery of the oldest waiting job.", nil, nil),
		up:    prometheus.NewDesc("catalog_lint_queue_up", "1 when the queue's store answered this scrape.", nil, nil),
	})
	var already prometheus.AlreadyRegisteredError
	if err != nil && !errors.As(err, &already) {
		panic(err) // only a programming error: the descriptors are fixed
	}
}

func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

type queueCollector struct {
	q              Queue
	depth, age, up *prometheus.Desc
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.depth; ch <- c.age; ch <- c.up }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := c.q.Stats(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(st.Depth))
	ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, st.Oldest.Seconds())
}
