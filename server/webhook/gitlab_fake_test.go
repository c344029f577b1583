package webhook

import (
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/catalog-lint/catalog-lint/review"
)

// fakeGitLab is GitLab's REST API v4 as catalog-lint uses it, built from its reference
// (doc/api/commits.md, notes.md, discussions.md, repositories.md, repository_files.md,
// merge_requests.md): PRIVATE-TOKEN authentication (401 otherwise), offset pagination with
// X-Page, X-Next-Page, X-Per-Page, X-Total and X-Total-Pages, GitLab's error bodies, and the state
// machine of commit statuses (a transition to the state a status has is a 400).
type fakeGitLab struct {
	srv   *httptest.Server
	token string

	mu       sync.Mutex
	project  int64
	path     string
	files    map[string]map[string]string // sha -> path -> content
	mrs      map[int64]*fakeMR
	statuses map[string][]fakeStatus // sha -> statuses, in order
	notes    map[int64][]*fakeNote   // MR iid -> notes
	threads  map[int64][]fakeThread  // MR iid -> discussions
	requests int
	// fail, when set, answers instead of the API (its status), with headers.
	fail func(r *http.Request) (int, map[string]string)
}

type fakeMR struct {
	base, start, head string
	diffs             []map[string]any
}

type fakeStatus struct{ State, Name, Description, TargetURL string }

type fakeNote struct {
	ID   int64
	Body string
}

type fakeThread struct {
	Body     string
	Position map[string]any
}

// gitBlobID is Git's object ID of a file's content, as GitLab's tree lists it.
func gitBlobID(content string) string {
	return fmt.Sprintf("%x", sha1.Sum([]byte(fmt.Sprintf("blob %d\x00%s", len(content), content))))
}

func newFakeGitLab(t *testing.T, project int64, path string) *fakeGitLab {
	g := &fakeGitLab{token: "glpat-server-token", project: project, path: path, files: map[string]map[string]string{},
		mrs: map[int64]*fakeMR{}, statuses: map[string][]fakeStatus{}, notes: map[int64][]*fakeNote{}, threads: map[int64][]fakeThread{}}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.srv.Close)
	return g
}

// commit adds a commit's files.
func (g *fakeGitLab) commit(sha string, files map[string]string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.files[sha] = files
}

// mergeRequest opens merge request iid from base to head, its diffs those of the files given (each
// file's lines all added, as in a new file).
func (g *fakeGitLab) mergeRequest(iid int64, base, head string, changed ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	mr := &fakeMR{base: base, start: base, head: head}
	for _, p := range changed {
		lines := strings.Split(strings.TrimSuffix(g.files[head][p], "\n"), "\n")
		diff := fmt.Sprintf("@@ -0,0 +1,%d @@\n+%s\n", len(lines), strings.Join(lines, "\n+"))
		mr.diffs = append(mr.diffs, map[string]any{"old_path": p, "new_path": p, "a_mode": "0", "b_mode": "100644",
			"new_file": true, "renamed_file": false, "deleted_file": false, "diff": diff})
	}
	g.mrs[iid] = mr
}

func (g *fakeGitLab) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (g *fakeGitLab) message(w http.ResponseWriter, status int, msg string) {
	g.writeJSON(w, status, map[string]any{"message": msg})
}

// page writes items[page] with GitLab's pagination headers.
func (g *fakeGitLab) page(w http.ResponseWriter, r *http.Request, items []any) {
	per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
	if per <= 0 {
		per = 20
	}
	per = min(per, 100)
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	total := len(items)
	pages := max((total+per-1)/per, 1)
	from, to := min((page-1)*per, total), min(page*per, total)
	h := w.Header()
	h.Set("X-Page", strconv.Itoa(page))
	h.Set("X-Per-Page", strconv.Itoa(per))
	h.Set("X-Total", strconv.Itoa(total))
	h.Set("X-Total-Pages", strconv.Itoa(pages))
	if page < pages {
		h.Set("X-Next-Page", strconv.Itoa(page+1))
	} else {
		h.Set("X-Next-Page", "")
	}
	g.writeJSON(w, http.StatusOK, items[from:to])
}

