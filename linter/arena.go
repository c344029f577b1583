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
// A block lives as long as any string in it: a finding's line text keeps its block (32 KiB at most)
// alive with it. A block is only ever appended to: the bytes a string was made of are never written
// again, which is what unsafe.String requires; this file is the only use of unsafe.
type stringArena struct {
	mu    sync.Mutex
	block []byte
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
	if cap(a.block)-len(a.block) < len(s) {
		a.block = make([]byte, 0, arenaBlock)
	}
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
	if cap(a.block)-len(a.block) < n {
		a.block = make([]byte, 0, arenaBlock)
	}
	start := len(a.block)
	a.block = append(append(append(a.block, dir...), '/'), name...)
	return unsafe.String(&a.block[start], n)
}

// slabChunk is how many values a Slab allocates at once.
const slabChunk = 1024

// Slab allocates values of T for questions that wait for the end of a run (a relation's question,
// several per entity of a large catalog) in chunks of slabChunk (for the engine's questions and
// askers, 40 to 60 KiB: memory spans of their own): one at a time, they were small objects scattered
// among the parser's garbage, like the strings of a stringArena. A chunk lives as long as any of its values. A Slab is safe for concurrent use and
// holds on to one partly used chunk at most.
type Slab[T any] struct {
	mu    sync.Mutex
	chunk []T
}

// New returns a pointer to a copy of v in the slab's current chunk.
func (s *Slab[T]) New(v T) *T {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.chunk) == cap(s.chunk) {
		s.chunk = make([]T, 0, slabChunk)
	}
	s.chunk = append(s.chunk, v)
	return &s.chunk[len(s.chunk)-1]
}
