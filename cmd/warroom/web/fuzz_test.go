package web

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzLocalPath: whatever next= a login is sent, the redirect stays on
// this site.
func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{"/incidents/1", "//evil.test", "/\\evil.test", "/\t/evil.test", "https://evil.test/", "", "/a?b=c#d", "/%2F%2Fevil"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := localPath(in)
		if out != "/" && out != in {
			t.Fatalf("localPath(%q) = %q: neither the path nor /", in, out)
		}
		if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") || strings.ContainsAny(out, "\\\t\r\n") {
			t.Fatalf("localPath(%q) = %q leaves the site", in, out)
		}
		u, err := url.Parse(out)
		if err != nil || u.Host != "" || u.Scheme != "" {
			t.Fatalf("localPath(%q) = %q has a host", in, out)
		}
	})
}
