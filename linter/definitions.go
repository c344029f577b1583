package linter

import (
	"hash/maphash"
	"slices"
	"strings"
)

// definitions holds a run's Definitions, one row each, with no pointer for the collector to follow:
// the texts are in an arena (textRef), the rows in chunks of plain values, and the rows of a ref are
// found by a hash of it. A run of 100,000 services keeps 160,000 definitions from the first files
// read to the end; kept as Definition values in a map by ref, they were five pointers and a map entry
// each, marked by every collection of the walk.
type definitions struct {
	text stringArena
	rows table[defRow]
	// byHash is the first row of the refs whose hash this is; a row's next is the following one
	// (almost always none: a second row is a second definition of the same ref).
	byHash  map[uint64]int32
	hash    func(ref string) uint64 // maphash; a test makes every ref collide
	ignored []map[string]bool       // the ignore annotations of the entities that have one (defRow.ignored)
}

// defRow is one Definition (see there), its strings as textRefs. Texts are shared where they can
// be: the ref is most often its entity's text in lower case (folded: then it is the entity's text,
// compared without case), and the path the end of the file's name.
type defRow struct {
	ref, entity, file, path           textRef
	line, column, endColumn, document int32
	ignored                           int32 // 1 + its index in definitions.ignored; 0: none
	next                              int32 // the next row with the same hash; -1: none
	// folded: ref is entity's text (ASCII), whose lower case is the ref.
	folded bool
	// skeleton marks a row left out of the index: its file is Template input (defIndex).
	skeleton bool
}

func newDefinitions() *definitions {
	seed := maphash.MakeSeed()
	return &definitions{byHash: map[uint64]int32{}, hash: func(ref string) uint64 { return maphash.String(seed, ref) }}
}

// row returns row i.
func (ds *definitions) row(i int32) *defRow { return ds.rows.at(i) }

