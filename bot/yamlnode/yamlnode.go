// Package yamlnode is how warroom reads its YAML files (the config, the
// plans): a Decoder that walks gopkg.in/yaml.v3 nodes and collects every
// problem with its line and key path, and the helpers that word them.
package yamlnode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/warroom/warroom/bot"
)

// Decode decodes the first YAML document in data. root is its top node,
// nil when data holds no document or the first document does not decode;
// second is the top node of a following document when that one is not
// empty; err is the first decoding error other than io.EOF. yaml.v3 can
// panic on hostile input: Decode does not recover, its caller should.
func Decode(data []byte) (root, second *yaml.Node, err error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err = dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			err = nil
		}
		return nil, nil, err
	}
	var extra yaml.Node
	switch err = dec.Decode(&extra); {
	case err == nil:
		if n := Content(&extra); n != nil && !IsNull(n) {
			second = n
		}
	case errors.Is(err, io.EOF):
		err = nil
	}
	return Content(&doc), second, err
}

// Content is a decoded document's top node: nil for an empty document.
func Content(doc *yaml.Node) *yaml.Node {
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

var errRe = regexp.MustCompile(`^yaml: line ([0-9]+): (.*)$`)

// SplitError splits a yaml.v3 error, "yaml: line 3: mapping values are not
// allowed", into its line as reported (0 when it has none) and its message
// without the "yaml: " prefix.
func SplitError(err error) (line int, msg string) {
	msg = strings.TrimPrefix(err.Error(), "yaml: ")
	if m := errRe.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	return line, msg
}

// IsParserError tells the errors of yaml.v3's parser, whose line marks are
// 0-based (the scanner's are 1-based), by their message (see SplitError).
func IsParserError(msg string) bool {
	for _, prefix := range []string{"did not find expected", "found duplicate %", "found incompatible YAML document", "found undefined tag handle"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

// Deref follows aliases to the anchored node.
func Deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// IsNull reports whether n (after aliases) is absent or a null scalar.
func IsNull(n *yaml.Node) bool {
	n = Deref(n)
	return n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// KindName describes a node for a message: "a mapping", "a list", a quoted
// (clipped) scalar value, "nothing" for nil.
func KindName(n *yaml.Node) string {
	n = Deref(n)
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.ScalarNode:
		return fmt.Sprintf("%q", Clip(n.Value))
	}
	return "something else"
}

// Clip shortens a value quoted in a message to at most 60 runes.
func Clip(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:57]) + "..."
	}
	return s
}

// Join appends key to the key path path ("steps" + "restart").
func Join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// PlainKey matches a key that messages show unquoted.
var PlainKey = regexp.MustCompile(`^[A-Za-z0-9._-]{1,60}$`)

// KeyName is a key as a message shows it: quoted unless it is a plain word.
func KeyName(key string) string {
	if PlainKey.MatchString(key) {
		return key
	}
	return strconv.Quote(Clip(key))
}

// LineOf is the node whose line a problem with a value reports: its key k
// when it has one, else the value v.
func LineOf(k, v *yaml.Node) *yaml.Node {
	if k != nil {
		return k
	}
	return v
}

// Suggest is bot.Suggest: "; did you mean x?", else the candidates.
func Suggest(s string, candidates []string, most int) string { return bot.Suggest(s, candidates, most) }
