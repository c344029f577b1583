// Package rules holds catalog-lint's rules, one file each, and their sorted registry.
package rules

import (
	"sort"
	"sync"

	"github.com/catalog-lint/catalog-lint/integrations"
	"github.com/catalog-lint/catalog-lint/linter"
	"github.com/catalog-lint/catalog-lint/sentry"
)

// checks are the rules of this package; the engine's own (linter.BuiltinRules) join them in All.
var checks = []*linter.Rule{
	AnnotationFormat, AnnotationKeyVariant, AnnotationPattern, AnnotationRequired, APISpec, APIVersionFormat, CatalogUnverified, ComponentSpec, DomainSpec, EntityConflict, EntityDuplicate, EntityNameFormat,
	FieldTypes, GroupSpec, IgnoreAnnotation, KindFormat, KindNotAllowed, LabelFormat, LinkFormat, LocationSpec,
	LocationTargetMissing, NamespaceFormat, PlaceholderValue, RelationTargetMissing, RequiredFields, ResourceSpec,
	SystemSpec, TagFormat, TechDocsDirMissing, TemplateSkeletonMissing, TemplateSpec, UnknownKind, UnknownRootField, UserSpec,
}

var (
	registryOnce sync.Once
	registry     []*linter.Rule
	byID         map[string]*linter.Rule
)

func load() {
	registry = append(append(append([]*linter.Rule{}, linter.BuiltinRules()...), checks...), integrations.Rules()...)
	sort.Slice(registry, func(i, j int) bool { return registry[i].ID < registry[j].ID })
	byID = make(map[string]*linter.Rule, len(registry))
	for _, r := range registry {
		if byID[r.ID] != nil {
			panic("rules: duplicate rule ID " + r.ID)
		}
		byID[r.ID] = r
	}
}

// All returns every rule, the engine's included, sorted by ID.
func All() []*linter.Rule {
	registryOnce.Do(load)
	return registry
}

// Lookup returns the rule with the given ID, or nil.
func Lookup(id string) *linter.Rule {
	registryOnce.Do(load)
	return byID[id]
}

// ConfigSections are the integrations' sections of .catalog-lint.yaml, each read by its own package:
// the engine reads the rest.
func ConfigSections() []linter.Section {
	return append([]linter.Section{sentry.ConfigSection}, integrations.ConfigSections()...)
}

// LoadConfig reads a configuration file with every integration's section and checks the rule IDs
// it names; path "" is the defaults, relative to dir.
func LoadConfig(path, dir string) (*linter.Config, error) {
	cfg := linter.DefaultConfig(dir)
	if path != "" {
		var err error
		if cfg, err = linter.LoadConfig(path, ConfigSections()...); err != nil {
			return nil, err
		}
	}
	return cfg, CheckConfig(cfg)
}

// ParseConfig is LoadConfig for configuration text (the App reads it from a commit): path names it in
// errors, dir anchors its globs.
func ParseConfig(path, dir string, data []byte) (*linter.Config, error) {
	cfg, err := linter.ParseConfig(path, dir, data, ConfigSections()...)
	if err != nil {
		return nil, err
	}
	return cfg, CheckConfig(cfg)
}

// CheckConfig reports the rule IDs a configuration names that no rule has.
func CheckConfig(cfg *linter.Config) error {
	if err := cfg.CheckRuleIDs(func(id string) bool { return Lookup(id) != nil }); err != nil {
		return err
	}
	return nil
}
