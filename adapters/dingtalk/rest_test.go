package dingtalk_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/adapters/dingtalk"
	"github.com/warroom/warroom/adapters/dingtalk/dingtalkfake"
	"github.com/warroom/warroom/bot"
)

func TestTokenCachedUntilExpiry(t *testing.T) {
	t.Parallel()
	f := dingtalkfake.New(t)
	clock := bot.NewFakeClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	a := newAdapter(t, f, func(c *dingtalk.Config) { c.Clock = clock })
	ctx := t.Context()
	ch, err := a.CreateChannel(ctx, "fault-1")
	require.NoError(t, err)
	for range 3 {
		_, err := a.Post(ctx, ch.ID, bot.Message{Kind: bot.KindReply, Text: "x"})
		require.NoError(t, err)
	}
	assert.Equal(t, 1, f.TokenCalls(), "one token for New and four calls")
	clock.Advance(2*time.Hour - 5*time.Minute - time.Second) // 7200 s less the margin, not yet
	_, err = a.Post(ctx, ch.ID, bot.Message{Kind: bot.KindReply, Text: "x"})
	require.NoError(t, err)
	assert.Equal(t, 1, f.TokenCalls())
	clock.Advance(time.Second)
	_, err = a.Post(ctx, ch.ID, bot.Message{Kind: bot.KindReply, Text: "x"})
	require.NoError(t, err)
	assert.Equal(t, 2, f.TokenCalls(), "renewed at expiry less the margin")
}

func TestTokenRevokedEarly(t *testing.T) {
	t.Parallel()
	f := dingtalkfake.New(t)
	a := newAdapter(t, f)
	ctx := t.Context()
	f.ExpireTokens()
	ch, err := a.CreateChannel(ctx, "fault-2") // oapi: errcode 40014
	require.NoError(t, err)
	f.ExpireTokens()
	_, err = a.Post(ctx, ch.ID, bot.Message{Kind: bot.KindReply, Text: "hi"}) // api: 401
	require.NoError(t, err)
	assert.Equal(t, 3, f.TokenCalls())
}

func TestBadCredentials(t *testing.T) {
	t.Parallel()
	f := dingtalkfake.New(t)
	_, err := dingtalk.New(t.Context(), dingtalk.Config{Settings: dingtalk.Settings{ClientID: f.ClientID, ClientSecret: "wrong",
		TemplateID: f.Template, CardTemplateID: f.CardTemplate, Owner: f.Owner, APIURL: f.URL, OAPIURL: f.URL}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "dingtalk.client_id/client_secret were rejected by DingTalk (400")
	_, err = dingtalk.New(t.Context(), dingtalk.Config{})
	assert.EqualError(t, err, "dingtalk.client_id and client_secret are required")
}

func TestFlowControlRetried(t *testing.T) {
	t.Parallel()
	f := dingtalkfake.New(t)
	var waits []time.Duration
	a := newAdapter(t, f, func(c *dingtalk.Config) {
		c.Sleep = func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return ctx.Err() }
	})
	ctx := t.Context()
	f.Fail("/topapi/im/chat/scenegroup/create", 2, dingtalkfake.Fault{Errcode: 90018})
	ch, err := a.CreateChannel(ctx, "fault-3")
	require.NoError(t, err)
	f.Fail("/v1.0/robot/groupMessages/send", 1, dingtalkfake.Fault{Status: 429, Code: "Throttling"})
	_, err = a.Post(ctx, ch.ID, bot.Message{Kind: bot.KindReply, Text: "after 429"})
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second, time.Second}, waits)
	assert.Len(t, f.Groups(), 1, "the retries made one group")

	f.Fail("/v1.0/robot/groupMessages/send", 10, dingtalkfake.Fault{Status: 429, Code: "Throttling"})
	_, err = a.Post(ctx, ch.ID, bot.Message{Kind: bot.KindReply, Text: "never"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "dingtalk: post in "+ch.ID+": 429 Throttling: injected")
	assert.Len(t, waits, 6, "three more retries, then the error")
}

func TestCreateChannelBadTemplate(t *testing.T) {
	t.Parallel()
	f := dingtalkfake.New(t)
	a := newAdapter(t, f, func(c *dingtalk.Config) { c.TemplateID = "nope" })
	_, err := a.CreateChannel(t.Context(), "fault-4")
	require.Error(t, err)
	assert.Equal(t, `dingtalk: create scene group fault-4: 200 40035: template not found; check dingtalk.template_id "nope" (the template must exist and have the app's robot) and the owner "owner01" (a userid in the organisation)`, err.Error())
	// The name was given back: the next war room may have it.
	a2 := newAdapter(t, f)
	ch, err := a2.CreateChannel(t.Context(), "fault-4")
	require.NoError(t, err)
	assert.Equal(t, "fault-4", ch.Name)
}