func (g *fakeGitLab) serve(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.requests++
	if r.Header.Get("PRIVATE-TOKEN") != g.token {
		g.message(w, http.StatusUnauthorized, "401 Unauthorized")
		return
	}
	if g.fail != nil {
		if status, headers := g.fail(r); status != 0 {
			for k, v := range headers {
				w.Header().Set(k, v)
			}
			g.message(w, status, "Retry later")
			return
		}
	}
	// Paths are matched escaped: a file's path is one URL-encoded segment.
	parts := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/api/v4/"), "/")
	if len(parts) < 3 || parts[0] != "projects" || parts[1] != strconv.FormatInt(g.project, 10) {
		g.message(w, http.StatusNotFound, "404 Project Not Found")
		return
	}
	rest, q := parts[2:], r.URL.Query()
	body := map[string]any{}
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			g.message(w, http.StatusBadRequest, "400 Bad request - invalid JSON")
			return
		}
	}
	str := func(k string) string { s, _ := body[k].(string); return s }
	switch {
	case r.Method == http.MethodPost && len(rest) == 2 && rest[0] == "statuses":
		sha := rest[1]
		if g.files[sha] == nil {
			g.message(w, http.StatusNotFound, "404 Commit Not Found")
			return
		}
		s := fakeStatus{State: str("state"), Name: str("name"), Description: str("description"), TargetURL: str("target_url")}
		for i := len(g.statuses[sha]) - 1; i >= 0; i-- {
			if prev := g.statuses[sha][i]; prev.Name == s.Name {
				if prev.State == s.State || prev.State == "success" || prev.State == "failed" && s.State != "running" && s.State != "pending" {
					g.message(w, http.StatusBadRequest, fmt.Sprintf("Cannot transition status via :%s from :%s", s.State, prev.State))
					return
				}
				break
			}
		}
		g.statuses[sha] = append(g.statuses[sha], s)
		g.writeJSON(w, http.StatusCreated, map[string]any{"id": len(g.statuses[sha]), "sha": sha, "status": s.State, "name": s.Name})
	case r.Method == http.MethodGet && len(rest) == 2 && rest[0] == "repository" && rest[1] == "tree":
		files, ok := g.files[q.Get("ref")]
		if !ok {
			g.message(w, http.StatusNotFound, "404 Tree Not Found")
			return
		}
		var paths []string
		for p := range files {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		var items []any
		seen := map[string]bool{}
		for _, p := range paths {
			for d := p; strings.Contains(d, "/"); {
				d = d[:strings.LastIndex(d, "/")]
				if !seen[d] {
					seen[d] = true
					items = append(items, map[string]any{"id": "d" + d, "name": d[strings.LastIndex(d, "/")+1:], "type": "tree", "path": d, "mode": "040000"})
				}
			}
			mode := "100644"
			if strings.HasSuffix(p, ".link") {
				mode = "120000"
			}
			items = append(items, map[string]any{"id": gitBlobID(files[p]), "name": p[strings.LastIndex(p, "/")+1:], "type": "blob", "path": p, "mode": mode})
		}
		g.page(w, r, items)
	case r.Method == http.MethodGet && len(rest) == 4 && rest[0] == "repository" && rest[1] == "files" && rest[3] == "raw":
		name, err := url.PathUnescape(rest[2])
		content, ok := g.files[q.Get("ref")][name]
		if err != nil || !ok {
			g.message(w, http.StatusNotFound, "404 File Not Found")
			return
		}
		if strings.HasSuffix(name, ".link") {
			panic("a symbolic link was fetched: " + name)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(content))
	case r.Method == http.MethodGet && len(rest) == 2 && rest[0] == "repository" && rest[1] == "compare":
		from, to := g.files[q.Get("from")], g.files[q.Get("to")]
		if from == nil || to == nil {
			g.message(w, http.StatusNotFound, "404 Ref Not Found")
			return
		}
		var diffs []map[string]any
		for p, c := range to {
			if from[p] != c {
				lines := strings.Split(strings.TrimSuffix(c, "\n"), "\n")
				diffs = append(diffs, map[string]any{"old_path": p, "new_path": p, "new_file": from[p] == "", "deleted_file": false,
					"diff": fmt.Sprintf("@@ -0,0 +1,%d @@\n+%s\n", len(lines), strings.Join(lines, "\n+"))})
			}
		}
		g.writeJSON(w, http.StatusOK, map[string]any{"diffs": diffs, "compare_timeout": false, "compare_same_ref": false})
	case len(rest) >= 2 && rest[0] == "merge_requests":
		iid, _ := strconv.ParseInt(rest[1], 10, 64)
		mr := g.mrs[iid]
		if mr == nil {
			g.message(w, http.StatusNotFound, "404 Not found")
			return
		}
		g.mergeRequestAPI(w, r, iid, mr, rest[2:], body)
	default:
		g.message(w, http.StatusNotFound, "404 Not Found")
	}
}

