// Package action tests the composite Action's installer (install.sh) as the runner runs it: bash,
// with the variables a runner sets, against a local server serving fake releases.
package action

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// release is a fake GitHub release: its assets by name.
type release map[string][]byte

type fakeGitHub struct {
	*httptest.Server
	mu       sync.Mutex
	releases map[string]release // by tag
	requests []string
}

func newFakeGitHub(t *testing.T) *fakeGitHub {
	f := &fakeGitHub{releases: map[string]release{}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.requests = append(f.requests, r.URL.Path)
		switch {
		case r.URL.Path == "/api/releases":
			var tags []string
			for tag := range f.releases {
				tags = append(tags, fmt.Sprintf(`{"tag_name": %q, "draft": false}`, tag))
			}
			fmt.Fprintf(w, "[%s]", strings.Join(tags, ","))
		case strings.HasPrefix(r.URL.Path, "/releases/download/"):
			parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/releases/download/"), "/", 2)
			asset, ok := f.releases[parts[0]][parts[1]]
			if !ok {
				http.Error(w, "Not Found", http.StatusNotFound)
				return
			}
			w.Write(asset)
		default:
			http.Error(w, "Not Found", http.StatusNotFound)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

// binary builds catalog-lint stamped with version, once per version.
func binary(t *testing.T, version string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "catalog-lint")
	cmd := exec.Command("go", "build", "-ldflags", "-X github.com/catalog-lint/catalog-lint/cmd/catalog-lint/cli.Version="+version, "-o", out, "../cmd/catalog-lint")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func tarGz(t *testing.T, name string, data []byte) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range []struct {
		name string
		data []byte
		mode int64
	}{{"README.md", []byte("catalog-lint\n"), 0o644}, {name, data, 0o755}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data))}); err != nil {
			t.Fatal(err)
		}
		tw.Write(f.data)
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func checksums(assets map[string][]byte) []byte {
	var b strings.Builder
	for name, data := range assets {
		sum := sha256.Sum256(data)
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(sum[:]), name)
	}
	return []byte(b.String())
}

// runner is a runner's environment for install.sh.
type runner struct {
	t                         *testing.T
	toolCache, temp, pathFile string
	outputFile                string
	env                       map[string]string
}

func newRunner(t *testing.T, f *fakeGitHub) *runner {
	dir := t.TempDir()
	r := &runner{t: t, toolCache: filepath.Join(dir, "toolcache"), temp: filepath.Join(dir, "temp"),
		pathFile: filepath.Join(dir, "path"), outputFile: filepath.Join(dir, "output")}
	for _, d := range []string{r.toolCache, r.temp} {
		os.MkdirAll(d, 0o755)
	}
	r.env = map[string]string{"RUNNER_OS": "Linux", "RUNNER_ARCH": "X64", "RUNNER_TEMP": r.temp, "RUNNER_TOOL_CACHE": r.toolCache,
		"GITHUB_PATH": r.pathFile, "GITHUB_OUTPUT": r.outputFile,
		"CATALOG_LINT_RELEASES": f.URL + "/releases", "CATALOG_LINT_RELEASES_API": f.URL + "/api/releases"}
	return r
}

