package sentry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Status is the answer for one project reference.
type Status int

// The answers Lookup gives.
const (
	// Found: the project exists.
	Found Status = iota + 1
	// NotFound: Sentry answered that there is no such project (404).
	NotFound
	// Renamed: the reference is a former slug; Sentry answered 302 with the new one.
	Renamed
	// Unverified: Sentry could not be asked, or would not say. Never evidence of absence.
	Unverified
)

// Answer is what the index knows of one reference (a slug or an all-digit project ID).
type Answer struct {
	Status  Status
	Project Project // Found
	NewSlug string  // Renamed
	// Suggestion is the closest existing slug, for NotFound, when the project list could be read.
	Suggestion string
	// OrgUnchecked is set on NotFound when the organization's project list could not be read, so
	// that a 404 may also mean the organization itself does not exist.
	OrgUnchecked bool
	// Err says why, for Unverified.
	Err error
	// Fatal is set on Unverified when no other request can succeed either (invalid token).
	Fatal bool
}

// Index answers whether projects exist, per organization, with as few requests as it can: at most
// PerProjectMax distinct references are retrieved one by one; more are looked up in the
// organization's project list, fetched once. References the list lacks are retrieved once each to
// tell a renamed project from a missing one. Concurrent callers for the same organization wait for
// the same requests. Found, NotFound and Renamed answers are kept for the Index's lifetime;
// Unverified ones are not, so a later call asks again.
type Index struct {
	client *Client
	// PerProjectMax is the number of distinct references up to which retrieving them one by one is
	// cheaper than listing the organization (default 2: the list costs one request when Sentry
	// honours all_projects=1).
	PerProjectMax int
	// Concurrency bounds per-project retrievals in flight per organization (default 4).
	Concurrency int
	// TTL, when set, makes an organization's list and answers expire that long after they were read,
	// so that one Index can serve many runs (the webhook server: at most one list request per
	// organization per TTL). Zero keeps them for the Index's life (one CLI run).
	TTL time.Duration
	// Now is the clock (tests replace it).
	Now func() time.Time

	mu   sync.Mutex
	orgs map[string]*orgState
}

type orgState struct {
	lock      chan struct{} // held while a caller asks Sentry about this organization
	listed    bool
	bySlug    map[string]Project
	byID      map[string]Project
	slugs     []string
	forbidden bool // the list answered 403: the token lacks org:read
	tried     bool // a prefetch already asked (and may have failed): Lookup decides what to do next
	answers   map[string]Answer
	since     time.Time // when this state began, for TTL
}

// NewIndex returns an Index over client.
func NewIndex(client *Client) *Index {
	return &Index{client: client, PerProjectMax: 2, Concurrency: 4, orgs: map[string]*orgState{}}
}

func (ix *Index) org(org string) *orgState {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	now := time.Now
	if ix.Now != nil {
		now = ix.Now
	}
	st := ix.orgs[org]
	if st != nil && ix.TTL > 0 && now().Sub(st.since) >= ix.TTL {
		// Expired: a fresh state; a caller still holding the old one finishes with it.
		st = nil
	}
	if st == nil {
		st = &orgState{lock: make(chan struct{}, 1), answers: map[string]Answer{}, since: now()}
		ix.orgs[org] = st
	}
	return st
}

// Prefetch reads org's project list in the background, unless it is already known or being read, so
// that a later Lookup finds it ready. Callers use it once they know a list will be needed: more than
// PerProjectMax distinct references. Failures are left for Lookup to meet and report.
func (ix *Index) Prefetch(ctx context.Context, org string) {
	st := ix.org(org)
	go func() {
		select {
		case st.lock <- struct{}{}:
		case <-ctx.Done():
			return
		}
		defer func() { <-st.lock }()
		if !st.listed && !st.forbidden && !st.tried {
			st.tried = true
			_ = ix.list(ctx, org, st)
		}
	}()
}

