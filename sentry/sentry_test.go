package sentry_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/catalog-lint/catalog-lint/sentry"
	"github.com/catalog-lint/catalog-lint/sentry/sentrytest"
)

const token = "sntryu_0123456789abcdef0123456789abcdef" // a test token, never a real one

// fixture starts a fake Sentry that accepts token with org:read and project:read.
func fixture(t *testing.T) *sentrytest.Server {
	t.Helper()
	s := sentrytest.New()
	t.Cleanup(s.Close)
	s.AddToken(token, sentrytest.Token{Scopes: []string{"org:read", "project:read"}})
	return s
}

// client returns a client of srv whose waits are recorded instead of slept.
func client(t *testing.T, srv *sentrytest.Server, tok string) (*sentry.Client, *[]time.Duration) {
	t.Helper()
	var mu sync.Mutex
	waits := &[]time.Duration{}
	c, err := sentry.NewClient(sentry.Config{BaseURL: srv.URL, Token: tok, Timeout: 2 * time.Second,
		Sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			*waits = append(*waits, d)
			mu.Unlock()
			return ctx.Err()
		}})
	if err != nil {
		t.Fatal(err)
	}
	return c, waits
}

func TestListProjectsPagination(t *testing.T) {
	for _, n := range []int{0, 1, 100, 101, 1000} {
		for _, honor := range []bool{true, false} {
			t.Run(fmt.Sprintf("%d projects, all_projects honoured %v", n, honor), func(t *testing.T) {
				srv := fixture(t)
				srv.HonorAllProjects = honor
				want := srv.AddOrg("acme", n, "svc")
				if n == 0 {
					srv.AddProjects("acme") // the organization exists, without projects
				}
				c, _ := client(t, srv, token)
				got, err := c.ListProjects(context.Background(), "acme")
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != n {
					t.Fatalf("got %d projects, want %d", len(got), n)
				}
				for i := range want {
					if got[i].Slug != want[i].Slug || got[i].ID != want[i].ID {
						t.Fatalf("project %d = %+v, want %+v", i, got[i], want[i])
					}
				}
				wantRequests := 1
				if !honor {
					wantRequests = max(1, (n+99)/100) // pages of 100, one after another
				}
				if srv.Requests() != wantRequests {
					t.Errorf("requests = %d, want %d", srv.Requests(), wantRequests)
				}
			})
		}
	}
}

func TestNextCursor(t *testing.T) {
	tests := []struct {
		name, link, cursor string
		more               bool
	}{
		{"sentry docs, last page", `<https://sentry.io/api/0/organizations/the-interstellar-jurisdiction/projects/?&cursor=100:-1:1>; rel="previous"; results="false"; cursor="100:-1:1", <https://sentry.io/api/0/organizations/the-interstellar-jurisdiction/projects/?&cursor=100:1:0>; rel="next"; results="false"; cursor="100:1:0"`, "", false},
		{"generic paginator, more", `<https://sentry.io/api/0/organizations/acme/issues/123456/events/?&cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", <https://sentry.io/api/0/organizations/acme/issues/123456/events/?&cursor=0:100:0>; rel="next"; results="true"; cursor="0:100:0"`, "0:100:0", true},
		{"cursor only in the URL", `<https://evil.example/x?a=1&cursor=2:2:0>; rel="next"; results="true"`, "2:2:0", true},
		{"no next link", `<https://sentry.io/x?&cursor=100:0:1>; rel="previous"; results="true"; cursor="100:0:1"`, "", false},
		{"empty", "", "", false},
		{"comma inside the URL", `<https://sentry.io/x?q=a,b&cursor=1:1:0>; rel="next"; results="true"; cursor="1:1:0"`, "1:1:0", true},
	}
	for _, tt := range tests {
		cursor, more := sentry.NextCursor(tt.link)
		if cursor != tt.cursor || more != tt.more {
			t.Errorf("%s: NextCursor = %q, %v; want %q, %v", tt.name, cursor, more, tt.cursor, tt.more)
		}
	}
}

// TestLinkHostIsNeverFollowed: the fake's Link headers point at sentry.invalid; pagination must still
// go to the configured server with the cursor only.
func TestLinkHostIsNeverFollowed(t *testing.T) {
	srv := fixture(t)
	srv.HonorAllProjects = false
	srv.AddOrg("acme", 250, "svc")
	c, _ := client(t, srv, token)
	got, err := c.ListProjects(context.Background(), "acme")
	if err != nil || len(got) != 250 || srv.Requests() != 3 {
		t.Fatalf("got %d projects in %d requests, err %v", len(got), srv.Requests(), err)
	}
}

