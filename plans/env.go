package plans

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/warroom/warroom/bot/yamlnode"
)

// envRefs returns the names of the ${VAR}s in s, checking their syntax. A $
// not followed by { is literal.
func envRefs(s string) ([]string, error) {
	var names []string
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return names, nil
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("%q has a ${ without its closing }", yamlnode.Clip(s))
		}
		name := s[i+2 : i+j]
		if !envNameRe.MatchString(name) {
			return nil, fmt.Errorf("${%s} is not an environment variable name (letters, digits, _)", yamlnode.Clip(name))
		}
		names = append(names, name)
		s = s[i+j+1:]
	}
}

// expandEnv replaces each ${VAR} in s from getenv. An unset (or empty)
// variable is an error naming it: a job sent to "/api/..." or with
// "Bearer " would fail in a more confusing way, or worse, succeed
// somewhere else. used collects the values, which the step's output
// redacts.
func expandEnv(s string, getenv func(string) string, used map[string]string) (string, error) {
	names, err := envRefs(s)
	if err != nil {
		return "", err
	}
	var missing []string
	for _, n := range names {
		v := getenv(n)
		if v == "" {
			missing = append(missing, n)
			continue
		}
		used[n] = v
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("%s is not set in warroom's environment", strings.Join(missing, ", "))
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		j := strings.IndexByte(s[i:], '}')
		b.WriteString(s[:i])
		b.WriteString(used[s[i+2:i+j]])
		s = s[i+j+1:]
	}
}

// checkURL checks a job's URL. Before ${VAR}s are expanded (resolved false)
// it checks what it can: the scheme when the URL does not start with a
// variable, and that no {{param}} can reach the host. Resolved, it must be
// an http(s) URL whose {{param}}s are all in the path or query: a value
// never chooses where a request goes.
func checkURL(s string, resolved bool) error {
	first := strings.Index(s, "{{")
	prefix := s
	if first >= 0 {
		prefix = s[:first]
	}
	if !resolved && strings.Contains(prefix, "${") {
		if !strings.HasPrefix(s, "${") && !hasHTTPScheme(s) {
			return fmt.Errorf("%q is not an http(s) URL", yamlnode.Clip(s))
		}
		if first >= 0 {
			after := prefix[strings.LastIndexByte(prefix, '}')+1:]
			if !strings.ContainsAny(after, "/?") {
				return fmt.Errorf("%q: a {{parameter}} right after a ${VAR} could change the host; put it after a /", yamlnode.Clip(s))
			}
		}
		return nil
	}
	if !hasHTTPScheme(s) {
		return fmt.Errorf("%q is not an http(s) URL", yamlnode.Clip(s))
	}
	u, err := url.Parse(placeholder.ReplaceAllString(s, "x"))
	if err != nil {
		return fmt.Errorf("%q is not a URL: %v", yamlnode.Clip(s), unwrapURLError(err))
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", yamlnode.Clip(s))
	}
	if u.User != nil {
		return fmt.Errorf("%q has credentials in it; send them in a header from a ${VAR}", yamlnode.Clip(redactURL(s)))
	}
	if first >= 0 {
		rest := s[strings.Index(s, "://")+3:]
		hostEnd := strings.IndexAny(rest, "/?#")
		if hostEnd < 0 || strings.Index(s, "://")+3+hostEnd > first {
			return fmt.Errorf("%q: a {{parameter}} may be in the URL's path or query, not its host", yamlnode.Clip(s))
		}
	}
	return nil
}

func hasHTTPScheme(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// redactURL hides a password in a URL's userinfo, for messages.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		return u.Redacted()
	}
	return s
}

// fillURL puts each {{param}} into a resolved URL: path-escaped in the path,
// query-escaped after the ?. A value that is empty, "." or ".." in the path
// is refused: it would change which path the request goes to.
func fillURL(s string, value func(name string) (string, error)) (string, error) {
	q := strings.IndexByte(s, '?')
	var b strings.Builder
	last := 0
	for _, m := range placeholder.FindAllStringSubmatchIndex(s, -1) {
		b.WriteString(s[last:m[0]])
		last = m[1]
		name := s[m[2]:m[3]]
		v, err := value(name)
		if err != nil {
			return "", err
		}
		if q >= 0 && m[0] > q {
			b.WriteString(url.QueryEscape(v))
			continue
		}
		if v == "" || v == "." || v == ".." {
			return "", fmt.Errorf("parameter %s=%q cannot be part of the URL's path", name, v)
		}
		b.WriteString(url.PathEscape(v))
	}
	b.WriteString(s[last:])
	return b.String(), nil
}