// Lookup answers for each reference of org.
func (ix *Index) Lookup(ctx context.Context, org string, refs []string) map[string]Answer {
	out := make(map[string]Answer, len(refs))
	st := ix.org(org)
	select {
	case st.lock <- struct{}{}:
	case <-ctx.Done():
		for _, r := range refs {
			out[r] = Answer{Status: Unverified, Err: ctx.Err()}
		}
		return out
	}
	defer func() { <-st.lock }()

	var pending []string
	seen := map[string]bool{}
	for _, r := range refs {
		if seen[r] {
			continue
		}
		seen[r] = true
		if a, ok := st.answers[r]; ok {
			out[r] = a
		} else {
			pending = append(pending, r)
		}
	}
	if len(pending) == 0 {
		return out
	}

	if !st.listed && !st.forbidden && len(pending) > ix.PerProjectMax {
		if err := ix.list(ctx, org, st); err != nil {
			if status := StatusOf(err); status != http.StatusForbidden {
				// 401, 404 and outages: nothing else will work better now.
				for _, r := range pending {
					out[r] = unverified(org, err)
				}
				return out
			}
		}
	}
	var retrieve []string
	for _, r := range pending {
		if st.listed {
			if p, ok := st.find(r); ok {
				st.answers[r] = Answer{Status: Found, Project: p}
				out[r] = st.answers[r]
				continue
			}
		}
		retrieve = append(retrieve, r)
	}
	results := ix.retrieveAll(ctx, org, retrieve)
	var missing []string
	for i, r := range retrieve {
		a := results[i]
		if a.Status == NotFound {
			missing = append(missing, r)
		}
		out[r] = a
	}
	// A missing project deserves a "did you mean": read the list for it if not done yet.
	var listErr error
	if len(missing) > 0 && !st.listed && !st.forbidden {
		listErr = ix.list(ctx, org, st) // best effort: a failure here only costs the suggestion...
	}
	for _, r := range retrieve {
		a := out[r]
		if a.Status == NotFound && StatusOf(listErr) == http.StatusNotFound {
			// ...unless the organization itself is not found: then the project was never checked.
			a = unverified(org, listErr)
		}
		if a.Status == NotFound {
			if st.listed {
				a.Suggestion = closest(r, st.slugs)
			} else {
				a.OrgUnchecked = true
			}
		}
		out[r] = a
		if a.Status != Unverified {
			st.answers[r] = a
		}
	}
	return out
}

func (st *orgState) find(ref string) (Project, bool) {
	if isID(ref) {
		p, ok := st.byID[ref]
		return p, ok
	}
	p, ok := st.bySlug[ref]
	return p, ok
}

func (ix *Index) list(ctx context.Context, org string, st *orgState) error {
	projects, err := ix.client.ListProjects(ctx, org)
	if err != nil {
		if StatusOf(err) == http.StatusForbidden {
			st.forbidden = true
		}
		return err
	}
	st.listed = true
	st.bySlug = make(map[string]Project, len(projects))
	st.byID = make(map[string]Project, len(projects))
	st.slugs = st.slugs[:0]
	for _, p := range projects {
		st.bySlug[p.Slug] = p
		st.byID[p.ID] = p
		st.slugs = append(st.slugs, p.Slug)
	}
	sort.Strings(st.slugs)
	return nil
}

// retrieveAll retrieves refs one by one, at most Concurrency at a time.
func (ix *Index) retrieveAll(ctx context.Context, org string, refs []string) []Answer {
	out := make([]Answer, len(refs))
	sem := make(chan struct{}, max(ix.Concurrency, 1))
	var wg sync.WaitGroup
	for i, r := range refs {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int, r string) {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = ix.retrieve(ctx, org, r)
		}(i, r)
	}
	wg.Wait()
	return out
}

func (ix *Index) retrieve(ctx context.Context, org, ref string) Answer {
	p, err := ix.client.GetProject(ctx, org, ref)
	var renamed *RenamedError
	switch {
	case err == nil:
		return Answer{Status: Found, Project: p}
	case errors.As(err, &renamed):
		return Answer{Status: Renamed, NewSlug: renamed.New}
	case StatusOf(err) == http.StatusNotFound:
		return Answer{Status: NotFound}
	}
	return unverified(org, err)
}

// unverified turns a failure into an Unverified answer whose error names the cause in words a user
// can act on.
func unverified(org string, err error) Answer {
	a := Answer{Status: Unverified, Err: err}
	var te *TokenError
	if errors.As(err, &te) {
		a.Fatal = true
		a.Err = te
		return a
	}
	var ae *APIError
	if errors.As(err, &ae) {
		switch ae.Status {
		case http.StatusUnauthorized:
			a.Fatal = true
			a.Err = fmt.Errorf("the token was rejected by Sentry: token invalid or expired (401 %s)", ae.Detail)
			if ae.Renewed {
				a.Err = fmt.Errorf("the token from the token exchange was rejected by Sentry, also when freshly exchanged: "+
					"check that the broker issues tokens for this Sentry's API (401 %s)", ae.Detail)
			}
		case http.StatusForbidden:
			a.Err = fmt.Errorf("the token may not read organization %q: it needs the org:read scope (Organization: Read) to list projects or project:read (Project: Read) to retrieve them (403 %s)", org, ae.Detail)
		case http.StatusNotFound:
			a.Err = fmt.Errorf("organization %q not found, or not visible to the token (404)", org)
		}
	}
	return a
}

// closest returns the slug nearest to ref by optimal string alignment distance (typos, including
// swapped letters), if it is close enough to be a likely fix.
func closest(ref string, slugs []string) string {
	limit := max(2, len(ref)/4)
	best, bestD := "", limit+1
	for _, s := range slugs {
		if d := osaDistance(ref, s); d < bestD {
			best, bestD = s, d
		}
	}
	return best
}

func osaDistance(a, b string) int {
	if a == b {
		return 0
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := 0; j <= len(b); j++ {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

func isID(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
