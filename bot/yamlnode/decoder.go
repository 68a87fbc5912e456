package yamlnode

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong in a YAML file: its line (0 for the file as a
// whole), the key path it is under ("" for none) and what is wrong.
type Problem struct {
	Line    int
	Field   string
	Message string
}

// Decoder walks one YAML file's nodes for a reader (the config, a plan, an
// adapter's section of the config), collecting every problem with its line
// and key path so that all of them are reported at once.
type Decoder struct {
	Data     []byte
	Problems []Problem
	// Top words the document a file must hold, for a file that is not a
	// mapping: "a mapping of settings (key: value)".
	Top string
	// Second is what to say of a second document (after ---).
	Second string
	// Hint, if set, may add advice to a YAML syntax error, given the line.
	Hint func(line string) string
}

// Errorf records a problem at n (nil: the file as a whole) under field.
func (d *Decoder) Errorf(n *yaml.Node, field, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	msg := fmt.Sprintf(format, args...)
	msg = strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(msg) // one problem, one line
	d.Problems = append(d.Problems, Problem{Line: line, Field: field, Message: msg})
}

// Sorted returns the problems by line, repeats left out.
func (d *Decoder) Sorted() []Problem {
	sort.SliceStable(d.Problems, func(i, j int) bool { return d.Problems[i].Line < d.Problems[j].Line })
	return slices.Compact(d.Problems)
}

// Document decodes the single YAML document in the data; nil when empty.
func (d *Decoder) Document() (root *yaml.Node) {
	defer func() {
		if r := recover(); r != nil { // yaml.v3 must not take the bot down
			d.Errorf(nil, "", "not valid YAML: %v", r)
			root = nil
		}
	}()
	root, second, err := Decode(d.Data)
	if err != nil {
		d.yamlError(err)
	}
	if second != nil {
		d.Errorf(second, "", "a second YAML document (after ---): %s", d.Second)
	}
	return root
}

func (d *Decoder) yamlError(err error) {
	line, msg := SplitError(err)
	switch {
	case IsParserError(msg):
		// yaml.v3 reports the parser's marks 0-based (and line 0 not at
		// all), the scanner's 1-based; the mark of the end of the stream
		// can be one past the last line.
		line = min(line+1, d.Lines())
	case line == 0 && isScannerError(msg):
		line = 1 // yaml.v3 leaves out line 1
	case strings.HasPrefix(msg, "unknown anchor '"):
		name, _, _ := strings.Cut(strings.TrimPrefix(msg, "unknown anchor '"), "'")
		for i := 1; i <= d.Lines(); i++ {
			if strings.Contains(d.Line(i), "*"+name) {
				line = i
				break
			}
		}
	}
	text := "not valid YAML: " + msg
	if d.Hint != nil {
		text += d.Hint(d.Line(line))
	}
	d.Errorf(&yaml.Node{Line: line}, "", "%s", text)
}

// isScannerError tells the scanner's errors, which have a position, from the
// reader's (bad bytes, bad UTF-8) and the decoder's, which have none.
func isScannerError(msg string) bool {
	for _, s := range []string{"control characters", "UTF-8", "UTF-16", "Unicode character", "exceeded max depth", "anchor", "document contains excessive aliasing"} {
		if strings.Contains(msg, s) {
			return false
		}
	}
	return true
}

// Lines counts the lines of the data as YAML does (\r\n, \r, \n).
func (d *Decoder) Lines() int {
	data := bytes.ReplaceAll(d.Data, []byte("\r\n"), []byte("\n"))
	n := bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r"))
	if len(data) > 0 && data[len(data)-1] != '\n' && data[len(data)-1] != '\r' {
		n++
	}
	return max(n, 1)
}

// Line returns line n (1-based) of the data, or "".
func (d *Decoder) Line(n int) string {
	lines := bytes.Split(d.Data, []byte("\n"))
	if n < 1 || n > len(lines) {
		return ""
	}
	return strings.TrimSuffix(string(lines[n-1]), "\r")
}

// Field is one key: value pair of a mapping.
type Field struct {
	Key  string
	K, V *yaml.Node
}

// Mapping checks that v (the value of the key k at path; the document when
// path is "") is a mapping and returns its pairs, reporting duplicate keys
// and, when known is not nil, unknown ones. A null value is empty.
func (d *Decoder) Mapping(path string, k, v *yaml.Node, known []string) []Field {
	n := Deref(v)
	if IsNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		what := "expected a mapping (key: value)"
		if path == "" && d.Top != "" {
			what = "expected " + d.Top
		}
		d.Errorf(LineOf(k, v), path, "%s, got %s", what, KindName(n))
		return nil
	}
	seen := map[string]int{}
	var out []Field
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		kd := Deref(kn)
		if kd == nil || kd.Kind != yaml.ScalarNode {
			d.Errorf(kn, path, "a key must be a plain word, got %s", KindName(kd))
			continue
		}
		if kd.ShortTag() == "!!merge" {
			d.Errorf(kn, path, "merge keys (<<) are not supported; write the keys out")
			continue
		}
		key := kd.Value
		if first, dup := seen[key]; dup {
			d.Errorf(kn, Join(path, KeyName(key)), "duplicate key (first on line %d)", first)
			continue
		}
		seen[key] = kn.Line
		if known != nil && !slices.Contains(known, key) {
			d.Errorf(kn, path, "unknown key %q%s", Clip(key), Suggest(key, known, 12))
			continue
		}
		out = append(out, Field{Key: key, K: kn, V: vn})
	}
	return out
}

// Fields is Mapping by key.
func (d *Decoder) Fields(path string, k, v *yaml.Node, known []string) map[string]Field {
	out := map[string]Field{}
	for _, f := range d.Mapping(path, k, v, known) {
		out[f.Key] = f
	}
	return out
}

// List checks that v is a list and returns its items; example is one, as
// written ("[a, b]"). Null is empty.
func (d *Decoder) List(path string, k, v *yaml.Node, example string) []*yaml.Node {
	n := Deref(v)
	if IsNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		hint := ""
		if n.Kind == yaml.ScalarNode && PlainKey.MatchString(n.Value) {
			hint = fmt.Sprintf(" (write [%s])", n.Value)
		}
		d.Errorf(LineOf(k, v), path, "expected a list like %s, got %s%s", example, KindName(n), hint)
		return nil
	}
	return n.Content
}

// Scalar returns a single value's text; set is false for null and after a
// problem (which it reports).
func (d *Decoder) Scalar(path string, k, v *yaml.Node) (raw string, set bool) {
	n := Deref(v)
	if IsNull(n) {
		return "", false
	}
	if n.Kind != yaml.ScalarNode {
		d.Errorf(LineOf(k, v), path, "expected a single value, got %s", KindName(n))
		return "", false
	}
	return n.Value, true
}

// Bool reads s, the text of the value at n, as true or false (yes/no and
// on/off too).
func (d *Decoder) Bool(path string, n *yaml.Node, s string) (val, ok bool) {
	switch strings.ToLower(s) {
	case "true", "yes", "on":
		return true, true
	case "false", "no", "off":
		return false, true
	}
	d.Errorf(n, path, "%q is not true or false", Clip(s))
	return false, false
}
