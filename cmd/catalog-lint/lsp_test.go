package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/catalog-lint/catalog-lint/backstage/backstagetest"
	"github.com/catalog-lint/catalog-lint/linter/synthetic"
	"github.com/catalog-lint/catalog-lint/rules/githubtest"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// catalogLintBinary builds this command once per test run.
func catalogLintBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "catalog-lint-bin")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "catalog-lint")
		if out, err := exec.Command("go", "build", "-o", builtBin, ".").CombinedOutput(); err != nil {
			buildErr = &buildError{err, string(out)}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + e.out }

// lspClient talks to `catalog-lint lsp` as an editor does: JSON-RPC over the process's standard
// input and output with Content-Length framing (sourcegraph/jsonrpc2, VS Code's codec).
type lspClient struct {
	t     testing.TB
	cmd   *exec.Cmd
	conn  *jsonrpc2.Conn
	diags chan publishDiagnostics
	// asked gets the server's requests to the client (client/registerCapability …), answered null.
	asked chan *jsonrpc2.Request
}

type publishDiagnostics struct {
	URI         string       `json:"uri"`
	Version     int          `json:"version"`
	Diagnostics []diagnostic `json:"diagnostics"`
}

type diagnostic struct {
	Range           lspRange `json:"range"`
	Severity        int      `json:"severity"`
	Code            string   `json:"code"`
	CodeDescription struct {
		Href string `json:"href"`
	} `json:"codeDescription"`
	Source  string `json:"source"`
	Message string `json:"message"`
}

type lspRange struct {
	Start position `json:"start"`
	End   position `json:"end"`
}

type position struct {
	Line      int `json:"line"`
	Character int `json:"character"`
}

type codeAction struct {
	Title string `json:"title"`
	Kind  string `json:"kind"`
	Edit  struct {
		Changes map[string][]struct {
			Range   lspRange `json:"range"`
			NewText string   `json:"newText"`
		} `json:"changes"`
	} `json:"edit"`
}

type pipes struct {
	io.Reader
	io.WriteCloser
}

// writeFiles writes files (path relative to dir -> content) under dir.
func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// initialize does the protocol's handshake with root as the workspace ("" for none).
func (c *lspClient) initialize(root string) {
	c.t.Helper()
	params := map[string]any{"processId": os.Getpid(), "capabilities": map[string]any{}}
	if root != "" {
		params["rootUri"] = "file://" + filepath.ToSlash(root)
	}
	if err := c.call("initialize", params, nil); err != nil {
		c.t.Fatal(err)
	}
	c.notify("initialized", map[string]any{})
}

