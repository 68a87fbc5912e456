package lark_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/adapters/adaptertest"
	"github.com/warroom/warroom/adapters/lark"
	"github.com/warroom/warroom/adapters/lark/larkfake"
	"github.com/warroom/warroom/bot"
)

// standIn is a hand-written Lark in front of f: change rewrites each
// answer (nil: as f gives it); bot/v3/info is not there when noInfo.
func standIn(t *testing.T, f *larkfake.Server, noInfo bool, change func(*http.Response)) string {
	t.Helper()
	u, _ := url.Parse(f.URL)
	p := httputil.NewSingleHostReverseProxy(u)
	p.ModifyResponse = func(r *http.Response) error {
		if change != nil {
			change(r)
		}
		return nil
	}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if noInfo && strings.HasSuffix(r.URL.Path, "/bot/v3/info") {
			http.NotFound(w, r)
			return
		}
		p.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s.URL
}

// TestNoJSONContentType: a server answering JSON without saying so
// (Content-Type text/plain, as Go's and many others' default) still works:
// the SDK alone would refuse every IM answer.
func TestNoJSONContentType(t *testing.T) {
	t.Parallel()
	f := larkfake.New(t)
	api := standIn(t, f, false, func(r *http.Response) { r.Header.Set("Content-Type", "text/plain; charset=utf-8") })
	a := newAdapter(t, f, func(c *lark.Config) { c.APIURL = api })
	ch, err := a.CreateChannel(t.Context(), "fault-4-plain")
	require.NoError(t, err)
	require.NoError(t, a.Invite(t.Context(), ch.ID, []bot.Person{person("alice")}))
	_, err = a.Post(t.Context(), ch.ID, bot.Message{Kind: bot.KindKickoff, Text: "Fault #4"})
	require.NoError(t, err)
	assert.Equal(t, []string{users["alice"]}, f.Members(ch.ID))
}

// TestUnreadableAnswer: an answer that is not JSON is an error on one line.
func TestUnreadableAnswer(t *testing.T) {
	t.Parallel()
	f := larkfake.New(t)
	api := standIn(t, f, false, func(r *http.Response) {
		if strings.Contains(r.Request.URL.Path, "/im/v1/chats") {
			r.Header.Set("Content-Type", "text/html")
			r.Body = io.NopCloser(strings.NewReader("<html>\n<body>502 Bad Gateway</body>\n</html>\n"))
			r.ContentLength = -1
			r.Header.Del("Content-Length")
		}
	})
	a := newAdapter(t, f, func(c *lark.Config) { c.APIURL = api })
	_, err := a.CreateChannel(t.Context(), "fault-5-html")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "\n")
	assert.Contains(t, err.Error(), "lark could not list the bot's chats (scope im:chat:readonly): the answer was HTTP 200, not JSON")
}

// TestNoBotInfo: a server without bot/v3/info starts warroom with a
// warning; a mention leading the command word is taken for the bot's.
func TestNoBotInfo(t *testing.T) {
	t.Parallel()
	f := larkfake.New(t)
	api := standIn(t, f, true, nil)
	a := newAdapter(t, f, func(c *lark.Config) { c.APIURL = api })
	assert.Empty(t, a.BotID())
	rec := &adaptertest.Recorder{}
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(t.Context())
	go func() { done <- a.Run(ctx, rec) }()
	defer func() { cancel(); <-done }()
	someone := larkfake.Mention{Key: "@_user_1", OpenID: "ou_bot_unknown", Name: "warroom"}
	bob := larkfake.Mention{Key: "@_user_2", OpenID: users["bob"], Name: "Bob"}
	require.Equal(t, 200, f.Say(t, "oc_1", users["alice"], "@_user_1 fault assign @_user_2", someone, bob).Code)
	require.Equal(t, 200, f.Say(t, "oc_1", users["alice"], "@_user_2 see this", bob).Code)
	rec.Wait(t, 2)
	assert.Equal(t, "/fault assign <@"+users["bob"]+">", rec.Messages()[0].Text)
	assert.Equal(t, "<@"+users["bob"]+"> see this", rec.Messages()[1].Text)
}

// TestHTTPWebsocketURL: an endpoint answering an http:// URL (a
// stand-in's slip; Lark gives wss://) is dialled as ws://.
func TestHTTPWebsocketURL(t *testing.T) {
	t.Parallel()
	f := larkfake.New(t)
	api := standIn(t, f, false, func(r *http.Response) {
		if !strings.HasSuffix(r.Request.URL.Path, "/callback/ws/endpoint") {
			return
		}
		b, _ := io.ReadAll(r.Body)
		b = bytes.ReplaceAll(b, []byte(`"ws://`), []byte(`"http://`))
		require.Contains(t, string(b), `"http://`)
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.ContentLength = int64(len(b))
		r.Header.Set("Content-Length", strconv.Itoa(len(b)))
	})
	a := newAdapter(t, f, func(c *lark.Config) { c.APIURL = api })
	rec := &adaptertest.Recorder{}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, rec) }()
	defer func() { cancel(); <-done }()
	require.Equal(t, 200, f.Say(t, "oc_1", users["alice"], "/fault status").Code)
	rec.Wait(t, 1)
}
