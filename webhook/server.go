package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"
)

// MaxBody is GitHub's cap on webhook payloads (25 MB); anything larger is refused with 413.
const MaxBody = 25 << 20

// Config configures a Server.
type Config struct {
	// Secret is the webhook secret. It is required: without it every delivery would be accepted.
	Secret []byte
	// AppID filters check_run events to the runs of this App (0: no filter).
	AppID int64
	// Queue receives accepted jobs.
	Queue *Queue
	// Logger gets one line per delivery; never a payload, a token or the secret.
	Logger zerolog.Logger
	// MaxBody overrides MaxBody (tests).
	MaxBody int64
	// Metrics are shared with the workers, the GitHub App and the Sentry client (nil: the server's own).
	Metrics *Metrics
}

// Server receives GitHub webhook deliveries.
type Server struct {
	cfg       Config
	log       zerolog.Logger
	engine    *gin.Engine
	accepting atomic.Bool
	metrics   *Metrics
}

// NewServer checks the configuration and builds the HTTP routes: POST /webhook, GET /healthz,
// GET /readyz and GET /metrics.
func NewServer(cfg Config) (*Server, error) {
	if len(cfg.Secret) == 0 {
		return nil, errors.New("webhook: a webhook secret is required (GITHUB_WEBHOOK_SECRET); without one any request would be trusted")
	}
	if cfg.Queue == nil {
		return nil, errors.New("webhook: a queue is required")
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = MaxBody
	}
	gin.SetMode(gin.ReleaseMode)
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	s := &Server{cfg: cfg, log: cfg.Logger, engine: gin.New(), metrics: cfg.Metrics}
	s.accepting.Store(true)
	s.engine.Use(gin.Recovery())
	s.engine.POST("/webhook", s.webhook)
	s.engine.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok\n") })
	s.engine.GET("/readyz", s.ready)
	s.engine.GET("/metrics", s.serveMetrics)
	return s, nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.engine }

// StopAccepting makes new deliveries answer 503 (shutting down) and /readyz report not ready.
func (s *Server) StopAccepting() { s.accepting.Store(false) }

func (s *Server) ready(c *gin.Context) {
	if !s.accepting.Load() {
		c.String(http.StatusServiceUnavailable, "shutting down\n")
		return
	}
	if s.cfg.Queue.Depth() >= s.cfg.Queue.Capacity() {
		c.String(http.StatusServiceUnavailable, "queue full\n")
		return
	}
	c.String(http.StatusOK, "ready\n")
}

// webhook checks the signature before reading anything from the payload, then queues a job.
func (s *Server) webhook(c *gin.Context) {
	event := c.GetHeader("X-GitHub-Event")
	delivery := c.GetHeader("X-GitHub-Delivery")
	log := s.log.With().Str("delivery", delivery).Str("event", event).Logger()
	answer := func(status int, outcome, msg string) {
		s.metrics.delivery(event, outcome)
		c.JSON(status, gin.H{"outcome": outcome, "message": msg})
	}

	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			log.Warn().Int64("limit", s.cfg.MaxBody).Msg("payload too large")
			answer(http.StatusRequestEntityTooLarge, "too_large", "payload larger than the limit")
			return
		}
		answer(http.StatusBadRequest, "unreadable", "could not read the body")
		return
	}
	sig := c.GetHeader("X-Hub-Signature-256")
	if !strings.HasPrefix(sig, "sha256=") || github.ValidateSignature(sig, body, s.cfg.Secret) != nil {
		// ValidateSignature compares with hmac.Equal, in constant time.
		log.Warn().Bool("signature_present", sig != "").Msg("signature missing or wrong")
		answer(http.StatusUnauthorized, "bad_signature", "missing or invalid X-Hub-Signature-256")
		return
	}
	payload, err := payloadOf(c.GetHeader("Content-Type"), body)
	if err != nil {
		answer(http.StatusBadRequest, "malformed", err.Error())
		return
	}
	if event == "ping" {
		log.Info().Msg("ping")
		answer(http.StatusOK, "pong", "pong")
		return
	}
	job, why, err := jobFor(event, payload, s.cfg.AppID)
	if err != nil {
		log.Info().Err(err).Msg("malformed payload")
		answer(http.StatusBadRequest, "malformed", err.Error())
		return
	}
	if job == nil {
		log.Debug().Str("reason", why).Msg("ignored")
		answer(http.StatusAccepted, "ignored", why)
		return
	}
	if !s.accepting.Load() {
		answer(http.StatusServiceUnavailable, "shutting_down", "the server is shutting down; redeliver later")
		return
	}
	job.Delivery, job.Event, job.Received = delivery, event, time.Now().UTC()
	log = log.With().Str("repository", job.Owner+"/"+job.Repo).Str("sha", job.HeadSHA).Logger()
	added, err := s.cfg.Queue.Add(job)
	switch {
	case errors.Is(err, ErrQueueFull):
		log.Warn().Msg("queue full")
		answer(http.StatusServiceUnavailable, "queue_full", "too many jobs waiting; redeliver later")
	case err != nil:
		log.Error().Err(err).Msg("could not spool the job")
		answer(http.StatusInternalServerError, "spool_error", "could not record the job")
	case !added:
		log.Info().Msg("duplicate of a pending job")
		answer(http.StatusAccepted, "duplicate", "this commit is already queued")
	default:
		log.Info().Msg("queued")
		answer(http.StatusAccepted, "queued", "queued")
	}
}

