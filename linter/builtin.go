package linter

// The engine's own findings: problems found while reading a file, before any rule can look at an
// entity. They are rules like any other for configuration, output and docs, but have no Check.
var (
	RuleFileTooLarge = &Rule{
		ID:       "file-too-large",
		Summary:  "catalog files must not exceed the size limit",
		Severity: SeverityError,
		Doc: "Files larger than `max_file_size` in `.catalog-lint.yaml` (default 1 MiB) are reported and " +
			"skipped, so that a stray data file cannot stall a run. Real catalog files are a few KiB; split " +
			"a large file into several, or raise the limit.",
		Bad:  "# a file larger than max_file_size\n",
		Good: "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments\nspec:\n  type: service\n  lifecycle: production\n  owner: team-payments\n",
	}
	RuleFileEncoding = &Rule{
		ID:       "file-encoding",
		Summary:  "catalog files must be UTF-8 text without NUL bytes",
		Severity: SeverityError,
		Doc: "Backstage reads catalog files as UTF-8 text. A NUL byte means a binary file was named like a " +
			"catalog file; invalid UTF-8 usually means a file saved in a legacy encoding (Latin-1, " +
			"Windows-1252). Re-save the file as UTF-8.",
		Bad:  "metadata:\n  name: caf\xe9\n",
		Good: "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: cafe\nspec:\n  type: service\n  lifecycle: production\n  owner: team-payments\n",
	}
	RuleYAMLSyntax = &Rule{
		ID:       "yaml-syntax",
		Summary:  "catalog files must be valid YAML",
		Severity: SeverityError,
		Doc: "A YAML syntax error stops Backstage from reading the document and everything after it in the " +
			"file. The finding points at the line where the parser gave up; the mistake is often just above " +
			"it (a missing colon, a tab used for indentation, an unclosed quote or bracket).",
		Bad:  "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: [payments\n",
		Good: "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments\nspec:\n  type: service\n  lifecycle: production\n  owner: team-payments\n",
	}
	RuleYAMLDuplicateKey = &Rule{
		ID:       "yaml-duplicate-key",
		Summary:  "a mapping must not repeat a key",
		Severity: SeverityError,
		Doc: "Backstage's YAML parser rejects a document in which a mapping has the same key twice " +
			"(\"Map keys must be unique\"). Remove or merge the repeated key.",
		Bad:  "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments\n  name: billing\nspec:\n  type: service\n  lifecycle: production\n  owner: team-payments\n",
		Good: "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments\nspec:\n  type: service\n  lifecycle: production\n  owner: team-payments\n",
	}
	RuleYAMLLimits = &Rule{
		ID:       "yaml-limits",
		Summary:  "documents must stay within alias and nesting limits",
		Severity: SeverityError,
		Doc: "Aliases that expand many times (an \"alias bomb\"), aliases that refer to a node containing " +
			"them, and nesting deeper than 1,000 levels are refused, as Backstage's parser refuses excessive " +
			"alias use (\"Excessive alias count indicates a resource exhaustion attack\"). Write the values " +
			"out instead of aliasing them.",
		Bad: "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments\n  x: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n" +
			"  y: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n  z: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n" +
			"  w: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\nspec:\n  type: service\n  lifecycle: production\n  owner: team-payments\n",
		Good: "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments\nspec:\n  type: service\n  lifecycle: production\n  owner: team-payments\n",
	}
	RuleDocumentNotMapping = &Rule{
		ID:       "document-not-mapping",
		Summary:  "each YAML document must be a mapping",
		Severity: SeverityError,
		Doc: "Every document in a catalog file describes one entity, so its root must be a mapping with " +
			"`apiVersion`, `kind` and `metadata`. A list or a bare value at the root is rejected by Backstage " +
			"(\"Expected object at root\"). Empty documents (a trailing `---`) are fine.",
		Bad:  "- apiVersion: backstage.io/v1alpha1\n  kind: Component\n",
		Good: "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments\nspec:\n  type: service\n  lifecycle: production\n  owner: team-payments\n",
	}
	RuleFindingsLimit = &Rule{
		ID:       "findings-limit",
		Summary:  "a file reports at most 1,000 findings; one more says how many were left out",
		Severity: SeverityWarning,
		Doc: "A file with thousands of mistakes (often generated, or hostile: a line of 100,000 bad tags) " +
			"would make the output, the memory and a Check Run grow without bound. catalog-lint keeps the " +
			"first 1,000 findings of each file and reports how many more there are; fix those shown and " +
			"run again. The example is linted with a limit of 2.",
		Bad:  "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments\n  tags: [A, B, C, D]\nspec:\n  type: service\n  lifecycle: production\n  owner: team-payments\n",
		Good: "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments\n  tags: [a, b, c, d]\nspec:\n  type: service\n  lifecycle: production\n  owner: team-payments\n",
	}
	RuleFileUnreadable = &Rule{
		ID:       "file-unreadable",
		Summary:  "catalog files must be readable",
		Severity: SeverityError,
		Doc: "The file could not be opened or read (permissions, a broken symbolic link, a folder named like " +
			"a catalog file). The message carries the operating system's reason.",
		Bad:  "# reported when the file cannot be read\n",
		Good: "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments\nspec:\n  type: service\n  lifecycle: production\n  owner: team-payments\n",
	}
)

// BuiltinRules returns the engine's own rules, sorted by ID.
func BuiltinRules() []*Rule {
	return []*Rule{
		RuleDocumentNotMapping, RuleFileEncoding, RuleFileTooLarge, RuleFileUnreadable, RuleFindingsLimit,
		RuleYAMLDuplicateKey, RuleYAMLLimits, RuleYAMLSyntax,
	}
}
