package linter

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"unsafe"
)

// TestPlainFolders: a folder is plain (opened directly) only when no step from the root is a
// symbolic link, whichever shard holds it; the walk's marks, made while workers look folders up,
// are all found, and forgetPlain lets every shard's entries go.
func TestPlainFolders(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 200; i++ {
		if err := os.MkdirAll(filepath.Join(dir, fmt.Sprintf("s%03d", i), "deep"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("s000", filepath.Join(dir, "link")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	d, err := newDiskFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.root.Close()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the walk, marking
		defer wg.Done()
		for i := 0; i < 200; i++ {
			d.markPlain(fmt.Sprintf("s%03d", i))
		}
	}()
	for w := 0; w < 4; w++ { // workers, looking up (and checking what is not marked yet)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if !d.isPlain(fmt.Sprintf("s%03d/deep", i)) {
					t.Errorf("s%03d/deep is a real folder under a real one", i)
				}
			}
		}()
	}
	wg.Wait()
	for _, p := range []string{"link", "link/deep", "missing", "../x", "/abs"} {
		if d.isPlain(p) {
			t.Errorf("%s is plain; a link, a path that is not there, or not of the root, never is", p)
		}
	}
	if !d.isPlain(".") {
		t.Error("the root is not plain")
	}
	entries, used := 0, 0
	for i := range d.plain {
		if n := len(d.plain[i].m); n > 0 {
			entries, used = entries+n, used+1
		}
	}
	if entries != 400 || used < plainShards/2 {
		t.Errorf("%d folders marked over %d shards, want 400 spread over most of %d", entries, used, plainShards)
	}
	d.forgetPlain()
	for i := range d.plain {
		if d.plain[i].m != nil {
			t.Fatalf("shard %d still holds %d folders after forgetPlain", i, len(d.plain[i].m))
		}
	}
	if size := unsafe.Sizeof(plainShard{}); size != 64 {
		t.Errorf("a shard takes %d bytes, want one cache line (64)", size)
	}
}