// startLSP starts `catalog-lint lsp` in dir with env (besides PATH and HOME) and args.
func startLSP(t testing.TB, dir string, env []string, args ...string) *lspClient {
	t.Helper()
	cmd := exec.Command(catalogLintBinary(t), append([]string{"lsp", "--stdio"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &lspClient{t: t, cmd: cmd, diags: make(chan publishDiagnostics, 16), asked: make(chan *jsonrpc2.Request, 16)}
	c.conn = jsonrpc2.NewConn(context.Background(), jsonrpc2.NewBufferedStream(pipes{stdout, stdin}, jsonrpc2.VSCodeObjectCodec{}),
		jsonrpc2.HandlerWithError(func(_ context.Context, _ *jsonrpc2.Conn, req *jsonrpc2.Request) (any, error) {
			if req.Method == "textDocument/publishDiagnostics" && req.Params != nil {
				var p publishDiagnostics
				if err := json.Unmarshal(*req.Params, &p); err == nil {
					c.diags <- p
				}
			} else if !req.Notif {
				select {
				case c.asked <- req:
				default:
				}
			}
			return nil, nil
		}))
	t.Cleanup(func() {
		c.conn.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return c
}

func (c *lspClient) call(method string, params, result any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return c.conn.Call(ctx, method, params, result)
}

func (c *lspClient) notify(method string, params any) {
	c.t.Helper()
	if err := c.conn.Notify(context.Background(), method, params); err != nil {
		c.t.Fatal(err)
	}
}

// next waits for the diagnostics of version.
func (c *lspClient) next(version int) publishDiagnostics {
	c.t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case p := <-c.diags:
			if p.Version == version {
				return p
			}
		case <-timeout:
			c.t.Fatalf("no diagnostics for version %d", version)
		}
	}
}

// nextFor waits for the diagnostics of version of the document uri, passing over other documents'.
func (c *lspClient) nextFor(uri string, version int) publishDiagnostics {
	c.t.Helper()
	for {
		if p := c.next(version); p.URI == uri {
			return p
		}
	}
}

// open says the editor opened uri holding text (version 1).
func (c *lspClient) open(uri, text string) {
	c.t.Helper()
	c.notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": uri, "languageId": "yaml", "version": 1, "text": text}})
}

// location is a place "go to definition" answers with.
type location struct {
	URI   string   `json:"uri"`
	Range lspRange `json:"range"`
}

// definition asks "go to definition" at a position of uri.
func (c *lspClient) definition(uri string, at position) []location {
	c.t.Helper()
	var got []location
	if err := c.call("textDocument/definition", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": at}, &got); err != nil {
		c.t.Fatal(err)
	}
	return got
}

// gitInit makes dir a repository, as the workspace lint finds one.
func gitInit(t testing.TB, dir string) {
	t.Helper()
	if out, err := exec.Command("git", "init", "-q", dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v %s", err, out)
	}
}

// TestLSPDiagnosticsAndQuickFix drives `catalog-lint lsp` as an editor would: open a catalog file
// with a fixable error, get the diagnostic (rule as code, a link to its doc, the exact range), ask for
// code actions, apply the quick fix, and see the diagnostic go; then shut down (exit code 0).
func TestLSPDiagnosticsAndQuickFix(t *testing.T) {
	dir := t.TempDir()
	text := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: checkout\n  tags:\n    - Web-Frontend\nspec:\n  type: service\n  lifecycle: production\n  owner: team-payments\n"
	path := filepath.Join(dir, "catalog-info.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	uri := "file://" + filepath.ToSlash(path)
	c := startLSP(t, dir, nil, "--offline")
	var init struct {
		Capabilities map[string]any `json:"capabilities"`
		ServerInfo   struct{ Name string }
	}
	if err := c.call("initialize", map[string]any{"processId": os.Getpid(), "rootUri": "file://" + filepath.ToSlash(dir), "capabilities": map[string]any{}}, &init); err != nil {
		t.Fatal(err)
	}
	if init.ServerInfo.Name != "catalog-lint" || init.Capabilities["codeActionProvider"] == nil {
		t.Fatalf("initialize: %+v", init)
	}
	c.notify("initialized", map[string]any{})
	c.open(uri, text)
	got := c.next(1)
	if len(got.Diagnostics) != 1 {
		t.Fatalf("diagnostics: %+v", got)
	}
	d := got.Diagnostics[0]
	if d.Code != "tag-format" || d.Severity != 1 || d.Source != "catalog-lint" || !strings.HasSuffix(d.CodeDescription.Href, "docs/rules.md#tag-format") ||
		d.Range != (lspRange{position{5, 6}, position{5, 18}}) {
		t.Errorf("diagnostic: %+v", d)
	}
	var actions []codeAction
	if err := c.call("textDocument/codeAction", map[string]any{"textDocument": map[string]any{"uri": uri}, "range": d.Range,
		"context": map[string]any{"diagnostics": []any{d}}}, &actions); err != nil {
		t.Fatal(err)
	}
	var quick *codeAction
	kinds := map[string]bool{}
	for i, a := range actions {
		kinds[a.Kind] = true
		if a.Kind == "quickfix" {
			quick = &actions[i]
		}
	}
	if quick == nil || !kinds["source.fixAll"] || len(quick.Edit.Changes[uri]) != 1 {
		t.Fatalf("code actions: %+v", actions)
	}
	e := quick.Edit.Changes[uri][0]
	if e.NewText != "web-frontend" || e.Range != (lspRange{position{5, 6}, position{5, 18}}) {
		t.Errorf("quick fix edit: %+v", e)
	}
	fixed := strings.Replace(text, "Web-Frontend", e.NewText, 1)
	c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 2}, "contentChanges": []any{map[string]any{"text": fixed}}})
	if got := c.next(2); len(got.Diagnostics) != 0 {
		t.Errorf("after the fix: %+v", got)
	}
	// An unknown request is an error, not a crash; the server still answers afterwards.
	if err := c.call("catalogLint/nonsense", map[string]any{}, nil); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("unknown method: %v", err)
	}
	if err := c.call("shutdown", nil, nil); err != nil {
		t.Fatal(err)
	}
	c.notify("exit", nil)
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after shutdown: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not exit")
	}
}

// TestNeovimLSP: Neovim's built-in LSP client (Debian's neovim, headless) gets the diagnostic, the
// quick fix, and the diagnostic gone once the fix is applied (testdata/neovim-lsp.lua).
// CATALOG_LINT_REQUIRE_NVIM=1 (CI) makes a missing nvim a failure rather than a skip.
func TestNeovimLSP(t *testing.T) {
	nvim, err := exec.LookPath("nvim")
	if err != nil {
		if os.Getenv("CATALOG_LINT_REQUIRE_NVIM") != "" {
			t.Fatal("nvim is not installed (apt-get install neovim)")
		}
		t.Skip("nvim is not installed")
	}
	dir := t.TempDir()
	doc := filepath.Join(dir, "catalog-info.yaml")
	text := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: checkout\n  tags:\n    - Web-Frontend\nspec:\n  type: service\n  lifecycle: production\n  owner: team-payments\n"
	if err := os.WriteFile(doc, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "neovim-lsp.lua"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.txt")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, nvim, "--headless", "--clean", "-n", "-c", "luafile "+script)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "XDG_STATE_HOME=" + t.TempDir(), "XDG_DATA_HOME=" + t.TempDir(),
		"CATALOG_LINT=" + catalogLintBinary(t), "DOC=" + doc, "OUT=" + out}
	if b, err := cmd.CombinedOutput(); err != nil && ctx.Err() != nil {
		t.Fatalf("nvim did not finish: %v\n%s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("nvim wrote nothing: %v", err)
	}
	got := string(data)
	for _, want := range []string{
		"attached true",
		"diagnostic 5:6-5:18 tag-format https://github.com/catalog-lint/catalog-lint/blob/main/docs/rules.md#tag-format tag \"Web-Frontend\" is not valid",
		"action quickfix ",
		"action source.fixAll Fix all catalog-lint problems in this file",
		"line [    - web-frontend]",
		"cleared true",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("nvim: no %q in\n%s", want, got)
		}
	}
}

