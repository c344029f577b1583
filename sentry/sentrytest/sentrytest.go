// Package sentrytest is an in-process Sentry Web API for tests: the two endpoints catalog-lint uses,
// answering as sentry.io does (see ../../docs/sentry.md and the sources cited there): offset-paginator
// Link headers with results="true|false", {"detail": ...} error bodies, WWW-Authenticate on 401,
// scope checks before any lookup, 302 for renamed projects, 429 with X-Sentry-Rate-Limit-* headers and
// no Retry-After. It counts requests and can inject latency and failures.
package sentrytest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Token is a credential the server accepts, with its scopes and the organizations it may see (nil:
// all).
type Token struct {
	Scopes []string
	Orgs   []string
}

// Server is a fake Sentry. Configure it before sending requests; the counters are safe to read at any
// time.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	orgs     map[string][]Project
	renames  map[string]map[string]string // org -> old slug -> new slug
	tokens   map[string]Token
	inFlight map[string]int
	maxIn    map[string]int
	counts   map[string]int

	// HonorAllProjects answers all_projects=1 with every project at once, as sentry.io does; false
	// behaves like a server that ignores the parameter and paginates.
	HonorAllProjects bool
	// Latency is added to every answer.
	Latency time.Duration
	// Fail, when set, may take over a request: it returns a status to answer with (0: answer
	// normally). Use it for 5xx, 429 and timeouts (sleep longer than the client's timeout).
	Fail func(r *http.Request, n int) int
	// Now is the clock for X-Sentry-Rate-Limit-Reset.
	Now func() time.Time
	// Authorize, when set, is asked about tokens AddToken does not know: tokens that an access broker
	// issued, which are valid until they expire.
	Authorize func(token string) (Token, bool)
	// EchoToken makes 403 answers repeat the Authorization header, as a hostile or broken server
	// might, to prove that clients never print it.
	EchoToken bool
}

// Project is a project of the fake.
type Project struct {
	ID, Slug, Name string
}

// New starts a fake Sentry. Stop it with Close.
func New() *Server {
	s := &Server{
		orgs: map[string][]Project{}, renames: map[string]map[string]string{}, tokens: map[string]Token{},
		inFlight: map[string]int{}, maxIn: map[string]int{}, counts: map[string]int{},
		HonorAllProjects: true, Now: time.Now,
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// AddOrg creates an organization with n projects named prefix-0000 .. and IDs from 4500000001.
func (s *Server) AddOrg(org string, n int, prefix string) []Project {
	ps := make([]Project, n)
	for i := range ps {
		slug := fmt.Sprintf("%s-%04d", prefix, i)
		ps[i] = Project{ID: strconv.Itoa(4500000001 + i), Slug: slug, Name: strings.ToUpper(slug[:1]) + slug[1:]}
	}
	s.AddProjects(org, ps...)
	return ps
}

// AddProjects adds projects to an organization, creating it if needed.
func (s *Server) AddProjects(org string, ps ...Project) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.orgs[org] = append(s.orgs[org], ps...)
	sort.Slice(s.orgs[org], func(i, j int) bool { return s.orgs[org][i].Slug < s.orgs[org][j].Slug })
}

// Rename records that a project's old slug now redirects to a new one.
func (s *Server) Rename(org, oldSlug, newSlug string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.renames[org] == nil {
		s.renames[org] = map[string]string{}
	}
	s.renames[org][oldSlug] = newSlug
}

// AddToken accepts token with the given scopes (org:read, project:read, ...).
func (s *Server) AddToken(token string, t Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = t
}

// Requests returns the number of requests received, all endpoints together.
func (s *Server) Requests() int { return s.Count("") }

// Count returns the requests received whose path starts with prefix ("" for all).
func (s *Server) Count(prefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if prefix == "" {
		return s.counts[""]
	}
	n := 0
	for k, v := range s.counts {
		if k != "" && strings.HasPrefix(k, prefix) {
			n += v
		}
	}
	return n
}

// MaxInFlight returns the most requests about org the server had in progress at once.
func (s *Server) MaxInFlight(org string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxIn[org]
}

// ResetCounts zeroes the counters.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int{}
	s.maxIn = map[string]int{}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func detail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"detail": msg})
}