func (r *runner) run(step string, env ...string) (string, error) {
	r.t.Helper()
	cmd := exec.Command("bash", "install.sh", step)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range r.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// installed runs the catalog-lint that install.sh put on the path, as the Action's next step would.
func (r *runner) installed() string {
	r.t.Helper()
	data, err := os.ReadFile(r.pathFile)
	if err != nil {
		r.t.Fatalf("nothing was added to GITHUB_PATH: %v", err)
	}
	dirs := strings.Fields(string(data))
	out, err := exec.Command(filepath.Join(dirs[len(dirs)-1], "catalog-lint"), "version").CombinedOutput()
	if err != nil {
		r.t.Fatalf("the installed catalog-lint: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestInstall(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	f := newFakeGitHub(t)
	bin := binary(t, "1.2.3")
	good := map[string][]byte{
		"catalog-lint_1.2.3_linux_amd64.tar.gz": tarGz(t, "catalog-lint", bin),
		"catalog-lint_1.2.3_linux_arm64.tar.gz": tarGz(t, "catalog-lint", bin), // the same bytes stand in for arm64
	}
	v123 := release{"checksums.txt": checksums(good)}
	for k, v := range good {
		v123[k] = v
	}
	f.mu.Lock() // the server reads them from its own goroutines
	f.releases["v1.2.3"] = v123
	f.releases["v1.10.0"] = release{}
	f.releases["v2.0.0"] = release{}
	f.mu.Unlock()

	t.Run("good archive, then the tool cache", func(t *testing.T) {
		r := newRunner(t, f)
		if out, err := r.run("install", "CATALOG_LINT_VERSION=1.2.3"); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if got := r.installed(); got != "catalog-lint 1.2.3" {
			t.Errorf("installed %q", got)
		}
		f.mu.Lock()
		before := len(f.requests)
		f.mu.Unlock()
		out, err := r.run("install", "CATALOG_LINT_VERSION=1.2.3")
		f.mu.Lock()
		after := len(f.requests)
		f.mu.Unlock()
		if err != nil || !strings.Contains(out, "from the tool cache") || after != before {
			t.Errorf("second install: %v, %d downloads\n%s", err, after-before, out)
		}
	})
	t.Run("arm64", func(t *testing.T) {
		r := newRunner(t, f)
		r.env["RUNNER_ARCH"] = "ARM64"
		out, err := r.run("install", "CATALOG_LINT_VERSION=1.2.3")
		if err != nil || !strings.Contains(out, "catalog-lint_1.2.3_linux_arm64.tar.gz") {
			t.Fatalf("%v\n%s", err, out)
		}
	})
	t.Run("wrong checksum", func(t *testing.T) {
		bad := release{"catalog-lint_1.3.0_linux_amd64.tar.gz": tarGz(t, "catalog-lint", []byte("#!/bin/sh\necho tampered\n"))}
		bad["checksums.txt"] = checksums(map[string][]byte{"catalog-lint_1.3.0_linux_amd64.tar.gz": []byte("what was released")})
		f.mu.Lock()
		f.releases["v1.3.0"] = bad
		f.mu.Unlock()
		r := newRunner(t, f)
		out, err := r.run("install", "CATALOG_LINT_VERSION=1.3.0")
		if err == nil || !strings.Contains(out, "does not match checksums.txt") {
			t.Fatalf("%v\n%s", err, out)
		}
		if _, err := os.Stat(r.pathFile); err == nil {
			t.Error("a binary that failed verification was put on the path")
		}
		if found, _ := filepath.Glob(filepath.Join(r.toolCache, "catalog-lint", "1.3.0", "*", "catalog-lint")); len(found) > 0 {
			t.Errorf("left in the tool cache: %v", found)
		}
	})
	t.Run("missing asset", func(t *testing.T) {
		r := newRunner(t, f)
		r.env["RUNNER_OS"] = "macOS"
		out, err := r.run("install", "CATALOG_LINT_VERSION=1.2.3")
		if err == nil || !strings.Contains(out, "has no catalog-lint_1.2.3_darwin_amd64.tar.gz") {
			t.Fatalf("%v\n%s", err, out)
		}
	})
	t.Run("listed but not uploaded", func(t *testing.T) {
		partial := release{"checksums.txt": checksums(map[string][]byte{"catalog-lint_1.4.0_linux_amd64.tar.gz": []byte("x")})}
		f.mu.Lock()
		f.releases["v1.4.0"] = partial
		f.mu.Unlock()
		r := newRunner(t, f)
		out, err := r.run("install", "CATALOG_LINT_VERSION=1.4.0")
		if err == nil || !strings.Contains(out, "could not download catalog-lint_1.4.0_linux_amd64.tar.gz") {
			t.Fatalf("%v\n%s", err, out)
		}
	})
	t.Run("404 release", func(t *testing.T) {
		r := newRunner(t, f)
		out, err := r.run("install", "CATALOG_LINT_VERSION=9.9.9")
		if err == nil || !strings.Contains(out, "catalog-lint v9.9.9 has no release") || !strings.Contains(out, "::error title=catalog-lint::") {
			t.Fatalf("%v\n%s", err, out)
		}
	})
	t.Run("resolve", func(t *testing.T) {
		for _, tt := range []struct{ ref, input, want, fail string }{
			{"v1.2.3", "", "1.2.3", ""},
			{"v1", "", "1.10.0", ""}, // the newest 1.x, compared as numbers
			{"v1.2", "", "1.2.3", ""},
			{"main", "", "", "is not a release"},
			{"main", "1.2.3", "1.2.3", ""},
			{"v3", "", "", "no catalog-lint release matches v3"},
		} {
			r := newRunner(t, f)
			out, err := r.run("resolve", "ACTION_REF="+tt.ref, "INPUT_VERSION="+tt.input)
			written, _ := os.ReadFile(r.outputFile)
			switch {
			case tt.fail != "" && (err == nil || !strings.Contains(out, tt.fail)):
				t.Errorf("%s/%s: %v\n%s", tt.ref, tt.input, err, out)
			case tt.fail == "" && (err != nil || string(written) != "version="+tt.want+"\n"):
				t.Errorf("%s/%s: %v, wrote %q, want version=%s\n%s", tt.ref, tt.input, err, written, tt.want, out)
			}
		}
	})
}