// TestLSPNetworkRulesOnOpenAndSave: a rule that asks another system (GitHub, faked over HTTP) runs
// when the document is opened and saved, not on each change; while the document changes, its
// finding stays on its line.
func TestLSPNetworkRulesOnOpenAndSave(t *testing.T) {
	gh := githubtest.New("ghs_lsp_test")
	defer gh.Close()
	gh.AddRepo("acme/payments", false)
	dir := t.TempDir()
	text := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: checkout\n  annotations:\n    github.com/project-slug: acme/paymnets\nspec:\n  type: service\n  lifecycle: production\n  owner: team-payments\n"
	path := filepath.Join(dir, "catalog-info.yaml")
	uri := "file://" + filepath.ToSlash(path)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c := startLSP(t, dir, []string{"GITHUB_TOKEN=ghs_lsp_test", "GITHUB_API_URL=" + gh.URL})
	c.initialize("")
	c.open(uri, text)
	codes := func(p publishDiagnostics) string {
		var out []string
		for _, d := range p.Diagnostics {
			out = append(out, d.Code)
		}
		return strings.Join(out, ",")
	}
	if got := c.next(1); codes(got) != "github-repo-exists" {
		t.Fatalf("on open: %+v", got)
	}
	asked, _ := gh.Requests()
	// A change elsewhere: linted offline, the GitHub finding carried on its unchanged line.
	changed := strings.Replace(text, "lifecycle: production", "lifecycle: experimental", 1)
	c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 2}, "contentChanges": []any{map[string]any{"text": changed}}})
	if got := c.next(2); codes(got) != "github-repo-exists" {
		t.Errorf("after a change: %+v", got)
	}
	if n, _ := gh.Requests(); n != asked {
		t.Errorf("a change asked GitHub (%d requests, %d before)", n, asked)
	}
	// The slug fixed and saved: asked again, and the finding is gone.
	fixed := strings.Replace(changed, "acme/paymnets", "acme/payments", 1)
	c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 3}, "contentChanges": []any{map[string]any{"text": fixed}}})
	if got := c.next(3); codes(got) != "" {
		t.Errorf("the line changed: the carried finding must go: %+v", got)
	}
	c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": uri}})
	if got := c.next(3); codes(got) != "" {
		t.Errorf("after save: %+v", got)
	}
	if n, _ := gh.Requests(); n <= asked {
		t.Errorf("saving did not ask GitHub (%d requests)", n)
	}
}

// TestVSCodeClientLSP: the client library VS Code's language client is built on
// (vscode-languageserver-protocol over vscode-jsonrpc, editors/lsp-client-test) gets the diagnostic,
// the quick fix and "fix all", sees the diagnostic go once the fix is applied, and shuts the server
// down (exit code 0). CATALOG_LINT_REQUIRE_NODE_LSP=1 (CI, after npm ci) makes a missing client a
// failure rather than a skip.
func TestVSCodeClientLSP(t *testing.T) {
	client, err := filepath.Abs(filepath.Join("..", "..", "editors", "lsp-client-test"))
	if err != nil {
		t.Fatal(err)
	}
	node, nodeErr := exec.LookPath("node")
	if _, err := os.Stat(filepath.Join(client, "node_modules", "vscode-languageserver-protocol")); err != nil || nodeErr != nil {
		if os.Getenv("CATALOG_LINT_REQUIRE_NODE_LSP") != "" {
			t.Fatal("the client is not installed: cd editors/lsp-client-test && npm ci")
		}
		t.Skip("the client is not installed (cd editors/lsp-client-test && npm ci)")
	}
	dir := t.TempDir()
	doc := filepath.Join(dir, "catalog-info.yaml")
	text := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: checkout\n  tags:\n    - Web-Frontend\nspec:\n  type: service\n  lifecycle: production\n  owner: team-payments\n"
	if err := os.WriteFile(doc, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(client, "client.js"))
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "CATALOG_LINT=" + catalogLintBinary(t), "DOC=" + doc}
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("client: %v\n%s", err, out)
	}
	var got struct {
		Server      string
		FixAllKind  bool
		Diagnostics []struct {
			Code     string
			Severity int
			Range    lspRange
			Href     string
		}
		Actions  []string
		Line     string
		After    int
		ExitCode int
		Error    string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("client said %s: %v", out, err)
	}
	if got.Error != "" || got.Server != "catalog-lint" || !got.FixAllKind || len(got.Diagnostics) != 1 ||
		got.Diagnostics[0].Code != "tag-format" || got.Diagnostics[0].Range != (lspRange{position{5, 6}, position{5, 18}}) ||
		!strings.HasSuffix(got.Diagnostics[0].Href, "#tag-format") || strings.Join(got.Actions, ",") != "quickfix,source.fixAll" ||
		got.Line != "    - web-frontend" || got.After != 0 || got.ExitCode != 0 {
		t.Errorf("client: %s", out)
	}
}

