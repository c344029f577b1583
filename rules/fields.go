package rules

import (
	"gopkg.in/yaml.v3"

	"github.com/catalog-lint/catalog-lint/linter"
)

// stringField returns a field's string value. A placeholder (filled in by Backstage at ingestion)
// yields ok=false without a finding; any other non-string is reported as what it is.
func stringField(p *linter.Pass, path string, v *yaml.Node) (s string, ok bool) {
	return stringFieldAt(p, func() string { return path }, v)
}

// stringFieldAt is stringField with the path built only when there is something to report: it runs
// for every label, annotation and tag of every entity.
func stringFieldAt(p *linter.Pass, pathFn func() string, v *yaml.Node) (s string, ok bool) {
	if s, ok := linter.String(v); ok {
		return s, true
	}
	path := pathFn()
	if _, _, isPlaceholder := linter.Placeholder(v); isPlaceholder {
		return "", false
	}
	if linter.TypeOf(v) == linter.TypeNumber || linter.TypeOf(v) == linter.TypeBool {
		p.ReportFix(v, linter.QuoteValue("quote the value"), "%s must be a string, not %s; quote it: \"%s\"", path, linter.Describe(v), linter.Resolve(v).Value)
	} else if linter.TypeOf(v) == linter.TypeNull && v.Kind == yaml.ScalarNode && isNullWord(v.Value) {
		p.ReportFix(v, linter.QuoteValue("quote the value"), "%s must be a string, not %s; quote it: \"%s\"", path, linter.Describe(v), v.Value)
	} else {
		p.Report(v, "%s must be a string, not %s", path, linter.Describe(v))
	}
	return "", false
}

// metadataField returns the key and value of metadata.<name> when metadata is a mapping.
func metadataField(e *linter.Entity, name string) (k, v *yaml.Node) {
	return e.Field("metadata", name)
}

// isNullWord reports whether a null was written as the word null (the string "null" is a plausible
// meaning; ~ or nothing is not).
func isNullWord(s string) bool { return s == "null" || s == "Null" || s == "NULL" }

// quoteFix describes the fix of rules that require strings: the same text, quoted.
const quoteFix = "a number, a boolean or the word `null` where a string is required is quoted, the same text (`4711` becomes `\"4711\"`)"
