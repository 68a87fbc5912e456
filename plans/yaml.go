package plans

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/warroom/warroom/bot/yamlnode"
)

// This file walks yaml.v3 nodes the way the config reader does, so that every
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
	yamlnode.Decoder
	file     string
	nameLine int // where the plan's name is, for duplicate names across files
}

func newParser(file string, data []byte) *parser {
	return &parser{file: file, Decoder: yamlnode.Decoder{
		Data: data, Top: "a plan: a mapping of name, title, steps...", Second: "one plan per file",
	}}
}

// problems are the decoder's problems, sorted, in this file.
func (p *parser) problems() []Problem {
	var out []Problem
	for _, pr := range p.Sorted() {
		out = append(out, Problem{File: p.file, Line: pr.Line, Field: pr.Field, Message: pr.Message})
	}
	return out
}

func (p *parser) errorf(n *yaml.Node, field, format string, args ...any) {
	p.Errorf(n, field, format, args...)
}

// field is one key: value pair of a mapping.
type field = yamlnode.Field

func (p *parser) boolean(path string, k, v *yaml.Node) (bool, bool) {
	s, ok := p.Scalar(path, k, v)
	if !ok {
		return false, false
	}
	return p.Bool(path, yamlnode.LineOf(k, v), s)
}

// strs reads a list of non-empty single values.
func (p *parser) strs(path string, k, v *yaml.Node, example string) ([]string, []*yaml.Node) {
	var out []string
	var nodes []*yaml.Node
	for _, n := range p.List(path, k, v, example) {
		s, ok := p.Scalar(path, n, n)
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
