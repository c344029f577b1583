// Package integrationstest serves fakes of the APIs the integrations ask, built from their public
// references: the paths, authentication headers, status codes, bodies and rate-limit headers each
// service really uses. Each fake counts requests per path and the most in flight at once.
package integrationstest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server is one fake service.
type Server struct {
	*httptest.Server
	// Latency is added to every answer.
	Latency time.Duration
	// Fail, when it returns a status, answers the request with it (and a body echoing the request's
	// credentials, as a careless proxy might) instead of the API's answer.
	Fail func(r *http.Request) int

	mu          sync.Mutex
	requests    map[string]int
	total       int
	inFlight    int
	maxInFlight int
	throttle    int
	throttleFor time.Duration
	limit       func(h http.Header, wait time.Duration)
	handle      func(w http.ResponseWriter, r *http.Request)
}

func newServer(limit func(h http.Header, wait time.Duration), handle func(w http.ResponseWriter, r *http.Request)) *Server {
	s := &Server{requests: map[string]int{}, limit: limit, handle: handle}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests[r.URL.EscapedPath()+"?"+r.URL.RawQuery]++
	s.total++
	s.inFlight++
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
	throttled := s.throttle > 0
	if throttled {
		s.throttle--
	}
	wait := s.throttleFor
	latency := s.Latency
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	if latency > 0 {
		time.Sleep(latency)
	}
	if throttled {
		s.limit(w.Header(), wait)
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"message": "Too Many Requests"})
		return
	}
	if s.Fail != nil {
		if status := s.Fail(r); status != 0 {
			http.Error(w, fmt.Sprintf("upstream failed for %s %s %s", r.Header.Get("Authorization"), r.Header.Get("Private-Token"), r.URL), status)
			return
		}
	}
	s.handle(w, r)
}

// Throttle makes the next n requests answer 429, with the service's headers saying to wait.
func (s *Server) Throttle(n int, wait time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle, s.throttleFor = n, wait
}

// Requests is how many requests were made, in all and per path?query.
func (s *Server) Requests() (int, map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.requests {
		out[k] = v
	}
	return s.total, out
}

// MaxInFlight is the most requests that were in flight at once.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInFlight
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// SonarQube is a fake SonarQube Server (Web API, api/components/show): projects by key, one user
// token sent as Bearer. Without it SonarQube answers 401 with an empty body.
func SonarQube(token string, projects ...string) *Server {
	known := map[string]bool{}
	for _, p := range projects {
		known[p] = true
	}
	return newServer(retryAfterHeaders, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.URL.Path != "/api/components/show" {
			writeJSON(w, http.StatusNotFound, map[string]any{"errors": []map[string]string{{"msg": "Unknown url : " + r.URL.Path}}})
			return
		}
		key := r.URL.Query().Get("component")
		if !known[key] {
			writeJSON(w, http.StatusNotFound, map[string]any{"errors": []map[string]string{{"msg": fmt.Sprintf("Component key '%s' not found", key)}}})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"component": map[string]any{"key": key, "name": key, "qualifier": "TRK", "visibility": "private"}})
	})
}

// PagerDuty is a fake PagerDuty REST API v2 (GET /services/{id}): an API key sent as
// `Token token=…`; errors are {"error":{"message","code"}} (2006 unauthorized, 2100 not found);
// its rate limit answers 429 with ratelimit-* headers, the reset in seconds.
func PagerDuty(token string, services ...string) *Server {
	known := map[string]bool{}
	for _, s := range services {
		known[s] = true
	}
	return newServer(func(h http.Header, wait time.Duration) {
		h.Set("ratelimit-limit", "960")
		h.Set("ratelimit-remaining", "0")
		h.Set("ratelimit-reset", strconv.Itoa(int(wait.Seconds())))
	}, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Token token="+token {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{"message": "Unauthorized", "code": 2006}})
			return
		}
		id, ok := strings.CutPrefix(r.URL.Path, "/services/")
		if !ok || !known[id] {
			writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]any{"message": "Not Found", "code": 2100}})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"service": map[string]any{"id": id, "type": "service", "summary": "Service " + id,
			"name": "Service " + id, "status": "active", "html_url": "https://acme.pagerduty.com/service-directory/" + id}})
	})
}

