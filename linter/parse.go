package linter

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

const (
	// maxAliasCount is the `yaml` npm package's default for toJS: an anchor may be used so often that
	// uses × (nested alias weight) stays at or under 100.
	maxAliasCount = 100
	// maxDepth bounds nesting; yaml.v3 itself stops flow nesting at 10,000.
	maxDepth = 1000
)

// rawFinding is a finding before the engine has attached the file, severity and source line.
type rawFinding struct {
	rule                       *Rule
	line, col, endLine, endCol int
	msg                        string
	doc                        int // the document it belongs to, when the engine cannot tell
}

// document is one parsed YAML document with its 1-based index in the file.
type document struct {
	root  *yaml.Node
	index int
}

// parseFile splits data into documents and reports what makes a file or a document unreadable.
// It never panics: yaml.v3's own panics are recovered and reported as syntax findings.
func parseFile(data []byte) (docs []document, findings []rawFinding) {
	if i := bytes.IndexByte(data, 0); i >= 0 {
		line, col := offsetPosition(data, i)
		return nil, []rawFinding{{rule: RuleFileEncoding, line: line, col: col,
			msg: "file contains a NUL byte; a catalog file must be UTF-8 text, not binary"}}
	}
	if !utf8.Valid(data) {
		i := firstInvalidUTF8(data)
		line, col := offsetPosition(data, i)
		return nil, []rawFinding{{rule: RuleFileEncoding, line: line, col: col,
			msg: fmt.Sprintf("file is not valid UTF-8 (byte 0x%02x); re-save it as UTF-8", data[i])}}
	}
	// A syntax error ends one document, not the file: like Backstage's parser, carry on with the
	// next document (after the next --- line) so that its problems are reported too.
	offset, rest, index := 0, data, 1
	for {
		dec := yaml.NewDecoder(bytes.NewReader(rest))
		for ; ; index++ {
			var root yaml.Node
			err := decode(dec, &root)
			if errors.Is(err, io.EOF) {
				return docs, findings
			}
			if err != nil {
				f := syntaxFinding(err)
				f.doc = index
				resumeAt := 0
				hadLine := f.line > 0
				if hadLine {
					resumeAt = nextDocumentStart(rest, max(f.line, 2))
					f.line += offset
				}
				placeSyntaxError(&f, rest, offset)
				findings = append(findings, f)
				if resumeAt < 0 || !hadLine {
					return docs, findings
				}
				offset += len(lineStarts(rest[:resumeAt])) - 1
				rest = rest[resumeAt:]
				index++
				break
			}
			shiftLines(&root, offset)
			docs = append(docs, document{root: &root, index: index})
		}
	}
}

// nextDocumentStart returns the byte offset of the first `---` document marker on line fromLine
// (1-based, counted as yaml.v3 counts) or later, or -1.
func nextDocumentStart(data []byte, fromLine int) int {
	line, start := 1, 0
	for start < len(data) {
		end := start
		for end < len(data) && breakLen(data, end) == 0 {
			end++
		}
		text := data[start:end]
		if line >= fromLine && bytes.HasPrefix(text, []byte("---")) &&
			(len(text) == 3 || text[3] == ' ' || text[3] == '\t') {
			return start
		}
		if end == len(data) {
			break
		}
		start = end + breakLen(data, end)
		line++
	}
	return -1
}

// shiftLines moves a document parsed from the middle of a file to its lines in the file.
func shiftLines(n *yaml.Node, offset int) {
	if offset == 0 || n == nil {
		return
	}
	n.Line += offset
	for _, c := range n.Content {
		shiftLines(c, offset)
	}
}

func decode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: parser failed: %v", r)
		}
	}()
	return dec.Decode(n)
}

var yamlErrLine = regexp.MustCompile(`^yaml: line (\d+): `)

func syntaxFinding(err error) rawFinding {
	msg := err.Error()
	line := 0
	if m := yamlErrLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	return rawFinding{rule: RuleYAMLSyntax, line: line, msg: "yaml syntax error: " + msg}
}

var unknownAnchor = regexp.MustCompile(`^yaml syntax error: unknown anchor '([^']*)' referenced`)

// placeSyntaxError gives a syntax error a line and a column, which yaml.v3's messages leave out: it
// names no line for an error on the first line of what it read (rest, which starts at line offset+1
// of data) and no position at all for an unknown anchor (found here at its first alias). The column
// is where the line's content starts.
func placeSyntaxError(f *rawFinding, rest []byte, offset int) {
	if f.line == 0 {
		f.line = offset + 1
		if m := unknownAnchor.FindStringSubmatch(f.msg); m != nil {
			if i := bytes.Index(rest, []byte("*"+m[1])); i >= 0 {
				line, col := offsetPosition(rest, i)
				f.line, f.col = line+offset, col
			}
		}
	}
	if f.col == 0 {
		// Only rest up to the line is read: a file's syntax errors read it once in all.
		f.col = 1
		text := rest
		for n := f.line - offset; n > 1 && len(text) > 0; n-- {
			i := bytes.IndexByte(text, '\n')
			if i < 0 {
				text = nil
				break
			}
			text = text[i+1:]
		}
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			text = text[:i]
		}
		if i := bytes.IndexFunc(text, func(r rune) bool { return r != ' ' && r != '\t' && r != '\r' }); i >= 0 {
			f.col = 1 + utf8.RuneCount(text[:i])
		}
	}
}

func offsetPosition(data []byte, off int) (line, col int) {
	starts := lineStarts(data[:off])
	line = len(starts)
	return line, 1 + utf8.RuneCount(data[starts[line-1]:off])
}

func firstInvalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return 0
}

// checkDocument reports duplicate keys, excessive aliasing and nesting in one document. It reports
// limit problems and tells the caller to skip the document when they make it unsafe to read.
func checkDocument(root *yaml.Node) (findings []rawFinding, unsafe bool) {
	w := docWalker{}
	w.walk(root, 0)
	return w.findings, w.unsafe
}

type anchorUse struct {
	count, weight int
	weighed       bool
}

type docWalker struct {
	anchors  map[*yaml.Node]*anchorUse // allocated at the first anchor: most documents have none
	path     []*yaml.Node              // the collections enclosing the current node
	findings []rawFinding
	unsafe   bool
}

func (w *docWalker) onPath(n *yaml.Node) bool {
	for _, p := range w.path {
		if p == n {
			return true
		}
	}
	return false
}

func (w *docWalker) limit(n *yaml.Node, msg string) {
	w.findings = append(w.findings, rawFinding{rule: RuleYAMLLimits, line: n.Line, col: n.Column, msg: msg})
	w.unsafe = true
}

// walk visits nodes in the order the `yaml` npm package converts them, counting alias uses the way
// its Alias.toJSON does, without ever expanding an alias.
func (w *docWalker) walk(n *yaml.Node, depth int) {
	if w.unsafe || n == nil {
		return
	}
	if depth > maxDepth {
		w.limit(n, fmt.Sprintf("document nests deeper than %d levels; flatten it", maxDepth))
		return
	}
	if n.Anchor != "" {
		if w.anchors == nil {
			w.anchors = map[*yaml.Node]*anchorUse{}
		}
		if _, ok := w.anchors[n]; !ok {
			w.anchors[n] = &anchorUse{count: 1}
		}
	}
	switch n.Kind {
	case yaml.AliasNode:
		target := n.Alias
		if target == nil {
			return
		}
		if w.onPath(target) {
			w.limit(n, fmt.Sprintf("alias *%s refers to a node that contains it; write the value out instead", n.Value))
			return
		}
		use := w.anchors[target]
		if use == nil {
			// yaml.v3 lets an alias reach an anchor of an earlier document; YAML (and Backstage's parser)
			// scope anchors to their own document.
			w.findings = append(w.findings, rawFinding{rule: RuleYAMLSyntax, line: n.Line, col: n.Column,
				msg: fmt.Sprintf("alias *%s refers to an anchor in another document; anchors apply only within their own document, so write the value out here", n.Value)})
			w.unsafe = true
			return
		}
		use.count++
		if !use.weighed {
			use.weight = w.aliasWeight(target, 0)
			use.weighed = use.weight != 0
		}
		if use.count*use.weight > maxAliasCount {
			w.limit(n, fmt.Sprintf("alias *%s is expanded too often (excessive aliasing, as in an alias bomb); write the values out instead", n.Value))
		}
	case yaml.DocumentNode, yaml.SequenceNode, yaml.MappingNode:
		if n.Kind == yaml.MappingNode {
			w.duplicateKeys(n)
		}
		w.path = append(w.path, n)
		for _, c := range n.Content {
			w.walk(c, depth+1)
		}
		w.path = w.path[:len(w.path)-1]
	}
}

// aliasWeight is the `yaml` package's getAliasCount: 1 for a scalar, the largest weight among a
// collection's items, and uses × weight of the anchor an alias names.
func (w *docWalker) aliasWeight(n *yaml.Node, depth int) int {
	if depth > maxDepth {
		return 1
	}
	switch n.Kind {
	case yaml.AliasNode:
		if use := w.anchors[n.Alias]; use != nil {
			return use.count * use.weight
		}
		return 0
	case yaml.SequenceNode, yaml.MappingNode, yaml.DocumentNode:
		most := 0
		for _, c := range n.Content {
			if c := w.aliasWeight(c, depth+1); c > most {
				most = c
			}
		}
		return most
	}
	return 1
}

type keyID struct {
	t Type // 0 for keys that are not scalars, which are never compared
	v string
}

func (w *docWalker) duplicateKeys(m *yaml.Node) {
	pairs := len(m.Content) / 2
	if pairs < 2 {
		return
	}
	ids := make([]keyID, pairs)
	var seen map[keyID]int // only for large mappings; small ones are compared pairwise
	if pairs > 16 {
		seen = make(map[keyID]int, pairs)
	}
	for i := 0; i < pairs; i++ {
		k := Resolve(m.Content[2*i])
		if k == nil || k.Kind != yaml.ScalarNode {
			ids[i] = keyID{}
			continue
		}
		id := keyOf(k)
		ids[i] = id
		first := -1
		if seen != nil {
			if j, ok := seen[id]; ok {
				first = j
			} else {
				seen[id] = i
			}
		} else {
			for j := 0; j < i; j++ {
				if ids[j] == id {
					first = j
					break
				}
			}
		}
		if first >= 0 {
			kn := m.Content[2*i]
			w.findings = append(w.findings, rawFinding{rule: RuleYAMLDuplicateKey, line: kn.Line, col: kn.Column,
				msg: fmt.Sprintf("key %q is repeated (first at line %d); Backstage rejects a mapping with duplicate keys", k.Value, m.Content[2*first].Line)})
		}
	}
}

// keyOf identifies a scalar key the way the yaml package compares keys: by type and value.
func keyOf(k *yaml.Node) keyID {
	t := TypeOf(k)
	id := keyID{t: t, v: k.Value}
	switch t {
	case TypeNull:
		id.v = ""
	case TypeBool:
		id.v = strings.ToLower(k.Value)
	}
	return id
}