// payloadOf returns the JSON payload of a delivery: the body, or its `payload` form field when the
// hook was set up with content type application/x-www-form-urlencoded.
func payloadOf(contentType string, body []byte) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil && contentType != "" {
		return nil, fmt.Errorf("unsupported Content-Type %q", contentType)
	}
	switch mt {
	case "", "application/json":
		return body, nil
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, errors.New("malformed form body")
		}
		return []byte(form.Get("payload")), nil
	}
	return nil, fmt.Errorf("unsupported Content-Type %q", contentType)
}

// The parts of GitHub's payloads a job needs. Decoding into these rather than go-github's full event
// types keeps a hostile payload from costing more than its own size.
type repoRef struct {
	Name  string `json:"name"`
	Owner struct {
		Login string `json:"login"`
		Name  string `json:"name"`
	} `json:"owner"`
}

type installationRef struct {
	ID int64 `json:"id"`
}

const zeroSHA = "0000000000000000000000000000000000000000"

// jobFor turns a delivery into a job, or says why it needs none.
func jobFor(event string, payload []byte, appID int64) (*Job, string, error) {
	var p struct {
		Action       string           `json:"action"`
		Ref          string           `json:"ref"`
		Before       string           `json:"before"`
		After        string           `json:"after"`
		Deleted      bool             `json:"deleted"`
		Repository   *repoRef         `json:"repository"`
		Installation *installationRef `json:"installation"`
		PullRequest  *struct {
			Number int `json:"number"`
			Head   struct {
				SHA string `json:"sha"`
			} `json:"head"`
			Base struct {
				SHA string `json:"sha"`
			} `json:"base"`
		} `json:"pull_request"`
		CheckSuite *struct {
			HeadSHA string `json:"head_sha"`
			Before  string `json:"before"`
		} `json:"check_suite"`
		CheckRun *struct {
			HeadSHA string `json:"head_sha"`
			App     struct {
				ID int64 `json:"id"`
			} `json:"app"`
		} `json:"check_run"`
	}
	switch event {
	case "push", "pull_request", "check_suite", "check_run":
	default:
		return nil, "event " + event + " is not handled", nil
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, "", fmt.Errorf("malformed %s payload: %v", event, jsonError(err))
	}
	if p.Repository == nil || p.Repository.Name == "" {
		return nil, "", fmt.Errorf("malformed %s payload: no repository", event)
	}
	owner := p.Repository.Owner.Login
	if owner == "" {
		owner = p.Repository.Owner.Name // push payloads name the owner both ways
	}
	if owner == "" {
		return nil, "", fmt.Errorf("malformed %s payload: no repository owner", event)
	}
	if p.Installation == nil || p.Installation.ID == 0 {
		return nil, "the delivery names no installation of the App", nil
	}
	j := &Job{Owner: owner, Repo: p.Repository.Name, Installation: p.Installation.ID}
	switch event {
	case "push":
		switch {
		case !strings.HasPrefix(p.Ref, "refs/heads/"):
			return nil, "push of " + p.Ref + " is not a branch", nil
		case p.Deleted || p.After == zeroSHA:
			return nil, "branch deletion", nil
		}
		j.HeadSHA = p.After
		if p.Before != zeroSHA {
			j.BaseSHA = p.Before
		}
	case "pull_request":
		switch p.Action {
		case "opened", "synchronize", "reopened":
		default:
			return nil, "pull_request action " + p.Action + " is not handled", nil
		}
		if p.PullRequest == nil {
			return nil, "", errors.New("malformed pull_request payload: no pull_request")
		}
		j.HeadSHA, j.BaseSHA, j.PullRequest = p.PullRequest.Head.SHA, p.PullRequest.Base.SHA, p.PullRequest.Number
	case "check_suite":
		// "requested" comes with every push, which the push event already covers: only a re-run
		// from GitHub's UI asks for a new lint.
		if p.Action != "rerequested" {
			return nil, "check_suite action " + p.Action + " is not handled", nil
		}
		if p.CheckSuite == nil {
			return nil, "", errors.New("malformed check_suite payload: no check_suite")
		}
		j.HeadSHA, j.BaseSHA = p.CheckSuite.HeadSHA, p.CheckSuite.Before
		if j.BaseSHA == zeroSHA {
			j.BaseSHA = ""
		}
	case "check_run":
		if p.Action != "rerequested" {
			return nil, "check_run action " + p.Action + " is not handled", nil
		}
		if p.CheckRun == nil {
			return nil, "", errors.New("malformed check_run payload: no check_run")
		}
		if appID != 0 && p.CheckRun.App.ID != appID {
			return nil, "check run of another App", nil
		}
		j.HeadSHA = p.CheckRun.HeadSHA
	}
	if !isSHA(j.HeadSHA) {
		return nil, "", fmt.Errorf("malformed %s payload: head SHA %q", event, truncate(j.HeadSHA, 64))
	}
	if j.BaseSHA != "" && !isSHA(j.BaseSHA) {
		return nil, "", fmt.Errorf("malformed %s payload: base SHA %q", event, truncate(j.BaseSHA, 64))
	}
	j.Key = jobKey(j.Owner, j.Repo, j.HeadSHA)
	return j, "", nil
}

