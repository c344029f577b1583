package lsp

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/catalog-lint/catalog-lint/linter"
	"github.com/catalog-lint/catalog-lint/rules"
)

// offlineLint lints the document with every offline rule, as `catalog-lint lsp --offline` does.
func offlineLint(dir string) Lint {
	return func(ctx context.Context, path, text string, _ map[string]string, _ bool) ([]linter.Finding, error) {
		repo, err := linter.DiskRepo(dir, true)
		if err != nil {
			return nil, err
		}
		defer repo.Close()
		res, err := rules.Run{Repo: repo, Config: linter.DefaultConfig(dir), Offline: true, Jobs: 1}.Lint(ctx, nil, linter.Input{Name: path, Reader: strings.NewReader(text)})
		if err != nil {
			return nil, err
		}
		return res.Findings, nil
	}
}

// stream is a client that sends in and then hangs up, and keeps what the server wrote.
type stream struct {
	in  io.Reader
	out bytes.Buffer
}

func (s *stream) Read(p []byte) (int, error)  { return s.in.Read(p) }
func (s *stream) Write(p []byte) (int, error) { return s.out.Write(p) }
func (s *stream) Close() error                { return nil }

func frame(body string) string { return fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body) }

// FuzzServe sends arbitrary bytes as a client would: well-framed messages with broken or hostile
// bodies, bad headers, truncated streams. The server answers errors or nothing, never panics, and
// returns when the stream ends.
func FuzzServe(f *testing.F) {
	open := `{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///tmp/x/catalog-info.yaml","languageId":"yaml","version":1,"text":"kind: Component\nmetadata:\n  name: A B\n"}}}`
	f.Add(frame(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}`) + frame(open) +
		frame(`{"jsonrpc":"2.0","id":2,"method":"textDocument/codeAction","params":{"textDocument":{"uri":"file:///tmp/x/catalog-info.yaml"},"range":{"start":{"line":0,"character":0},"end":{"line":9,"character":0}},"context":{"diagnostics":[]}}}`))
	f.Add(frame(`{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///nope","version":2},"contentChanges":[{"range":{"start":{"line":99,"character":5},"end":{"line":0,"character":0}},"text":"x"}]}}`))
	f.Add(frame(`{"jsonrpc":"2.0","id":3,"method":"nonsense","params":[1,2]}`) + "Content-Length: 99999999999\r\n\r\n{")
	f.Add("Content-Length: abc\r\n\r\n{}")
	f.Add(frame(`{"jsonrpc":"2.0","id":4,"method":"textDocument/codeAction","params":{"textDocument":{"uri":"file:///tmp/x/catalog-info.yaml"},"range":null,"context":{"only":["source.fixAll"]}}}`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, input string) {
		s := &Server{Lint: offlineLint(dir), Delay: time.Millisecond}
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.Serve(context.Background(), &stream{in: strings.NewReader(input)})
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("the server did not return after the stream ended: %q", input)
		}
	})
}
