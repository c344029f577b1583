package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
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
	// Queue stores accepted jobs: a Spool, or a RiverQueue shared by every replica.
	Queue Queue
	// Logger gets one line per delivery; never a payload, a token or the secret.
	Logger zerolog.Logger
	// MaxBody overrides MaxBody (tests).
	MaxBody int64
	// Metrics are shared with the workers, the GitHub App and the Sentry client (nil: the server's own).
	Metrics *Metrics
	// GitLabSecret, when set, is the secret token of GitLab's project and group webhooks, which POST
	// /gitlab then accepts (GITLAB_WEBHOOK_SECRET).
	GitLabSecret []byte
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
	if len(cfg.Secret) == 0 && len(cfg.GitLabSecret) == 0 {
		return nil, errors.New("webhook: a webhook secret is required (GITHUB_WEBHOOK_SECRET, GITLAB_WEBHOOK_SECRET); without one any request would be trusted")
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
	cfg.Metrics.watchQueue(cfg.Queue)
	s := &Server{cfg: cfg, log: cfg.Logger, engine: gin.New(), metrics: cfg.Metrics}
	s.accepting.Store(true)
	s.engine.Use(gin.Recovery())
	if len(cfg.Secret) > 0 {
		s.engine.POST("/webhook", s.webhook)
	}
	if len(cfg.GitLabSecret) > 0 {
		s.engine.POST("/gitlab", s.gitlab)
	}
	s.engine.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok\n") })
	s.engine.GET("/readyz", s.ready)
	s.engine.GET("/metrics", gin.WrapH(cfg.Metrics.handler()))
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
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	st, err := s.cfg.Queue.Stats(ctx)
	switch {
	case err != nil:
		// Said without the error's text: it may name the database's address.
		s.log.Warn().Msg("readyz: the queue's store does not answer")
		c.String(http.StatusServiceUnavailable, "queue unavailable\n")
	case st.Depth >= st.Capacity:
		c.String(http.StatusServiceUnavailable, "queue full\n")
	default:
		c.String(http.StatusOK, "ready\n")
	}
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

	body, ok := s.readBody(c, log, answer)
	if !ok {
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
	if s.decoded(job, why, err, log, answer) {
		job.Delivery, job.Event, job.Received = delivery, event, time.Now().UTC()
		job.Key = keyFor(job.Owner, job.Repo, job.HeadSHA, job.Kind, delivery)
		s.enqueue(job, log, answer)
	}
}

// readBody reads a delivery's body up to MaxBody; false when it has answered already (413, 400).
func (s *Server) readBody(c *gin.Context, log zerolog.Logger, answer func(status int, outcome, msg string)) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			log.Warn().Int64("limit", s.cfg.MaxBody).Msg("payload too large")
			answer(http.StatusRequestEntityTooLarge, "too_large", "payload larger than the limit")
			return nil, false
		}
		answer(http.StatusBadRequest, "unreadable", "could not read the body")
		return nil, false
	}
	return body, true
}

// decoded answers a delivery whose payload could not become a job (400 malformed, 202 ignored) or
// that comes while the server stops (503), and says whether the job is to be queued.
func (s *Server) decoded(job *Job, why string, err error, log zerolog.Logger, answer func(status int, outcome, msg string)) bool {
	switch {
	case err != nil:
		log.Info().Err(err).Msg("malformed payload")
		answer(http.StatusBadRequest, "malformed", err.Error())
	case job == nil:
		log.Debug().Str("reason", why).Msg("ignored")
		answer(http.StatusAccepted, "ignored", why)
	case !s.accepting.Load():
		answer(http.StatusServiceUnavailable, "shutting_down", "the server is shutting down; redeliver later")
	default:
		return true
	}
	return false
}

// enqueue stores an accepted delivery's job and answers: queued, a duplicate of a pending job, or
// 503 when it cannot be stored (the sender records a failed delivery, to redeliver).
func (s *Server) enqueue(job *Job, log zerolog.Logger, answer func(status int, outcome, msg string)) {
	log = log.With().Str("repository", job.Owner+"/"+job.Repo).Str("sha", job.HeadSHA).Logger()
	added, err := s.cfg.Queue.Add(job)
	switch {
	case errors.Is(err, ErrQueueFull):
		log.Warn().Msg("queue full")
		answer(http.StatusServiceUnavailable, "queue_full", "too many jobs waiting; redeliver later")
	case err != nil:
		// Nothing is accepted that is not stored: GitHub records a failed delivery, to redeliver.
		log.Error().Err(err).Msg("could not store the job")
		answer(http.StatusServiceUnavailable, "queue_unavailable", "could not store the job; redeliver later")
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
	j := &Job{Owner: owner, Repo: p.Repository.Name, Installation: p.Installation.ID, Kind: KindRerun}
	switch event {
	case "push":
		switch {
		case !strings.HasPrefix(p.Ref, "refs/heads/"):
			return nil, "push of " + p.Ref + " is not a branch", nil
		case p.Deleted || p.After == zeroSHA:
			return nil, "branch deletion", nil
		}
		j.HeadSHA, j.Kind = p.After, KindPush
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
		j.Kind = KindPullRequest
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
	j.Key = jobKey(j.Owner, j.Repo, j.HeadSHA) // the server adds the kind (and a re-run's delivery)
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
