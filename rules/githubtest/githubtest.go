// Package githubtest is an in-process GitHub REST API for the repository checks: GET
// /repos/{owner}/{repo} answering as api.github.com does (the repository's JSON, 301 with a Location
// to /repositories/{id} for a moved repository, 404 and 401 with GitHub's JSON bodies, 403 with
// X-RateLimit-Remaining: 0 when the rate limit is exhausted). It counts requests and the most in
// flight, and can add latency and failures.
package githubtest

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

// Server is a fake GitHub API. Configure it before sending requests.
type Server struct {
	*httptest.Server
	// Latency is added to every answer.
	Latency time.Duration
	// Fail, when set, returns a status to answer a repository request with (0: answer normally).
	Fail func(owner, repo string) int

	mu       sync.Mutex
	token    string
	repos    map[string]repo // lowercased full name -> repository
	moved    map[string]string
	byID     map[int]string
	requests int
	inFlight int
	maxIn    int
}

type repo struct {
	id       int
	fullName string
	archived bool
}

// New starts a fake GitHub accepting token.
func New(token string) *Server {
	s := &Server{token: token, repos: map[string]repo{}, moved: map[string]string{}, byID: map[int]string{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// AddRepo adds a repository owner/name.
func (s *Server) AddRepo(fullName string, archived bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := len(s.byID) + 1000
	s.repos[strings.ToLower(fullName)] = repo{id: id, fullName: fullName, archived: archived}
	s.byID[id] = strings.ToLower(fullName)
}

// Move makes old a former name of the repository now at fullName (a rename or a transfer).
func (s *Server) Move(old, fullName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.moved[strings.ToLower(old)] = strings.ToLower(fullName)
}

// Requests returns how many requests arrived and the most that were in flight at once.
func (s *Server) Requests() (total, maxInFlight int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests, s.maxIn
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	s.inFlight++
	if s.inFlight > s.maxIn {
		s.maxIn = s.inFlight
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	if s.Latency > 0 {
		time.Sleep(s.Latency)
	}
	w.Header().Set("X-RateLimit-Limit", "5000")
	w.Header().Set("X-RateLimit-Remaining", "4999")
	w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
	if r.Header.Get("Authorization") != "Bearer "+s.token {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(parts) == 2 && parts[0] == "repositories":
		id, _ := strconv.Atoi(parts[1])
		s.mu.Lock()
		name, ok := s.byID[id]
		rp := s.repos[name]
		s.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found", "documentation_url": "https://docs.github.com/rest/repos/repos#get-a-repository"})
			return
		}
		s.writeRepo(w, rp)
	case len(parts) == 3 && parts[0] == "repos":
		owner, name := parts[1], parts[2]
		if s.Fail != nil {
			switch status := s.Fail(owner, name); status {
			case 0:
			case http.StatusForbidden:
				w.Header().Set("X-RateLimit-Remaining", "0")
				writeJSON(w, status, map[string]string{"message": "API rate limit exceeded for installation ID 1.", "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"})
				return
			default:
				writeJSON(w, status, map[string]string{"message": http.StatusText(status)})
				return
			}
		}
		key := strings.ToLower(owner + "/" + name)
		s.mu.Lock()
		rp, ok := s.repos[key]
		to, moved := s.moved[key]
		target := s.repos[to]
		s.mu.Unlock()
		switch {
		case ok:
			s.writeRepo(w, rp)
		case moved:
			loc := fmt.Sprintf("http://%s/repositories/%d", r.Host, target.id)
			w.Header().Set("Location", loc)
			writeJSON(w, http.StatusMovedPermanently, map[string]string{"message": "Moved Permanently", "url": loc, "documentation_url": "https://docs.github.com/v3/#http-redirects"})
		default:
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found", "documentation_url": "https://docs.github.com/rest/repos/repos#get-a-repository"})
		}
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
	}
}

func (s *Server) writeRepo(w http.ResponseWriter, rp repo) {
	owner, name, _ := strings.Cut(rp.fullName, "/")
	writeJSON(w, http.StatusOK, map[string]any{
		"id": rp.id, "name": name, "full_name": rp.fullName, "archived": rp.archived, "private": false,
		"owner": map[string]any{"login": owner}, "html_url": "https://github.com/" + rp.fullName,
	})
}
