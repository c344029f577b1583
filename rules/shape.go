package rules

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/catalog-lint/catalog-lint/linter"
)

// shape is the part of a JSON schema the kind schemas of catalog-model and scaffolder-common use:
// types, required properties, string minLength, enums and list items. Every kind's spec rule is a
// shape table, so the tables can be read side by side with the schemas they copy.
type shape struct {
	types    []linter.Type // allowed types; empty means any
	nonEmpty bool          // strings need at least one character (minLength 1)
	enum     []string
	required []string
	props    []prop
	extra    *shape // additionalProperties
	items    *shape
	minItems int
	oneOf    []*shape
}

type prop struct {
	name  string
	shape *shape
}

var (
	str         = &shape{types: []linter.Type{linter.TypeString}}
	nonEmptyStr = &shape{types: []linter.Type{linter.TypeString}, nonEmpty: true}
	strOrBool   = &shape{types: []linter.Type{linter.TypeString, linter.TypeBool}}
	object      = &shape{types: []linter.Type{linter.TypeMapping}}
	refList     = &shape{types: []linter.Type{linter.TypeSequence}, items: nonEmptyStr}
	strList     = &shape{types: []linter.Type{linter.TypeSequence}, items: str}
)

func obj(required []string, props ...prop) *shape {
	return &shape{types: []linter.Type{linter.TypeMapping}, required: required, props: props}
}

func list(items *shape) *shape {
	return &shape{types: []linter.Type{linter.TypeSequence}, items: items}
}

// checkShape reports every way value v (at key k, named path) breaks s. A placeholder object stands
// for whatever Backstage substitutes at ingestion, so it is never judged here.
func checkShape(p *linter.Pass, path string, k, v *yaml.Node, s *shape) {
	if _, _, ok := linter.Placeholder(v); ok {
		return
	}
	if len(s.oneOf) > 0 {
		for _, alt := range s.oneOf {
			if typeAllowed(linter.TypeOf(v), alt.types) {
				checkShape(p, path, k, v, alt)
				return
			}
		}
		p.Report(v, "%s must be %s, not %s", path, typeNames(s.oneOf), linter.Describe(v))
		return
	}
	t := linter.TypeOf(v)
	if !typeAllowed(t, s.types) {
		want := typeList(s.types)
		if s.nonEmpty {
			want = "a non-empty string"
		}
		if typeAllowed(linter.TypeString, s.types) && (t == linter.TypeNumber || t == linter.TypeBool || t == linter.TypeNull && isNullWord(v.Value)) {
			// The same text, quoted, is the string that was meant.
			p.ReportFix(v, linter.QuoteValue("quote the value"), "%s must be %s, not %s", path, want, linter.Describe(v))
			return
		}
		p.Report(v, "%s must be %s, not %s", path, want, linter.Describe(v))
		return
	}
	switch t {
	case linter.TypeString:
		val, _ := linter.String(v)
		if s.nonEmpty && val == "" {
			p.Report(v, "%s must not be empty", path)
		}
		if len(s.enum) > 0 && !contains(s.enum, val) {
			p.Report(v, "%s must be one of %s, not %q", path, quoteList(s.enum), val)
		}
	case linter.TypeSequence:
		items := linter.Items(v)
		if len(items) < s.minItems {
			p.Report(v, "%s must have at least %d item(s)", path, s.minItems)
		}
		if s.items != nil {
			for i, item := range items {
				checkShape(p, path+"["+strconv.Itoa(i)+"]", nil, item, s.items)
			}
		}
	case linter.TypeMapping:
		var missing []string
		for _, name := range s.required {
			if rk, _ := linter.Lookup(v, name); rk == nil {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			at := k
			if at == nil {
				at = v
			}
			p.Report(at, "%s is missing required %s %s", path, plural(len(missing), "field", "fields"), quoteList(missing))
		}
		// For a repeated key the last one wins, as in Backstage (yaml-duplicate-key reports the
		// others): find each property's last occurrence in one pass from the end.
		content := linter.Resolve(v).Content
		last := make([]int, len(s.props))
		for i := range last {
			last[i] = -1
		}
		for i := len(content) - 2; i >= 0; i -= 2 {
			for j, pr := range s.props {
				if last[j] < 0 && content[i].Value == pr.name {
					last[j] = i
				}
			}
		}
		for i := 0; i+1 < len(content); i += 2 {
			ck, cv := content[i], content[i+1]
			matched := false
			for j, pr := range s.props {
				if pr.name == ck.Value {
					matched = true
					if last[j] == i {
						checkShape(p, path+"."+ck.Value, ck, cv, pr.shape)
					}
					break
				}
			}
			if !matched && s.extra != nil {
				checkShape(p, path+"."+ck.Value, ck, cv, s.extra)
			}
		}
	}
}

func typeAllowed(t linter.Type, allowed []linter.Type) bool {
	if len(allowed) == 0 {
		return true
	}
	for _, a := range allowed {
		if a == t {
			return true
		}
	}
	return false
}

func typeList(ts []linter.Type) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.String()
	}
	return strings.Join(names, " or ")
}

func typeNames(alts []*shape) string {
	var ts []linter.Type
	for _, a := range alts {
		ts = append(ts, a.types...)
	}
	return typeList(ts)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = quote(s)
	}
	return strings.Join(q, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