func TestGetProject(t *testing.T) {
	srv := fixture(t)
	ps := srv.AddOrg("acme", 3, "svc")
	srv.Rename("acme", "old-name", ps[1].Slug)
	c, _ := client(t, srv, token)
	ctx := context.Background()

	p, err := c.GetProject(ctx, "acme", ps[0].Slug)
	if err != nil || p.ID != ps[0].ID {
		t.Errorf("by slug: %+v, %v", p, err)
	}
	p, err = c.GetProject(ctx, "acme", ps[2].ID)
	if err != nil || p.Slug != ps[2].Slug {
		t.Errorf("by ID: %+v, %v", p, err)
	}
	_, err = c.GetProject(ctx, "acme", "old-name")
	var renamed *sentry.RenamedError
	if !errors.As(err, &renamed) || renamed.New != ps[1].Slug {
		t.Errorf("renamed: %v", err)
	}
	if srv.Count("/api/0/projects/acme/"+ps[1].Slug) != 0 {
		t.Error("the 302 must not be followed")
	}
	_, err = c.GetProject(ctx, "acme", "nope")
	if sentry.StatusOf(err) != http.StatusNotFound {
		t.Errorf("missing: %v", err)
	}
	if !strings.Contains(err.Error(), `retrieve project "nope" of "acme": 404 not found: The requested resource does not exist`) {
		t.Errorf("error text: %v", err)
	}
}

func TestRetriesAndFailures(t *testing.T) {
	ctx := context.Background()
	t.Run("5xx then success", func(t *testing.T) {
		srv := fixture(t)
		srv.AddOrg("acme", 5, "svc")
		srv.Fail = func(_ *http.Request, n int) int {
			if n <= 2 {
				return http.StatusBadGateway
			}
			return 0
		}
		c, waits := client(t, srv, token)
		got, err := c.ListProjects(ctx, "acme")
		if err != nil || len(got) != 5 || len(*waits) != 2 {
			t.Fatalf("got %d, err %v, waits %v", len(got), err, *waits)
		}
		if (*waits)[1] <= (*waits)[0]/2 {
			t.Errorf("backoff must grow: %v", *waits)
		}
	})
	t.Run("5xx forever is unavailable, bounded", func(t *testing.T) {
		srv := fixture(t)
		srv.AddOrg("acme", 5, "svc")
		srv.Fail = func(*http.Request, int) int { return http.StatusServiceUnavailable }
		c, _ := client(t, srv, token)
		_, err := c.ListProjects(ctx, "acme")
		var un *sentry.UnavailableError
		if !errors.As(err, &un) || srv.Requests() != 4 {
			t.Fatalf("err %v after %d requests", err, srv.Requests())
		}
	})
	t.Run("429 waits for the reset", func(t *testing.T) {
		srv := fixture(t)
		srv.AddOrg("acme", 5, "svc")
		now := time.Unix(1787019070, 0)
		srv.Now = func() time.Time { return now }
		srv.Fail = func(_ *http.Request, n int) int {
			if n == 1 {
				return http.StatusTooManyRequests
			}
			return 0
		}
		var waits []time.Duration
		c, err := sentry.NewClient(sentry.Config{BaseURL: srv.URL, Token: token, Now: func() time.Time { return now },
			Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.ListProjects(ctx, "acme"); err != nil {
			t.Fatal(err)
		}
		if len(waits) != 1 || waits[0] < time.Second || waits[0] > 1400*time.Millisecond {
			t.Errorf("waits = %v, want about 1 s (until X-Sentry-Rate-Limit-Reset)", waits)
		}
	})
	t.Run("429 with a reset too far away gives up", func(t *testing.T) {
		srv := fixture(t)
		srv.AddOrg("acme", 5, "svc")
		srv.Now = func() time.Time { return time.Now().Add(time.Hour) }
		srv.Fail = func(*http.Request, int) int { return http.StatusTooManyRequests }
		c, waits := client(t, srv, token)
		_, err := c.ListProjects(ctx, "acme")
		var un *sentry.UnavailableError
		if !errors.As(err, &un) || len(*waits) != 0 || !strings.Contains(err.Error(), "rate limit resets in") {
			t.Fatalf("err %v, waits %v", err, *waits)
		}
	})
	t.Run("timeouts", func(t *testing.T) {
		srv := fixture(t)
		srv.AddOrg("acme", 5, "svc")
		srv.Latency = 300 * time.Millisecond
		c, err := sentry.NewClient(sentry.Config{BaseURL: srv.URL, Token: token, Timeout: 50 * time.Millisecond, Attempts: 2,
			Sleep: func(context.Context, time.Duration) error { return nil }})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.ListProjects(ctx, "acme")
		var un *sentry.UnavailableError
		if !errors.As(err, &un) || !strings.Contains(err.Error(), "timed out") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		srv := fixture(t)
		url := srv.URL
		srv.Close()
		c, err := sentry.NewClient(sentry.Config{BaseURL: url, Token: token, Attempts: 2,
			Sleep: func(context.Context, time.Duration) error { return nil }})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.GetProject(ctx, "acme", "x")
		var un *sentry.UnavailableError
		if !errors.As(err, &un) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		srv := fixture(t)
		srv.AddOrg("acme", 5, "svc")
		c, _ := client(t, srv, token)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := c.ListProjects(cctx, "acme")
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v", err)
		}
	})
}

func TestTokenNeverInErrors(t *testing.T) {
	srv := fixture(t)
	srv.AddOrg("acme", 5, "svc")
	srv.EchoToken = true
	srv.AddToken("sntryu_projectonly", sentrytest.Token{Scopes: []string{"project:read"}})
	c, _ := client(t, srv, "sntryu_projectonly")
	_, err := c.ListProjects(context.Background(), "acme")
	if sentry.StatusOf(err) != http.StatusForbidden {
		t.Fatalf("err %v", err)
	}
	if strings.Contains(err.Error(), "sntryu_projectonly") || !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("the token must be redacted from server text: %v", err)
	}
	bad, _ := client(t, srv, "sntryu_wrong_token")
	_, err = bad.GetProject(context.Background(), "acme", "svc-0000")
	if sentry.StatusOf(err) != http.StatusUnauthorized || strings.Contains(err.Error(), "sntryu_wrong_token") {
		t.Errorf("401: %v", err)
	}
}

func TestNewClientRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"ftp://sentry.io", "sentry.io", "https://user:pass@sentry.io", "https://sentry.io/?x=1", "https://"} {
		if _, err := sentry.NewClient(sentry.Config{BaseURL: u}); err == nil {
			t.Errorf("NewClient(%q) must fail", u)
		}
	}
	for _, u := range []string{"https://sentry.io", "https://de.sentry.io/", "https://sentry.example.com/sentry", "https://sentry.io/api/0/"} {
		if _, err := sentry.NewClient(sentry.Config{BaseURL: u}); err != nil {
			t.Errorf("NewClient(%q): %v", u, err)
		}
	}
}

// TestRequestBudget: with every referenced project existing, a lookup makes at most
// min(distinct references, pages) + 1 requests per organization.
func TestRequestBudget(t *testing.T) {
	for _, n := range []int{1, 100, 101, 1000, 2000} {
		for _, s := range []int{1, 2, 3, 50, 500} {
			if s > n {
				continue
			}
			t.Run(fmt.Sprintf("%d projects, %d references", n, s), func(t *testing.T) {
				srv := fixture(t)
				ps := srv.AddOrg("acme", n, "svc")
				c, _ := client(t, srv, token)
				ix := sentry.NewIndex(c)
				var refs []string
				for i := 0; i < s; i++ {
					ref := ps[i*n/s].Slug
					if i%3 == 1 {
						ref = ps[i*n/s].ID // some references are project IDs
					}
					refs = append(refs, ref, ref) // duplicates count once
				}
				answers := ix.Lookup(context.Background(), "acme", refs)
				for _, r := range refs {
					if answers[r].Status != sentry.Found {
						t.Fatalf("%s: %+v", r, answers[r])
					}
				}
				pages := max(1, (n+99)/100)
				if budget := min(s, pages) + 1; srv.Requests() > budget {
					t.Errorf("%d requests, budget %d", srv.Requests(), budget)
				}
				// Asked again, the index answers from what it knows.
				srv.ResetCounts()
				ix.Lookup(context.Background(), "acme", refs)
				if srv.Requests() != 0 {
					t.Errorf("a second lookup made %d requests", srv.Requests())
				}
			})
		}
	}
}