// lowerOf reports whether ref is text in lower case, text being ASCII.
func lowerOf(text, ref string) bool {
	if len(text) != len(ref) {
		return false
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c >= 0x80 {
			return false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != ref[i] {
			return false
		}
	}
	return true
}

// refIs reports whether row r is a definition of ref; text reads the arena.
func refIs(r *defRow, ref string, text func(textRef) string) bool {
	if r.folded {
		return lowerOf(text(r.ref), ref)
	}
	return text(r.ref) == ref
}

// refText is row r's ref.
func refText(r *defRow, text func(textRef) string) string {
	if r.folded {
		return strings.ToLower(text(r.ref))
	}
	return text(r.ref)
}

// add records d and returns how many definitions of its ref there are now. The caller serializes
// add with every other use.
func (ds *definitions) add(d Definition) int {
	h := ds.hash(d.Ref)
	first, seen := ds.byHash[h]
	count, last := 1, int32(-1)
	for i := first; seen && i >= 0; i = ds.row(i).next {
		if refIs(ds.row(i), d.Ref, ds.text.text) {
			count++
		}
		last = i
	}
	r := defRow{line: int32(d.Line), column: int32(d.Column), endColumn: int32(d.EndColumn), document: int32(d.Document), next: -1}
	r.entity = ds.text.keepRef(d.Entity)
	if r.folded = lowerOf(d.Entity, d.Ref); r.folded {
		r.ref = r.entity
	} else {
		r.ref = ds.text.keepRef(d.Ref)
	}
	r.file = ds.text.keepRef(d.File)
	switch tail := len(d.File) - len(d.Path); {
	case d.Path == "":
	case tail >= 0 && d.File[tail:] == d.Path && (tail == 0 || d.File[tail-1] == '/'):
		r.path = textRef{block: r.file.block, off: r.file.off + int32(tail), len: int32(len(d.Path))}
	default:
		r.path = ds.text.keepRef(d.Path)
	}
	if d.Ignored != nil {
		ds.ignored = append(ds.ignored, d.Ignored)
		r.ignored = int32(len(ds.ignored))
	}
	i := ds.rows.add(r)
	if last >= 0 {
		ds.row(last).next = i // the chain keeps the rows in the order they were added
	} else {
		ds.byHash[h] = i
	}
	return count
}

// view is what a finished run's lookups read without a lock: the rows and the arena's blocks as they
// were when the index was made (both are only ever appended to).
type defView struct {
	chunks [][]defRow
	texts  Texts
	byHash map[uint64]int32
	hash   func(ref string) uint64
	ignore []map[string]bool
}

// view returns the rows as they are now; the caller holds what serializes add.
func (ds *definitions) view() defView {
	ds.rows.mu.Lock()
	chunks := ds.rows.chunks
	ds.rows.mu.Unlock()
	return defView{chunks: chunks, texts: ds.text.snapshot(), byHash: ds.byHash, hash: ds.hash, ignore: ds.ignored}
}

func (v defView) row(i int32) *defRow { return &v.chunks[i/slabChunk][i%slabChunk] }

func (v defView) text(r textRef) string { return v.texts.Get(Text{r}) }

// each calls fn with every row of ref, skeletons too, until fn returns false.
func (v defView) each(ref string, fn func(i int32, r *defRow) bool) {
	first, ok := v.byHash[v.hash(ref)]
	if !ok {
		return
	}
	for i := first; i >= 0; i = v.row(i).next {
		if r := v.row(i); refIs(r, ref, v.text) && !fn(i, r) {
			return
		}
	}
}

// defined reports whether ref has a row that is not a skeleton's.
func (v defView) defined(ref string) bool {
	found := false
	v.each(ref, func(_ int32, r *defRow) bool {
		found = !r.skeleton
		return !found
	})
	return found
}

// definition is row r as a Definition.
func (v defView) definition(r *defRow) Definition {
	d := Definition{Ref: refText(r, v.text), Entity: v.text(r.entity), File: v.text(r.file), Path: v.text(r.path),
		Line: int(r.line), Column: int(r.column), EndColumn: int(r.endColumn), Document: int(r.document)}
	if r.ignored > 0 {
		d.Ignored = v.ignore[r.ignored-1]
	}
	return d
}

// definitions returns ref's definitions that are not skeletons', sorted by file and line.
func (v defView) definitions(ref string) []Definition {
	var out []Definition
	v.each(ref, func(_ int32, r *defRow) bool {
		if !r.skeleton {
			out = append(out, v.definition(r))
		}
		return true
	})
	sortDefinitions(out)
	return out
}

// refs calls fn once with each ref that has a definition not a skeleton's, in no order: with its
// first such row (refText makes the ref; a caller that needs only some makes only theirs) and the
// number of those definitions.
func (v defView) refs(fn func(r *defRow, n int)) {
	for _, first := range v.byHash {
		if r := v.row(first); r.next < 0 { // one row, the usual case
			if !r.skeleton {
				fn(r, 1)
			}
			continue
		}
		// The chain holds one ref but for a 64-bit hash collision: each ref is counted at its first
		// kept row, looking back along the chain for an earlier one.
		for i := first; i >= 0; i = v.row(i).next {
			r := v.row(i)
			if r.skeleton {
				continue
			}
			n, earlier := 0, false
			for j := first; j >= 0 && !earlier; j = v.row(j).next {
				o := v.row(j)
				switch {
				case o.skeleton || !v.sameRef(o, r):
				case j < i:
					earlier = true
				default:
					n++
				}
			}
			if !earlier {
				fn(r, n)
			}
		}
	}
}

// sameRef reports whether rows a and b are definitions of the same ref, without making either.
func (v defView) sameRef(a, b *defRow) bool {
	ta, tb := v.text(a.ref), v.text(b.ref)
	switch {
	case a.folded && b.folded:
		return strings.EqualFold(ta, tb) // both ASCII
	case a.folded:
		return lowerOf(ta, tb)
	case b.folded:
		return lowerOf(tb, ta)
	}
	return ta == tb
}

// sortDefinitions sorts ds by file, then line (then column and document: the order never depends on
// which worker read a file first).
func sortDefinitions(ds []Definition) {
	slices.SortFunc(ds, func(a, b Definition) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		if a.Column != b.Column {
			return a.Column - b.Column
		}
		return a.Document - b.Document
	})
}
