package yamlnode

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		in         string
		root       string // the root's first key, "" for no root
		second     bool
		err        string // in the error, "" for none
		secondLine int
	}{
		{in: ""},
		{in: "# only a comment\n"},
		{in: "a: 1\n", root: "a"},
		{in: "a: 1\n---\n", root: "a"},
		{in: "a: 1\n---\nb: 2\n", root: "a", second: true, secondLine: 3},
		{in: "a: [1\n", err: "did not find expected"},
		{in: "a: 1\n---\nb: [\n", root: "a", err: "did not find expected"},
	} {
		root, second, err := Decode([]byte(tc.in))
		switch {
		case tc.root == "" && root != nil:
			t.Errorf("%q: root %v, want nil", tc.in, root)
		case tc.root != "" && (root == nil || root.Kind != yaml.MappingNode || root.Content[0].Value != tc.root):
			t.Errorf("%q: root %v, want a mapping with %s", tc.in, root, tc.root)
		}
		if (second != nil) != tc.second || second != nil && second.Line != tc.secondLine {
			t.Errorf("%q: second %v, want %v on line %d", tc.in, second, tc.second, tc.secondLine)
		}
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
		}
	}
}

func TestSplitError(t *testing.T) {
	var n yaml.Node
	err := yaml.Unmarshal([]byte("a: 1\nb: [1\n"), &n)
	line, msg := SplitError(err) // the parser counts from 0: [1 is on line 2
	if line != 1 || !IsParserError(msg) || strings.HasPrefix(msg, "yaml:") {
		t.Errorf("SplitError(%v) = %d, %q", err, line, msg)
	}
	err = yaml.Unmarshal([]byte("a: \"x\n"), &n)
	if line, msg := SplitError(err); line == 0 || IsParserError(msg) {
		t.Errorf("SplitError(%v) = %d, %q; want a scanner error with a line", err, line, msg)
	}
}

func TestNodes(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("a: &x [1]\nb: *x\nc: ~\nd: {}\ne: hello\n"), &doc); err != nil {
		t.Fatal(err)
	}
	m := Content(&doc).Content
	if got := KindName(m[3]); got != "a list" { // b: *x
		t.Errorf("KindName(alias) = %q", got)
	}
	if Deref(m[3]) != m[1] {
		t.Error("Deref does not follow the alias")
	}
	if !IsNull(m[5]) || IsNull(m[1]) || !IsNull(nil) {
		t.Error("IsNull")
	}
	for i, want := range map[int]string{1: "a list", 7: "a mapping", 9: `"hello"`} {
		if got := KindName(m[i]); got != want {
			t.Errorf("KindName(%s) = %q, want %q", m[i-1].Value, got, want)
		}
	}
	if got := KindName(nil); got != "nothing" {
		t.Errorf("KindName(nil) = %q", got)
	}
	if LineOf(nil, m[1]) != m[1] || LineOf(m[0], m[1]) != m[0] {
		t.Error("LineOf")
	}
	if Content(&yaml.Node{Kind: yaml.DocumentNode}) != nil || Content(&yaml.Node{}) != nil {
		t.Error("Content of an empty document")
	}
}

func TestWords(t *testing.T) {
	long := strings.Repeat("é", 61)
	if got := Clip(long); got != strings.Repeat("é", 57)+"..." {
		t.Errorf("Clip = %q", got)
	}
	if Clip("short") != "short" {
		t.Error("Clip changed a short value")
	}
	if Join("", "a") != "a" || Join("a", "b") != "a.b" {
		t.Error("Join")
	}
	if KeyName("steps.x-1") != "steps.x-1" || KeyName("a b") != `"a b"` {
		t.Errorf("KeyName: %s %s", KeyName("steps.x-1"), KeyName("a b"))
	}
	many := strings.Fields("a1 b2 c3 d4 e5 f6 g7 h8 i9 j10 k11 l12 m13")
	for _, tc := range []struct {
		s     string
		cands []string
		most  int
		want  string
	}{
		{"timout", []string{"timeout", "title"}, 0, "; did you mean timeout?"},
		{"zzzz", []string{"timeout", "title"}, 0, "; known: timeout, title"},
		{"zzzz", nil, 12, ""},
		{"zzzz", many, 12, "; known: a1, b2, c3, d4, e5, f6, g7, h8, i9, j10, k11, l12, ..."},
		{"zzzz", many, 0, "; known: " + strings.Join(many, ", ")},
	} {
		if got := Suggest(tc.s, tc.cands, tc.most); got != tc.want {
			t.Errorf("Suggest(%q, %v, %d) = %q, want %q", tc.s, tc.cands, tc.most, got, tc.want)
		}
	}
}