func TestLookupAnswers(t *testing.T) {
	srv := fixture(t)
	srv.AddProjects("acme",
		sentrytest.Project{ID: "11", Slug: "payments", Name: "Payments"},
		sentrytest.Project{ID: "12", Slug: "checkout-web", Name: "Checkout"},
		sentrytest.Project{ID: "13", Slug: "billing-api", Name: "Billing"})
	srv.Rename("acme", "payment", "payments")
	c, _ := client(t, srv, token)
	ix := sentry.NewIndex(c)
	got := ix.Lookup(context.Background(), "acme", []string{"payments", "paymnets", "payment", "12", "99", "zzz-unrelated"})
	want := map[string]sentry.Answer{
		"payments":      {Status: sentry.Found, Project: sentry.Project{ID: "11", Slug: "payments", Name: "Payments"}},
		"paymnets":      {Status: sentry.NotFound, Suggestion: "payments"},
		"payment":       {Status: sentry.Renamed, NewSlug: "payments"},
		"12":            {Status: sentry.Found, Project: sentry.Project{ID: "12", Slug: "checkout-web", Name: "Checkout"}},
		"99":            {Status: sentry.NotFound},
		"zzz-unrelated": {Status: sentry.NotFound},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
}

func TestLookupWithProjectOnlyToken(t *testing.T) {
	srv := fixture(t)
	ps := srv.AddOrg("acme", 300, "svc")
	srv.Rename("acme", "old", ps[0].Slug)
	srv.AddToken("sntryu_projectonly", sentrytest.Token{Scopes: []string{"project:read"}})
	c, _ := client(t, srv, "sntryu_projectonly")
	ix := sentry.NewIndex(c)
	refs := []string{ps[1].Slug, ps[2].Slug, ps[3].ID, "old", "nope"}
	got := ix.Lookup(context.Background(), "acme", refs)
	for _, r := range refs[:3] {
		if got[r].Status != sentry.Found {
			t.Errorf("%s: %+v", r, got[r])
		}
	}
	if got["old"].Status != sentry.Renamed || got["nope"].Status != sentry.NotFound || !got["nope"].OrgUnchecked {
		t.Errorf("old %+v, nope %+v", got["old"], got["nope"])
	}
	// One refused list, then one retrieval per reference, at most 4 at once.
	if srv.Requests() != 1+len(refs) || srv.MaxInFlight("acme") > 4 {
		t.Errorf("%d requests, %d in flight at most", srv.Requests(), srv.MaxInFlight("acme"))
	}
}

func TestLookupFailuresAreNeverNotFound(t *testing.T) {
	refs := []string{"svc-0000", "svc-0001", "svc-0002", "nope"}
	tests := []struct {
		name  string
		setup func(*sentrytest.Server) (token string)
		fatal bool
		cause string
	}{
		{"invalid token", func(*sentrytest.Server) string { return "sntryu_bad" }, true, "token invalid or expired"},
		{"no scopes", func(s *sentrytest.Server) string {
			s.AddToken("sntrys_ci", sentrytest.Token{Scopes: []string{"org:ci"}})
			return "sntrys_ci"
		}, false, "org:read"},
		{"unknown organization", func(s *sentrytest.Server) string {
			s.AddToken("sntryu_other", sentrytest.Token{Scopes: []string{"org:read", "project:read"}, Orgs: []string{"other"}})
			return "sntryu_other"
		}, false, "not found, or not visible"},
		{"outage", func(s *sentrytest.Server) string {
			s.Fail = func(*http.Request, int) int { return http.StatusInternalServerError }
			return token
		}, false, "500 internal server error"},
		{"random 5xx and 429", func(s *sentrytest.Server) string {
			var n atomic.Int64
			s.Fail = func(*http.Request, int) int {
				switch n.Add(1) % 3 {
				case 1:
					return http.StatusBadGateway
				case 2:
					return http.StatusTooManyRequests
				}
				return http.StatusServiceUnavailable
			}
			return token
		}, false, "after 4 attempts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fixture(t)
			srv.AddOrg("acme", 10, "svc")
			c, _ := client(t, srv, tt.setup(srv))
			got := sentry.NewIndex(c).Lookup(context.Background(), "acme", refs)
			for _, r := range refs {
				a := got[r]
				if a.Status != sentry.Unverified || a.Fatal != tt.fatal || a.Err == nil || !strings.Contains(a.Err.Error(), tt.cause) {
					t.Errorf("%s: %+v (%v)", r, a, a.Err)
				}
			}
		})
	}
}

