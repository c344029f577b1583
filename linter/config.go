package linter

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ConfigFileName is the configuration file looked up from the current folder upward.
const ConfigFileName = ".catalog-lint.yaml"

// DefaultMaxFileSize is the size above which a file is reported and skipped.
const DefaultMaxFileSize = 1 << 20

// Config is .catalog-lint.yaml, loaded and validated in one place.
type Config struct {
	// Path is the file the configuration came from; "" for the defaults.
	Path string
	// Dir is the folder include and exclude globs are relative to: the configuration file's folder,
	// or the current folder without one.
	Dir string
	// Include adds files to the walk besides catalog-info.yaml/.yml (globs such as catalog/**/*.yaml).
	Include []string
	// Exclude removes files and folders from the walk; it wins over Include.
	Exclude []string
	// MaxFileSize in bytes.
	MaxFileSize int64
	// Rules turns rules off or changes their severity, by rule ID.
	Rules map[string]RuleSetting
	// Sections are the integrations' own sections (sentry, ...), as their Section.Parse read them.
	Sections map[string]any
	// Annotations are the organization's own rules for annotations, in file order.
	Annotations []AnnotationRule
}

// AnnotationRule is one entry of the `annotations` section: an annotation some entities must have,
// and the shape its value must take.
type AnnotationRule struct {
	Key string
	// Required lists the entities that must have the annotation: a kind, or a kind and spec.type.
	Required []KindType
	// Pattern, when set, must match the whole value (RE2); PatternText is as written.
	Pattern     *regexp.Regexp
	PatternText string
	// Message replaces the default message of a value that does not match.
	Message string
	// Line is where the entry stands in the configuration file.
	Line int
}

// KnownKinds are the kinds Backstage's catalog validates out of the box (rules' builtinKinds).
var KnownKinds = []string{"API", "Component", "Domain", "Group", "Location", "Resource", "System", "Template", "User"}

// knownKind is the known kind k names, in its spelling ("" for none).
func knownKind(k string) string {
	for _, known := range KnownKinds {
		if strings.EqualFold(k, known) {
			return known
		}
	}
	return ""
}

// KindType is `Kind` or `Kind:type` in annotations.*.required.
type KindType struct {
	Kind, Type string
}

// Matches reports whether an entity of kind with spec.type typ is one kt names.
func (kt KindType) Matches(kind, typ string) bool {
	return kt.Kind == kind && (kt.Type == "" || kt.Type == typ)
}

func (kt KindType) String() string {
	if kt.Type == "" {
		return kt.Kind
	}
	return kt.Kind + ":" + kt.Type
}

// RuleSetting is one entry of the `rules` section.
type RuleSetting struct {
	// Off disables the rule; otherwise Severity replaces the rule's default.
	Off      bool
	Severity Severity
	// Line is where the entry stands in the configuration file, for errors about it.
	Line int
}

// ConfigError is a mistake in a configuration file, with its place.
type ConfigError struct {
	Path string
	Line int
	Msg  string
}

func (e *ConfigError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// DefaultConfig is the configuration without a file, relative to dir.
func DefaultConfig(dir string) *Config {
	return &Config{Dir: dir, MaxFileSize: DefaultMaxFileSize, Rules: map[string]RuleSetting{}, Sections: map[string]any{}}
}

// FindConfig looks for ConfigFileName in dir and its parents; "" when there is none.
func FindConfig(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, ConfigFileName)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", nil
		}
		dir = parent
	}
}

// LoadConfig reads and validates a configuration file, with the integrations' sections. Unknown keys
// are errors naming the line.
func LoadConfig(path string, sections ...Section) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	return ParseConfig(path, filepath.Dir(abs), data, sections...)
}

func findSection(sections []Section, key string) *Section {
	for i := range sections {
		if sections[i].Key == key {
			return &sections[i]
		}
	}
	return nil
}

// knownKeys lists the keys a configuration file may have: "a, b and c".
func knownKeys(sections []Section) string {
	keys := append([]string(nil), engineKeys...)
	for _, s := range sections {
		keys = append(keys, s.Key)
	}
	sort.Strings(keys)
	return strings.Join(keys[:len(keys)-1], ", ") + " and " + keys[len(keys)-1]
}

