package lark_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/adapters/lark"
	"github.com/warroom/warroom/adapters/lark/larkfake"
	"github.com/warroom/warroom/bot"
)

// TestTokenCache: one tenant token serves many calls; one Lark rejects
// early is fetched again and the call retried; one past its lifetime (the
// fake clock moved) is fetched again before the call.
func TestTokenCache(t *testing.T) {
	t.Parallel()
	f := larkfake.New(t)
	clock := bot.NewFakeClock(time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC))
	a := newAdapter(t, f, func(c *lark.Config) { c.Clock = clock })
	ch, err := a.CreateChannel(t.Context(), "fault-1-token")
	require.NoError(t, err)
	for i := range 5 {
		_, err := a.Post(t.Context(), ch.ID, bot.Message{Text: fmt.Sprint("post ", i)})
		require.NoError(t, err)
	}
	assert.Equal(t, 1, f.TokenFetches(), "one token for Connect, a create and five posts")

	f.ExpireToken()
	_, err = a.Post(t.Context(), ch.ID, bot.Message{Text: "after the token was revoked"})
	require.NoError(t, err)
	assert.Equal(t, 2, f.TokenFetches())

	clock.Advance(7200*time.Second - 4*time.Minute) // inside the refresh margin
	_, err = a.Post(t.Context(), ch.ID, bot.Message{Text: "near the token's end"})
	require.NoError(t, err)
	assert.Equal(t, 3, f.TokenFetches())
	assert.Len(t, f.Messages(ch.ID), 7)
}

// TestRateLimit: 99991400 is waited out (the injected sleep), a bounded
// number of times.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	f := larkfake.New(t)
	var slept atomic.Int64
	a := newAdapter(t, f, func(c *lark.Config) {
		c.Sleep = func(ctx context.Context, d time.Duration) error { slept.Add(int64(d)); return ctx.Err() }
	})
	ch, err := a.CreateChannel(t.Context(), "fault-2-busy")
	require.NoError(t, err)
	f.RateLimit(2)
	_, err = a.Post(t.Context(), ch.ID, bot.Message{Text: "after two refusals"})
	require.NoError(t, err)
	assert.Equal(t, 3*time.Second, time.Duration(slept.Load()), "1 s then 2 s")

	f.RateLimit(10)
	_, err = a.Post(t.Context(), ch.ID, bot.Message{Text: "never"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "lark refused to send a message (scope im:message:send_as_bot): 99991400 request trigger frequency limit")
}

// TestBadCredentials: a wrong secret stops Connect with an error naming
// the keys and the two clouds.
func TestBadCredentials(t *testing.T) {
	t.Parallel()
	f := larkfake.New(t)
	a, err := lark.New(lark.Config{AppID: f.AppID, AppSecret: "wrong", APIURL: f.URL})
	require.NoError(t, err)
	err = a.Connect(t.Context())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "lark.app_id or lark.app_secret was rejected")
	assert.Contains(t, err.Error(), "https://open.larksuite.com")
}

func TestAPIURLForms(t *testing.T) {
	t.Parallel()
	for _, suffix := range []string{"", "/", "/open-apis", "/open-apis/"} {
		t.Run(suffix, func(t *testing.T) {
			t.Parallel()
			f := larkfake.New(t)
			a := newAdapter(t, f, func(c *lark.Config) { c.APIURL = f.URL + suffix })
			_, err := a.CreateChannel(t.Context(), "fault-3-url")
			require.NoError(t, err)
		})
	}
	_, err := lark.New(lark.Config{AppID: "cli_x", AppSecret: "s", APIURL: "open.feishu.cn"})
	assert.NoError(t, err, "a bare host is https")
	_, err = lark.New(lark.Config{AppID: "cli_x", AppSecret: "s", APIURL: "ftp://open.feishu.cn"})
	assert.ErrorContains(t, err, `lark.api_url: "ftp://open.feishu.cn" is not an http(s) URL`)
}

// TestChatNames: a name taken by a chat the bot was in before this process
// started gets a suffix; the listing pages.
func TestChatNames(t *testing.T) {
	t.Parallel()
	f := larkfake.New(t)
	for i := range 120 {
		f.AddChat(fmt.Sprint("old-", i))
	}
	f.AddChat("fault-4-dup")
	a := newAdapter(t, f)
	ch, err := a.CreateChannel(t.Context(), "fault-4-dup")
	require.NoError(t, err)
	assert.Equal(t, "fault-4-dup-2", ch.Name)
	c := f.Chat(ch.ID)
	assert.Equal(t, "private", c.Type)
	found, err := a.FindChannel(t.Context(), "#old-119")
	require.NoError(t, err)
	assert.Equal(t, "old-119", found.Name)
	_, err = a.FindChannel(t.Context(), "#nowhere")
	assert.Equal(t, bot.ENOTFOUND, bot.ErrorCode(err))
}

// TestInviteBatches: 120 people are added 50 at a time; ids Lark refuses
// are named, after the rest are in; people without an open_id are left out.
func TestInviteBatches(t *testing.T) {
	t.Parallel()
	f := larkfake.New(t)
	a := newAdapter(t, f)
	ch, err := a.CreateChannel(t.Context(), "fault-5-crowd")
	require.NoError(t, err)
	var people []bot.Person
	for i := range 120 {
		people = append(people, bot.Person{ID: fmt.Sprint("p", i), Accounts: map[string]string{"lark": fmt.Sprintf("ou_%032d", i)}})
	}
	people = append(people, bot.Person{ID: "nobody"}, bot.Person{ID: "typo", Accounts: map[string]string{"lark": "alice@example.com"}})
	err = a.Invite(t.Context(), ch.ID, people)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "lark could not add alice@example.com to the chat")
	assert.Len(t, f.Members(ch.ID), 120)
	n := 0
	for _, c := range f.Calls() {
		if strings.HasSuffix(c.Path, "/members") {
			n++
			assert.Contains(t, c.Query, "member_id_type=open_id")
		}
	}
	assert.Equal(t, 3, n, "50 + 50 + 22")
}

