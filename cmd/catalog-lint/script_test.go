package main

import (
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain makes this test binary the catalog-lint command of the scripts.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"catalog-lint": main})
}

// TestScripts runs testdata/script/*.txtar: each documented behaviour, as a user types it, with the
// output the docs show. A claim in the docs that goes false fails here.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("..", "..", "testdata", "script"),
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			// The scripts run offline: no token of the environment reaches them.
			for _, k := range []string{"SENTRY_AUTH_TOKEN", "SENTRY_TOKEN", "GITHUB_TOKEN", "BACKSTAGE_URL"} {
				env.Setenv(k, "")
			}
			return nil
		},
	})
}
