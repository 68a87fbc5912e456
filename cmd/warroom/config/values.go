package config

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/warroom/warroom/bot/yamlnode"
)

// The readers of single values: strings with their ${VAR}s, secrets,
// booleans, URLs.

// str returns a single value with its ${VAR}s expanded. A value that is
// empty only because its optional variables (${VAR:-}) are unset counts as
// absent (set false); an unset ${VAR} is a problem (expand).
func (p *parser) str(path string, k, v *yaml.Node) (string, bool) {
	raw, ok := p.Scalar(path, k, v)
	if !ok {
		return "", false
	}
	s, _, ok := p.expand(path, yamlnode.LineOf(k, v), raw)
	if !ok || s == "" && raw != "" {
		return "", false
	}
	return s, true
}

// item returns a list item with its ${VAR}s expanded; an empty item is a
// problem. hint is added to the message for a null item.
func (p *parser) item(path string, n *yaml.Node, hint string) (string, bool) {
	raw, ok := p.Scalar(path, n, n)
	if !ok {
		if yamlnode.IsNull(n) {
			p.errorf(n, "%s: empty item%s", path, hint)
		}
		return "", false
	}
	s, vars, ok := p.expand(path, n, raw)
	switch {
	case !ok:
		return "", false
	case s == "" && len(vars) > 0:
		p.errorf(n, "%s: %q is empty; set %s in the environment", path, yamlnode.Clip(raw), strings.Join(vars, ", "))
		return "", false
	case s == "":
		p.errorf(n, "%s: empty item", path)
		return "", false
	}
	return s, true
}

// envRef is one ${VAR} or ${VAR:-default} in a value.
type envRef struct {
	name       string
	def        string // after :-
	hasDefault bool
	start, end int // s[start:end] is the whole reference
}

// envRefs finds the ${...} references in s. A $ not followed by { is
// literal.
func envRefs(s string) ([]envRef, error) {
	var refs []envRef
	for off := 0; ; {
		i := strings.Index(s[off:], "${")
		if i < 0 {
			return refs, nil
		}
		i += off
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("%q has a ${ without its closing }", yamlnode.Clip(s))
		}
		r := envRef{name: s[i+2 : i+j], start: i, end: i + j + 1}
		if k := strings.Index(r.name, ":-"); k >= 0 {
			r.name, r.def, r.hasDefault = r.name[:k], r.name[k+2:], true
			if strings.Contains(r.def, "${") {
				return nil, fmt.Errorf("%q: a default cannot hold another ${...}", yamlnode.Clip(s[i:]))
			}
		}
		if !envNameRe.MatchString(r.name) {
			if k := strings.IndexAny(r.name, ":-=?+"); k > 0 && envNameRe.MatchString(r.name[:k]) {
				return nil, fmt.Errorf("%q: write ${%s} (required) or ${%s:-default} (optional)", yamlnode.Clip(s[i:r.end]), r.name[:k], r.name[:k])
			}
			return nil, fmt.Errorf("%q is not an environment variable name (letters, digits, _)", yamlnode.Clip(r.name))
		}
		refs = append(refs, r)
		off = r.end
	}
}

// expand replaces each ${VAR} in s by the environment variable VAR, and
// each ${VAR:-default} by VAR or, when VAR is unset or empty, by default.
// A ${VAR} without a default whose variable is unset (or empty) is a
// problem naming the key, its line and VAR. vars are the names it used.
func (p *parser) expand(path string, n *yaml.Node, s string) (out string, vars []string, ok bool) {
	return p.expandAs(path, n, s, "default")
}

