package discord

import (
	"net/http"
	"testing"

	"github.com/bwmarrin/discordgo"
)

func TestAPIBase(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, base, stated string }{
		{"http://proxy:8080", "http://proxy:8080", ""},
		{"http://proxy:8080/", "http://proxy:8080", ""},
		{"http://proxy:8080/api", "http://proxy:8080", ""},
		{"http://proxy:8080/api/", "http://proxy:8080", ""},
		{"https://proxy:8080/api/v9", "https://proxy:8080", "9"},
		{"http://proxy:8080/api/v10/", "http://proxy:8080", "10"},
		{"http://gw/discord/api/v10", "http://gw/discord", "10"},
		{"http://gw/discord/", "http://gw/discord", ""},
		{"http://gw/api/discord/api/v10", "http://gw/api/discord", "10"},
	} {
		u, stated, err := apiBase(c.in)
		if err != nil || u.String() != c.base || stated != c.stated {
			t.Errorf("apiBase(%q) = %v, %q, %v; want %s, %q", c.in, u, stated, err, c.base, c.stated)
		}
	}
	for _, in := range []string{"", "proxy:8080", "//proxy:8080", "ftp://proxy", "http://proxy/?v=10", "http://proxy/?",
		"http://proxy/#x", "http://u:p@proxy/", "http://proxy/api/v10/users/@me", "http://proxy/api/vten", "http://proxy/api/v", "http://[::1"} {
		if u, _, err := apiBase(in); err == nil {
			t.Errorf("apiBase(%q) = %v, want an error", in, u)
		}
	}
}

type recordRT struct{ got *http.Request }

func (r *recordRT) RoundTrip(req *http.Request) (*http.Response, error) {
	r.got = req
	return &http.Response{StatusCode: 200, Body: http.NoBody, Request: req}, nil
}

func TestRewrite(t *testing.T) {
	t.Parallel()
	rec := &recordRT{}
	base, _, err := apiBase("http://127.0.0.1:9/px/api/v10")
	if err != nil {
		t.Fatal(err)
	}
	rt := rewrite{base: base, next: rec}
	for _, c := range []struct{ in, want string }{
		{discordgo.EndpointUser("@me"), "http://127.0.0.1:9/px/api/v" + discordgo.APIVersion + "/users/@me"},
		// an escaped emoji keeps its escaping
		{discordgo.EndpointMessageReaction("1", "2", "%E2%9C%85", "@me"), "http://127.0.0.1:9/px/api/v" + discordgo.APIVersion + "/channels/1/messages/2/reactions/%E2%9C%85/@me"},
		// not Discord's REST API: untouched
		{discordgo.EndpointUserAvatar("1", "a"), discordgo.EndpointUserAvatar("1", "a")},
		{"https://discord.com/other", "https://discord.com/other"},
	} {
		req, err := http.NewRequest("GET", c.in, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rt.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
		if got := rec.got.URL.String(); got != c.want {
			t.Errorf("%s went to %s, want %s", c.in, got, c.want)
		}
		if req.URL.String() != c.in {
			t.Errorf("the caller's request was changed to %s", req.URL)
		}
	}
}