// Section is an integration's part of the configuration file, such as `sentry`: the engine reads
// include, exclude, max_file_size, rules and annotations itself and routes each Section's key to its
// Parse, so that each integration reads its own settings, with positions, in its own package.
type Section struct {
	Key string
	// Parse reads the section's value node; file names the configuration file in errors, which say
	// the line (ConfigError). What it returns is kept in Config.Sections under Key.
	Parse func(file string, v *yaml.Node) (any, []error)
}

// engineKeys are the configuration keys the engine reads itself.
var engineKeys = []string{"annotations", "exclude", "include", "max_file_size", "rules"}

// ParseConfig validates configuration text; path names it in errors and dir anchors its globs.
// sections are the integrations' own sections; any other key is an error.
func ParseConfig(path, dir string, data []byte, sections ...Section) (*Config, error) {
	cfg := DefaultConfig(dir)
	cfg.Path = path
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		f := syntaxFinding(err)
		return nil, &ConfigError{Path: path, Line: f.line, Msg: f.msg}
	}
	if len(doc.Content) == 0 || TypeOf(doc.Content[0]) == TypeNull {
		return cfg, nil
	}
	root := doc.Content[0]
	p := ConfigReader{Path: path}
	if root.Kind != yaml.MappingNode {
		return nil, p.Err(root, "the configuration must be a mapping")
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "include":
			cfg.Include = p.globs(k.Value, v)
		case "exclude":
			cfg.Exclude = p.globs(k.Value, v)
		case "max_file_size":
			cfg.MaxFileSize = p.size(v)
		case "rules":
			cfg.Rules = p.rules(v)
		case "annotations":
			cfg.Annotations = p.annotations(v)
		default:
			section := findSection(sections, k.Value)
			if section == nil {
				p.Add(k, fmt.Sprintf("unknown key %q; known keys are %s", k.Value, knownKeys(sections)))
				continue
			}
			value, errs := section.Parse(path, v)
			p.Errs = append(p.Errs, errs...)
			cfg.Sections[k.Value] = value
		}
	}
	if len(p.Errs) > 0 {
		return nil, errors.Join(p.Errs...)
	}
	return cfg, nil
}

// CheckRuleIDs reports every rule the configuration names that known does not know, with its line.
func (c *Config) CheckRuleIDs(known func(id string) bool) error {
	var errs []error
	ids := make([]string, 0, len(c.Rules))
	for id := range c.Rules {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return c.Rules[ids[i]].Line < c.Rules[ids[j]].Line })
	for _, id := range ids {
		if !known(id) {
			errs = append(errs, &ConfigError{Path: c.Path, Line: c.Rules[id].Line,
				Msg: fmt.Sprintf("unknown rule %q; `catalog-lint rules` lists them", id)})
		}
	}
	return errors.Join(errs...)
}

// ConfigReader reads a configuration file's nodes and collects its mistakes with their lines; the
// engine and each integration's Section.Parse use it.
type ConfigReader struct {
	Path string
	Errs []error
}

// Err is a mistake at node n.
func (p *ConfigReader) Err(n *yaml.Node, msg string) error {
	return &ConfigError{Path: p.Path, Line: n.Line, Msg: msg}
}

// Add records a mistake at node n.
func (p *ConfigReader) Add(n *yaml.Node, msg string) { p.Errs = append(p.Errs, p.Err(n, msg)) }

// Str reads a string value (key names it in the error when it is not one).
func (p *ConfigReader) Str(key string, v *yaml.Node) string {
	s, ok := String(v)
	if !ok {
		p.Add(v, fmt.Sprintf("%s must be a string, not %s", key, Describe(v)))
	}
	return s
}

func (p *ConfigReader) globs(key string, v *yaml.Node) []string {
	if TypeOf(v) != TypeSequence {
		p.Add(v, fmt.Sprintf("%s must be a list of globs, not %s", key, Describe(v)))
		return nil
	}
	var out []string
	for _, item := range Items(v) {
		s := p.Str(key+" entry", item)
		if s == "" {
			continue
		}
		s = strings.TrimPrefix(filepath.ToSlash(s), "./")
		if !validGlob(s) {
			p.Add(item, fmt.Sprintf("%s entry %q is not a valid relative glob", key, s))
			continue
		}
		out = append(out, s)
	}
	return out
}

