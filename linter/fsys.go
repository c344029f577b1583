package linter

import (
	"errors"
	"hash/maphash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A run reads one repository through an io/fs file system rooted at the repository's root: the
// local disk (DiskRepo, the CLI) or a commit's Git tree (TreeFS, the App). Discovery, ingestion and
// the engine read nothing else, so both see the same files the same way; only the names findings
// give the files differ (as the user wrote the paths on disk, relative to the root in a tree).

// RepoFS is a repository's files: paths are slash-separated and relative to its root ("." is the
// root), as io/fs has them.
type RepoFS interface {
	fs.ReadDirFS
	fs.StatFS
}

// Repo is a repository as a run reads it.
type Repo struct {
	FS RepoFS
	// name turns a path of FS into the name findings give the file; nil keeps the path.
	name func(p string) string
	// onDisk says the names are paths of the local disk, so that a file can be read again by its
	// name (to place answers) instead of being kept in memory.
	onDisk bool
	// root is the repository's folder on disk ("" for a tree), to map paths given on the command line.
	root string
}

// Name is the name findings give the file at path p of the repository.
func (r *Repo) Name(p string) string {
	if r.name == nil {
		return p
	}
	return r.name(p)
}

// Path maps a path of the local disk (as given on the command line) to the repository's path; ok
// is false when it is outside the repository. In a tree, paths are the repository's already.
func (r *Repo) Path(osPath string) (string, bool) {
	if r.root == "" {
		p := path.Clean(filepath.ToSlash(osPath))
		return p, fs.ValidPath(p)
	}
	abs, err := filepath.Abs(osPath)
	if err != nil {
		return "", false
	}
	rel, err := filepath.Rel(r.root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// Close releases what reading the repository holds (on disk, the root folder's descriptor).
func (r *Repo) Close() error {
	if d, ok := r.FS.(*diskFS); ok {
		return d.root.Close()
	}
	return nil
}

// NewTreeRepo returns a repository read from a tree (the App's): findings name files by their path.
func NewTreeRepo(fsys RepoFS) *Repo { return &Repo{FS: fsys} }

// DiskRepoWith is DiskRepo (findings name files by absolute path) with the content of some files
// replaced: files maps a file's path on disk to the content to read instead (an editor's unsaved
// buffers; those outside root are ignored). What the run reads is kept in memory, never read again
// from the disk, where it may differ.
func DiskRepoWith(root string, files map[string]string) (*Repo, error) {
	r, err := DiskRepo(root, true)
	if err != nil {
		return nil, err
	}
	d := r.FS.(*diskFS)
	d.overlay = map[string][]byte{}
	for p, content := range files {
		if rp, ok := r.Path(p); ok && fs.ValidPath(rp) && rp != "." {
			d.overlay[rp] = []byte(content)
		}
	}
	r.onDisk = false
	return r, nil
}

// DiskRepo returns the repository whose work tree is root on the local disk. Findings name its
// files as the user writes paths: absolute when abs, else relative to the current folder. Nothing
// outside root is ever read: a symbolic link that leads out of it cannot be opened.
func DiskRepo(root string, abs bool) (*Repo, error) {
	rootAbs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	d, err := newDiskFS(rootAbs)
	if err != nil {
		return nil, err
	}
	r := &Repo{FS: d, onDisk: true, root: rootAbs}
	if abs {
		r.name = func(p string) string { return filepath.Join(rootAbs, filepath.FromSlash(p)) }
		return r, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	r.name = func(p string) string {
		full := filepath.Join(rootAbs, filepath.FromSlash(p))
		if rel, err := filepath.Rel(wd, full); err == nil {
			return rel
		}
		return full
	}
	return r, nil
}

// diskFS is a RepoFS on the local disk, contained in its root by os.Root: a path that leads out of
// the root through a symbolic link cannot be opened.
type diskFS struct {
	root     *os.Root
	fsys     fs.FS
	dir      string // the root's folder, absolute
	realRoot string // the same with symbolic links resolved
	// plain are the folders known to be reached from the root without a symbolic link (the walk
	// marks them; the root always is): a file in one is opened and stat'ed directly, refusing a link
	// as the last step. Maps under locks, a shard per hash of the folder: the walk marks a folder
	// while the workers look theirs up, and with one map a run of 100,000 folders kept its workers
	// waiting 0.55 s on its lock (growing a large map under it), against 11 ms at 10,000. A sync.Map
	// entry cost three times as much.
	plain     [plainShards]plainShard
	plainSeed maphash.Seed
	// overlay replaces the content of some files (an editor's unsaved buffers), by path of the root.
	overlay map[string][]byte
}

func newDiskFS(dir string) (*diskFS, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		root.Close()
		return nil, err
	}
	d := &diskFS{root: root, fsys: root.FS(), dir: dir, realRoot: real, plainSeed: maphash.MakeSeed()}
	return d, nil
}

// plainShards is how many maps the plain folders are spread over.
const plainShards = 64

// plainShard is one of them, alone on its cache line (64 bytes), so that two CPUs taking
// neighbouring locks do not pass the line back and forth.
type plainShard struct {
	mu sync.RWMutex
	m  map[string]struct{}
	_  [64 - 24 - 8]byte
}

func (d *diskFS) plainShard(p string) *plainShard {
	return &d.plain[maphash.String(d.plainSeed, p)%plainShards]
}

// markPlain records that the folder p (a path of the root) and every folder above it are real
// folders, no symbolic link among them.
func (d *diskFS) markPlain(p string) {
	sh := d.plainShard(p)
	sh.mu.Lock()
	if sh.m == nil {
		sh.m = map[string]struct{}{}
	}
	sh.m[p] = struct{}{}
	sh.mu.Unlock()
}

// forgetPlain lets go of the folders marked plain, an entry per folder of a large tree, once the
// walk is over: a file opened later has its folder checked again.
func (d *diskFS) forgetPlain() {
	for i := range d.plain {
		sh := &d.plain[i]
		sh.mu.Lock()
		sh.m = nil
		sh.mu.Unlock()
	}
}

// isPlain reports whether the folder p is the root or was marked, or checks it (each step is a real
// folder) and marks it.
func (d *diskFS) isPlain(p string) bool {
	if p == "." {
		return true
	}
	sh := d.plainShard(p)
	sh.mu.RLock()
	_, ok := sh.m[p]
	sh.mu.RUnlock()
	if ok {
		return true
	}
	if !fs.ValidPath(p) {
		return false
	}
	parent := path.Dir(p)
	if !d.isPlain(parent) {
		return false
	}
	st, err := os.Lstat(filepath.Join(d.dir, filepath.FromSlash(p)))
	if err != nil || !st.IsDir() {
		return false
	}
	d.markPlain(p)
	return true
}

// direct returns the path on disk of name when its folder is plain: only its last step may be a link.
func (d *diskFS) direct(name string) (string, bool) {
	if !fs.ValidPath(name) || name == "." || !d.isPlain(path.Dir(name)) {
		return "", false
	}
	return filepath.Join(d.dir, filepath.FromSlash(name)), true
}

// Open implements fs.FS. os.Root refuses absolute symbolic links even when they lead inside the
// root; those are opened at the path they lead to.
func (d *diskFS) Open(name string) (fs.File, error) {
	if data, ok := d.overlay[name]; ok {
		return &treeFile{entry: treeEntry{name: path.Base(name), size: int64(len(data))}, data: data}, nil
	}
	if full, ok := d.direct(name); ok && directOpen {
		// O_NOFOLLOW: a link as the last step fails here and is opened through the root below.
		if f, err := os.OpenFile(full, os.O_RDONLY|openNoFollow, 0); err == nil {
			return f, nil
		}
	}
	f, err := d.fsys.Open(name)
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return f, err
	}
	if inside, ok := d.inside(name); ok && inside != name {
		return d.fsys.Open(inside)
	}
	return nil, err
}

// ReadDir implements fs.ReadDirFS.
func (d *diskFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if d.isPlain(name) {
		entries, err := os.ReadDir(filepath.Join(d.dir, filepath.FromSlash(name)))
		if err != nil {
			return nil, &fs.PathError{Op: "readdir", Path: name, Err: unwrapPathError(err)}
		}
		return entries, nil
	}
	entries, err := fs.ReadDir(d.fsys, name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		if inside, ok := d.inside(name); ok && inside != name {
			return fs.ReadDir(d.fsys, inside)
		}
	}
	return entries, err
}

// Stat implements fs.StatFS.
func (d *diskFS) Stat(name string) (fs.FileInfo, error) {
	if data, ok := d.overlay[name]; ok {
		return treeEntry{name: path.Base(name), size: int64(len(data))}, nil
	}
	if full, ok := d.direct(name); ok {
		st, err := os.Lstat(full)
		if err != nil {
			return nil, &fs.PathError{Op: "stat", Path: name, Err: unwrapPathError(err)}
		}
		if st.Mode()&fs.ModeSymlink == 0 {
			return st, nil
		}
	}
	st, err := fs.Stat(d.fsys, name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		if inside, ok := d.inside(name); ok && inside != name {
			return fs.Stat(d.fsys, inside)
		}
	}
	return st, err
}

// inside resolves every symbolic link of name and returns the path it leads to within the root.
func (d *diskFS) inside(name string) (string, bool) {
	real, err := filepath.EvalSymlinks(filepath.Join(d.dir, filepath.FromSlash(name)))
	if err != nil || !within(d.realRoot, real) {
		return "", false
	}
	rel, err := filepath.Rel(d.realRoot, real)
	if err != nil {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// resolveLink says where the symbolic link at name leads: the path inside the root and whether it
// is a folder, or why it is not followed (errLinkOutside, with dir set for a folder outside;
// errLinkLoop; errDangling for a link to nothing).
func (d *diskFS) resolveLink(name string) (target string, dir bool, err error) {
	real, err := filepath.EvalSymlinks(filepath.Join(d.dir, filepath.FromSlash(name)))
	if err != nil {
		if errors.Is(err, syscall.ELOOP) || strings.Contains(err.Error(), "too many links") {
			return "", false, errLinkLoop
		}
		return "", false, errDangling
	}
	st, statErr := os.Stat(real)
	dir = statErr == nil && st.IsDir()
	if !within(d.realRoot, real) {
		return "", dir, errLinkOutside
	}
	rel, err := filepath.Rel(d.realRoot, real)
	if err != nil {
		return "", dir, errLinkOutside
	}
	return filepath.ToSlash(rel), dir, nil
}

// contains reports whether name, a path of the root, leads inside it once symbolic links are
// followed (a path that does not exist yet is judged by its folder).
func (d *diskFS) contains(name string) bool {
	full := filepath.Join(d.dir, filepath.FromSlash(name))
	if real, err := filepath.EvalSymlinks(full); err == nil {
		full = real
	} else if real, err := filepath.EvalSymlinks(filepath.Dir(full)); err == nil {
		full = filepath.Join(real, filepath.Base(full))
	} else {
		return true // nothing there to lead anywhere
	}
	return within(d.realRoot, full)
}

var (
	errLinkLoop    = errors.New("symlink loop")
	errLinkOutside = errors.New("symlink outside the repository")
	errDangling    = errors.New("the link leads nowhere")
)

// linkResolver is a RepoFS whose entries may be symbolic links.
type linkResolver interface {
	resolveLink(name string) (target string, dir bool, err error)
	contains(name string) bool
}

// TreeFile is one regular file of a Git tree: its path from the root and its size.
type TreeFile struct {
	Path string
	Size int64
}

// TreeFS is a RepoFS over a Git tree listing: which files exist and their sizes are known without
// reading any, and a file's content is read (Read, such as a blob download) only when it is opened.
// A file larger than MaxRead is never read: opening it fails, and Stat still gives its size.
type TreeFS struct {
	files map[string]int64
	dirs  map[string][]fs.DirEntry
	read  func(name string) ([]byte, error)
	// MaxRead, when positive, is the largest file Open reads.
	MaxRead int64
}

// NewTreeFS returns the TreeFS of files, reading contents with read (nil: every file is empty,
// for tests of discovery alone).
func NewTreeFS(files []TreeFile, read func(name string) ([]byte, error)) *TreeFS {
	t := &TreeFS{files: map[string]int64{}, dirs: map[string][]fs.DirEntry{".": nil}, read: read}
	seenDir := map[string]bool{".": true}
	for _, f := range files {
		p := path.Clean(f.Path)
		if !fs.ValidPath(p) || p == "." {
			continue
		}
		if _, dup := t.files[p]; dup {
			continue
		}
		t.files[p] = f.Size
		t.dirs[path.Dir(p)] = append(t.dirs[path.Dir(p)], treeEntry{name: path.Base(p), size: f.Size})
		for d := path.Dir(p); d != "." && !seenDir[d]; d = path.Dir(d) {
			seenDir[d] = true
			t.dirs[path.Dir(d)] = append(t.dirs[path.Dir(d)], treeEntry{name: path.Base(d), dir: true})
			if _, ok := t.dirs[d]; !ok {
				t.dirs[d] = nil
			}
		}
	}
	for _, entries := range t.dirs {
		sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	}
	return t
}

// TreeFiles lists paths as TreeFiles of size 0 (for tests and examples).
func TreeFiles(paths ...string) []TreeFile {
	out := make([]TreeFile, len(paths))
	for i, p := range paths {
		out[i] = TreeFile{Path: p}
	}
	return out
}

// Open implements fs.FS: the file's content is read now.
func (t *TreeFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if entries, ok := t.dirs[name]; ok {
		return &treeDir{entry: treeEntry{name: path.Base(name), dir: true}, entries: entries}, nil
	}
	size, ok := t.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if t.MaxRead > 0 && size > t.MaxRead {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errTooLarge}
	}
	var data []byte
	if t.read != nil {
		var err error
		if data, err = t.read(name); err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
	}
	return &treeFile{entry: treeEntry{name: path.Base(name), size: int64(len(data))}, data: data}, nil
}

var errTooLarge = errors.New("file too large to read")

// ReadDir implements fs.ReadDirFS.
func (t *TreeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	entries, ok := t.dirs[name]
	if !ok {
		if _, file := t.files[name]; file {
			return nil, &fs.PathError{Op: "readdir", Path: name, Err: syscall.ENOTDIR}
		}
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	return append([]fs.DirEntry(nil), entries...), nil
}

// Stat implements fs.StatFS, without reading the file.
func (t *TreeFS) Stat(name string) (fs.FileInfo, error) {
	if _, ok := t.dirs[name]; ok {
		return treeEntry{name: path.Base(name), dir: true}, nil
	}
	if size, ok := t.files[name]; ok {
		return treeEntry{name: path.Base(name), size: size}, nil
	}
	return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
}

// treeEntry is a file or folder of a TreeFS, as fs.DirEntry and fs.FileInfo.
type treeEntry struct {
	name string
	size int64
	dir  bool
}

func (e treeEntry) Name() string { return e.name }
func (e treeEntry) Size() int64  { return e.size }
func (e treeEntry) IsDir() bool  { return e.dir }
func (e treeEntry) Type() fs.FileMode {
	if e.dir {
		return fs.ModeDir
	}
	return 0
}
func (e treeEntry) Mode() fs.FileMode {
	if e.dir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}
func (e treeEntry) ModTime() time.Time         { return time.Time{} }
func (e treeEntry) Sys() any                   { return nil }
func (e treeEntry) Info() (fs.FileInfo, error) { return e, nil }

type treeFile struct {
	entry treeEntry
	data  []byte
	off   int
}

func (f *treeFile) Stat() (fs.FileInfo, error) { return f.entry, nil }
func (f *treeFile) Close() error               { return nil }
func (f *treeFile) Read(b []byte) (int, error) {
	if f.off >= len(f.data) {
		return 0, io.EOF
	}
	n := copy(b, f.data[f.off:])
	f.off += n
	return n, nil
}

type treeDir struct {
	entry   treeEntry
	entries []fs.DirEntry
	mu      sync.Mutex
	off     int
}

func (d *treeDir) Stat() (fs.FileInfo, error) { return d.entry, nil }
func (d *treeDir) Close() error               { return nil }
func (d *treeDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.entry.name, Err: syscall.EISDIR}
}

// ReadDir implements fs.ReadDirFile.
func (d *treeDir) ReadDir(n int) ([]fs.DirEntry, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	rest := d.entries[d.off:]
	if n <= 0 {
		d.off = len(d.entries)
		return append([]fs.DirEntry(nil), rest...), nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(rest))
	d.off += n
	return append([]fs.DirEntry(nil), rest[:n]...), nil
}

// RepositoryRoot returns the Git work tree holding dir (the nearest folder above it with .git), or
// dir itself when there is none.
func RepositoryRoot(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return abs
		}
	}
}

// RootOf returns the folder a path in dir is judged in: the Git work tree holding it; without one, the
// current folder when dir is inside it (the project the command runs in), else dir itself.
func RootOf(dir string) string {
	root := RepositoryRoot(dir)
	if _, err := os.Lstat(filepath.Join(root, ".git")); err == nil {
		return root
	}
	if wd, err := os.Getwd(); err == nil && within(wd, root) {
		return wd
	}
	return root
}