// TestCards: kickoffs, approvals and summaries are cards; a kickoff gets a
// check-in button; mentions are Lark's; a reply is plain text.
func TestCards(t *testing.T) {
	t.Parallel()
	f := larkfake.New(t)
	a := newAdapter(t, f, func(c *lark.Config) { c.Command = "incident" })
	ch, err := a.CreateChannel(t.Context(), "fault-6-cards")
	require.NoError(t, err)
	alice := a.Mention(person("alice"))
	assert.Equal(t, `<at user_id="ou_a11ce000000000000000000000000001"></at>`, alice)
	msgs := []bot.Message{
		{Kind: bot.KindKickoff, Title: "Fault #6", Text: "Commander: " + alice + "\nReact with ✅ to check in; /incident update <text>"},
		{Kind: bot.KindApproval, Text: "Run step 2?", Buttons: []bot.Button{{Label: "Approve", Command: "/incident approve 2", Style: "primary"}, {Label: "Reject", Command: "/incident reject 2", Style: "danger"}}},
		{Kind: bot.KindReply, Text: "ok " + alice},
	}
	for _, m := range msgs {
		_, err := a.Post(t.Context(), ch.ID, m)
		require.NoError(t, err)
	}
	got := f.Messages(ch.ID)
	require.Len(t, got, 3)
	assert.Equal(t, "interactive", got[0].MsgType)
	assert.Equal(t, "Commander: <at id=ou_a11ce000000000000000000000000001></at>\nReact with ✅ to check in; /incident update &#60;text&#62;", got[0].Text())
	assert.Equal(t, []larkfake.Button{{Label: "✅ Check in", Command: "/incident checkin"}}, got[0].Buttons())
	assert.Contains(t, got[0].Content, `"template":"red"`)
	assert.Equal(t, []larkfake.Button{{Label: "Approve", Command: "/incident approve 2"}, {Label: "Reject", Command: "/incident reject 2"}}, got[1].Buttons())
	assert.Equal(t, "text", got[2].MsgType)
	assert.Equal(t, "ok "+alice, got[2].Text())
}

func TestDMNeedsOpenID(t *testing.T) {
	t.Parallel()
	f := larkfake.New(t)
	a := newAdapter(t, f)
	err := a.DM(t.Context(), bot.Person{ID: "zed"}, bot.Message{Text: "hi"})
	assert.Equal(t, bot.EINVALID, bot.ErrorCode(err))
	require.NoError(t, a.DM(t.Context(), person("bob"), bot.Message{Text: "hi bob"}))
	dms := f.DMs(users["bob"])
	require.Len(t, dms, 1)
	assert.True(t, slices.ContainsFunc(f.Calls(), func(c larkfake.Call) bool { return strings.Contains(c.Query, "receive_id_type=open_id") }))
}

// TestMissingScope: Lark's refusal for a scope the app lacks is one line
// naming the scope to grant.
func TestMissingScope(t *testing.T) {
	t.Parallel()
	f := larkfake.New(t)
	a := newAdapter(t, f)
	f.Deny("POST /open-apis/im/v1/chats", "im:chat:create")
	_, err := a.CreateChannel(t.Context(), "fault-7-denied")
	require.Error(t, err)
	assert.Equal(t, bot.EUNAVAILABLE, bot.ErrorCode(err))
	assert.NotContains(t, err.Error(), "\n")
	assert.Contains(t, err.Error(), "lark refused to create a war-room chat (scope im:chat): 99991672 Access denied.")
	assert.Contains(t, err.Error(), "grant the app im:chat:create in the developer console (Permissions & Scopes) and publish a new version")
}

// TestLongTexts: a text past Lark's limit is posted in parts at line
// breaks; a card past its limit is posted as text.
func TestLongTexts(t *testing.T) {
	t.Parallel()
	f := larkfake.New(t)
	a := newAdapter(t, f)
	ch, err := a.CreateChannel(t.Context(), "fault-8-long")
	require.NoError(t, err)
	line := strings.Repeat("é", 99) + "\n" // 199 bytes
	long := strings.Repeat(line, 700)      // 139 300 bytes
	_, err = a.Post(t.Context(), ch.ID, bot.Message{Kind: bot.KindReply, Text: long})
	require.NoError(t, err)
	_, err = a.Post(t.Context(), ch.ID, bot.Message{Kind: bot.KindSummary, Title: "Fault #8", Text: long[:199*200]})
	require.NoError(t, err)
	got := f.Messages(ch.ID)
	require.Len(t, got, 4)
	var parts []string
	for _, m := range got[:3] {
		assert.Equal(t, "text", m.MsgType)
		assert.LessOrEqual(t, len(m.Text()), 60_000)
		parts = append(parts, m.Text())
	}
	assert.Equal(t, long, strings.Join(parts, "\n"), "cut at line breaks, nothing lost")
	assert.Equal(t, "text", got[3].MsgType)
	assert.Equal(t, long[:199*200], got[3].Text())
}