// TestLSPDefinition: "go to definition" on a relation's value (spec.owner, an item of spec.dependsOn)
// goes to the entity's metadata.name in the workspace, as the editor holds open files.
func TestLSPDefinition(t *testing.T) {
	dir := t.TempDir()
	svc := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: checkout\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n  dependsOn:\n    - resource:payments-db\n"
	org := "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-a\nspec:\n  type: team\n  children: []\n---\napiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata:\n  name: payments-db\nspec:\n  type: database\n  owner: team-a\n"
	writeFiles(t, dir, map[string]string{"svc/catalog-info.yaml": svc, "org/catalog-info.yaml": org})
	c := startLSP(t, dir, nil, "--offline")
	c.initialize(dir)
	uri := "file://" + filepath.ToSlash(filepath.Join(dir, "svc", "catalog-info.yaml"))
	c.open(uri, svc)
	orgURI := "file://" + filepath.ToSlash(filepath.Join(dir, "org", "catalog-info.yaml"))
	for _, tt := range []struct {
		at   position
		want []location
	}{
		{position{7, 10}, []location{{orgURI, lspRange{position{3, 8}, position{3, 14}}}}},   // owner: team-a
		{position{9, 20}, []location{{orgURI, lspRange{position{11, 8}, position{11, 19}}}}}, // resource:payments-db
		{position{5, 9}, nil}, // spec.type is not a relation
	} {
		got := c.definition(uri, tt.at)
		if len(got) != len(tt.want) || len(got) == 1 && got[0] != tt.want[0] {
			t.Errorf("definition at %+v: %+v, want %+v", tt.at, got, tt.want)
		}
	}
	// The editor's text wins: a team renamed in an open document is found there.
	renamed := strings.Replace(svc, "owner: team-a", "owner: team-b", 1) + "---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-b\nspec:\n  type: team\n  children: []\n"
	c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 2}, "contentChanges": []any{map[string]any{"text": renamed}}})
	if got := c.definition(uri, position{7, 10}); len(got) != 1 || got[0].URI != uri || got[0].Range.Start != (position{14, 8}) {
		t.Errorf("definition of the renamed team: %+v", got)
	}
}

// TestLSPCompletionAndHover: completion offers what fits where the cursor is (kinds, lifecycles in
// use, the workspace's entities after a relation field and in its list, annotation keys), and hover
// explains a finding and an annotation key.
func TestLSPCompletionAndHover(t *testing.T) {
	dir := t.TempDir()
	org := "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-a\nspec:\n  type: team\n  children: []\n---\napiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata:\n  name: payments-db\n  annotations:\n    pagerduty.com/service-id: PABC123\nspec:\n  type: database\n  owner: team-a\n---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: web\nspec:\n  type: website\n  lifecycle: beta\n  owner: team-a\n"
	if err := os.WriteFile(filepath.Join(dir, "catalog-info.yaml"), []byte(org), 0o644); err != nil {
		t.Fatal(err)
	}
	c := startLSP(t, dir, nil, "--offline")
	c.initialize(dir)
	doc := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: checkout\n  annotations:\n    sen\nspec:\n  type: \n  lifecycle: \n  owner: \n  dependsOn:\n    - \n"
	uri := "file://" + filepath.ToSlash(filepath.Join(dir, "svc.yaml"))
	c.open(uri, doc)
	complete := func(line, char int) map[string]bool {
		t.Helper()
		var items []struct{ Label string }
		if err := c.call("textDocument/completion", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": position{line, char}}, &items); err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, it := range items {
			out[it.Label] = true
		}
		return out
	}
	for _, tt := range []struct {
		line, char int
		want, not  []string
	}{
		{1, 6, []string{"Component", "Group", "Resource"}, nil},
		{5, 7, []string{"sentry.io/project-slug", "pagerduty.com/service-id", "jira/project-key"}, nil},
		{7, 8, []string{"website"}, []string{"database", "team"}},                       // types of Components in use
		{8, 13, []string{"production", "beta"}, nil},                                    // lifecycles, and one in use
		{9, 9, []string{"team-a"}, []string{"payments-db"}},                             // owner: groups by name
		{11, 6, []string{"resource:payments-db", "component:web", "group:team-a"}, nil}, // dependsOn: no default kind
	} {
		got := complete(tt.line, tt.char)
		for _, w := range tt.want {
			if !got[w] {
				t.Errorf("completion at %d:%d lacks %q: %v", tt.line, tt.char, w, got)
			}
		}
		for _, w := range tt.not {
			if got[w] {
				t.Errorf("completion at %d:%d offers %q: %v", tt.line, tt.char, w, got)
			}
		}
	}
	var hover struct {
		Contents struct{ Kind, Value string }
	}
	if err := c.call("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": position{13, 8}}, &hover); err != nil {
		t.Fatal(err)
	}
	orgURI := "file://" + filepath.ToSlash(filepath.Join(dir, "catalog-info.yaml"))
	c.open(orgURI, org)
	if err := c.call("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": orgURI}, "position": position{13, 10}}, &hover); err != nil {
		t.Fatal(err)
	}
	if hover.Contents.Kind != "markdown" || !strings.Contains(hover.Contents.Value, "**pagerduty.com/service-id**: names a PagerDuty service") ||
		!strings.Contains(hover.Contents.Value, "pagerduty-service-exists") {
		t.Errorf("hover on an annotation key: %+v", hover)
	}
	hover.Contents.Value = ""
	// A key of the format: what it means.
	if err := c.call("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": orgURI}, "position": position{16, 3}}, &hover); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hover.Contents.Value, "**owner**: who owns the entity") {
		t.Errorf("hover on owner: %+v", hover)
	}
	hover.Contents.Value = ""
	// A finding: hover over the value at fault says the rule, the message and where its doc is.
	bad := strings.Replace(org, "name: web", "name: Web Site", 1)
	c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": orgURI, "version": 2}, "contentChanges": []any{map[string]any{"text": bad}}})
	c.next(2)
	if err := c.call("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": orgURI}, "position": position{21, 10}}, &hover); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(hover.Contents.Value, "**entity-name-format** (error)") || !strings.Contains(hover.Contents.Value, "docs/rules.md#entity-name-format") {
		t.Errorf("hover on a finding: %+v", hover)
	}
}

