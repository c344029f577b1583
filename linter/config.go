package linter

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/catalog-lint/catalog-lint/sentry/tokenexchange"
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
	// Sentry holds the settings of the Sentry existence check.
	Sentry SentryConfig
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

// IsSentrySaaS reports whether raw is an https URL of sentry.io or one of its subdomains, with no
// credentials, port or path beyond the root: the only Sentry addresses a repository's configuration
// file may choose, because the token goes wherever the URL points.
func IsSentrySaaS(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.User != nil || u.Port() != "" || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" {
		return false
	}
	host := strings.ToLower(u.Hostname())
	return host == "sentry.io" || strings.HasSuffix(host, ".sentry.io")
}

// SentryConfig is the `sentry` section.
type SentryConfig struct {
	Organization string
	URL          string
	// TokenExchange is sentry.auth.token_exchange, nil without one.
	TokenExchange *TokenExchangeConfig
}

// TokenExchangeConfig is sentry.auth.token_exchange: how to get a short-lived Sentry token from an
// access broker (RFC 8693). Values are checked for form here; the issuer and token endpoint of a
// repository's file are only used when the environment trusts them (see docs/sentry.md), because
// the client secret and the subject token go there.
type TokenExchangeConfig struct {
	Issuer, TokenEndpoint        string
	ClientIDEnv, ClientSecretEnv string
	// SubjectToken is github-oidc, env:NAME or file:PATH.
	SubjectToken     string
	SubjectTokenType string
	Audience         string
	Resource         string
	Scopes           []string
	// Line is where token_exchange stands, for messages about it.
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
	return &Config{Dir: dir, MaxFileSize: DefaultMaxFileSize, Rules: map[string]RuleSetting{}}
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

// LoadConfig reads and validates a configuration file. Unknown keys are errors naming the line.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	return ParseConfig(path, filepath.Dir(abs), data)
}

// ParseConfig validates configuration text; path names it in errors and dir anchors its globs.
func ParseConfig(path, dir string, data []byte) (*Config, error) {
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
	p := configParser{path: path}
	if root.Kind != yaml.MappingNode {
		return nil, p.err(root, "the configuration must be a mapping")
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
		case "sentry":
			cfg.Sentry = p.sentry(v)
		case "annotations":
			cfg.Annotations = p.annotations(v)
		default:
			p.add(k, fmt.Sprintf("unknown key %q; known keys are annotations, exclude, include, max_file_size, rules and sentry", k.Value))
		}
	}
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
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

type configParser struct {
	path string
	errs []error
}

func (p *configParser) err(n *yaml.Node, msg string) error {
	return &ConfigError{Path: p.path, Line: n.Line, Msg: msg}
}

func (p *configParser) add(n *yaml.Node, msg string) { p.errs = append(p.errs, p.err(n, msg)) }

func (p *configParser) str(key string, v *yaml.Node) string {
	s, ok := String(v)
	if !ok {
		p.add(v, fmt.Sprintf("%s must be a string, not %s", key, Describe(v)))
	}
	return s
}

