package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/catalog-lint/catalog-lint/linter/report"
)

// TestEachPathInItsOwnRepository: a path is judged within the Git work tree that holds it, and with
// the configuration found from its folder upward, wherever the command runs. Run from inside another
// work tree, other-repo's techdocs-ref dir:., its Location target and its own .catalog-lint.yaml
// must count as they do when the command runs inside other-repo.
func TestEachPathInItsOwnRepository(t *testing.T) {
	component := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: pay\n  tags: [Payments]\n" +
		"  annotations:\n    backstage.io/techdocs-ref: dir:.\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"
	location := "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: root\nspec:\n  targets: [./org.yaml]\n"
	dir := writeTree(t, map[string]string{
		"here/.git/HEAD":                   "ref: refs/heads/main\n",
		"here/catalog-info.yaml":           good,
		"other-repo/.git/HEAD":             "ref: refs/heads/main\n",
		"other-repo/.catalog-lint.yaml":    "rules:\n  tag-format: off\n",
		"other-repo/mkdocs.yml":            "site_name: pay\n",
		"other-repo/catalog-info.yaml":     component,
		"other-repo/locations.yaml":        location,
		"other-repo/org.yaml":              teamA,
		"other-repo/services/x/README.txt": "not a catalog file\n",
	})
	here := filepath.Join(dir, "here")
	other := filepath.Join(dir, "other-repo")
	findings := func(r run) []string {
		t.Helper()
		var out report.JSONOutput
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("%v: %s%s", err, r.stdout, r.stderr)
		}
		var got []string
		for _, f := range out.Findings {
			got = append(got, f.File+" "+f.Rule)
		}
		return got
	}
	// Inside other-repo: the reference verdict.
	inside := cli(t, other, nil, "", "check", "--offline", "--format", "json", ".")
	if inside.code != ExitOK {
		t.Fatalf("inside other-repo: exit %d: %s%s", inside.code, inside.stdout, inside.stderr)
	}
	for _, args := range [][]string{
		{filepath.Join(other, "catalog-info.yaml"), filepath.Join(other, "locations.yaml")},
		{"../other-repo/catalog-info.yaml", "../other-repo/locations.yaml"},
		{"../other-repo"},
		{other},
		{".", "../other-repo"}, // two repositories in one run, each judged in its own
	} {
		r := cli(t, here, nil, "", append([]string{"check", "--offline", "--format", "json"}, args...)...)
		if r.code != ExitOK {
			t.Errorf("check %v from another work tree: exit %d: %s%s", args, r.code, r.stdout, r.stderr)
			continue
		}
		if diff := cmp.Diff([]string(nil), findings(r)); diff != "" {
			t.Errorf("check %v (-want +got):\n%s", args, diff)
		}
	}
	// The configuration is the linted folder's: without other-repo's file, the tag is reported.
	if err := os.Remove(filepath.Join(other, ".catalog-lint.yaml")); err != nil {
		t.Fatal(err)
	}
	r := cli(t, here, nil, "", "check", "--offline", "--format", "json", "../other-repo")
	if diff := cmp.Diff([]string{"../other-repo/catalog-info.yaml tag-format"}, findings(r)); diff != "" {
		t.Errorf("without other-repo's configuration (-want +got):\n%s", diff)
	}
}

// TestConfigFlagWinsOverNearestFile: --config is used for every path; without it, the nearest
// .catalog-lint.yaml above the folder that holds a repository's paths.
func TestConfigFlagWinsOverNearestFile(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"repo/.git/HEAD":                     "ref: refs/heads/main\n",
		"repo/.catalog-lint.yaml":            "rules:\n  relation-target-missing: error\n",
		"repo/team/.catalog-lint.yaml":       "rules:\n  relation-target-missing: off\n",
		"repo/team/catalog-info.yaml":        strings.Replace(good, "team-payments", "team-c", 1),
		"repo/org.yaml":                      "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-b\nspec:\n  type: team\n  children: []\n",
		"elsewhere/strict.catalog-lint.yaml": "rules:\n  relation-target-missing: error\n",
	})
	repo := filepath.Join(dir, "repo")
	if r := cli(t, dir, nil, "", "check", "--offline", "repo/team/catalog-info.yaml", "repo/team"); r.code != ExitOK {
		t.Errorf("team's own configuration turns the rule off: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	// One repository is one catalog: team/ and org.yaml together take the configuration above both.
	if r := cli(t, filepath.Join(repo, "team"), nil, "", "check", "--offline", ".", "../org.yaml"); r.code != ExitFindings {
		t.Errorf("the repository's configuration for team/ and org.yaml: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	if r := cli(t, repo, nil, "", "check", "--offline", "."); r.code != ExitFindings {
		t.Errorf("the repository's configuration makes the dangling owner an error: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	if r := cli(t, repo, nil, "", "check", "--offline", "--config", filepath.Join(dir, "elsewhere", "strict.catalog-lint.yaml"), "team", "org.yaml"); r.code != ExitFindings {
		t.Errorf("--config wins over team's file: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
}
