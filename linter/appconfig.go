package linter

import (
	"path"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Backstage reads app-config.yaml and then each overlay it is given (app-config.local.yaml in
// development, app-config.production.yaml and others with --config), merging objects key by key: a
// key an overlay does not set keeps the base value, and arrays replace arrays. A repository's overlays
// are usually alternative deployments, so catalog-lint layers each overlay on the base on its own
// (and takes the base alone as one more deployment): the files any deployment's locations name are
// linted, and an entity's kind is rejected only when every deployment that reads it rejects it.

// AppConfigFile is one app-config file at the top of a folder walked: its path and content.
type AppConfigFile struct {
	Path string
	Data []byte
}

// appConfigLayer is the catalog section of one deployment: the base with one overlay on top.
type appConfigLayer struct {
	global     []string // catalog.rules' allowed kinds, lowercased
	globalFrom string   // the file that set them (the base when the overlay does not)
	locations  []kindRule
}

type kindRule struct {
	target string   // cleaned path of an app-config location
	allow  []string // lowercased kinds
	from   string   // the app-config file, for messages
}

// appConfigCatalog is what one app-config file says of the catalog: nil fields are not set.
type appConfigCatalog struct {
	file       string
	hasCatalog bool
	rules      *[]struct{ Allow []string }
	locations  *[]appConfigLocation
}

type appConfigLocation struct {
	Type   string                     `yaml:"type"`
	Target string                     `yaml:"target"`
	Rules  []struct{ Allow []string } `yaml:"rules"`
}

func parseAppConfig(f AppConfigFile) appConfigCatalog {
	var doc struct {
		Catalog *struct {
			Rules     *[]struct{ Allow []string } `yaml:"rules"`
			Locations *[]appConfigLocation        `yaml:"locations"`
		} `yaml:"catalog"`
	}
	if err := yaml.Unmarshal(f.Data, &doc); err != nil || doc.Catalog == nil {
		return appConfigCatalog{file: f.Path}
	}
	return appConfigCatalog{file: f.Path, hasCatalog: true, rules: doc.Catalog.Rules, locations: doc.Catalog.Locations}
}

// IsAppConfig reports whether a file name is a Backstage app-config file.
func IsAppConfig(name string) bool {
	return strings.HasPrefix(name, "app-config") && (strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml"))
}

// isBaseAppConfig reports whether name is the base file overlays are layered on.
func isBaseAppConfig(name string) bool {
	return name == "app-config.yaml" || name == "app-config.yml"
}

// AppConfig reads one app-config file as the only one of its folder (see AppConfigs).
func (c *Catalog) AppConfig(file string, data []byte) []string {
	return c.AppConfigs([]AppConfigFile{{Path: file, Data: data}})
}

// AppConfigs reads the app-config files at the top of a folder, layered as Backstage layers them:
// each deployment's file locations become roots (resolved against the backend's working folder:
// packages/backend beside the files when it exists, as in the create-app layout, else their folder)
// and its rules say which kinds may be ingested. It returns the files to lint.
func (c *Catalog) AppConfigs(files []AppConfigFile) []string {
	var base *appConfigCatalog
	var overlays []appConfigCatalog
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	for _, f := range files {
		doc := parseAppConfig(f)
		switch {
		case isBaseAppConfig(path.Base(f.Path)) && base == nil:
			base = &doc
		case doc.hasCatalog:
			overlays = append(overlays, doc)
		}
	}
	var layers []appConfigCatalog // each deployment's merged catalog section
	if base != nil && base.hasCatalog {
		layers = append(layers, *base)
	}
	for _, o := range overlays {
		if base == nil {
			layers = append(layers, o)
			continue
		}
		merged := *base
		if o.rules != nil || merged.rules == nil {
			// The overlay's rules, or Backstage's default in the overlay's deployment.
			merged.rules, merged.file = o.rules, o.file
		}
		if o.locations != nil {
			merged.locations = o.locations
		}
		layers = append(layers, merged)
	}
	var out []string
	seen := map[string]bool{}
	for _, l := range layers {
		for _, f := range c.addAppConfigLayer(l) {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	c.mu.Lock()
	for _, f := range out {
		c.markIngested(f)
	}
	c.mu.Unlock()
	return out
}

// addAppConfigLayer records one deployment's kind rules and returns the files its locations name.
func (c *Catalog) addAppConfigLayer(doc appConfigCatalog) []string {
	file := doc.file
	base := path.Dir(file)
	if exists, dir := c.Stat(path.Join(base, "packages/backend")); exists && dir {
		base = path.Join(base, "packages/backend")
	}
	from := path.Join(base, "app-config") // a file in the backend's folder, for relative targets
	// Backstage's default rules, unless the deployment sets its own.
	layer := appConfigLayer{global: []string{"component", "api", "location"}, globalFrom: c.Name(file)}
	if doc.rules != nil {
		layer.global = nil
		for _, r := range *doc.rules {
			layer.global = append(layer.global, lower(r.Allow)...)
		}
	}
	var files []string
	var locations []appConfigLocation
	if doc.locations != nil {
		locations = *doc.locations
	}
	for _, l := range locations {
		target, resolveFrom := l.Target, from
		switch {
		case l.Target == "":
			continue
		case l.Type == "url":
			// A URL into this repository is one of its files, relative to the repository's root.
			p, ok := c.LocalPath(l.Target)
			if !ok {
				continue
			}
			target, resolveFrom = p, "app-config"
		case l.Type != "file":
			continue
		}
		found, _, outside := c.ResolveTarget(resolveFrom, target)
		if outside {
			continue
		}
		if l.Rules != nil {
			var allow []string
			for _, r := range l.Rules {
				allow = append(allow, lower(r.Allow)...)
			}
			key := path.Join(path.Dir(resolveFrom), filepath.ToSlash(target))
			layer.locations = append(layer.locations, kindRule{target: key, allow: append(allow, layer.global...), from: c.Name(file)})
		}
		files = append(files, found...)
	}
	c.mu.Lock()
	c.configs = append(c.configs, layer)
	c.mu.Unlock()
	return files
}

// KindAllowed reports whether app-config lets an entity of kind (any case) in file be ingested: yes
// when some deployment's rules allow it (a location's own rules win over the global ones for its
// files). When none does, it returns the first deployment's verdict: the kinds it allows and the
// app-config file that says so. ok is false when no app-config with a catalog section was read.
func (c *Catalog) KindAllowed(file, kind string) (allowed bool, allow []string, from string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.configs) == 0 {
		return true, nil, "", false
	}
	key, kind := path.Clean(file), strings.ToLower(kind)
	for i, layer := range c.configs {
		list, by := layer.global, layer.globalFrom
		for _, r := range layer.locations {
			if r.target == key || matchGlob(r.target, key) {
				list, by = r.allow, r.from
				break
			}
		}
		for _, k := range list {
			if k == kind {
				return true, nil, "", true
			}
		}
		if i == 0 {
			allow, from = list, by
		}
	}
	return false, allow, from, true
}

func lower(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = strings.ToLower(s)
	}
	return out
}