// TestLSPWorkspace: catalog-wide rules see the workspace, open documents as the editor holds them;
// saving one document updates the diagnostics of another that refers to it; while a document is
// typed in, refs to entities of other files are not reported missing.
func TestLSPWorkspace(t *testing.T) {
	dir := t.TempDir()
	svc := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: checkout\nspec:\n  type: service\n  lifecycle: production\n  owner: team-b\n  dependsOn:\n    - component:payments\n"
	org := "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-a\nspec:\n  type: team\n  children: []\n---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"
	writeFiles(t, dir, map[string]string{"svc/catalog-info.yaml": svc, "org/catalog-info.yaml": org})
	gitInit(t, dir)
	c := startLSP(t, dir, nil, "--offline")
	c.initialize(dir)
	svcURI := "file://" + filepath.ToSlash(filepath.Join(dir, "svc", "catalog-info.yaml"))
	orgURI := "file://" + filepath.ToSlash(filepath.Join(dir, "org", "catalog-info.yaml"))
	codes := func(p publishDiagnostics) string {
		var out []string
		for _, d := range p.Diagnostics {
			out = append(out, d.Code)
		}
		return strings.Join(out, ",")
	}
	c.open(svcURI, svc)
	if got := c.nextFor(svcURI, 1); codes(got) != "relation-target-missing" || !strings.Contains(got.Diagnostics[0].Message, "group:default/team-b") {
		t.Fatalf("on open: %+v", got)
	}
	// Typing in svc: the document alone is linted; payments (defined in org) is not called missing,
	// and team-b's finding stays on its unchanged line.
	typed := strings.Replace(svc, "lifecycle: production", "lifecycle: experimental", 1)
	c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": svcURI, "version": 2}, "contentChanges": []any{map[string]any{"text": typed}}})
	if got := c.nextFor(svcURI, 2); codes(got) != "relation-target-missing" || !strings.Contains(got.Diagnostics[0].Message, "team-b") {
		t.Errorf("while typing: %+v", got)
	}
	// org opened, team-a renamed to team-b in the editor and saved: svc's diagnostics are updated.
	c.open(orgURI, org)
	c.nextFor(orgURI, 1)
	renamed := strings.Replace(org, "name: team-a", "name: team-b", 1)
	c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": orgURI, "version": 2}, "contentChanges": []any{map[string]any{"text": renamed}}})
	c.nextFor(orgURI, 2)
	c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": orgURI}})
	if got := c.nextFor(svcURI, 2); codes(got) != "" {
		t.Errorf("svc after org was saved with team-b: %+v", got)
	}
}

// BenchmarkLSPOpenWorkspace opens one file of a 10,000-service monorepo in `catalog-lint lsp`, as an
// editor does, and waits for its diagnostics: the whole repository is linted (the first open), and the
// workspace's definitions read for navigation. It reports the time to the diagnostics and the
// server's peak RSS (VmHWM). BENCH_FILES sets the number of services.
func BenchmarkLSPOpenWorkspace(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("BENCH_FILES")); err == nil && v > 0 {
		n = v
	}
	dir := b.TempDir()
	if _, err := synthetic.Write(dir, n, 1); err != nil {
		b.Fatal(err)
	}
	if out, err := exec.Command("git", "init", "-q", dir).CombinedOutput(); err != nil {
		b.Fatalf("git init: %v %s", err, out)
	}
	var doc string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && doc == "" && d.Name() == "catalog-info.yaml" && filepath.Dir(p) != dir {
			doc = p
		}
		return nil
	})
	text, err := os.ReadFile(doc)
	if err != nil {
		b.Fatal(err)
	}
	var peak float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := startLSP(b, dir, nil, "--offline")
		c.initialize(dir)
		c.notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": "file://" + filepath.ToSlash(doc), "languageId": "yaml", "version": 1, "text": string(text)}})
		c.next(1)
		var loc []any // navigation needs the workspace's definitions: wait for them too
		if err := c.call("textDocument/definition", map[string]any{"textDocument": map[string]any{"uri": "file://" + filepath.ToSlash(doc)}, "position": map[string]int{"line": 0, "character": 0}}, &loc); err != nil {
			b.Fatal(err)
		}
		status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
		for _, line := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
				peak = max(peak, float64(kb)/1024)
			}
		}
		c.conn.Close()
	}
	b.ReportMetric(peak, "peak-RSS-MiB")
	b.ReportMetric(float64(n), "services")
}

