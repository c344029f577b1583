package rules

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mutationValues are YAML values chosen to sit on the edges of Backstage's formats and types.
var mutationValues = []string{
	"a", "payments", "a b", "A", "Payments", "-a", "a-", "a--b", "a.b", "a_b", "a/b", "a/b/c", "/a", "a/",
	"example.com/a", "Example.com/a", "exa_mple.com/a", "example.com/-a", "''", `""`, "' '", "~", "null",
	"12", "012", "1.5", "1e3", "0x1F", "true", "True", "yes", "no", "2021-01-01", "12:30", "[a]", "[]",
	"{a: b}", "{}", `"x y"`, strings.Repeat("a", 63), strings.Repeat("a", 64), "c++", "c#", "k8s:prod",
	"a:b", "https://example.com", "http:", "https://", "mailto:a@b.c", "urn:x", "dashboards/x",
	"https://exa mple.com", "café", "v1", "backstage.io/v1alpha1", "backstage.io/v1beta1",
	"backstage.io/v1beta2", "scaffolder.backstage.io/v1beta3", "Component", "component", "API", "Group",
	"User", "System", "Domain", "Resource", "Location", "Template", "1Kind", "Web-Service", "|\n    block",
	"!!str 12", "'12'", "[a, 'B', 3]", "[[a]]", "{url: https://x.com}", "[{url: https://x.com}]",
	"[{url: x}]", "[{title: t}]", "[{url: 'https://x.com', title: ''}]", "[{url: 'https://x.com', icon: ' '}]",
	"[{url: 'https://x.com', type: ''}]", "[{url: 'https://x.com', type: 3}]", "[a-b, c--d]", "[Go, java]",
	"[required]", "optional", "maybe", "[a, '']",
}

// mutationPaths are the places a mutation may change, as indented YAML lines of a Component.
var mutationPaths = []string{
	"apiVersion", "kind", "metadata", "metadata.name", "metadata.namespace", "metadata.title",
	"metadata.description", "metadata.uid", "metadata.etag", "metadata.labels", "metadata.labels.KEY",
	"metadata.annotations", "metadata.annotations.KEY", "metadata.tags", "metadata.links", "spec",
	"spec.type", "spec.lifecycle", "spec.owner", "spec.system", "spec.subcomponentOf", "spec.providesApis",
	"spec.dependsOn", "spec.definition", "spec.children", "spec.memberOf", "spec.members", "spec.profile",
	"spec.targets", "spec.target", "spec.presence", "spec.domain", "spec.steps", "spec.parameters",
	"ROOT", "metadata.KEY",
}

// mutate writes one entity: a valid Component with 1 to 3 fields replaced or added.
func mutate(rng *rand.Rand, i int) string {
	fields := map[string]string{
		"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata.name": fmt.Sprintf("n%d", i),
		"spec.type": "service", "spec.lifecycle": "production", "spec.owner": "team-a",
	}
	pick := func(list []string) string { return list[rng.Intn(len(list))] }
	for n := 1 + rng.Intn(3); n > 0; n-- {
		path := pick(mutationPaths)
		val := pick(mutationValues)
		switch {
		case strings.HasSuffix(path, "KEY"):
			key := pick([]string{"example.com/k", "k", "Bad Key", "a/b/c", "sentry.io/project-slug", "x.y/z_1"})
			path = strings.TrimSuffix(path, "KEY") + key
		case path == "ROOT":
			path = pick([]string{"status", "relations", "owner", "specs"})
		}
		if rng.Intn(8) == 0 {
			delete(fields, path)
			continue
		}
		fields[path] = val
	}
	return render(fields)
}

// render turns dotted paths into nested YAML; a value set on a parent replaces its children.
func render(fields map[string]string) string {
	var b strings.Builder
	var write func(prefix, indent string)
	write = func(prefix, indent string) {
		var keys []string
		seen := map[string]bool{}
		for p := range fields {
			if !strings.HasPrefix(p, prefix) {
				continue
			}
			rest := strings.TrimPrefix(p, prefix)
			key := rest
			if i := strings.IndexByte(rest, '.'); i >= 0 && !strings.Contains(rest[:i], "/") {
				key = rest[:i]
			} else if strings.Contains(rest, ".") && !strings.HasPrefix(prefix, "metadata.labels.") && !strings.HasPrefix(prefix, "metadata.annotations.") && strings.Count(prefix, ".") < 1 {
				key = rest[:strings.IndexByte(rest, '.')]
			}
			if !seen[key] {
				seen[key] = true
				keys = append(keys, key)
			}
		}
		sortStrings(keys)
		for _, k := range keys {
			full := prefix + k
			if v, ok := fields[full]; ok {
				fmt.Fprintf(&b, "%s%s: %s\n", indent, yamlKey(k), v)
				continue
			}
			fmt.Fprintf(&b, "%s%s:\n", indent, yamlKey(k))
			write(full+".", indent+"  ")
		}
	}
	write("", "")
	return b.String()
}

func yamlKey(k string) string {
	if strings.ContainsAny(k, " :") {
		return fmt.Sprintf("%q", k)
	}
	return k
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// TestVerdictsAgreeOnMutations compares verdicts with Backstage's on thousands of generated entities:
// valid Components with one to three fields replaced by edge-case values. The seed is fixed, so a
// failure can be reproduced; CATALOG_LINT_MUTATIONS changes the count (default 3,000).
func TestVerdictsAgreeOnMutations(t *testing.T) {
	oracle := oracleOrSkip(t)
	n := 3000
	if v := os.Getenv("CATALOG_LINT_MUTATIONS"); v != "" {
		fmt.Sscan(v, &n)
	}
	rng := rand.New(rand.NewSource(20261123))
	var docs []string
	for i := 0; i < n; i++ {
		docs = append(docs, mutate(rng, i))
	}
	file := filepath.Join(t.TempDir(), "mutations.yaml")
	if err := os.WriteFile(file, []byte(strings.Join(docs, "---\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	verdicts := runOracle(t, oracle, []string{file})
	compared, rejected := compareVerdicts(t, []string{file}, verdicts)
	if t.Failed() {
		data, _ := os.ReadFile(file)
		keep := filepath.Join(os.TempDir(), "catalog-lint-mutations.yaml")
		_ = os.WriteFile(keep, data, 0o644)
		t.Logf("the generated file is kept at %s", keep)
	}
	t.Logf("compared %d generated documents; Backstage rejects %d", compared, rejected)
	if compared < n*9/10 {
		t.Errorf("only %d of %d documents compared", compared, n)
	}
}