func (s *Server) rateHeaders(w http.ResponseWriter, remaining int) {
	h := w.Header()
	h.Set("X-Sentry-Rate-Limit-Limit", "40")
	h.Set("X-Sentry-Rate-Limit-Remaining", strconv.Itoa(remaining))
	h.Set("X-Sentry-Rate-Limit-Reset", strconv.FormatInt(s.Now().Add(time.Second).Unix(), 10))
	h.Set("X-Sentry-Rate-Limit-ConcurrentLimit", "25")
	h.Set("X-Sentry-Rate-Limit-ConcurrentRemaining", "24")
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	org := ""
	if len(parts) >= 4 {
		org = parts[3]
	}
	s.mu.Lock()
	s.counts[""]++
	n := s.counts[""]
	s.counts[r.URL.Path]++
	s.inFlight[org]++
	if s.inFlight[org] > s.maxIn[org] {
		s.maxIn[org] = s.inFlight[org]
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight[org]--
		s.mu.Unlock()
	}()
	if s.Latency > 0 {
		time.Sleep(s.Latency)
	}
	if s.Fail != nil {
		if status := s.Fail(r, n); status != 0 {
			if status == http.StatusTooManyRequests {
				s.rateHeaders(w, 0)
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.WriteHeader(status)
				_, _ = w.Write([]byte(`{"detail": "You are attempting to use this endpoint too frequently. Limit is 40 requests in 1 seconds"}`))
				return
			}
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(status)
			_, _ = w.Write([]byte("<h1>Server Error (500)</h1>"))
			return
		}
	}
	s.rateHeaders(w, 39)

	token, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	switch {
	case r.Method == http.MethodGet && len(parts) == 5 && parts[0] == "api" && parts[1] == "0" && parts[2] == "organizations" && parts[4] == "projects":
		s.listProjects(w, r, token, unescape(parts[3]))
	case r.Method == http.MethodGet && len(parts) == 5 && parts[0] == "api" && parts[1] == "0" && parts[2] == "projects":
		s.getProject(w, token, unescape(parts[3]), unescape(parts[4]))
	default:
		detail(w, http.StatusNotFound, "The requested resource does not exist")
	}
}

func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// authenticate checks the Bearer token as Sentry's authentication classes do.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (Token, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		w.Header().Set("WWW-Authenticate", `xBasic realm="api"`)
		detail(w, http.StatusUnauthorized, "Authentication credentials were not provided.")
		return Token{}, false
	}
	value, found := strings.CutPrefix(h, "Bearer ")
	if !found || value == "" {
		w.Header().Set("WWW-Authenticate", `xBasic realm="api"`)
		detail(w, http.StatusUnauthorized, "Invalid token header. No credentials provided.")
		return Token{}, false
	}
	s.mu.Lock()
	t, ok := s.tokens[value]
	s.mu.Unlock()
	if !ok && s.Authorize != nil {
		t, ok = s.Authorize(value)
	}
	if !ok {
		w.Header().Set("WWW-Authenticate", `xBasic realm="api"`)
		detail(w, http.StatusUnauthorized, "Invalid token")
		return Token{}, false
	}
	return t, true
}

