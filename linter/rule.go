package linter

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Severity orders findings; --fail-on and per-rule configuration use it.
type Severity int

// Severities, lowest first.
const (
	SeverityInfo Severity = iota + 1
	SeverityWarning
	SeverityError
)

// String returns the severity as JSON output and configuration spell it.
func (s Severity) String() string {
	switch s {
	case SeverityInfo:
		return "info"
	case SeverityWarning:
		return "warning"
	case SeverityError:
		return "error"
	}
	return "unknown"
}

// ParseSeverity reads "error", "warning" or "info".
func ParseSeverity(s string) (Severity, error) {
	switch s {
	case "error":
		return SeverityError, nil
	case "warning":
		return SeverityWarning, nil
	case "info":
		return SeverityInfo, nil
	}
	return 0, fmt.Errorf("unknown severity %q; use error, warning or info", s)
}

// Rule is one check, described well enough to list, document and configure it. Rules are values: the
// engine runs Check once per entity and never knows a rule by name.
type Rule struct {
	// ID is stable and kebab-case; configuration, ignore annotations and output use it.
	ID string
	// Summary is one lowercase line saying what the rule checks.
	Summary string
	// Doc is Markdown prose: why the rule exists and how to fix a finding.
	Doc string
	// Bad is a catalog file the rule reports; Good is the same entity fixed. Both are linted by the
	// tests and printed in docs/rules.md.
	Bad, Good string
	// Fix says which of the rule's findings carry a certain fix (check --fix, --diff, suggestions);
	// "" when none does. docs/rules.md prints it.
	Fix string
	// Severity is the default; .catalog-lint.yaml can change it.
	Severity Severity
	// Network rules ask a remote service. They run only when the Linter has a Resolver for them
	// (Options.Resolvers, made with ResolverOf); --offline or missing credentials leave them out
	// (Result.Skipped).
	Network bool
	// Catalog rules look at the catalog as a whole (refs, duplicates, Location targets): they run only
	// when the Linter has a Catalog (Options.Catalog), and are left out silently otherwise.
	Catalog bool
	// Inconclusive marks a rule whose findings say that a check could not be completed (a service
	// could not be asked); they make Result.Inconclusive non-zero.
	Inconclusive bool
	// Check inspects one entity. Nil for the findings the engine itself raises while reading files.
	Check func(p *Pass)
}

var ruleIDPattern = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// Validate reports what is missing from r's description; tests call it for every registered rule.
func (r *Rule) Validate() error {
	var problems []string
	if !ruleIDPattern.MatchString(r.ID) {
		problems = append(problems, fmt.Sprintf("ID %q is not kebab-case", r.ID))
	}
	if r.Summary == "" || strings.ToLower(r.Summary[:1]) != r.Summary[:1] || strings.HasSuffix(r.Summary, ".") {
		problems = append(problems, "summary must be one lowercase line without a final period")
	}
	if strings.TrimSpace(r.Doc) == "" {
		problems = append(problems, "doc is empty")
	}
	if strings.TrimSpace(r.Bad) == "" || strings.TrimSpace(r.Good) == "" {
		problems = append(problems, "bad and good examples are required")
	}
	if r.Severity < SeverityInfo || r.Severity > SeverityError {
		problems = append(problems, "severity is not set")
	}
	if len(problems) > 0 {
		return fmt.Errorf("rule %q: %s", r.ID, strings.Join(problems, "; "))
	}
	return nil
}

// Finding is one problem at one place. Line and Column are 1-based; 0 means the finding is about
// the whole file (or the column is unknown).
type Finding struct {
	Rule      string
	Severity  Severity
	File      string
	Line      int
	Column    int
	EndLine   int
	EndColumn int
	Message   string
	// Entity is kind:namespace/name when the document says enough to name it.
	Entity string
	// Document is the 1-based index of the YAML document in its file; 0 for the whole file.
	Document int
	// Source is the text of Line, kept for the caret display.
	Source string
	// Fix, when set, is the one certain edit that resolves the finding (check --fix applies it).
	Fix *Fix
}

// Pass is what a rule's Check sees: one entity and a way to report on it.
type Pass struct {
	// Ctx is the run's context; network rules must honour it.
	Ctx    context.Context
	Entity *Entity
	// File is the entity's file, as findings name it.
	File string
	// Path is the file's path in the catalog's repository (Catalog.Repo): what the catalog's methods
	// take. "" without a catalog, or for standard input named outside the repository.
	Path string
	// Catalog is the run's catalog when it ingests as Backstage does (Options.Catalog), else nil.
	Catalog *Catalog
	// Config is the run's configuration (rules read their own sections, such as annotations).
	Config *Config
	rule   *Rule
	// ruleIdx is rule's index in the Linter's checks, which names it in a question.
	ruleIdx int32
	emit    func(r *Rule, n *yaml.Node, msg string, fix *Edit)
	defer_  func(ruleIdx int32, n *yaml.Node, question any)
}

// Report records a finding at node n (a key or a value of the entity). Messages are lowercase,
// quote values with %q and say how to fix the problem.
func (p *Pass) Report(n *yaml.Node, format string, args ...any) {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	p.emit(p.rule, n, msg, nil)
}
