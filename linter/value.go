package linter

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// Type is the JSON type a YAML node has once Backstage has read it. Backstage parses catalog files
// with the `yaml` npm package and its YAML 1.2 core schema, which differs from yaml.v3's own tag
// resolution (yaml.v3 tags `2021-01-01` as a timestamp and `1_000` as an int; in the core schema both
// are strings), so rules judge types through TypeOf and never through yaml.Node.Tag.
type Type int

// The JSON types a node can have.
const (
	TypeNull Type = iota + 1
	TypeBool
	TypeNumber
	TypeString
	TypeMapping
	TypeSequence
)

// String returns the type as a message names it ("a number", "a mapping").
func (t Type) String() string {
	switch t {
	case TypeNull:
		return "null"
	case TypeBool:
		return "a boolean"
	case TypeNumber:
		return "a number"
	case TypeString:
		return "a string"
	case TypeMapping:
		return "a mapping"
	case TypeSequence:
		return "a list"
	}
	return "unknown"
}

// Resolve follows an alias to the node it names; any other node is returned as it is.
func Resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 64; i++ {
		n = n.Alias
	}
	return n
}

// TypeOf returns the type Backstage would see for n.
func TypeOf(n *yaml.Node) Type {
	n = Resolve(n)
	if n == nil {
		return TypeNull
	}
	switch n.Kind {
	case yaml.MappingNode:
		return TypeMapping
	case yaml.SequenceNode:
		return TypeSequence
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return TypeNull
		}
		return TypeOf(n.Content[0])
	case yaml.ScalarNode:
		return scalarType(n)
	}
	return TypeNull
}

func scalarType(n *yaml.Node) Type {
	if n.Style&yaml.TaggedStyle != 0 { // an explicit tag decides, even on a quoted scalar
		switch n.Tag {
		case "!!null":
			return TypeNull
		case "!!bool":
			return TypeBool
		case "!!int", "!!float":
			return TypeNumber
		case "!!map":
			return TypeMapping
		case "!!seq":
			return TypeSequence
		}
		// !!str and tags the core schema does not know (!!timestamp, !custom) stay strings.
		return TypeString
	}
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return TypeString
	}
	return CoreSchemaType(n.Value)
}

// CoreSchemaType resolves a plain (unquoted, untagged) scalar the way the YAML 1.2 core schema does,
// with the same patterns as the `yaml` npm package (dist/schema/core and common).
func CoreSchemaType(s string) Type {
	switch s {
	case "", "~", "null", "Null", "NULL":
		return TypeNull
	case "true", "True", "TRUE", "false", "False", "FALSE":
		return TypeBool
	case ".nan", ".NaN", ".NAN":
		return TypeNumber
	}
	if isCoreNumber(s) {
		return TypeNumber
	}
	return TypeString
}

func isCoreNumber(s string) bool {
	if len(s) > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'x') {
		digits := s[2:]
		for i := 0; i < len(digits); i++ {
			c := digits[i]
			if s[1] == 'o' && (c < '0' || c > '7') {
				return false
			}
			if s[1] == 'x' && !isHex(c) {
				return false
			}
		}
		return true
	}
	t := s
	if t[0] == '+' || t[0] == '-' {
		t = t[1:]
	}
	switch t {
	case ".inf", ".Inf", ".INF":
		return true
	}
	// [-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)([eE][-+]?[0-9]+)?  covers int, float and exp forms.
	i, intDigits := 0, 0
	for i < len(t) && isDigit(t[i]) {
		i++
		intDigits++
	}
	fracDigits := 0
	dot := false
	if i < len(t) && t[i] == '.' {
		dot = true
		i++
		for i < len(t) && isDigit(t[i]) {
			i++
			fracDigits++
		}
	}
	if intDigits == 0 && fracDigits == 0 {
		return false
	}
	if intDigits == 0 && !dot {
		return false
	}
	if i == len(t) {
		return true
	}
	if t[i] != 'e' && t[i] != 'E' {
		return false
	}
	i++
	if i < len(t) && (t[i] == '+' || t[i] == '-') {
		i++
	}
	expDigits := 0
	for i < len(t) && isDigit(t[i]) {
		i++
		expDigits++
	}
	return expDigits > 0 && i == len(t)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// String returns n's value when Backstage would read it as a string.
func String(n *yaml.Node) (string, bool) {
	n = Resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || TypeOf(n) != TypeString {
		return "", false
	}
	return n.Value, true
}

// Lookup returns the key and value nodes of key in mapping m, or nils when m is not a mapping or has
// no such key. With duplicate keys the last one wins, as in the `yaml` npm package's toJSON.
func Lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	m = Resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if kn := m.Content[i]; kn.Kind == yaml.ScalarNode && kn.Value == key {
			k, v = kn, m.Content[i+1]
		}
	}
	return k, v
}

// Pairs calls fn for each key and value of mapping m, in file order.
func Pairs(m *yaml.Node, fn func(k, v *yaml.Node)) {
	m = Resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		fn(m.Content[i], m.Content[i+1])
	}
}

// Items returns the elements of sequence s, or nil when s is not a sequence.
func Items(s *yaml.Node) []*yaml.Node {
	s = Resolve(s)
	if s == nil || s.Kind != yaml.SequenceNode {
		return nil
	}
	return s.Content
}

// Placeholders are the substitution objects Backstage resolves at ingestion: `$text`, `$json` and
// `$yaml` from the catalog itself, `$openapi` and `$asyncapi` from the API docs plugins.
var Placeholders = []string{"$asyncapi", "$json", "$openapi", "$text", "$yaml"}

// Placeholder reports whether n is a placeholder object: a mapping with exactly one key, and that key
// one of Placeholders. It returns the key and its value node.
func Placeholder(n *yaml.Node) (name string, value *yaml.Node, ok bool) {
	n = Resolve(n)
	if n == nil || n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		return "", nil, false
	}
	k := n.Content[0]
	if k.Kind != yaml.ScalarNode || !strings.HasPrefix(k.Value, "$") {
		return "", nil, false
	}
	for _, p := range Placeholders {
		if k.Value == p {
			return p, n.Content[1], true
		}
	}
	return "", nil, false
}

// StringLike reports whether Backstage ends up with a string for n: a string, or a placeholder that
// ingestion replaces with one. The placeholder's own value is judged by its own rule.
func StringLike(n *yaml.Node) bool {
	if TypeOf(n) == TypeString {
		return true
	}
	_, _, ok := Placeholder(n)
	return ok
}

// Describe names what n is for a message: `a number (123)`, `a mapping`, `an empty value`.
func Describe(n *yaml.Node) string {
	r := Resolve(n)
	t := TypeOf(r)
	switch t {
	case TypeNull:
		return "an empty value"
	case TypeBool, TypeNumber:
		return t.String() + " (" + r.Value + ")"
	}
	return t.String()
}