func (g *fakeGitLab) mergeRequestAPI(w http.ResponseWriter, r *http.Request, iid int64, mr *fakeMR, rest []string, body map[string]any) {
	switch {
	case r.Method == http.MethodGet && len(rest) == 0:
		g.writeJSON(w, http.StatusOK, map[string]any{"id": 1000 + iid, "iid": iid, "project_id": g.project, "sha": mr.head, "state": "opened",
			"diff_refs": map[string]any{"base_sha": mr.base, "start_sha": mr.start, "head_sha": mr.head}})
	case r.Method == http.MethodGet && len(rest) == 1 && rest[0] == "diffs":
		items := make([]any, len(mr.diffs))
		for i, d := range mr.diffs {
			items[i] = d
		}
		g.page(w, r, items)
	case r.Method == http.MethodGet && len(rest) == 1 && rest[0] == "notes":
		var items []any
		for _, n := range g.notes[iid] {
			items = append(items, map[string]any{"id": n.ID, "body": n.Body, "system": false, "noteable_iid": iid})
		}
		g.page(w, r, items)
	case r.Method == http.MethodPost && len(rest) == 1 && rest[0] == "notes":
		n := &fakeNote{ID: int64(len(g.notes[iid]) + 1), Body: body["body"].(string)}
		g.notes[iid] = append(g.notes[iid], n)
		g.writeJSON(w, http.StatusCreated, map[string]any{"id": n.ID, "body": n.Body})
	case r.Method == http.MethodPut && len(rest) == 2 && rest[0] == "notes":
		id, _ := strconv.ParseInt(rest[1], 10, 64)
		for _, n := range g.notes[iid] {
			if n.ID == id {
				n.Body = body["body"].(string)
				g.writeJSON(w, http.StatusOK, map[string]any{"id": n.ID, "body": n.Body})
				return
			}
		}
		g.message(w, http.StatusNotFound, "404 Note Not Found")
	case r.Method == http.MethodGet && len(rest) == 1 && rest[0] == "discussions":
		var items []any
		for i, d := range g.threads[iid] {
			items = append(items, map[string]any{"id": fmt.Sprintf("%040d", i+1), "individual_note": false,
				"notes": []any{map[string]any{"id": 500 + i, "body": d.Body, "position": d.Position}}})
		}
		g.page(w, r, items)
	case r.Method == http.MethodPost && len(rest) == 1 && rest[0] == "discussions":
		pos, _ := body["position"].(map[string]any)
		line, _ := pos["new_line"].(float64)
		path, _ := pos["new_path"].(string)
		var diff string
		for _, d := range mr.diffs {
			if d["new_path"] == path {
				diff = d["diff"].(string)
			}
		}
		if pos["position_type"] != "text" || pos["base_sha"] != mr.base || pos["start_sha"] != mr.start || pos["head_sha"] != mr.head ||
			!review.AddedLines(diff)[int(line)] {
			g.message(w, http.StatusBadRequest, `400 Bad request - Note {:line_code=>["can't be blank", "must be a valid line code"]}`)
			return
		}
		g.threads[iid] = append(g.threads[iid], fakeThread{Body: body["body"].(string), Position: pos})
		g.writeJSON(w, http.StatusCreated, map[string]any{"id": fmt.Sprintf("%040d", len(g.threads[iid])), "notes": []any{map[string]any{"id": 1, "body": body["body"]}}})
	default:
		g.message(w, http.StatusNotFound, "404 Not Found")
	}
}