// TestLSPOptionsAndDeletedFiles: initializationOptions {"offline": true} keeps the server off the
// network (unknown options are an error of initialize); a document whose folder is deleted under the
// server gets nothing new, and the server keeps answering.
func TestLSPOptionsAndDeletedFiles(t *testing.T) {
	gh := githubtest.New("ghs_lsp_test")
	defer gh.Close()
	dir := t.TempDir()
	sub := filepath.Join(dir, "svc")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	text := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: checkout\n  annotations:\n    github.com/project-slug: acme/paymnets\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"
	path := filepath.Join(sub, "catalog-info.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"GITHUB_TOKEN=ghs_lsp_test", "GITHUB_API_URL=" + gh.URL}
	bad := startLSP(t, dir, env)
	if err := bad.call("initialize", map[string]any{"capabilities": map[string]any{}, "initializationOptions": map[string]any{"token": "x"}}, nil); err == nil || !strings.Contains(err.Error(), "known: offline") {
		t.Errorf("unknown option: %v", err)
	}
	c := startLSP(t, dir, env)
	if err := c.call("initialize", map[string]any{"capabilities": map[string]any{}, "initializationOptions": map[string]any{"offline": true}}, nil); err != nil {
		t.Fatal(err)
	}
	uri := "file://" + filepath.ToSlash(path)
	c.open(uri, text)
	if got := c.next(1); len(got.Diagnostics) != 0 {
		t.Errorf("offline: %+v", got)
	}
	if n, _ := gh.Requests(); n != 0 {
		t.Errorf("offline, yet %d requests to GitHub", n)
	}
	if err := os.RemoveAll(sub); err != nil {
		t.Fatal(err)
	}
	c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": uri}})
	c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 2}, "contentChanges": []any{map[string]any{"text": text + "# more\n"}}})
	var actions []codeAction
	if err := c.call("textDocument/codeAction", map[string]any{"textDocument": map[string]any{"uri": uri}, "range": lspRange{}, "context": map[string]any{}}, &actions); err != nil {
		t.Errorf("after the folder was deleted: %v", err)
	}
	if err := c.call("shutdown", nil, nil); err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

