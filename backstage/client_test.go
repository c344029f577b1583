package backstage_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/catalog-lint/catalog-lint/backstage"
	"github.com/catalog-lint/catalog-lint/backstage/backstagetest"
)

const token = "bs-static-token-0123456789"

func noWait(ctx context.Context, _ time.Duration) error { return ctx.Err() }

func client(t *testing.T, url string, cfg backstage.Config) *backstage.Client {
	t.Helper()
	cfg.BaseURL = url
	if cfg.Sleep == nil {
		cfg.Sleep = noWait
	}
	c, err := backstage.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestBatchesOf1000(t *testing.T) {
	srv := backstagetest.New(token)
	defer srv.Close()
	var refs []string
	for i := 0; i < 2500; i++ {
		refs = append(refs, fmt.Sprintf("component:default/svc-%04d", i))
		if i%2 == 0 {
			srv.Add("Component", "default", fmt.Sprintf("svc-%04d", i), "")
		}
	}
	found, requests, err := client(t, srv.URL, backstage.Config{Token: token}).EntitiesByRefs(context.Background(), refs)
	if err != nil {
		t.Fatal(err)
	}
	n, batches := srv.Requests()
	if requests != 3 || n != 3 || !cmp.Equal(batches, []int{1000, 1000, 500}) {
		t.Errorf("requests %d (%d served), batches %v; want 3 of 1000, 1000, 500", requests, n, batches)
	}
	if len(found) != 1250 || found["component:default/svc-0000"] == nil || found["component:default/svc-0001"] != nil {
		t.Errorf("found %d entities", len(found))
	}
	if e := found["component:default/svc-0002"]; e.Kind != "Component" || e.Metadata.Name != "svc-0002" {
		t.Errorf("entity %+v", e)
	}
}

func TestFailures(t *testing.T) {
	tests := []struct {
		name      string
		fail      []int
		token     string
		wantCalls int
		wantErr   string
	}{
		{"unauthorized, not retried", nil, "wrong", 1, "401 Unauthorized: the token was rejected"},
		{"forbidden", []int{403}, token, 1, "403 Forbidden: the token may not read the catalog"},
		{"503 three times", []int{503, 503, 503}, token, 3, "503 Service Unavailable: the catalog is unavailable"},
		{"503 then an answer", []int{503}, token, 2, ""},
		{"429 then an answer", []int{429}, token, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := backstagetest.New(token)
			defer srv.Close()
			srv.Add("Group", "default", "team-a", "")
			srv.Fail(tt.fail...)
			found, _, err := client(t, srv.URL, backstage.Config{Token: tt.token}).EntitiesByRefs(context.Background(), []string{"group:default/team-a"})
			n, _ := srv.Requests()
			if n != tt.wantCalls {
				t.Errorf("%d requests, want %d", n, tt.wantCalls)
			}
			if tt.wantErr == "" {
				if err != nil || found["group:default/team-a"] == nil {
					t.Errorf("found %v, err %v", found, err)
				}
				return
			}
			var be *backstage.Error
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &be) || found != nil {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
			if strings.Contains(fmt.Sprint(err), tt.token) {
				t.Errorf("the token is in the error: %v", err)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	srv := backstagetest.New(token)
	defer srv.Close()
	srv.Delay(300 * time.Millisecond)
	start := time.Now()
	_, _, err := client(t, srv.URL, backstage.Config{Token: token, Timeout: 50 * time.Millisecond, Retries: -1}).
		EntitiesByRefs(context.Background(), []string{"group:default/a"})
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("err = %v", err)
	}
	if time.Since(start) > time.Second {
		t.Errorf("the timeout was not applied")
	}
}

// TestTokenStaysHome: a redirect is not followed (the token would go with it), and a server that
// echoes the token does not get it into an error.
func TestTokenStaysHome(t *testing.T) {
	var stolen atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
	}))
	defer elsewhere.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	_, _, err := client(t, redirect.URL, backstage.Config{Token: token}).EntitiesByRefs(context.Background(), []string{"group:default/a"})
	if err == nil || !strings.Contains(err.Error(), "redirected") || stolen.Load() != 0 {
		t.Errorf("err = %v, requests elsewhere %d", err, stolen.Load())
	}

	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"error":{"name":"AuthenticationError","message":"bad token %s\n"}}`, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	}))
	defer echo.Close()
	_, _, err = client(t, echo.URL, backstage.Config{Token: token}).EntitiesByRefs(context.Background(), []string{"group:default/a"})
	if err == nil || strings.Contains(err.Error(), token) || !strings.Contains(err.Error(), "[token]") || strings.ContainsAny(err.Error(), "\n\r") {
		t.Errorf("err = %v", err)
	}
}

func TestConfig(t *testing.T) {
	for _, bad := range []string{"", "backstage.example.com", "ftp://x", "https://user:pw@backstage.example.com"} {
		if _, err := backstage.NewClient(backstage.Config{BaseURL: bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestRefsOfKind: the entities of a kind are listed page by page (500 a page, following
// pageInfo.nextCursor) with the token; a rejected token is an error, not an empty list.
func TestRefsOfKind(t *testing.T) {
	srv := backstagetest.New(token)
	defer srv.Close()
	for i := 0; i < 1203; i++ {
		srv.Add("Group", "default", fmt.Sprintf("team-%04d", i), "")
	}
	srv.Add("Group", "platform", "sre", "")
	srv.Add("Component", "default", "payments", "")
	refs, err := client(t, srv.URL, backstage.Config{Token: token}).RefsOfKind(context.Background(), "group")
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := srv.Requests(); len(refs) != 1204 || n != 3 {
		t.Errorf("%d refs in %d requests", len(refs), n)
	}
	seen := map[string]bool{}
	for _, r := range refs {
		seen[r] = true
	}
	if !seen["Group:platform/sre"] || !seen["Group:default/team-1202"] || seen["Component:default/payments"] {
		t.Errorf("refs: %v…", refs[:5])
	}
	if _, err := client(t, srv.URL, backstage.Config{Token: "wrong"}).RefsOfKind(context.Background(), "group"); err == nil || !strings.Contains(err.Error(), "token was rejected") {
		t.Errorf("wrong token: %v", err)
	}
}
