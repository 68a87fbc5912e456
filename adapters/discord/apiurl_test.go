package discord_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/warroom/warroom/adapters/discord"
	"github.com/warroom/warroom/adapters/discord/discordfake"
	"github.com/warroom/warroom/bot"
)

// postVia starts an adapter on f with api_url f.URL+suffix and posts text
// in a new channel of f: the adapter's REST calls reached f.
func postVia(t *testing.T, f *discordfake.Server, apiURL, text string) {
	t.Helper()
	a := newAdapter(t, f, func(c *discord.Config) { c.APIURL = apiURL })
	ch := f.AddChannel(discordgo.Channel{Name: "general"})
	if _, err := a.Post(t.Context(), ch, bot.Message{Text: text}); err != nil {
		t.Fatalf("api_url %q: Post: %v", apiURL, err)
	}
	if got := f.Messages(ch); len(got) != 1 || got[0].Text() != text {
		t.Fatalf("api_url %q: #general = %+v, want %q", apiURL, got, text)
	}
}

// TestAPIURLForms: api_url works with or without the /api/vN path Discord's
// docs write, whatever version it names.
func TestAPIURLForms(t *testing.T) {
	t.Parallel()
	for _, suffix := range []string{"", "/", "/api", "/api/", "/api/v9", "/api/v9/", "/api/v10", "/api/v10/", "//api/v10//"} {
		t.Run(suffix, func(t *testing.T) {
			t.Parallel()
			f := discordfake.New(t)
			postVia(t, f, f.URL+suffix, "hello via "+suffix)
		})
	}
}

// TestAPIURLsSideBySide: two adapters in one process, each with its own
// api_url, reach only their own server.
func TestAPIURLsSideBySide(t *testing.T) {
	t.Parallel()
	servers := []*discordfake.Server{discordfake.New(t), discordfake.New(t)}
	suffixes := []string{"", "/api/v10"}
	t.Run("group", func(t *testing.T) {
		for i, f := range servers {
			t.Run(suffixes[i], func(t *testing.T) {
				t.Parallel()
				for n := range 5 {
					postVia(t, f, f.URL+suffixes[i], fmt.Sprintf("server %d post %d", i, n))
				}
			})
		}
	})
	for i, f := range servers {
		var got int
		for _, c := range f.Channels() {
			for _, m := range f.Messages(c.ID) {
				got++
				if !strings.HasPrefix(m.Text(), fmt.Sprintf("server %d ", i)) {
					t.Errorf("server %d got %q, posted through the other adapter", i, m.Text())
				}
			}
		}
		if got != 5 {
			t.Errorf("server %d has %d messages, want 5", i, got)
		}
	}
}

// TestAPIURLPathPrefix: a proxy mounted under a path keeps its prefix.
func TestAPIURLPathPrefix(t *testing.T) {
	t.Parallel()
	f := discordfake.New(t)
	target, _ := url.Parse(f.URL)
	rp := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	var seen []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.Path)
		mu.Unlock()
		p, ok := strings.CutPrefix(r.URL.Path, "/discord")
		if !ok {
			http.NotFound(w, r)
			return
		}
		r.URL.Path, r.URL.RawPath = p, ""
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	postVia(t, f, proxy.URL+"/discord/api/v10", "through the proxy")
	mu.Lock()
	defer mu.Unlock()
	if len(seen) == 0 || seen[0] != "/discord/api/v"+discordgo.APIVersion+"/users/@me" {
		t.Fatalf("proxy saw %q, want /discord/api/v%s/users/@me first", seen, discordgo.APIVersion)
	}
}

// TestBadAPIURL: New refuses an api_url it cannot use, rather than sending
// the token to discord.com.
func TestBadAPIURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"proxy:8080", "ftp://proxy/", "http://proxy:8080/?v=10", "http://proxy:8080/#x", "http:///api/v10", "http://proxy/api/v10/users/@me", "http://proxy/api/vten"} {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		_, err := discord.New(ctx, discord.Config{Token: "t", Guild: "1", APIURL: u})
		cancel()
		if err == nil || !strings.Contains(err.Error(), "discord.api_url") {
			t.Errorf("api_url %q: err = %v, want one naming discord.api_url", u, err)
		}
	}
}