func has(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// allowed applies the scope check (before any lookup, as DRF's check_permissions runs first) and
// the organization restriction of a token.
func (s *Server) allowed(w http.ResponseWriter, r *http.Request, t Token, org string, scopes ...string) bool {
	ok := false
	for _, sc := range scopes {
		ok = ok || has(t.Scopes, sc)
	}
	if !ok {
		msg := "You do not have permission to perform this action."
		if s.EchoToken && r != nil {
			msg += " (" + r.Header.Get("Authorization") + ")"
		}
		detail(w, http.StatusForbidden, msg)
		return false
	}
	if t.Orgs != nil && !has(t.Orgs, org) {
		detail(w, http.StatusNotFound, "The requested resource does not exist")
		return false
	}
	return true
}

func projectJSON(org string, p Project) map[string]any {
	return map[string]any{
		"id": p.ID, "slug": p.Slug, "name": p.Name, "platform": "python", "dateCreated": "2023-05-01T12:00:00.000000Z",
		"isBookmarked": false, "isMember": true, "hasAccess": true, "features": []string{"releases"},
		"firstEvent": nil, "firstTransactionEvent": false, "access": []string{"project:read"},
		"environments": []string{"production"}, "latestRelease": nil,
		"team":  map[string]any{"id": "2", "name": "Powerful Abolitionist", "slug": "powerful-abolitionist"},
		"teams": []map[string]any{{"id": "2", "name": "Powerful Abolitionist", "slug": "powerful-abolitionist"}},
	}
}

// listProjects is GET /api/0/organizations/{org}/projects/ with Sentry's OffsetPaginator.
func (s *Server) listProjects(w http.ResponseWriter, r *http.Request, t Token, org string) {
	if !s.allowed(w, r, t, org, "org:read", "org:write", "org:admin") {
		return
	}
	s.mu.Lock()
	projects, exists := s.orgs[org]
	projects = append([]Project(nil), projects...)
	s.mu.Unlock()
	if !exists {
		detail(w, http.StatusNotFound, "The requested resource does not exist")
		return
	}
	q := r.URL.Query()
	if s.HonorAllProjects && q.Get("all_projects") == "1" {
		out := make([]map[string]any, 0, len(projects))
		for _, p := range projects {
			out = append(out, projectJSON(org, p))
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	limit := 100
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			detail(w, http.StatusBadRequest, "Invalid per_page parameter.")
			return
		}
		if n < 1 || n > 100 {
			detail(w, http.StatusBadRequest, "Invalid per_page value. Must be between 1 and 100.")
			return
		}
		limit = n
	}
	page := 0
	if v := q.Get("cursor"); v != "" {
		f := strings.Split(v, ":")
		if len(f) != 3 {
			detail(w, http.StatusBadRequest, "Invalid cursor parameter.")
			return
		}
		nums := make([]int, 3)
		for i, x := range f {
			n, err := strconv.Atoi(x)
			if err != nil {
				detail(w, http.StatusBadRequest, "Invalid cursor parameter.")
				return
			}
			nums[i] = n
		}
		if nums[1] < 0 {
			detail(w, http.StatusBadRequest, "Pagination offset cannot be negative")
			return
		}
		page = nums[1]
	}
	start := page * limit
	end := min(start+limit, len(projects))
	out := []map[string]any{}
	if start < len(projects) {
		for _, p := range projects[start:end] {
			out = append(out, projectJSON(org, p))
		}
	}
	hasMore := len(projects) > start+limit
	// The Link header as src/sentry/api/base.py builds it: the request URL without its cursor, on
	// the installation's url-prefix (here deliberately another host, which clients must not follow).
	base := "https://sentry.invalid" + r.URL.Path + "?"
	qs := r.URL.Query()
	qs.Del("cursor")
	if enc := qs.Encode(); enc != "" {
		base += enc
	}
	link := func(rel string, cursor string, results bool) string {
		return fmt.Sprintf(`<%s&cursor=%s>; rel="%s"; results="%t"; cursor="%s"`, base, cursor, rel, results, cursor)
	}
	w.Header().Set("Link", link("previous", fmt.Sprintf("%d:%d:1", limit, page-1), page > 0)+", "+
		link("next", fmt.Sprintf("%d:%d:0", limit, page+1), hasMore))
	writeJSON(w, http.StatusOK, out)
}

// getProject is GET /api/0/projects/{org}/{id_or_slug}/.
func (s *Server) getProject(w http.ResponseWriter, t Token, org, ref string) {
	if !s.allowed(w, nil, t, org, "project:read", "project:write", "project:admin") {
		return
	}
	s.mu.Lock()
	projects := s.orgs[org]
	newSlug, renamed := s.renames[org][ref]
	s.mu.Unlock()
	digits := ref != "" && strings.Trim(ref, "0123456789") == ""
	for _, p := range projects {
		if (digits && p.ID == ref) || (!digits && p.Slug == ref) {
			body := projectJSON(org, p)
			body["status"] = "active"
			body["organization"] = map[string]any{"slug": org, "links": map[string]string{
				"organizationUrl": "https://" + org + ".sentry.io", "regionUrl": "https://us.sentry.io"}}
			writeJSON(w, http.StatusOK, body)
			return
		}
	}
	if renamed {
		url := "/api/0/projects/" + org + "/" + newSlug + "/"
		w.Header().Set("Location", url)
		writeJSON(w, http.StatusFound, map[string]any{"slug": newSlug, "detail": map[string]any{
			"extra": map[string]string{"url": url, "slug": newSlug}}})
		return
	}
	detail(w, http.StatusNotFound, "The requested resource does not exist")
}
