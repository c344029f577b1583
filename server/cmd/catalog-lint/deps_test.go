package main

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// knownVulnerable lists dependencies with published advisories and the first fixed version.
var knownVulnerable = []struct {
	module, fixed, advisory string
}{
	{"github.com/golang-jwt/jwt/v4", "v4.5.2", "CVE-2025-30204 (excessive memory allocation parsing a header)"},
	{"github.com/golang-jwt/jwt/v5", "v5.2.2", "CVE-2025-30204"},
	{"golang.org/x/crypto", "v0.35.0", "CVE-2025-22869 (ssh denial of service)"},
	{"golang.org/x/net", "v0.38.0", "CVE-2025-22872 (html tokenizer)"},
	{"github.com/gin-gonic/gin", "v1.9.1", "CVE-2023-29401 (Content-Disposition filename)"},
	{"github.com/quic-go/quic-go", "v0.54.0", "CVE-2025-59530 (crash on premature HANDSHAKE_DONE)"},
}

func TestDependenciesHaveNoKnownAdvisory(t *testing.T) {
	// The modules whose packages the released catalog-lint binary (this module's build, with serve) links, at the versions the build selects.
	cmd := exec.Command("go", "list", "-deps", "-f", "{{with .Module}}{{if .Replace}}{{.Replace.Path}} {{.Replace.Version}}{{else}}{{.Path}} {{.Version}}{{end}}{{end}}", "github.com/catalog-lint/catalog-lint/server/cmd/catalog-lint")
	out, err := cmd.Output()
	if err != nil {
		if _, lookErr := exec.LookPath("go"); lookErr != nil {
			t.Skip("the go command is not installed")
		}
		t.Fatalf("go list: %v", err)
	}
	linked := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if path, version, ok := strings.Cut(line, " "); ok && version != "" {
			linked[path] = version
		}
	}
	if linked["github.com/golang-jwt/jwt/v4"] == "" && linked["github.com/golang-jwt/jwt/v5"] == "" {
		t.Fatal("no JWT library is linked: the GitHub App's authentication must have changed; review this test's list")
	}
	for _, v := range knownVulnerable {
		have, ok := linked[v.module]
		if !ok {
			continue
		}
		if semverLess(have, v.fixed) {
			t.Errorf("%s %s is affected by %s; use %s or newer", v.module, have, v.advisory, v.fixed)
		}
	}
}

func TestSemverLess(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"v4.5.0", "v4.5.2", true},
		{"v4.5.2", "v4.5.2", false},
		{"v4.10.0", "v4.5.2", false},
		{"v0.9.0", "v0.38.0", true},
		{"v1.0.0-rc1", "v1.0.0", true},
		{"v0.0.0-20180306012644-bacd9c7ef1dd", "v0.1.0", true},
	}
	for _, tt := range tests {
		if got := semverLess(tt.a, tt.b); got != tt.want {
			t.Errorf("semverLess(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

// semverLess compares two module versions: numerically by major, minor and patch, and a
// pre-release (or pseudo-version) before the release it precedes.
func semverLess(a, b string) bool {
	pa, prea := splitVersion(a)
	pb, preb := splitVersion(b)
	for i := range 3 {
		if pa[i] != pb[i] {
			return pa[i] < pb[i]
		}
	}
	return prea != "" && preb == ""
}

func splitVersion(v string) ([3]int, string) {
	v = strings.TrimPrefix(v, "v")
	v, _, _ = strings.Cut(v, "+")
	core, pre, _ := strings.Cut(v, "-")
	var out [3]int
	for i, part := range strings.SplitN(core, ".", 3) {
		out[i], _ = strconv.Atoi(part)
	}
	return out, pre
}