// TestUnknownOrganization: a 404 on the organization means nothing was checked, whichever way the
// lookup went (one reference retrieved, or the list first).
func TestUnknownOrganization(t *testing.T) {
	for _, refs := range [][]string{{"payments"}, {"a", "b", "c"}} {
		srv := fixture(t)
		c, _ := client(t, srv, token)
		got := sentry.NewIndex(c).Lookup(context.Background(), "ghost-org", refs)
		for _, r := range refs {
			if a := got[r]; a.Status != sentry.Unverified || !strings.Contains(a.Err.Error(), `organization "ghost-org" not found`) {
				t.Errorf("%v: %s: %+v", refs, r, a)
			}
		}
	}
}

// TestRandomFailures: whatever mix of 5xx and 429 Sentry answers with, an existing project is
// reported Found or Unverified, never NotFound, and a missing one never Found.
func TestRandomFailures(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		srv := fixture(t)
		ps := srv.AddOrg("acme", 150, "svc")
		rng := rand.New(rand.NewSource(seed))
		var mu sync.Mutex
		srv.Fail = func(*http.Request, int) int {
			mu.Lock()
			defer mu.Unlock()
			switch rng.Intn(4) {
			case 0:
				return http.StatusInternalServerError
			case 1:
				return []int{http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout, http.StatusTooManyRequests}[rng.Intn(4)]
			}
			return 0
		}
		c, _ := client(t, srv, token)
		refs := []string{ps[0].Slug, ps[1].ID, ps[149].Slug, "missing-project"}
		if seed%2 == 0 {
			refs = refs[:2] // the per-project path
		}
		got := sentry.NewIndex(c).Lookup(context.Background(), "acme", refs)
		for _, r := range refs {
			a := got[r]
			if r == "missing-project" {
				if a.Status == sentry.Found || a.Status == sentry.Renamed {
					t.Errorf("seed %d: %s: %+v", seed, r, a)
				}
				continue
			}
			if a.Status != sentry.Found && a.Status != sentry.Unverified {
				t.Errorf("seed %d: %s exists but got %+v", seed, r, a)
			}
		}
	}
}

// TestConcurrentCallersShareOneFetch: callers asking about the same organization at once wait for
// the same list instead of each fetching it.
func TestConcurrentCallersShareOneFetch(t *testing.T) {
	srv := fixture(t)
	ps := srv.AddOrg("acme", 500, "svc")
	srv.Latency = 20 * time.Millisecond
	c, _ := client(t, srv, token)
	ix := sentry.NewIndex(c)
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ix.Lookup(context.Background(), "acme", []string{ps[1].Slug, ps[2].Slug, ps[3].Slug})
		}()
	}
	wg.Wait()
	if srv.Requests() != 1 {
		t.Errorf("%d requests, want 1", srv.Requests())
	}
}

// TestIndexTTL: an Index shared by many runs (the webhook server) lists an organization once per TTL,
// and answers from its cache in between.
func TestIndexTTL(t *testing.T) {
	srv := fixture(t)
	srv.AddProjects("acme",
		sentrytest.Project{ID: "11", Slug: "payments", Name: "Payments"},
		sentrytest.Project{ID: "12", Slug: "checkout-web", Name: "Checkout"},
		sentrytest.Project{ID: "13", Slug: "billing-api", Name: "Billing"})
	c, _ := client(t, srv, token)
	now := time.Unix(1_700_000_000, 0)
	ix := sentry.NewIndex(c)
	ix.TTL, ix.Now = time.Minute, func() time.Time { return now }
	refs := []string{"payments", "checkout-web", "billing-api"} // more than PerProjectMax: one list
	lists := func() int { return srv.Count("/api/0/organizations/acme/projects/") }
	for i := 0; i < 5; i++ { // five pushes within the minute
		if got := ix.Lookup(context.Background(), "acme", refs); got["payments"].Status != sentry.Found {
			t.Fatalf("lookup %d: %+v", i, got)
		}
		now = now.Add(10 * time.Second)
	}
	if n := lists(); n != 1 {
		t.Errorf("%d list requests within the TTL, want 1", n)
	}
	now = now.Add(time.Minute)
	ix.Lookup(context.Background(), "acme", refs)
	if n := lists(); n != 2 {
		t.Errorf("%d list requests after the TTL, want 2", n)
	}
}
