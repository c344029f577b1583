package linter

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAppConfigLayers: overlays are layered on app-config.yaml one at a time; a key an overlay does
// not set keeps the base value, arrays replace arrays, and a kind is rejected only when every
// deployment rejects it.
func TestAppConfigLayers(t *testing.T) {
	const (
		baseRules    = "catalog:\n  rules:\n    - allow: [Component, Group]\n  locations:\n    - {type: file, target: ./base.yaml}\n"
		localRules   = "catalog:\n  rules:\n    - allow: [Template]\n"
		prodLocation = "catalog:\n  locations:\n    - {type: file, target: ./prod.yaml}\n"
		noCatalog    = "app:\n  title: x\n"
	)
	type verdict struct {
		kind    string
		allowed bool
		from    string
	}
	tests := []struct {
		name  string
		files []AppConfigFile
		want  []string // files to lint
		kinds []verdict
	}{
		{
			name:  "an overlay without rules keeps the base's",
			files: []AppConfigFile{{"app-config.production.yaml", []byte(prodLocation)}, {"app-config.yaml", []byte(baseRules)}},
			want:  []string{"base.yaml", "prod.yaml"},
			kinds: []verdict{{"Group", true, ""}, {"api", false, "app-config.yaml"}},
		},
		{
			name:  "an overlay's rules replace the base's in its deployment only",
			files: []AppConfigFile{{"app-config.yaml", []byte(baseRules)}, {"app-config.local.yaml", []byte(localRules)}},
			want:  []string{"base.yaml"},
			kinds: []verdict{{"Group", true, ""}, {"Template", true, ""}, {"Resource", false, "app-config.yaml"}},
		},
		{
			name:  "a base without a catalog section: the overlay alone, default rules",
			files: []AppConfigFile{{"app-config.yaml", []byte(noCatalog)}, {"app-config.production.yaml", []byte(prodLocation)}},
			want:  []string{"prod.yaml"},
			kinds: []verdict{{"Component", true, ""}, {"Group", false, "app-config.production.yaml"}},
		},
		{
			name:  "no catalog section anywhere: nothing is known",
			files: []AppConfigFile{{"app-config.yaml", []byte(noCatalog)}},
			kinds: []verdict{{"Group", true, ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewCatalog(NewTreeRepo(NewTreeFS(TreeFiles("app-config.yaml", "base.yaml", "prod.yaml"), nil)))
			got := c.AppConfigs(tt.files)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			for _, k := range tt.kinds {
				allowed, _, from, _ := c.KindAllowed("base.yaml", k.kind)
				if allowed != k.allowed || from != k.from {
					t.Errorf("KindAllowed(%q) = %v by %q, want %v by %q", k.kind, allowed, from, k.allowed, k.from)
				}
			}
		})
	}
}
