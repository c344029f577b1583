package credentials

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/google/go-github/v60/github"
)

// TestRedirectToAnotherHostCarriesNoToken: GitHub's API answering with a redirect to another host
// (a proxy, a misconfigured GitHub Enterprise Server) gets the token on the first request only.
func TestRedirectToAnotherHostCarriesNoToken(t *testing.T) {
	var elsewhere []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere = append(elsewhere, r.Header.Get("Authorization")+"|"+r.Header.Get("Cookie"))
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id": 1, "full_name": "o/r"}`))
	}))
	defer other.Close()
	var atAPI []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		atAPI = append(atAPI, r.Header.Get("Authorization"))
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer api.Close()
	base, _ := url.Parse(api.URL + "/")
	for _, tt := range []struct {
		name    string
		guarded bool
	}{{"guarded", true}, {"as go-github does it alone", false}} {
		elsewhere, atAPI = nil, nil
		var tr http.RoundTripper = http.DefaultTransport
		if tt.guarded {
			tr = OnlyTo(base.Host, tr)
		}
		gh := github.NewClient(&http.Client{Transport: tr}).WithAuthToken("ghp_secret_token")
		gh.BaseURL = base
		if _, _, err := gh.Repositories.Get(context.Background(), "o", "r"); err != nil {
			t.Fatal(err)
		}
		if len(atAPI) != 1 || atAPI[0] != "Bearer ghp_secret_token" {
			t.Errorf("%s: the API got %q", tt.name, atAPI)
		}
		leaked := len(elsewhere) != 1 || elsewhere[0] != "|"
		if tt.guarded && leaked {
			t.Errorf("%s: the other host got credentials: %q", tt.name, elsewhere)
		}
		if !tt.guarded && !leaked {
			t.Errorf("%s: without the guard the token is sent again (what this test guards against); got %q", tt.name, elsewhere)
		}
	}
}