func TestCards(t *testing.T) {
	t.Parallel()
	f := dingtalkfake.New(t)
	cat := &bot.Catalog{People: map[string]bot.Person{
		"alice": {ID: "alice", Accounts: map[string]string{"dingtalk": "alice01"}},
		"bob":   {ID: "bob", Accounts: map[string]string{"dingtalk": "bob02"}}}}
	a := newAdapter(t, f, func(c *dingtalk.Config) { c.Catalog = cat })
	ctx := t.Context()
	ch, err := a.CreateChannel(ctx, "fault-5")
	require.NoError(t, err)

	kick, err := a.Post(ctx, ch.ID, bot.Message{Kind: bot.KindKickoff, Title: "P2 F#5: Checkout", Text: "🚨 P2\nCommander: @alice01"})
	require.NoError(t, err)
	appr, err := a.Post(ctx, ch.ID, bot.Message{Kind: bot.KindApproval, Text: "approve step 2?", Buttons: []bot.Button{
		{Label: "Approve", Command: "/fault approve 2", Style: "primary"}, {Label: "Reject", Command: "/fault reject 2", Style: "danger"}}})
	require.NoError(t, err)
	_, err = a.Post(ctx, ch.ID, bot.Message{Kind: bot.KindReply, Text: "@bob02 is now responder; @someone is not ours"})
	require.NoError(t, err)
	_, err = a.Post(ctx, ch.ID, bot.Message{Kind: bot.KindReply, Text: "plain"})
	require.NoError(t, err)

	ms := f.Messages(ch.ID)
	require.Len(t, ms, 4)
	assert.Equal(t, dingtalkfake.Message{ID: kick, Card: true, Title: "P2 F#5: Checkout", Text: "🚨 P2\nCommander: @alice01", Kind: "kickoff",
		Buttons: []dingtalkfake.Button{{ID: "checkin", Text: "✅ Check in", Command: "✅", Style: "primary"}}, AtUserIDs: []string{"alice01"}}, ms[0])
	assert.Equal(t, appr, ms[1].ID)
	assert.Equal(t, []dingtalkfake.Button{{ID: "b0", Text: "Approve", Command: "/fault approve 2", Style: "primary"},
		{ID: "b1", Text: "Reject", Command: "/fault reject 2", Style: "danger"}}, ms[1].Buttons)
	assert.True(t, ms[2].Card, "a mention makes a card, the one way a robot @s")
	assert.Equal(t, []string{"bob02"}, ms[2].AtUserIDs)
	assert.False(t, ms[3].Card)
	assert.True(t, strings.HasPrefix(kick, "wr1."), kick)

	_, err = a.Post(ctx, "cidNoSuchGroup==", bot.Message{Kind: bot.KindSummary, Text: "s"})
	assert.ErrorContains(t, err, "not delivered: 群不存在")
}

func TestDMErrors(t *testing.T) {
	t.Parallel()
	f := dingtalkfake.New(t)
	a := newAdapter(t, f)
	err := a.DM(t.Context(), bot.Person{ID: "zed"}, bot.Message{Text: "x"})
	assert.EqualError(t, err, "dingtalk: zed has no DingTalk userid to message")
	err = a.DM(t.Context(), bot.Person{ID: "n", Accounts: map[string]string{"dingtalk": "nobody"}}, bot.Message{Text: "x"})
	assert.EqualError(t, err, "dingtalk: message nobody: DingTalk does not know this userid in the organisation")
}

func TestInviteSkipsPeopleWithoutUserid(t *testing.T) {
	t.Parallel()
	f := dingtalkfake.New(t)
	a := newAdapter(t, f)
	ch, err := a.CreateChannel(t.Context(), "fault-6")
	require.NoError(t, err)
	n := len(f.Calls())
	require.NoError(t, a.Invite(t.Context(), ch.ID, []bot.Person{{ID: "carol"}}))
	assert.Len(t, f.Calls(), n, "nobody to add: no call")
	require.NoError(t, a.Invite(t.Context(), ch.ID, []bot.Person{{ID: "carol"}, {ID: "a", Accounts: map[string]string{"dingtalk": "a1"}}}))
	assert.True(t, slices.Equal(f.Members(ch.ID), []string{f.Owner, "a1"}), "%v", f.Members(ch.ID))
	last := f.Calls()[len(f.Calls())-1]
	assert.Equal(t, map[string]any{"open_conversation_id": ch.ID, "user_ids": "a1"}, last.Body)
}

func TestFindChannel(t *testing.T) {
	t.Parallel()
	f := dingtalkfake.New(t)
	a := newAdapter(t, f)
	ch, err := a.CreateChannel(t.Context(), "status")
	require.NoError(t, err)
	got, err := a.FindChannel(t.Context(), "#status")
	require.NoError(t, err)
	assert.Equal(t, ch, got)
	got, err = a.FindChannel(t.Context(), "#cidAbC123==")
	require.NoError(t, err)
	assert.Equal(t, "cidAbC123==", got.ID)
	_, err = a.FindChannel(t.Context(), "#ops")
	assert.Equal(t, bot.ENOTFOUND, bot.ErrorCode(err))
	assert.EqualError(t, err, `DingTalk cannot find a group by its title (#ops); write the group's open conversation id instead, e.g. notify: ["#cidAbC123=="]`)
}

func TestMissingPermissionNamed(t *testing.T) {
	t.Parallel()
	f := dingtalkfake.New(t)
	a := newAdapter(t, f)
	ch, err := a.CreateChannel(t.Context(), "fault-8")
	require.NoError(t, err)
	f.Fail("/v1.0/card/instances/createAndDeliver", 1, dingtalkfake.Fault{Status: 403, Code: "Forbidden.AccessDenied.AccessTokenPermissionDenied"})
	_, err = a.Post(t.Context(), ch.ID, bot.Message{Kind: bot.KindSummary, Text: "s"})
	assert.EqualError(t, err, "dingtalk: post a card in "+ch.ID+": 403 Forbidden.AccessDenied.AccessTokenPermissionDenied: injected"+
		" (grant the app this API's permission: Developer Console, the app, Permission management; adapters/dingtalk/README.md lists them)")
}
