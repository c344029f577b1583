// Package backstagetest is an in-process Backstage catalog API for tests: POST
// /api/catalog/entities/by-refs answering as the catalog backend does (items in request order, null
// for a ref it does not hold, refs compared case-insensitively), GET /api/catalog/entities/by-query
// (filter=kind=…, ordered by name, limit and an opaque cursor, {items, totalItems, pageInfo}),
// static-token authentication with Backstage's JSON error bodies, and injected failures and latency.
package backstagetest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server is a fake catalog. Configure it before sending requests.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	entities map[string]map[string]any // lowercased ref -> entity
	token    string
	fail     []int // statuses to answer with, one per request, before answering normally
	delay    time.Duration
	requests int
	batches  []int
}

// New starts a catalog accepting token ("" accepts requests without one).
func New(token string) *Server {
	s := &Server{entities: map[string]map[string]any{}, token: token}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Add puts an entity in the catalog; origin, when set, is its managed-by-origin-location.
func (s *Server) Add(kind, namespace, name, origin string) {
	meta := map[string]any{"name": name, "namespace": namespace}
	if origin != "" {
		meta["annotations"] = map[string]string{"backstage.io/managed-by-origin-location": origin}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entities[strings.ToLower(kind+":"+namespace+"/"+name)] = map[string]any{
		"apiVersion": "backstage.io/v1alpha1", "kind": kind, "metadata": meta, "spec": map[string]any{"owner": "x"},
	}
}

// Fail makes the next requests answer with these statuses, one each.
func (s *Server) Fail(statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = append(s.fail, statuses...)
}

// Delay holds every answer this long.
func (s *Server) Delay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Requests returns how many requests arrived, and the number of refs in each answered one.
func (s *Server) Requests() (int, []int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests, append([]int(nil), s.batches...)
}

func writeError(w http.ResponseWriter, r *http.Request, status int, name, message string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"error":    map[string]string{"name": name, "message": message},
		"request":  map[string]string{"method": r.Method, "url": r.URL.Path},
		"response": map[string]int{"statusCode": status},
	})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	delay := s.delay
	var fail int
	if len(s.fail) > 0 {
		fail, s.fail = s.fail[0], s.fail[1:]
	}
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	query := r.URL.Path == "/api/catalog/entities/by-query" && r.Method == http.MethodGet
	if !query && (r.URL.Path != "/api/catalog/entities/by-refs" || r.Method != http.MethodPost) {
		writeError(w, r, http.StatusNotFound, "NotFoundError", "Not found")
		return
	}
	if s.token != "" && r.Header.Get("Authorization") != "Bearer "+s.token {
		writeError(w, r, http.StatusUnauthorized, "AuthenticationError", "Missing credentials")
		return
	}
	if query && fail == 0 {
		s.query(w, r)
		return
	}
	switch fail {
	case 0:
	case http.StatusServiceUnavailable:
		writeError(w, r, fail, "ServiceUnavailableError", "Service unavailable")
		return
	default:
		writeError(w, r, fail, "Error", http.StatusText(fail))
		return
	}
	var body struct {
		EntityRefs []string `json:"entityRefs"`
		Fields     []string `json:"fields"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.EntityRefs == nil {
		writeError(w, r, http.StatusBadRequest, "InputError", "Invalid request body")
		return
	}
	s.mu.Lock()
	s.batches = append(s.batches, len(body.EntityRefs))
	items := make([]any, len(body.EntityRefs))
	for i, ref := range body.EntityRefs {
		if e, ok := s.entities[strings.ToLower(ref)]; ok {
			items[i] = e
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{"items": items})
}

// query answers GET /entities/by-query: the entities of the filter's kind, by name, limit at a time;
// the cursor (opaque to clients) carries the filter and the offset, as the backend's does.
func (s *Server) query(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	filter, offset := q.Get("filter"), 0
	if c := q.Get("cursor"); c != "" {
		raw, err := base64.RawURLEncoding.DecodeString(c)
		f, off, ok := strings.Cut(string(raw), "\x00")
		n, convErr := strconv.Atoi(off)
		if err != nil || !ok || convErr != nil {
			writeError(w, r, http.StatusBadRequest, "InputError", "Malformed cursor")
			return
		}
		filter, offset = f, n
	}
	kind, ok := strings.CutPrefix(filter, "kind=")
	if !ok {
		writeError(w, r, http.StatusBadRequest, "InputError", "this fake filters by kind only")
		return
	}
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit <= 0 {
		limit = 20
	}
	s.mu.Lock()
	var matched []map[string]any
	for _, e := range s.entities {
		if strings.EqualFold(e["kind"].(string), kind) {
			matched = append(matched, e)
		}
	}
	s.mu.Unlock()
	name := func(e map[string]any) string { return e["metadata"].(map[string]any)["name"].(string) }
	sort.Slice(matched, func(i, j int) bool { return name(matched[i]) < name(matched[j]) })
	page := matched[min(offset, len(matched)):min(offset+limit, len(matched))]
	info := map[string]string{}
	if offset+limit < len(matched) {
		info["nextCursor"] = base64.RawURLEncoding.EncodeToString([]byte(filter + "\x00" + strconv.Itoa(offset+limit)))
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{"items": page, "totalItems": len(matched), "pageInfo": info})
}
