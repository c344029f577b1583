package linter

import (
	"strings"
	"sync"
	"unsafe"
)

// arenaBlock is the size of the blocks a stringArena copies strings into.
const arenaBlock = 32 << 10

// stringArena copies the short strings a run keeps until every file is read (a question's line
// text, a relation's value: several per entity of a large catalog) into shared blocks of
// arenaBlock bytes. Kept one by one, they were hundreds of thousands of small objects scattered among
// the parser's garbage, which the collector marked every cycle and whose half-empty spans it could
// not give back: near the soft memory limit, that made it collect more and more often.
//
// The arena holds its blocks as long as it lives (one run), so that a textRef can name a string by
// where it is; a string made by keep also keeps its block alive (32 KiB at most) after the run. A
// block is only ever appended to: the bytes a string was made of are never written again, which is
// what unsafe.String requires; this file is the only use of unsafe.
type stringArena struct {
	mu     sync.Mutex
	block  []byte   // the block being filled
	cur    int32    // its index in blocks
	blocks [][]byte // every block, each at its full length, for text (a long string's own too)
}

// textRef is a string kept by stringArena.keepRef: the index of its block in the arena's list, and
// where in it. It holds no pointer, so the collector has nothing to follow in it: a run of 100,000
// services keeps one per question, 300,000 of them, and marking spends its time on pointers.
type textRef struct{ block, off, len int32 }

// room makes sure the block being filled has room for n more bytes (n <= arenaBlock); a.mu is held.
func (a *stringArena) room(n int) {
	if cap(a.block)-len(a.block) < n {
		a.block = make([]byte, 0, arenaBlock)
		a.cur = int32(len(a.blocks))
		a.blocks = append(a.blocks, a.block[:arenaBlock])
	}
}

// keepRef is keep for a string that the arena itself is to find again (text): where it is, not a
// string. A long s gets a block of its own.
func (a *stringArena) keepRef(s string) textRef {
	if len(s) == 0 {
		return textRef{}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(s) > arenaBlock/8 {
		a.blocks = append(a.blocks, []byte(s))
		return textRef{block: int32(len(a.blocks) - 1), len: int32(len(s))}
	}
	a.room(len(s))
	start := len(a.block)
	a.block = append(a.block, s...)
	return textRef{block: a.cur, off: int32(start), len: int32(len(s))}
}

// text returns the string r stands for (keepRef).
func (a *stringArena) text(r textRef) string {
	if r.len == 0 {
		return ""
	}
	a.mu.Lock()
	b := a.blocks[r.block]
	a.mu.Unlock()
	return unsafe.String(&b[r.off], int(r.len))
}

// Text is a string a Catalog keeps until every file is read, for a question to name without a
// pointer (Catalog.Keep): where it is in the catalog's arena. Texts reads it back.
type Text struct{ ref textRef }

// Texts reads the Texts of an arena as it was when it was taken (stringArena.snapshot), without a
// lock: blocks are only ever appended to, and a Text kept later is not in it.
type Texts struct{ blocks [][]byte }

// snapshot returns a Texts of the arena as it is now.
func (a *stringArena) snapshot() Texts {
	a.mu.Lock()
	defer a.mu.Unlock()
	return Texts{a.blocks}
}

// Get returns the string t stands for.
func (ts Texts) Get(t Text) string {
	if t.ref.len == 0 {
		return ""
	}
	return unsafe.String(&ts.blocks[t.ref.block][t.ref.off], int(t.ref.len))
}

// keep returns a copy of s in a block of the arena (a long s gets an allocation of its own).
func (a *stringArena) keep(s string) string {
	if len(s) == 0 {
		return ""
	}
	if len(s) > arenaBlock/8 {
		return strings.Clone(s)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.room(len(s))
	start := len(a.block)
	a.block = append(a.block, s...)
	return unsafe.String(&a.block[start], len(s))
}

// join is path.Join(dir, name) for a clean dir and a name with no slash (a folder's entry), made in
// the arena: the walk's paths are kept, an entry per file, until every Location is followed.
func (a *stringArena) join(dir, name string) string {
	if dir == "." || dir == "" {
		return a.keep(name)
	}
	n := len(dir) + 1 + len(name)
	if n > arenaBlock/8 {
		return dir + "/" + name
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.room(n)
	start := len(a.block)
	a.block = append(append(append(a.block, dir...), '/'), name...)
	return unsafe.String(&a.block[start], n)
}

// slabChunk is how many values a chunk of a table (or of the run's definitions) holds: for the
// engine's questions and askers, 40 to 60 KiB, memory spans of their own.
const slabChunk = 1024

// table keeps values that wait for the end of a run (the entities that ask questions, a rule's
// question keys) in chunks of slabChunk, each named by index, not pointer: one at a time, they were
// small objects scattered among the parser's garbage, and what refers to them holds no pointer for
// the collector to follow. A table is safe for concurrent use.
type table[T any] struct {
	mu     sync.Mutex
	chunks [][]T
}

// add appends v and returns its index.
func (t *table[T]) add(v T) int32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := len(t.chunks); n == 0 || len(t.chunks[n-1]) == slabChunk {
		t.chunks = append(t.chunks, make([]T, 0, slabChunk))
	}
	last := &t.chunks[len(t.chunks)-1]
	*last = append(*last, v)
	return int32((len(t.chunks)-1)*slabChunk + len(*last) - 1)
}

// at returns the value of index i (add).
func (t *table[T]) at(i int32) *T {
	t.mu.Lock()
	chunk := t.chunks[i/slabChunk]
	t.mu.Unlock()
	return &chunk[i%slabChunk]
}
