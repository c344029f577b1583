package linter

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// Entity is one YAML document of a catalog file whose root is a mapping.
type Entity struct {
	// Root is the document's root mapping.
	Root *yaml.Node
	// Index is the 1-based position of the document in its file, counting empty ones.
	Index int
	// APIVersion, Kind, Namespace and Name are the envelope's values when they are strings, else "".
	// Namespace is "default" when metadata.namespace is absent, as Backstage defaults it.
	APIVersion, Kind, Namespace, Name string

	ref string // Ref's answer, made once by newEntity: the engine, the catalog and the rules all ask for it
}

func newEntity(root *yaml.Node, index int) *Entity {
	e := &Entity{Root: root, Index: index, Namespace: "default"}
	_, v := Lookup(root, "apiVersion")
	e.APIVersion, _ = String(v)
	_, v = Lookup(root, "kind")
	e.Kind, _ = String(v)
	_, meta := Lookup(root, "metadata")
	_, v = Lookup(meta, "name")
	e.Name, _ = String(v)
	if k, v := Lookup(meta, "namespace"); k != nil {
		e.Namespace, _ = String(v)
	}
	e.ref = e.makeRef()
	return e
}

// Field returns the key and value nodes at a path of mapping keys from the root
// (Field("metadata", "name")); nils when any step is missing or not a mapping.
func (e *Entity) Field(path ...string) (k, v *yaml.Node) {
	v = e.Root
	for _, p := range path {
		k, v = Lookup(v, p)
		if k == nil {
			return nil, nil
		}
	}
	return k, v
}

// Ref returns the entity reference kind:namespace/name the way Backstage writes it (kind and
// namespace lowercased), or "" when the document does not name a kind and a name.
func (e *Entity) Ref() string {
	if e.ref != "" {
		return e.ref
	}
	return e.makeRef()
}

func (e *Entity) makeRef() string {
	if e.Kind == "" || e.Name == "" {
		return ""
	}
	ns := e.Namespace
	if ns == "" {
		ns = "default"
	}
	return strings.ToLower(e.Kind) + ":" + strings.ToLower(ns) + "/" + e.Name
}

// Annotation returns the value node of annotation key, or nil.
func (e *Entity) Annotation(key string) (k, v *yaml.Node) {
	return e.Field("metadata", "annotations", key)
}

// Entities returns the entities data describes, parsed as the engine parses a catalog file (its limits
// on aliases and nesting applied): one per document whose root is a mapping. Documents the engine
// would not read give none.
func Entities(data []byte) []*Entity {
	docs, _ := parseFile(data)
	var out []*Entity
	for _, d := range docs {
		if len(d.root.Content) == 0 {
			continue
		}
		if _, unsafe := checkDocument(d.root); unsafe {
			continue
		}
		if top := Resolve(d.root.Content[0]); top.Kind == yaml.MappingNode {
			out = append(out, newEntity(top, d.index))
		}
	}
	return out
}