func (p *configParser) globs(key string, v *yaml.Node) []string {
	if TypeOf(v) != TypeSequence {
		p.add(v, fmt.Sprintf("%s must be a list of globs, not %s", key, Describe(v)))
		return nil
	}
	var out []string
	for _, item := range Items(v) {
		s := p.str(key+" entry", item)
		if s == "" {
			continue
		}
		s = strings.TrimPrefix(filepath.ToSlash(s), "./")
		if !validGlob(s) {
			p.add(item, fmt.Sprintf("%s entry %q is not a valid relative glob", key, s))
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
func (p *configParser) annotations(v *yaml.Node) []AnnotationRule {
	if TypeOf(v) != TypeMapping {
		p.add(v, fmt.Sprintf("annotations must be a mapping of annotation keys to {required, pattern, message}, not %s", Describe(v)))
		return nil
	}
	var out []AnnotationRule
	Pairs(v, func(k, val *yaml.Node) {
		rule := AnnotationRule{Key: k.Value, Line: k.Line}
		if !annotationKeyPattern.MatchString(k.Value) || len(k.Value) > 316 {
			p.add(k, fmt.Sprintf("annotations: %q is not an annotation key such as sentry.io/project-slug", k.Value))
			return
		}
		if TypeOf(val) != TypeMapping {
			p.add(val, fmt.Sprintf("annotations.%s must be a mapping with required, pattern or message, not %s", k.Value, Describe(val)))
			return
		}
		Pairs(val, func(fk, fv *yaml.Node) {
			switch fk.Value {
			case "required":
				if TypeOf(fv) != TypeSequence {
					p.add(fv, fmt.Sprintf("annotations.%s.required must be a list such as [Component:service, API], not %s", k.Value, Describe(fv)))
					return
				}
				for _, item := range Items(fv) {
					s := p.str("annotations."+k.Value+".required entry", item)
					kind, typ, hasType := strings.Cut(s, ":")
					if !kindPattern.MatchString(kind) || hasType && strings.TrimSpace(typ) == "" {
						p.add(item, fmt.Sprintf("annotations.%s.required: %q is not Kind or Kind:type (such as Component or Component:service)", k.Value, s))
						continue
					}
					rule.Required = append(rule.Required, KindType{Kind: kind, Type: typ})
				}
			case "pattern":
				text := p.str("annotations."+k.Value+".pattern", fv)
				re, err := regexp.Compile(`^(?:` + text + `)$`)
				if err != nil {
					p.add(fv, fmt.Sprintf("annotations.%s.pattern %q is not a valid regular expression (RE2): %v", k.Value, text, err))
					return
				}
				rule.Pattern, rule.PatternText = re, text
			case "message":
				rule.Message = p.str("annotations."+k.Value+".message", fv)
			default:
				p.add(fk, fmt.Sprintf("annotations.%s: unknown key %q; use required, pattern and message", k.Value, fk.Value))
			}
		})
		if rule.Message != "" && rule.Pattern == nil {
			p.add(k, fmt.Sprintf("annotations.%s: message is for values that do not match the pattern; give a pattern", k.Value))
		}
		out = append(out, rule)
	})
	return out
}

func (p *configParser) size(v *yaml.Node) int64 {
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
		p.add(v, fmt.Sprintf("max_file_size must be a positive size such as 1048576 or 2MiB, not %q", Resolve(v).Value))
		return DefaultMaxFileSize
	}
	return n * mult
}

func (p *configParser) rules(v *yaml.Node) map[string]RuleSetting {
	out := map[string]RuleSetting{}
	if TypeOf(v) != TypeMapping {
		p.add(v, fmt.Sprintf("rules must be a mapping of rule IDs to off, error, warning or info, not %s", Describe(v)))
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
			p.add(val, fmt.Sprintf("rule %q: use off, error, warning or info, not %q", k.Value, s))
			return
		}
		out[k.Value] = setting
	})
	return out
}

func (p *configParser) sentry(v *yaml.Node) SentryConfig {
	var s SentryConfig
	if TypeOf(v) != TypeMapping {
		p.add(v, fmt.Sprintf("sentry must be a mapping, not %s", Describe(v)))
		return s
	}
	Pairs(v, func(k, val *yaml.Node) {
		switch k.Value {
		case "organization":
			s.Organization = p.str("sentry.organization", val)
		case "auth":
			s.TokenExchange = p.auth(val)
		case "url":
			s.URL = p.str("sentry.url", val)
			if s.URL != "" && !IsSentrySaaS(s.URL) {
				p.add(val, fmt.Sprintf("sentry.url %q: a repository file may only name sentry.io or one of its regions "+
					"(https://sentry.io, https://us.sentry.io, https://de.sentry.io); for a self-hosted Sentry set SENTRY_URL or "+
					"--sentry-url, so that a change to the repository cannot decide where the Sentry token is sent", s.URL))
				s.URL = ""
			}
		default:
			p.add(k, fmt.Sprintf("unknown key %q in sentry; known keys are auth, organization and url", k.Value))
		}
	})
	return s
}

