package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/catalog-lint/catalog-lint/linter/report"
)

const teamA = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-a\nspec:\n  type: team\n  children: []\n"

// TestContext: with --context, the files named are checked against the whole catalog (pre-commit
// passes the changed files) and only they are reported on.
func TestContext(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"org.yaml":                 teamA,
		"svc/catalog-info.yaml":    strings.Replace(good, "team-payments", "team-b", 1),
		"other/catalog-info.yaml":  bad,
		".github/workflows/ci.yml": "on: push\n",
	})
	r := cli(t, dir, nil, "", "check", "--offline", "--format", "json", "--fail-on", "warning", "--context", ".",
		"svc/catalog-info.yaml", ".github/workflows/ci.yml")
	if r.code != ExitFindings {
		t.Fatalf("exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	var out report.JSONOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range out.Findings {
		got = append(got, f.File+" "+f.Rule+" "+f.Message)
	}
	want := []string{`svc/catalog-info.yaml relation-target-missing spec.owner "team-b" refers to group:default/team-b, which is not defined in the files linted; did you mean group:default/team-a?`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"svc/catalog-info.yaml"}, out.Linted); diff != "" || out.Files != 1 || out.Entities != 1 {
		t.Errorf("linted (-want +got):\n%s\nfiles %d, entities %d", diff, out.Files, out.Entities)
	}

	// A clean named file passes, whatever the rest of the catalog holds.
	r = cli(t, dir, nil, "", "check", "--offline", "--context", ".", "org.yaml")
	if r.code != ExitOK || !strings.Contains(r.stdout, "no problems in 1 file (1 entity)") {
		t.Errorf("exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
}
