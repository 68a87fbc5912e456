package web

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/httpapi"
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

// FuzzSessionCookie: a session cookie is outside input. Only the cookie
// login made is a session; anything else, however close, is none, and
// nothing panics.
func FuzzSessionCookie(f *testing.F) {
	s := &Server{API: &httpapi.Server{Tokens: []bot.APIToken{{Name: "ops", Token: "tok-ops-2b7f1c", Person: "ana"}}}, Clock: bot.NewFakeClock(time.Date(2026, 4, 8, 14, 0, 0, 0, time.UTC))}
	s.init()
	good := s.sessionValue(s.API.Tokens[0], s.now().Add(time.Hour))
	for _, v := range []string{good, "", "..", "b3Bz.1.x", good + "x", "b3Bz.99999999999999999999." + strings.SplitN(good, ".", 3)[2], "%%.%%.%%"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		tok, ok := s.parseSession(v)
		if ok != (v == good) {
			t.Fatalf("parseSession(%q) = %v; only the cookie login made is a session", v, ok)
		}
		if ok && tok.Person != "ana" {
			t.Fatalf("parseSession(%q) acts as %q", v, tok.Person)
		}
	})
}
