package plans

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/warroom/warroom/bot/yamlnode"
)

// This file walks yaml.v3 nodes the way bot/config does, so that every
// problem has a line and a field path; the helpers both share are in
// bot/yamlnode.

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
	root, second, err := yamlnode.Decode(p.data)
	if err != nil {
		p.yamlError(err)
	}
	if second != nil {
		p.errorf(second, "", "a second YAML document (after ---): one plan per file")
	}
	return root
}

func (p *parser) yamlError(err error) {
	line, msg := yamlnode.SplitError(err)
	// yaml.v3 reports the parser's marks 0-based, the scanner's 1-based
	// (see bot/config); a line past the end is clamped to the last.
	if yamlnode.IsParserError(msg) {
		line++
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

// field is one key: value pair of a mapping.
type field struct {
	key  string
	k, v *yaml.Node
}

// mapping checks that v (the value of key k at path) is a mapping and
// returns its pairs, reporting duplicate and unknown keys. Null is empty.
func (p *parser) mapping(path string, k, v *yaml.Node, known []string) []field {
	n := yamlnode.Deref(v)
	if yamlnode.IsNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		what := "expected a mapping (key: value)"
		if path == "" {
			what = "expected a plan: a mapping of name, title, steps..."
		}
		p.errorf(yamlnode.LineOf(k, v), path, "%s, got %s", what, yamlnode.KindName(n))
		return nil
	}
	seen := map[string]int{}
	var out []field
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		kd := yamlnode.Deref(kn)
		if kd == nil || kd.Kind != yaml.ScalarNode {
			p.errorf(kn, path, "a key must be a plain word, got %s", yamlnode.KindName(kd))
			continue
		}
		if kd.ShortTag() == "!!merge" {
			p.errorf(kn, path, "merge keys (<<) are not supported; write the keys out")
			continue
		}
		key := kd.Value
		if first, dup := seen[key]; dup {
			p.errorf(kn, yamlnode.Join(path, yamlnode.KeyName(key)), "duplicate key (first on line %d)", first)
			continue
		}
		seen[key] = kn.Line
		if known != nil && !slices.Contains(known, key) {
			p.errorf(kn, path, "unknown key %q%s", yamlnode.Clip(key), yamlnode.Suggest(key, known, 0))
			continue
		}
		out = append(out, field{key: key, k: kn, v: vn})
	}
	return out
}

// list checks that v is a list and returns its items. Null is empty.
func (p *parser) list(path string, k, v *yaml.Node, example string) []*yaml.Node {
	n := yamlnode.Deref(v)
	if yamlnode.IsNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(yamlnode.LineOf(k, v), path, "expected a list like %s, got %s", example, yamlnode.KindName(n))
		return nil
	}
	return n.Content
}

// scalar returns a single value's text; ok is false for null and after a
// problem (which it reports).
func (p *parser) scalar(path string, k, v *yaml.Node) (string, bool) {
	n := yamlnode.Deref(v)
	if yamlnode.IsNull(n) {
		return "", false
	}
	if n.Kind != yaml.ScalarNode {
		p.errorf(yamlnode.LineOf(k, v), path, "expected a single value, got %s", yamlnode.KindName(n))
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
	p.errorf(yamlnode.LineOf(k, v), path, "%q is not true or false", yamlnode.Clip(s))
	return false, false
}

// strs reads a list of non-empty single values.
func (p *parser) strs(path string, k, v *yaml.Node, example string) ([]string, []*yaml.Node) {
	var out []string
	var nodes []*yaml.Node
	for _, n := range p.list(path, k, v, example) {
		s, ok := p.scalar(path, n, n)
		if !ok {
			if yamlnode.IsNull(n) {
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
