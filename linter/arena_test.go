package linter

import (
	"fmt"
	"path"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/catalog-lint/catalog-lint/internal/noscan"
)

// TestStringArena: kept strings read as they were written, whatever is kept after them, and share
// blocks: a thousand short strings cost a block or two, not an allocation each.
func TestStringArena(t *testing.T) {
	var a stringArena
	var kept, want []string
	for i := 0; i < 5000; i++ {
		s := fmt.Sprintf("  owner: team-%04d # line %d", i%97, i)
		kept, want = append(kept, a.keep(s)), append(want, s)
	}
	long := strings.Repeat("x", arenaBlock)
	if got := a.keep(long); got != long {
		t.Errorf("a long string came back %d bytes long", len(got))
	}
	if got := a.keep(""); got != "" {
		t.Errorf("the empty string came back as %q", got)
	}
	for i := range kept {
		if kept[i] != want[i] {
			t.Fatalf("string %d reads %q, want %q", i, kept[i], want[i])
		}
	}
	// Consecutive strings are copied one after the other in a block.
	k1, k2 := a.keep("owner: a"), a.keep("system: b")
	if uintptr(unsafe.Pointer(unsafe.StringData(k2))) != uintptr(unsafe.Pointer(unsafe.StringData(k1)))+uintptr(len(k1)) {
		t.Error("two kept strings are not next to each other in a block")
	}
	line := "  providesApis: [payments-api, ledger-api]"
	if allocs := testing.AllocsPerRun(10, func() {
		for i := 0; i < 1000; i++ {
			a.keep(line)
		}
	}); allocs > 3 {
		t.Errorf("keeping 1,000 lines of %d bytes allocated %v times, want at most 3 (blocks of %d bytes)", len(line), allocs, arenaBlock)
	}
}

// TestArenaConcurrent: workers keep strings and texts at once, and a table of what they kept
// (run with -race); a snapshot taken once they are done reads every text back.
func TestArenaConcurrent(t *testing.T) {
	var a stringArena
	var kept table[textRef]
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				v := fmt.Sprintf("worker %d value %d", w, i)
				r := a.keepRef(v)
				if got, text := a.keep(v), a.text(r); got != v || text != v {
					t.Errorf("got %q and %q, want %q", got, text, v)
					return
				}
				kept.add(r)
			}
		}(w)
	}
	wg.Wait()
	texts := a.snapshot()
	seen := map[string]bool{}
	for i := int32(0); i < 4*2000; i++ {
		seen[texts.Get(Text{*kept.at(i)})] = true
	}
	if len(seen) != 4*2000 || !seen["worker 3 value 1999"] {
		t.Errorf("the snapshot reads %d distinct texts of %d", len(seen), 4*2000)
	}
}

// TestArenaJoin: join is path.Join for the walk's folders and entries, made in the arena.
func TestArenaJoin(t *testing.T) {
	var a stringArena
	for _, tt := range [][2]string{{".", "catalog-info.yaml"}, {"services", "payments"}, {"services/payments", "catalog-info.yaml"}, {"a/b", ".hidden"}, {strings.Repeat("d/", 3000) + "d", "x.yaml"}} {
		if got, want := a.join(tt[0], tt[1]), path.Join(tt[0], tt[1]); got != want {
			t.Errorf("join(%q, %q) = %q, want %q", tt[0], tt[1], got, want)
		}
	}
	if allocs := testing.AllocsPerRun(10, func() {
		for i := 0; i < 500; i++ {
			a.join("services/payments", "catalog-info.yaml")
		}
	}); allocs > 2 {
		t.Errorf("500 joins allocated %v times, want at most 2 (blocks of %d bytes)", allocs, arenaBlock)
	}
}

// TestArenaRefs: a string kept by keepRef reads back as it was written (text), short or longer than
// a block's share, empty, and mixed with keep and join, from several goroutines at once; it holds no
// pointer; and short ones share blocks.
func TestArenaRefs(t *testing.T) {
	var ref textRef
	if unsafe.Sizeof(ref) != 12 {
		t.Fatalf("textRef is %d bytes", unsafe.Sizeof(ref))
	}
	var a stringArena
	var tab table[textRef]
	type kept struct {
		at   int32
		want string
	}
	results := make([][]kept, 4)
	var wg sync.WaitGroup
	for w := range results {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 3000; i++ {
				v := fmt.Sprintf("    owner: team-%d-%d", w, i)
				switch i % 500 {
				case 0:
					v = strings.Repeat("x", arenaBlock/8+1+i) // a block of its own
				case 1:
					v = ""
				}
				if i%3 == 0 {
					a.keep("a relation's value") // the other uses of the same blocks
					a.join("services", "payments")
				}
				results[w] = append(results[w], kept{tab.add(a.keepRef(v)), v})
			}
		}(w)
	}
	wg.Wait()
	for _, rs := range results {
		for _, r := range rs {
			if got := a.text(*tab.at(r.at)); got != r.want {
				t.Fatalf("text(%v) = %.40q, want %.40q", *tab.at(r.at), got, r.want)
			}
		}
	}
	if short := 4 * 3000 * 30; len(a.blocks) > 4*6+short/arenaBlock*2+8 {
		t.Errorf("%d blocks for 12,000 short strings and 24 long ones", len(a.blocks))
	}
}

// TestTable: a table's values are found again by the index add returned, across chunks.
func TestTable(t *testing.T) {
	var tab table[asker]
	var at []int32
	for i := 0; i < 3*slabChunk+5; i++ {
		at = append(at, tab.add(asker{file: fmt.Sprint(i), docIdx: int32(i)}))
	}
	for i, k := range at {
		if got := tab.at(k); got.file != fmt.Sprint(i) || got.docIdx != int32(i) {
			t.Fatalf("at(%d) = %+v, want value %d", k, *got, i)
		}
	}
}

// TestKeptRowsHoldNoPointers: what a catalog-wide run keeps per relation and per entity until every
// file is read (questions, their places, the definitions' rows, kept texts) holds no pointer, so that
// the collector never looks into their chunks: with them, it followed about 1.7 million pointers in
// each collection of a 100,000-service run.
func TestKeptRowsHoldNoPointers(t *testing.T) {
	for _, v := range []any{question{}, place{}, defRow{}, textRef{}, Text{}} {
		if typ := reflect.TypeOf(v); noscan.HoldsPointers(typ) {
			t.Errorf("%v holds a pointer", typ)
		}
	}
	if !noscan.HoldsPointers(reflect.TypeOf(asker{})) {
		t.Error("HoldsPointers misses the strings of asker")
	}
}