// TestLSPCachesLookups: saving a document again does not ask GitHub again about what it already
// answered (answers are kept for ten minutes, as serve keeps them).
func TestLSPCachesLookups(t *testing.T) {
	gh := githubtest.New("ghs_lsp_test")
	defer gh.Close()
	gh.AddRepo("acme/payments", false)
	dir := t.TempDir()
	text := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: checkout\n  annotations:\n    github.com/project-slug: acme/payments\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"
	path := filepath.Join(dir, "catalog-info.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c := startLSP(t, dir, []string{"GITHUB_TOKEN=ghs_lsp_test", "GITHUB_API_URL=" + gh.URL})
	c.initialize("")
	uri := "file://" + filepath.ToSlash(path)
	c.open(uri, text)
	c.next(1)
	first, _ := gh.Requests()
	for i := 0; i < 3; i++ {
		c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": uri}})
		c.next(1)
	}
	if n, _ := gh.Requests(); first == 0 || n != first {
		t.Errorf("GitHub asked %d times on open, %d after three saves", first, n)
	}
}

// TestLSPCompletionFromBackstage: with a Backstage catalog configured (BACKSTAGE_URL), completion
// after a relation field also offers the catalog's entities of its kind; offline, it does not ask.
func TestLSPCompletionFromBackstage(t *testing.T) {
	bs := backstagetest.New("bs-token")
	defer bs.Close()
	bs.Add("Group", "default", "platform-team", "")
	bs.Add("Group", "ops", "sre", "")
	bs.Add("System", "default", "payments", "")
	dir := t.TempDir()
	doc := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: checkout\nspec:\n  type: service\n  lifecycle: production\n  owner: \n  system: \n"
	uri := "file://" + filepath.ToSlash(filepath.Join(dir, "catalog-info.yaml"))
	env := []string{"BACKSTAGE_URL=" + bs.URL, "BACKSTAGE_TOKEN=bs-token"}
	labels := func(c *lspClient, line, char int) map[string]bool {
		t.Helper()
		var items []struct{ Label string }
		if err := c.call("textDocument/completion", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": position{line, char}}, &items); err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, it := range items {
			out[it.Label] = true
		}
		return out
	}
	for _, offline := range []bool{false, true} {
		var args []string
		if offline {
			args = append(args, "--offline")
		}
		c := startLSP(t, dir, env, args...)
		c.initialize("")
		c.open(uri, doc)
		c.next(1) // the lint on open (which may ask the catalog for conflicts) is done
		before, _ := bs.Requests()
		owners, systems := labels(c, 7, 9), labels(c, 8, 10)
		asked, _ := bs.Requests()
		switch {
		case offline && (owners["platform-team"] || asked != before):
			t.Errorf("offline: %v, %d requests", owners, asked-before)
		case !offline && (!owners["platform-team"] || !owners["group:ops/sre"] || owners["payments"] || !systems["payments"]):
			t.Errorf("owners %v, systems %v", owners, systems)
		}
		// Asked again within five minutes, the catalog is not asked again.
		labels(c, 7, 9)
		if again, _ := bs.Requests(); again != asked {
			t.Errorf("completion asked the catalog again (%d requests, %d before)", again, asked)
		}
	}
}

// zedInitialize is the initialize request Zed sends a language server (crates/lsp/src/lsp.rs,
// default_initialize_params, as of Zed 0.2xx), trimmed of capabilities the server does not read:
// no processId, UTF-16 positions, workspace folders without names, no initializationOptions.
const zedInitialize = `{"processId": null, "rootUri": %[1]q, "workspaceFolders": [{"uri": %[1]q, "name": ""}],
 "clientInfo": {"name": "Zed", "version": "0.214.7"},
 "capabilities": {
  "general": {"positionEncodings": ["utf-16"]},
  "workspace": {"configuration": true, "workspaceFolders": true, "applyEdit": true,
   "didChangeWatchedFiles": {"dynamicRegistration": true, "relativePatternSupport": true},
   "didChangeConfiguration": {"dynamicRegistration": true},
   "workspaceEdit": {"resourceOperations": ["create", "rename", "delete"], "documentChanges": true, "snippetEditSupport": true},
   "fileOperations": {"dynamicRegistration": false, "didRename": true, "willRename": true},
   "inlayHint": {"refreshSupport": true}, "diagnostic": {}, "codeLens": {"refreshSupport": true}},
  "textDocument": {
   "definition": {"linkSupport": true},
   "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["refactor", "quickfix", "source"]}},
    "dataSupport": true, "resolveSupport": {"properties": ["kind", "diagnostics", "isPreferred", "disabled", "edit", "command"]}},
   "completion": {"completionItem": {"snippetSupport": true, "insertReplaceSupport": true, "labelDetailsSupport": true,
     "resolveSupport": {"properties": ["additionalTextEdits", "command", "documentation"]}, "insertTextModeSupport": {"valueSet": [1, 2]}},
    "insertTextMode": 2, "completionList": {"itemDefaults": ["commitCharacters", "editRange", "insertTextMode", "insertTextFormat", "data"]},
    "contextSupport": true},
   "hover": {"contentFormat": ["markdown"]},
   "publishDiagnostics": {"relatedInformation": true},
   "synchronization": {"didSave": true},
   "documentSymbol": {"hierarchicalDocumentSymbolSupport": true}},
  "experimental": {"serverStatusNotification": true, "localDocs": true},
  "window": {"workDoneProgress": true, "showMessage": {}}}}`

// TestLSPOtherYAMLFiles: editors hand every YAML file to the server (Neovim's and Helix's set-ups in
// docs/editors.md, VS Code's extension, and Zed, whose YAML server catalog-lint replaces). A GitHub
// workflow, a docker-compose file or a Kubernetes manifest gets no diagnostics, completion or hover
// from catalog-lint; it becomes a catalog file as check would find it (a Backstage apiVersion), and a
// catalog-info.yaml is linted from its first keystroke. Driven with the messages Zed sends.
func TestLSPOtherYAMLFiles(t *testing.T) {
	dir := t.TempDir()
	workflow := "name: ci\non: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n"
	manifest := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n"
	svc := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: checkout\n  tags: [Web]\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"
	writeFiles(t, dir, map[string]string{".github/workflows/ci.yml": workflow, "deploy/web.yaml": manifest, "services.yaml": svc})
	gitInit(t, dir)
	c := startLSP(t, dir, nil, "--offline")
	var init map[string]any
	if err := c.call("initialize", json.RawMessage(fmt.Sprintf(zedInitialize, "file://"+filepath.ToSlash(dir))), &init); err != nil {
		t.Fatal(err)
	}
	c.notify("initialized", map[string]any{})
	// What Zed's YAML adapter sends as its settings (crates/languages/src/yaml.rs): not ours, ignored.
	c.notify("workspace/didChangeConfiguration", map[string]any{"settings": map[string]any{
		"[yaml]": map[string]any{"editor.tabSize": 2}, "yaml": map[string]any{"format": map[string]any{"enable": true}}}})
	uri := func(name string) string { return "file://" + filepath.ToSlash(filepath.Join(dir, name)) }
	nextFor := func(name string, version int) publishDiagnostics { t.Helper(); return c.nextFor(uri(name), version) }
	open := func(name, text string) publishDiagnostics {
		t.Helper()
		c.open(uri(name), text)
		return nextFor(name, 1)
	}
	if got := open("services.yaml", svc); len(got.Diagnostics) != 1 || got.Diagnostics[0].Code != "tag-format" {
		t.Fatalf("services.yaml: %+v", got)
	}
	for name, text := range map[string]string{".github/workflows/ci.yml": workflow, "deploy/web.yaml": manifest, "docker-compose.yml": "services:\n  web:\n    image: nginx\n"} {
		if got := open(name, text); len(got.Diagnostics) != 0 {
			t.Errorf("%s is not a catalog file: %+v", name, got)
		}
	}
	// Saving the workflow lints nothing else: services.yaml's diagnostic is not withdrawn.
	c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": uri(".github/workflows/ci.yml")}})
	if got := nextFor(".github/workflows/ci.yml", 1); len(got.Diagnostics) != 0 {
		t.Errorf("the workflow, saved: %+v", got)
	}
	var items []struct{ Label string }
	if err := c.call("textDocument/completion", map[string]any{"textDocument": map[string]any{"uri": uri("deploy/web.yaml")}, "position": position{1, 6}}, &items); err != nil {
		t.Fatal(err)
	}
	if len(items) != 0 {
		t.Errorf("completion after kind: in a Kubernetes manifest: %+v", items)
	}
	// The manifest, open, is not one of the workspace's entities: its kind is not offered elsewhere.
	if err := c.call("textDocument/completion", map[string]any{"textDocument": map[string]any{"uri": uri("services.yaml")}, "position": position{1, 6}}, &items); err != nil {
		t.Fatal(err)
	}
	if labels := fmt.Sprint(items); !strings.Contains(labels, "Component") || strings.Contains(labels, "Deployment") {
		t.Errorf("kinds offered in services.yaml: %v", labels)
	}
	var hover *struct{ Contents struct{ Value string } }
	if err := c.call("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": uri("deploy/web.yaml")}, "position": position{4, 2}}, &hover); err != nil {
		t.Fatal(err)
	}
	if hover != nil {
		t.Errorf("hover on spec in a Kubernetes manifest: %+v", hover)
	}
	// A new file that is not a catalog-info.yaml: apiVersion is offered, and once it holds a Backstage
	// entity it is linted.
	if got := open("new.yaml", "apiVersion: "); len(got.Diagnostics) != 0 {
		t.Errorf("new.yaml: %+v", got)
	}
	if err := c.call("textDocument/completion", map[string]any{"textDocument": map[string]any{"uri": uri("new.yaml")}, "position": position{0, 12}}, &items); err != nil {
		t.Fatal(err)
	}
	if len(items) == 0 || !strings.Contains(fmt.Sprint(items), "backstage.io/v1alpha1") {
		t.Errorf("completion of apiVersion in a new file: %+v", items)
	}
	entity := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: New Thing\n"
	c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri("new.yaml"), "version": 2}, "contentChanges": []any{map[string]any{"text": entity}}})
	got := nextFor("new.yaml", 2)
	var codes []string
	for _, d := range got.Diagnostics {
		codes = append(codes, d.Code)
	}
	if !strings.Contains(strings.Join(codes, ","), "entity-name-format") {
		t.Errorf("new.yaml holding an entity: %+v", got)
	}
	// services.yaml still has its diagnostic: ask for its code actions, which come from its findings.
	var actions []codeAction
	if err := c.call("textDocument/codeAction", map[string]any{"textDocument": map[string]any{"uri": uri("services.yaml")},
		"range": lspRange{position{4, 0}, position{4, 20}}, "context": map[string]any{"diagnostics": []any{}}}, &actions); err != nil {
		t.Fatal(err)
	}
	if len(actions) == 0 {
		t.Errorf("services.yaml lost its findings when other files were opened and saved")
	}
}

