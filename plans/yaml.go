package plans

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/warroom/warroom/bot"
)

// This file walks yaml.v3 nodes the way bot/config does, so that every
// problem has a line and a field path. The helpers are small enough that
// a copy is cheaper than a shared package both would have to agree on.

// Problem is one thing wrong in a plan file (or with the directory).
type Problem struct {
	File    string // the file as Load was given it: "plans/restart.yaml"
	Line    int    // 1-based; 0 when it is about the file as a whole
	Field   string // key path: "steps.restart.timeout"; "" when none
	Message string
}

// String is "file:line: field: message", leaving out what is unknown.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

var yamlErrRe = regexp.MustCompile(`^yaml: line ([0-9]+): (.*)$`)

type parser struct {
	file     string
	data     []byte
	probs    []Problem
	nameLine int // where the plan's name is, for duplicate names across files
}

func (p *parser) errorf(n *yaml.Node, field, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	msg := fmt.Sprintf(format, args...)
	msg = strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(msg) // one problem, one line
	p.probs = append(p.probs, Problem{File: p.file, Line: line, Field: field, Message: msg})
}

// document decodes the single YAML document in the data; nil when empty.
func (p *parser) document() (root *yaml.Node) {
	defer func() {
		if r := recover(); r != nil { // yaml.v3 must not take the bot down
			p.errorf(nil, "", "not valid YAML: %v", r)
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(p.data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if !errors.Is(err, io.EOF) {
			p.yamlError(err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		if n := content(&extra); n != nil && !isNull(n) {
			p.errorf(n, "", "a second YAML document (after ---): one plan per file")
		}
	case !errors.Is(err, io.EOF):
		p.yamlError(err)
	}
	return content(&doc)
}

func content(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil
		}
		return doc.Content[0]
	}
	if doc.Kind == 0 {
		return nil
	}
	return doc
}

func (p *parser) yamlError(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlErrRe.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	// yaml.v3 reports the parser's marks 0-based, the scanner's 1-based
	// (see bot/config); a line past the end is clamped to the last.
	for _, prefix := range []string{"did not find expected", "found duplicate %", "found incompatible YAML document", "found undefined tag handle"} {
		if strings.HasPrefix(msg, prefix) {
			line++
			break
		}
	}
	if n := p.lines(); line > n {
		line = n
	}
	p.errorf(&yaml.Node{Line: line}, "", "not valid YAML: %s", msg)
}

// lines counts the lines of the data as YAML does (\r\n, \r, \n).
func (p *parser) lines() int {
	d := bytes.ReplaceAll(p.data, []byte("\r\n"), []byte("\n"))
	n := bytes.Count(d, []byte("\n")) + bytes.Count(d, []byte("\r"))
	if len(d) > 0 && d[len(d)-1] != '\n' && d[len(d)-1] != '\r' {
		n++
	}
	return max(n, 1)
}

// deref follows aliases to the anchored node.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func kindName(n *yaml.Node) string {
	n = deref(n)
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.ScalarNode:
		return fmt.Sprintf("%q", clip(n.Value))
	}
	return "something else"
}

// clip shortens a value quoted in a message.
func clip(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:57]) + "..."
	}
	return s
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// suggest is "; did you mean x?" or the known candidates.
func suggest(s string, candidates []string) string {
	if best := bot.Closest(s, candidates); best != "" {
		return fmt.Sprintf("; did you mean %s?", best)
	}
	if len(candidates) == 0 {
		return ""
	}
	return "; known: " + strings.Join(candidates, ", ")
}

// field is one key: value pair of a mapping.
type field struct {
	key  string
	k, v *yaml.Node
}

// mapping checks that v (the value of key k at path) is a mapping and
// returns its pairs, reporting duplicate and unknown keys. Null is empty.
func (p *parser) mapping(path string, k, v *yaml.Node, known []string) []field {
	n := deref(v)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		what := "expected a mapping (key: value)"
		if path == "" {
			what = "expected a plan: a mapping of name, title, steps..."
		}
		p.errorf(lineOf(k, v), path, "%s, got %s", what, kindName(n))
		return nil
	}
	seen := map[string]int{}
	var out []field
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		kd := deref(kn)
		if kd == nil || kd.Kind != yaml.ScalarNode {
			p.errorf(kn, path, "a key must be a plain word, got %s", kindName(kd))
			continue
		}
		if kd.ShortTag() == "!!merge" {
			p.errorf(kn, path, "merge keys (<<) are not supported; write the keys out")
			continue
		}
		key := kd.Value
		if first, dup := seen[key]; dup {
			p.errorf(kn, join(path, keyName(key)), "duplicate key (first on line %d)", first)
			continue
		}
		seen[key] = kn.Line
		if known != nil && !slices.Contains(known, key) {
			p.errorf(kn, path, "unknown key %q%s", clip(key), suggest(key, known))
			continue
		}
		out = append(out, field{key: key, k: kn, v: vn})
	}
	return out
}

var plainKeyRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,60}$`)

// keyName is a key as a message shows it: quoted unless a plain word.
func keyName(key string) string {
	if plainKeyRe.MatchString(key) {
		return key
	}
	return strconv.Quote(clip(key))
}

// lineOf is the node a problem with a value points at: its key if any.
func lineOf(k, v *yaml.Node) *yaml.Node {
	if k != nil {
		return k
	}
	return v
}

// list checks that v is a list and returns its items. Null is empty.
func (p *parser) list(path string, k, v *yaml.Node, example string) []*yaml.Node {
	n := deref(v)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(lineOf(k, v), path, "expected a list like %s, got %s", example, kindName(n))
		return nil
	}
	return n.Content
}

// scalar returns a single value's text; ok is false for null and after a
// problem (which it reports).
func (p *parser) scalar(path string, k, v *yaml.Node) (string, bool) {
	n := deref(v)
	if isNull(n) {
		return "", false
	}
	if n.Kind != yaml.ScalarNode {
		p.errorf(lineOf(k, v), path, "expected a single value, got %s", kindName(n))
		return "", false
	}
	return n.Value, true
}

func (p *parser) boolean(path string, k, v *yaml.Node) (bool, bool) {
	s, ok := p.scalar(path, k, v)
	if !ok {
		return false, false
	}
	switch strings.ToLower(s) {
	case "true", "yes", "on":
		return true, true
	case "false", "no", "off":
		return false, true
	}
	p.errorf(lineOf(k, v), path, "%q is not true or false", clip(s))
	return false, false
}

// strs reads a list of non-empty single values.
func (p *parser) strs(path string, k, v *yaml.Node, example string) ([]string, []*yaml.Node) {
	var out []string
	var nodes []*yaml.Node
	for _, n := range p.list(path, k, v, example) {
		s, ok := p.scalar(path, n, n)
		if !ok {
			if isNull(n) {
				p.errorf(n, path, "empty item")
			}
			continue
		}
		if s == "" {
			p.errorf(n, path, "empty item")
			continue
		}
		out = append(out, s)
		nodes = append(nodes, n)
	}
	return out, nodes
}