// expandAs is expand; def is the default its message suggests for an
// optional variable ("" for a secret, which cannot have one).
func (p *parser) expandAs(path string, n *yaml.Node, s, def string) (out string, vars []string, ok bool) {
	refs, err := envRefs(s)
	if err != nil {
		p.errorf(n, "%s: %v", path, err)
		return "", nil, false
	}
	if len(refs) == 0 {
		return s, nil, true
	}
	var (
		b       strings.Builder
		missing []string
		last    int
	)
	for _, r := range refs {
		b.WriteString(s[last:r.start])
		last = r.end
		vars = append(vars, r.name)
		v := p.getenv(r.name)
		switch {
		case v != "":
			b.WriteString(v)
		case r.hasDefault:
			b.WriteString(r.def)
		case !slices.Contains(missing, r.name):
			missing = append(missing, r.name)
		}
	}
	b.WriteString(s[last:])
	if len(missing) > 0 {
		p.errorf(n, "%s: %s: set %s in the environment, or write %s if it is optional",
			path, notSet(missing), strings.Join(missing, ", "), "${"+missing[0]+":-"+def+"}")
		return "", vars, false
	}
	return b.String(), vars, true
}

// notSet is "${A} is not set" or "${A}, ${B} are not set".
func notSet(names []string) string {
	refs := make([]string, len(names))
	for i, n := range names {
		refs[i] = "${" + n + "}"
	}
	if len(refs) == 1 {
		return refs[0] + " is not set"
	}
	return strings.Join(refs, ", ") + " are not set"
}

// secret reads a token key: its value must come from the environment, as
// ${VAR} (required) or ${VAR:-} (optional: empty when unset). envVar is
// the variable it names (def when it names none).
func (p *parser) secret(path string, k, v *yaml.Node, def string) (val, envVar string) {
	envVar = def
	raw, ok := p.Scalar(path, k, v)
	if !ok || raw == "" {
		return "", envVar
	}
	if !strings.Contains(raw, "${") {
		p.errorf(yamlnode.LineOf(k, v), "%s: put the secret in the environment and write \"${%s}\"", path, def)
		return "", envVar
	}
	if refs, err := envRefs(raw); err == nil {
		for _, r := range refs {
			if r.def != "" {
				// The default would be the secret, written in the file.
				p.errorf(yamlnode.LineOf(k, v), "%s: a secret cannot have a default in the file; write \"${%s}\", or \"${%s:-}\" to leave it empty when %s is unset", path, r.name, r.name, r.name)
				return "", r.name
			}
		}
	}
	s, vars, ok := p.expandAs(path, yamlnode.LineOf(k, v), raw, "")
	if len(vars) > 0 {
		envVar = vars[0]
	}
	if !ok {
		return "", envVar
	}
	return s, envVar
}

func (p *parser) boolean(path string, k, v *yaml.Node) (bool, bool) {
	s, ok := p.str(path, k, v)
	if !ok {
		return false, false
	}
	return p.Bool(path, yamlnode.LineOf(k, v), s)
}

func (p *parser) apiURL(path string, k, v *yaml.Node) string {
	s, ok := p.str(path, k, v)
	if !ok || s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.errorf(yamlnode.LineOf(k, v), "%s: %q is not an http(s) URL", path, yamlnode.Clip(s))
		return ""
	}
	return s
}

var versionRe = regexp.MustCompile(`^v[0-9]+$`)

// baseURL reads base_url: where people reach warroom's pages, so that
// chat can link to them.
func (p *parser) baseURL(f field) string {
	s, ok := p.str(f.Key, f.K, f.V)
	if !ok || s == "" {
		return ""
	}
	const eg = "such as https://warroom.example.com"
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		p.errorf(yamlnode.LineOf(f.K, f.V), "base_url: %q is not an absolute http(s) URL; give where people reach warroom's pages, %s", yamlnode.Clip(s), eg)
	case u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "#"):
		p.errorf(yamlnode.LineOf(f.K, f.V), "base_url: %q has a query or fragment; give the base URL only, %s", yamlnode.Clip(s), eg)
	case u.User != nil:
		p.errorf(yamlnode.LineOf(f.K, f.V), "base_url: %q has a user name or password, which would show in every chat link; give the base URL only", yamlnode.Clip(s))
	default:
		return strings.TrimRight(s, "/")
	}
	return ""
}
