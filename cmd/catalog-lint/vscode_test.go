package main

import (
	"archive/zip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVSCodeExtension: the extension in editors/vscode starts `catalog-lint lsp --stdio` for YAML files
// with the settings it declares; with CATALOG_LINT_VSIX (CI, after `vsce package`), the package holds
// the manifest, the extension and its language client.
func TestVSCodeExtension(t *testing.T) {
	dir := filepath.Join("..", "..", "editors", "vscode")
	data, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Main             string
		ActivationEvents []string
		Engines          struct{ VSCode string }
		Contributes      struct {
			Configuration struct {
				Properties map[string]any
			}
		}
		Dependencies map[string]string
	}
	if err := json.Unmarshal(data, &manifest); err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(filepath.Join(dir, manifest.Main))
	if err != nil {
		t.Fatalf("main %q: %v", manifest.Main, err)
	}
	for _, want := range []string{"'lsp', '--stdio'", "catalogLint", "getConfiguration('catalogLint')", "language: 'yaml'"} {
		if !strings.Contains(string(js), want) {
			t.Errorf("extension.js lacks %s", want)
		}
	}
	if strings.Join(manifest.ActivationEvents, ",") != "onLanguage:yaml" || manifest.Dependencies["vscode-languageclient"] == "" ||
		manifest.Contributes.Configuration.Properties["catalogLint.path"] == nil || manifest.Contributes.Configuration.Properties["catalogLint.offline"] == nil {
		t.Errorf("manifest: %+v", manifest)
	}
	vsix := os.Getenv("CATALOG_LINT_VSIX")
	if vsix == "" {
		t.Skip("CATALOG_LINT_VSIX is not set: the package is built in CI (cd editors/vscode && npm ci && npx vsce package)")
	}
	z, err := zip.OpenReader(vsix)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	files := map[string]*zip.File{}
	for _, f := range z.File {
		files[f.Name] = f
	}
	for _, want := range []string{"extension.vsixmanifest", "extension/package.json", "extension/extension.js",
		"extension/node_modules/vscode-languageclient/package.json", "extension/readme.md"} {
		if files[want] == nil {
			t.Errorf("%s lacks %s", vsix, want)
		}
	}
	if f := files["extension/extension.js"]; f != nil {
		r, _ := f.Open()
		packed, _ := io.ReadAll(r)
		r.Close()
		if string(packed) != string(js) {
			t.Error("the packaged extension.js is not editors/vscode/extension.js")
		}
	}
}