// Jira is a fake Jira: Cloud (/rest/api/3, Basic email:token) when email is set, else Data Center
// (/rest/api/2, Bearer personal access token). Projects are keys; Renamed maps an old key to the
// project's current one (Jira keeps answering old keys); JiraComponents gives a project's
// components (GET /project/{key}/components, a JSON array).
func Jira(email, token string, projects []string, renamed map[string]string) *Server {
	return JiraWithComponents(email, token, projects, renamed, nil)
}

// JiraWithComponents is Jira whose projects have the given components.
func JiraWithComponents(email, token string, projects []string, renamed map[string]string, components map[string][]string) *Server {
	known := map[string]bool{}
	for _, p := range projects {
		known[p] = true
	}
	version, auth := "2", "Bearer "+token
	if email != "" {
		version = "3"
		auth = "Basic " + basic(email, token)
	}
	return newServer(func(h http.Header, wait time.Duration) {
		h.Set("Retry-After", strconv.Itoa(int(wait.Seconds())))
		h.Set("X-RateLimit-Reset", time.Now().Add(wait).UTC().Format("2006-01-02T15:04Z"))
	}, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != auth {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte("Client must be authenticated to access this resource."))
			return
		}
		key, ok := strings.CutPrefix(r.URL.Path, "/rest/api/"+version+"/project/")
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]any{"errorMessages": []string{"null for uri: " + r.URL.String()}})
			return
		}
		key, listComponents := strings.CutSuffix(key, "/components")
		key = strings.ToUpper(key)
		if to, ok := renamed[key]; ok {
			key = to
		}
		if !known[key] {
			writeJSON(w, http.StatusNotFound, map[string]any{"errorMessages": []string{fmt.Sprintf("No project could be found with key '%s'.", key)}, "errors": map[string]any{}})
			return
		}
		if listComponents {
			list := []map[string]any{}
			for i, c := range components[key] {
				list = append(list, map[string]any{"id": strconv.Itoa(10000 + i), "name": c, "project": key, "assigneeType": "PROJECT_DEFAULT"})
			}
			writeJSON(w, http.StatusOK, list)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": "10000", "key": key, "name": "Project " + key, "projectTypeKey": "software", "components": []any{}})
	})
}

// GitLab is a fake GitLab REST API v4 (GET /projects/:id): a token in PRIVATE-TOKEN or as Bearer;
// projects by full path (their IDs are their positions, from 1); Moved maps an old path to the
// project's current one (GitLab answers old paths with the project). Its rate limit answers 429 with
// Retry-After and RateLimit-Reset (a Unix time).
func GitLab(token string, projects []string, moved map[string]string) *Server {
	byPath := map[string]int{}
	for i, p := range projects {
		byPath[strings.ToLower(p)] = i + 1
	}
	return newServer(func(h http.Header, wait time.Duration) {
		h.Set("Retry-After", strconv.Itoa(int(wait.Seconds())))
		h.Set("RateLimit-Reset", strconv.FormatInt(time.Now().Add(wait).Unix(), 10))
		h.Set("RateLimit-Remaining", "0")
	}, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Private-Token") != token && r.Header.Get("Authorization") != "Bearer "+token {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "401 Unauthorized"})
			return
		}
		raw, ok := strings.CutPrefix(r.URL.EscapedPath(), "/api/v4/projects/")
		if !ok || strings.Contains(raw, "/") { // a path's slashes must come escaped
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "404 Not Found"})
			return
		}
		id := strings.ReplaceAll(raw, "%2F", "/")
		id = strings.ReplaceAll(id, "%2f", "/")
		n, err := strconv.Atoi(id)
		if err != nil {
			path := strings.ToLower(id)
			if to, ok := moved[path]; ok {
				path = strings.ToLower(to)
			}
			n = byPath[path]
		}
		if n < 1 || n > len(projects) {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Project Not Found"})
			return
		}
		p := projects[n-1]
		name := p[strings.LastIndex(p, "/")+1:]
		writeJSON(w, http.StatusOK, map[string]any{"id": n, "name": name, "path": name, "path_with_namespace": p,
			"web_url": "https://gitlab.example/" + p, "default_branch": "main"})
	})
}

func retryAfterHeaders(h http.Header, wait time.Duration) {
	h.Set("Retry-After", strconv.Itoa(int(wait.Seconds())))
}

func basic(user, password string) string {
	req, _ := http.NewRequest(http.MethodGet, "http://x", nil)
	req.SetBasicAuth(user, password)
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}
