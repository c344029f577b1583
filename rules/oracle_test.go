package rules

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/catalog-lint/catalog-lint/integrations"
	"github.com/catalog-lint/catalog-lint/linter"
)

// ours are rules that are catalog-lint's own, not Backstage's: they do not take part in the verdict
// comparison. unknown-kind is a warning and never an error.
var ours = func() map[string]bool {
	m := map[string]bool{
		"sentry-project-slug-format": true, "placeholder-value": true, "ignore-annotation": true,
		"template-spec": true, "unknown-kind": true, "sentry-project-exists": true, "sentry-project-unverified": true,
		"annotation-key-variant": true,
	}
	for _, r := range integrations.Rules() { // the integrations' formats and lookups
		m[r.ID] = true
	}
	return m
}()

type oracleVerdict struct {
	File        string `json:"file"`
	Doc         int    `json:"doc"`
	Valid       bool   `json:"valid"`
	Error       string `json:"error"`
	UnknownKind bool   `json:"unknownKind"`
	Summary     bool   `json:"summary"`
}

// TestVerdictsAgreeWithBackstage lints every YAML file of the shared Backstage corpus and of this
// project's testdata, and requires that a document gets an error from the Backstage rules exactly
// when @backstage/catalog-model (run by the backstage-oracle tool) rejects it. Documents with
// placeholders are left out: Backstage resolves them at ingestion, the oracle does not.
//
// It needs Node.js and an installed oracle: CATALOG_LINT_ORACLE names the oracle's folder (with
// node_modules); .ci/run sets it up. Without it the test is skipped.
func TestVerdictsAgreeWithBackstage(t *testing.T) {
	oracle := oracleOrSkip(t)
	var files []string
	if shared := sharedDir(); shared != "" {
		files = append(files, yamlFiles(t, filepath.Join(shared, "corpus", "backstage-examples"))...)
		// What discovery lints in the real repositories (skeletons left out).
		for _, repo := range realRepos {
			for _, f := range repo.linted {
				files = append(files, filepath.Join(shared, "corpus", "real-repos", repo.name, filepath.FromSlash(f)))
			}
		}
	}
	files = append(files, yamlFiles(t, filepath.Join("..", "testdata", "ok"))...)
	files = append(files, yamlFiles(t, filepath.Join("..", "testdata", "err"))...)
	files = append(files, yamlFiles(t, filepath.Join("..", "testdata", "oracle"))...)
	if len(files) == 0 {
		t.Fatal("no files to compare")
	}

	verdicts := runOracle(t, oracle, files)
	compared, rejected := compareVerdicts(t, files, verdicts)
	t.Logf("compared %d documents in %d files; Backstage rejects %d", compared, len(files), rejected)
}

// oracleOrSkip returns the oracle's folder, or skips the test.
func oracleOrSkip(t *testing.T) string {
	t.Helper()
	oracle := os.Getenv("CATALOG_LINT_ORACLE")
	if oracle == "" {
		t.Skip("CATALOG_LINT_ORACLE is not set (see .ci/run)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	return oracle
}

func runOracle(t *testing.T, oracle string, files []string) map[string]oracleVerdict {
	t.Helper()
	cmd := exec.Command("node", append([]string{filepath.Join(oracle, "refvalidate.js")}, files...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oracle: %v\n%s", err, stderr.String())
	}
	verdicts := map[string]oracleVerdict{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var v oracleVerdict
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("oracle output %q: %v", sc.Text(), err)
		}
		if !v.Summary {
			verdicts[docKey(v.File, v.Doc)] = v
		}
	}
	return verdicts
}

// compareVerdicts lints files and reports every document on which catalog-lint's Backstage rules and
// the oracle disagree.
func compareVerdicts(t *testing.T, files []string, verdicts map[string]oracleVerdict) (compared, rejected int) {
	t.Helper()
	// Verdicts are compared document by document: every finding counts, however many a file has
	// (the mutation file holds thousands of documents).
	l, err := linter.New(linter.Options{Rules: All(), Jobs: 1, Budget: linter.Budget{FindingsPerFile: 1 << 30}})
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		findings, _ := l.LintBytes(context.Background(), file, data)
		errorsByDoc := map[int][]string{}
		for _, f := range findings {
			if f.Severity == linter.SeverityError && !ours[f.Rule] {
				errorsByDoc[f.Document] = append(errorsByDoc[f.Document], f.Rule+": "+f.Message)
			}
		}
		placeholderDocs := documentsWithPlaceholders(data)
		for key, v := range verdicts {
			if !strings.HasPrefix(key, file+"#") || placeholderDocs[v.Doc] {
				continue
			}
			compared++
			got := append(errorsByDoc[v.Doc], errorsByDoc[0]...) // document 0: the whole file
			if !v.Valid {
				rejected++
			}
			if v.Valid && len(got) > 0 {
				t.Errorf("%s document %d: Backstage accepts it, catalog-lint reports:\n  %s", file, v.Doc, strings.Join(got, "\n  "))
			}
			if !v.Valid && len(got) == 0 {
				t.Errorf("%s document %d: Backstage rejects it (%s), catalog-lint reports no error", file, v.Doc, v.Error)
			}
		}
	}
	return compared, rejected
}

func docKey(file string, doc int) string { return fmt.Sprintf("%s#%d", file, doc) }

// documentsWithPlaceholders returns the indexes of documents that hold a placeholder object.
func documentsWithPlaceholders(data []byte) map[int]bool {
	out := map[int]bool{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for i := 1; ; i++ {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			return out
		}
		if hasPlaceholder(&doc) {
			out[i] = true
		}
	}
}

func hasPlaceholder(n *yaml.Node) bool {
	if _, _, ok := linter.Placeholder(n); ok {
		return true
	}
	for _, c := range n.Content {
		if hasPlaceholder(c) {
			return true
		}
	}
	return false
}

func sharedDir() string {
	if d := os.Getenv("CATALOG_LINT_SHARED"); d != "" {
		return d
	}
	d := filepath.Join("..", "..", "shared")
	if st, err := os.Stat(d); err == nil && st.IsDir() {
		return d
	}
	return ""
}

func yamlFiles(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return filepath.SkipDir
			}
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}