func (p *configParser) auth(v *yaml.Node) *TokenExchangeConfig {
	if TypeOf(v) != TypeMapping {
		p.add(v, fmt.Sprintf("sentry.auth must be a mapping, not %s", Describe(v)))
		return nil
	}
	var out *TokenExchangeConfig
	Pairs(v, func(k, val *yaml.Node) {
		if k.Value != "token_exchange" {
			p.add(k, fmt.Sprintf("unknown key %q in sentry.auth; the known key is token_exchange", k.Value))
			return
		}
		out = p.tokenExchange(k, val)
	})
	return out
}

func (p *configParser) tokenExchange(key, v *yaml.Node) *TokenExchangeConfig {
	const prefix = "sentry.auth.token_exchange"
	if TypeOf(v) != TypeMapping {
		p.add(v, fmt.Sprintf("%s must be a mapping, not %s", prefix, Describe(v)))
		return nil
	}
	x := &TokenExchangeConfig{Line: key.Line}
	Pairs(v, func(k, val *yaml.Node) {
		name := prefix + "." + k.Value
		switch k.Value {
		case "issuer", "token_endpoint":
			u := p.str(name, val)
			if err := tokenexchange.CheckURL(u); u != "" && err != nil {
				p.add(val, fmt.Sprintf("%s: %v", name, err))
			}
			if k.Value == "issuer" {
				x.Issuer = u
			} else {
				x.TokenEndpoint = u
			}
		case "client_id_env", "client_secret_env":
			env := p.str(name, val)
			if env != "" && !tokenexchange.ValidEnvName(env) {
				p.add(val, fmt.Sprintf("%s must name an environment variable (such as SENTRY_BROKER_CLIENT_ID), not %q; the value itself never goes in this file", name, env))
			}
			if k.Value == "client_id_env" {
				x.ClientIDEnv = env
			} else {
				x.ClientSecretEnv = env
			}
		case "subject_token":
			x.SubjectToken = p.str(name, val)
			if _, err := tokenexchange.ParseSubject(x.SubjectToken); err != nil {
				p.add(val, fmt.Sprintf("%s: %v", name, err))
			}
		case "subject_token_type":
			x.SubjectTokenType = p.str(name, val)
			if _, err := tokenexchange.ParseTokenType(x.SubjectTokenType); err != nil {
				p.add(val, fmt.Sprintf("%s: %v", name, err))
			}
		case "audience":
			x.Audience = p.str(name, val)
		case "resource":
			x.Resource = p.str(name, val)
			if u, err := url.Parse(x.Resource); x.Resource != "" && (err != nil || !u.IsAbs() || u.Fragment != "") {
				p.add(val, fmt.Sprintf("%s must be an absolute URI such as https://sentry.io/api/0, not %q", name, x.Resource))
			}
		case "scopes":
			x.Scopes = p.scopes(name, val)
		default:
			p.add(k, fmt.Sprintf("unknown key %q in %s; known keys are audience, client_id_env, client_secret_env, issuer, "+
				"resource, scopes, subject_token, subject_token_type and token_endpoint", k.Value, prefix))
		}
	})
	return x
}

// scopes reads a list of scopes, or one string of space-separated scopes as OAuth writes them.
func (p *configParser) scopes(key string, v *yaml.Node) []string {
	if TypeOf(v) == TypeString {
		return strings.Fields(Resolve(v).Value)
	}
	if TypeOf(v) != TypeSequence {
		p.add(v, fmt.Sprintf("%s must be a list such as [org:read, project:read], not %s", key, Describe(v)))
		return nil
	}
	var out []string
	for _, item := range Items(v) {
		s := p.str(key+" entry", item)
		if s == "" || strings.ContainsAny(s, " \t\"") {
			p.add(item, fmt.Sprintf("%s entry %q is not a scope", key, s))
			continue
		}
		out = append(out, s)
	}
	return out
}
