package linter

import (
	"reflect"
	"testing"
)

// TestDefinitionsRows: what definitions keep as rows of textRefs reads back as the Definitions
// given (strings, positions, ignore sets), sorted by file and line; a ref's definitions are counted;
// and refs are kept apart by their text when their hashes collide (here every hash is the same).
func TestDefinitionsRows(t *testing.T) {
	ignored := map[string]bool{"entity-duplicate": true}
	given := []Definition{
		{Ref: "group:default/a", Entity: "Group:default/A", File: "org.yaml", Path: "org.yaml", Line: 3, Column: 9, EndColumn: 9, Document: 1},
		{Ref: "group:default/b", Entity: "group:default/b", File: "teams/b.yaml", Path: "./teams/b.yaml", Line: 4, Column: 9, EndColumn: 9},
		{Ref: "group:default/a", Entity: "group:default/a", File: "dup.yaml", Path: "dup.yaml", Line: 7, Column: 9, EndColumn: 9, Ignored: ignored},
		{Ref: "api:default/c", Entity: "api:default/c", File: "<stdin>", Line: 1, Column: 1, EndColumn: 1},
		{Ref: "component:default/ünï", Entity: "Component:default/ÜNÏ", File: "/repo/svc/catalog-info.yaml", Path: "svc/catalog-info.yaml", Line: 4},
		{Ref: "component:default/x", Entity: "Component:default/X", File: "xsvc/c.yaml", Path: "svc/c.yaml", Line: 4},
	}
	for _, collide := range []bool{false, true} {
		ds := newDefinitions()
		if collide {
			ds.hash = func(string) uint64 { return 42 }
		}
		for i, d := range given {
			want := 1
			if i == 2 {
				want = 2
			}
			if n := ds.add(d); n != want {
				t.Errorf("collide=%v: add(%s) = %d, want %d", collide, d.Ref, n, want)
			}
		}
		if collide && len(ds.byHash) != 1 {
			t.Fatalf("every hash is the same, yet %d chains", len(ds.byHash))
		}
		v := ds.view()
		for ref, want := range map[string][]Definition{
			"group:default/a":       {given[2], given[0]}, // dup.yaml before org.yaml
			"group:default/b":       {given[1]},
			"api:default/c":         {given[3]},
			"api:default/d":         nil,
			"component:default/ünï": {given[4]},
			"component:default/x":   {given[5]},
			"Component:default/X":   nil,
		} {
			if got := v.definitions(ref); !reflect.DeepEqual(got, want) {
				t.Errorf("collide=%v: definitions(%s) = %+v, want %+v", collide, ref, got, want)
			}
			if v.defined(ref) != (want != nil) {
				t.Errorf("collide=%v: defined(%s) = %v", collide, ref, !(want != nil))
			}
		}
		counts := map[string]int{}
		v.refs(func(r *defRow, n int) {
			ref := refText(r, v.text)
			if _, twice := counts[ref]; twice {
				t.Errorf("collide=%v: %s reported twice", collide, ref)
			}
			counts[ref] = n
		})
		if want := map[string]int{"group:default/a": 2, "group:default/b": 1, "api:default/c": 1, "component:default/ünï": 1, "component:default/x": 1}; !reflect.DeepEqual(counts, want) {
			t.Errorf("collide=%v: refs: %v, want %v", collide, counts, want)
		}
		// Texts are shared where they can be: a ref that is its entity's ASCII text in lower case, a
		// path that ends the file's name after a slash; not otherwise.
		if r := ds.row(0); !r.folded || r.ref != r.entity || r.path != r.file {
			t.Errorf("collide=%v: org.yaml's row shares no text: %+v", collide, *r)
		}
		if r := ds.row(4); r.folded || r.path.block != r.file.block || r.path.off != r.file.off+int32(len("/repo/")) {
			t.Errorf("collide=%v: the non-ASCII row is folded, or its path is not the end of its file: %+v", collide, *r)
		}
		if r := ds.row(5); r.path.off >= r.file.off && r.path.off < r.file.off+r.file.len && r.path.block == r.file.block {
			t.Errorf("collide=%v: svc/c.yaml is taken from xsvc/c.yaml: %+v", collide, *r)
		}
		// One ref, once kept as its entity's text (folded) and once not: one ref of two definitions.
		mixed := newDefinitions()
		if collide {
			mixed.hash = ds.hash
		}
		mixed.add(Definition{Ref: "api:default/m", Entity: "API:default/M", File: "a.yaml"})
		mixed.add(Definition{Ref: "api:default/m", Entity: "api:elsewhere/m", File: "b.yaml"})
		mixed.add(Definition{Ref: "api:default/n", Entity: "api:default/n", File: "c.yaml"})
		mv := mixed.view()
		got := map[string]int{}
		mv.refs(func(r *defRow, n int) { got[refText(r, mv.text)] += n })
		if want := map[string]int{"api:default/m": 2, "api:default/n": 1}; !reflect.DeepEqual(got, want) {
			t.Errorf("collide=%v: refs of a folded and an unfolded row of one ref: %v, want %v", collide, got, want)
		}
		// A skeleton's row is left out of everything the index answers.
		ds.row(0).skeleton = true
		if got := v.definitions("group:default/a"); !reflect.DeepEqual(got, []Definition{given[2]}) {
			t.Errorf("collide=%v: with org.yaml a skeleton, definitions(group:default/a) = %+v", collide, got)
		}
		v.refs(func(r *defRow, n int) {
			if ref := refText(r, v.text); ref == "group:default/a" && n != 1 {
				t.Errorf("collide=%v: with org.yaml a skeleton, group:default/a counted %d times", collide, n)
			}
		})
	}
}
