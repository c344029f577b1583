package cli

import (
	"fmt"
	"strings"
	"testing"
)

// TestBudgetStopsTheRun: a repository with more Location targets, or more files, than the run may
// follow or read stops the run with the reason and exit code 3, and nothing is reported as missing
// (issue 19, case 1).
func TestBudgetStopsTheRun(t *testing.T) {
	files := map[string]string{}
	var targets []string
	for i := 0; i < 40; i++ {
		targets = append(targets, fmt.Sprintf("./s%02d/**/*.yaml", i), fmt.Sprintf("./missing-%02d.yaml", i))
		files[fmt.Sprintf("s%02d/catalog-info.yaml", i)] = strings.Replace(good, "name: payments", fmt.Sprintf("name: svc-%02d", i), 1)
	}
	files["catalog-info.yaml"] = "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: all\nspec:\n  targets: [" + strings.Join(targets, ", ") + "]\n"
	dir := writeTree(t, files)

	full := cli(t, dir, nil, "", "check", "--offline", "--format", "json", ".")
	if full.code != ExitFindings || !strings.Contains(full.stdout, "location-target-missing") {
		t.Fatalf("within the defaults the missing targets are reported: exit %d\n%s", full.code, full.stderr)
	}
	for _, tt := range []struct{ flag, reason string }{
		{"--max-targets=30", "more than 30 Location targets to follow"},
		{"--max-files=10", "more than 10 files to read"},
		{"--max-bytes=2000", "more than 2.0 KiB to read"},
	} {
		r := cli(t, dir, nil, "", "check", "--offline", "--format", "json", tt.flag, ".")
		if r.code != ExitUnverified || !strings.Contains(r.stderr, tt.reason) || !strings.Contains(r.stderr, "nothing was reported as missing") {
			t.Errorf("%s: exit %d\n%s", tt.flag, r.code, r.stderr)
		}
		if !strings.Contains(r.stdout, `"incomplete": "`+tt.reason) {
			t.Errorf("%s: the JSON output must say why the run stopped:\n%s", tt.flag, r.stdout)
		}
		if strings.Contains(r.stdout, "location-target-missing") || strings.Contains(r.stdout, "relation-target-missing") {
			t.Errorf("%s: something was reported as missing:\n%s", tt.flag, r.stdout)
		}
	}
}

// TestBudgetCountsEveryFileRead: YAML files that turn out to hold no entity are read too (to sniff
// them), so they count: 40 of them cannot be read under --max-files=20.
func TestBudgetCountsEveryFileRead(t *testing.T) {
	files := map[string]string{"svc/catalog-info.yaml": good}
	for i := 0; i < 40; i++ {
		files[fmt.Sprintf("helm/values-%02d.yaml", i)] = "replicas: 2\n"
	}
	dir := writeTree(t, files)
	if r := cli(t, dir, nil, "", "check", "--offline", "."); r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	r := cli(t, dir, nil, "", "check", "--offline", "--max-files=20", ".")
	if r.code != ExitUnverified || !strings.Contains(r.stderr, "more than 20 files to read") {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
}