func isSHA(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// jsonError keeps a decoding error's kind without echoing payload text back.
func jsonError(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %s has the wrong type", te.Field)
	}
	return "invalid JSON"
}

// Metrics counts what the server does, for GET /metrics in Prometheus' text format: deliveries by
// event and outcome, jobs by outcome with their latency, and GitHub and Sentry requests by status.
type Metrics struct {
	mu         sync.Mutex
	deliveries map[[2]string]int64
	jobs       map[string]int64
	jobSeconds float64
	requests   map[[2]string]int64 // service, status
}

// NewMetrics returns empty counters.
func NewMetrics() *Metrics {
	return &Metrics{deliveries: map[[2]string]int64{}, jobs: map[string]int64{}, requests: map[[2]string]int64{}}
}

func (m *Metrics) delivery(event, outcome string) {
	// A client chooses the header: keep the label set small and the label text plain.
	if len(event) == 0 || len(event) > 40 || strings.Trim(event, "abcdefghijklmnopqrstuvwxyz_") != "" {
		event = "other"
	}
	m.mu.Lock()
	m.deliveries[[2]string{event, outcome}]++
	m.mu.Unlock()
}

// Job records a finished job ("completed" or "failed") and how long it took from its delivery.
func (m *Metrics) Job(outcome string, d time.Duration) {
	m.mu.Lock()
	m.jobs[outcome]++
	m.jobSeconds += d.Seconds()
	m.mu.Unlock()
}

// Request records an HTTP exchange with "github" or "sentry"; status 0 means no answer arrived.
func (m *Metrics) Request(service string, status int) {
	m.mu.Lock()
	m.requests[[2]string{service, fmt.Sprint(status)}]++
	m.mu.Unlock()
}

func sortedKeys[K comparable](m map[K]int64, less func(a, b K) bool) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return less(keys[i], keys[j]) })
	return keys
}

func (s *Server) serveMetrics(c *gin.Context) {
	m := s.metrics
	var b strings.Builder
	pair := func(a, b [2]string) bool { return a[0]+"\x00"+a[1] < b[0]+"\x00"+b[1] }
	m.mu.Lock()
	b.WriteString("# HELP catalog_lint_webhook_deliveries_total Webhook deliveries by event and outcome.\n")
	b.WriteString("# TYPE catalog_lint_webhook_deliveries_total counter\n")
	for _, k := range sortedKeys(m.deliveries, pair) {
		fmt.Fprintf(&b, "catalog_lint_webhook_deliveries_total{event=%q,outcome=%q} %d\n", k[0], k[1], m.deliveries[k])
	}
	b.WriteString("# HELP catalog_lint_jobs_total Jobs finished, by outcome.\n# TYPE catalog_lint_jobs_total counter\n")
	var jobs int64
	for _, k := range sortedKeys(m.jobs, func(a, b string) bool { return a < b }) {
		fmt.Fprintf(&b, "catalog_lint_jobs_total{outcome=%q} %d\n", k, m.jobs[k])
		jobs += m.jobs[k]
	}
	b.WriteString("# HELP catalog_lint_job_seconds Time from delivery to finished job.\n# TYPE catalog_lint_job_seconds summary\n")
	fmt.Fprintf(&b, "catalog_lint_job_seconds_sum %g\ncatalog_lint_job_seconds_count %d\n", m.jobSeconds, jobs)
	b.WriteString("# HELP catalog_lint_requests_total Requests to GitHub and Sentry by status (0: no answer).\n# TYPE catalog_lint_requests_total counter\n")
	for _, k := range sortedKeys(m.requests, pair) {
		fmt.Fprintf(&b, "catalog_lint_requests_total{service=%q,status=%q} %d\n", k[0], k[1], m.requests[k])
	}
	m.mu.Unlock()
	b.WriteString("# HELP catalog_lint_queue_depth Jobs waiting for a worker.\n# TYPE catalog_lint_queue_depth gauge\n")
	fmt.Fprintf(&b, "catalog_lint_queue_depth %d\n", s.cfg.Queue.Depth())
	c.Data(http.StatusOK, "text/plain; version=0.0.4; charset=utf-8", []byte(b.String()))
}