var (
	kindPattern          = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`)
	annotationKeyPattern = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)
)

// annotations reads the `annotations` section: annotation key -> {required, pattern, message}.
func (p *ConfigReader) annotations(v *yaml.Node) []AnnotationRule {
	if TypeOf(v) != TypeMapping {
		p.Add(v, fmt.Sprintf("annotations must be a mapping of annotation keys to {required, pattern, message}, not %s", Describe(v)))
		return nil
	}
	var out []AnnotationRule
	Pairs(v, func(k, val *yaml.Node) {
		rule := AnnotationRule{Key: k.Value, Line: k.Line}
		if !annotationKeyPattern.MatchString(k.Value) || len(k.Value) > 316 {
			p.Add(k, fmt.Sprintf("annotations: %q is not an annotation key such as sentry.io/project-slug", k.Value))
			return
		}
		if TypeOf(val) != TypeMapping {
			p.Add(val, fmt.Sprintf("annotations.%s must be a mapping with required, pattern or message, not %s", k.Value, Describe(val)))
			return
		}
		Pairs(val, func(fk, fv *yaml.Node) {
			switch fk.Value {
			case "required":
				if TypeOf(fv) != TypeSequence {
					p.Add(fv, fmt.Sprintf("annotations.%s.required must be a list such as [Component:service, API], not %s", k.Value, Describe(fv)))
					return
				}
				for _, item := range Items(fv) {
					s := p.Str("annotations."+k.Value+".required entry", item)
					kind, typ, hasType := strings.Cut(s, ":")
					if !kindPattern.MatchString(kind) || hasType && strings.TrimSpace(typ) == "" {
						p.Add(item, fmt.Sprintf("annotations.%s.required: %q is not Kind or Kind:type (such as Component or Component:service)", k.Value, s))
						continue
					}
					if known := knownKind(kind); known != kind {
						if known != "" {
							p.Add(item, fmt.Sprintf("annotations.%s.required: kind %q is spelled %q; kinds are matched exactly", k.Value, kind, known))
						} else {
							p.Add(item, fmt.Sprintf("annotations.%s.required: %q is not a kind Backstage knows (%s); no entity would ever need the annotation", k.Value, kind, strings.Join(KnownKinds, ", ")))
						}
						continue
					}
					rule.Required = append(rule.Required, KindType{Kind: kind, Type: typ})
				}
			case "pattern":
				text := p.Str("annotations."+k.Value+".pattern", fv)
				re, err := regexp.Compile(`^(?:` + text + `)$`)
				if err != nil {
					p.Add(fv, fmt.Sprintf("annotations.%s.pattern %q is not a valid regular expression (RE2): %v", k.Value, text, err))
					return
				}
				rule.Pattern, rule.PatternText = re, text
			case "message":
				rule.Message = p.Str("annotations."+k.Value+".message", fv)
			default:
				p.Add(fk, fmt.Sprintf("annotations.%s: unknown key %q; use required, pattern and message", k.Value, fk.Value))
			}
		})
		if rule.Message != "" && rule.Pattern == nil {
			p.Add(k, fmt.Sprintf("annotations.%s: message is for values that do not match the pattern; give a pattern", k.Value))
		}
		out = append(out, rule)
	})
	return out
}

func (p *ConfigReader) size(v *yaml.Node) int64 {
	text := strings.TrimSpace(Resolve(v).Value)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"B", 1}} {
		if strings.HasSuffix(text, u.suffix) {
			text, mult = strings.TrimSpace(strings.TrimSuffix(text, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil || n <= 0 || v.Kind != yaml.ScalarNode {
		p.Add(v, fmt.Sprintf("max_file_size must be a positive size such as 1048576 or 2MiB, not %q", Resolve(v).Value))
		return DefaultMaxFileSize
	}
	return n * mult
}

func (p *ConfigReader) rules(v *yaml.Node) map[string]RuleSetting {
	out := map[string]RuleSetting{}
	if TypeOf(v) != TypeMapping {
		p.Add(v, fmt.Sprintf("rules must be a mapping of rule IDs to off, error, warning or info, not %s", Describe(v)))
		return out
	}
	Pairs(v, func(k, val *yaml.Node) {
		setting := RuleSetting{Line: k.Line}
		s := Resolve(val).Value
		if TypeOf(val) == TypeBool && strings.EqualFold(s, "false") {
			s = "off"
		}
		if s == "off" {
			setting.Off = true
		} else if sev, err := ParseSeverity(s); err == nil && val.Kind == yaml.ScalarNode {
			setting.Severity = sev
		} else {
			p.Add(val, fmt.Sprintf("rule %q: use off, error, warning or info, not %q", k.Value, s))
			return
		}
		out[k.Value] = setting
	})
	return out
}