// TestLSPFilesChangedOnDisk: a client that watches files for the server (VS Code, Zed, Neovim 0.9+)
// is asked to watch the workspace's YAML files; a Group written to disk by another tool (a pull, a
// checkout) is found by "go to definition" and clears the open document's "missing" finding, and
// its deletion is followed too. The index holds the YAML files check sniffs (org.yaml), not only
// catalog-info.yaml.
func TestLSPFilesChangedOnDisk(t *testing.T) {
	dir := t.TempDir()
	svc := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: checkout\nspec:\n  type: service\n  lifecycle: production\n  owner: team-new\n  system: payments\n"
	org := "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-a\nspec:\n  type: team\n  children: []\n---\napiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: payments\nspec:\n  owner: team-a\n"
	writeFiles(t, dir, map[string]string{"svc/catalog-info.yaml": svc, "org.yaml": org})
	gitInit(t, dir)
	c := startLSP(t, dir, nil, "--offline")
	root := "file://" + filepath.ToSlash(dir)
	if err := c.call("initialize", map[string]any{"processId": os.Getpid(), "rootUri": root,
		"capabilities": map[string]any{"workspace": map[string]any{"didChangeWatchedFiles": map[string]any{"dynamicRegistration": true}}}}, nil); err != nil {
		t.Fatal(err)
	}
	c.notify("initialized", map[string]any{})
	select {
	case req := <-c.asked:
		if req.Method != "client/registerCapability" || req.Params == nil || !strings.Contains(string(*req.Params), `"method":"workspace/didChangeWatchedFiles"`) ||
			!strings.Contains(string(*req.Params), `"globPattern":"**/*.{yaml,yml}"`) {
			t.Fatalf("registration: %s %s", req.Method, *req.Params)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not ask to watch files")
	}
	uri := root + "/svc/catalog-info.yaml"
	c.open(uri, svc)
	if got := c.next(1); len(got.Diagnostics) != 1 || !strings.Contains(got.Diagnostics[0].Message, "group:default/team-new") {
		t.Fatalf("on open: %+v", got)
	}
	definition := func(at position) []location { t.Helper(); return c.definition(uri, at) }
	if got := definition(position{8, 11}); len(got) != 1 || got[0].URI != root+"/org.yaml" || got[0].Range.Start != (position{11, 8}) {
		t.Errorf("definition of the system in org.yaml (a sniffed file): %+v", got)
	}
	if got := definition(position{7, 10}); len(got) != 0 {
		t.Errorf("definition of team-new before it exists: %+v", got)
	}
	// Another tool writes the team's file, and the client says so.
	writeFiles(t, dir, map[string]string{"teams/new.yaml": strings.ReplaceAll(org[:strings.Index(org, "---")], "team-a", "team-new")})
	c.notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []any{map[string]any{"uri": root + "/teams/new.yaml", "type": 1}}})
	if got := c.next(1); got.URI != uri || len(got.Diagnostics) != 0 {
		t.Errorf("after team-new was written: %+v", got)
	}
	if got := definition(position{7, 10}); len(got) != 1 || got[0].URI != root+"/teams/new.yaml" {
		t.Errorf("definition of team-new once written: %+v", got)
	}
	if err := os.Remove(filepath.Join(dir, "teams", "new.yaml")); err != nil {
		t.Fatal(err)
	}
	c.notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []any{map[string]any{"uri": root + "/teams/new.yaml", "type": 3}}})
	if got := c.next(1); len(got.Diagnostics) != 1 {
		t.Errorf("after team-new was deleted: %+v", got)
	}
	if got := definition(position{7, 10}); len(got) != 0 {
		t.Errorf("definition of team-new once deleted: %+v", got)
	}
}
