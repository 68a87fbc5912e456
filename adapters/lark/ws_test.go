package lark_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/adapters/adaptertest"
	"github.com/warroom/warroom/adapters/lark"
	"github.com/warroom/warroom/adapters/lark/larkfake"
	"github.com/warroom/warroom/bot"
)

// running starts an adapter on a fresh fake and runs it for the test.
func running(t *testing.T, opts ...func(*lark.Config)) (*larkfake.Server, *lark.Adapter, *adaptertest.Recorder) {
	t.Helper()
	f := larkfake.New(t)
	a := newAdapter(t, f, opts...)
	rec := &adaptertest.Recorder{}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, rec) }()
	t.Cleanup(func() { cancel(); <-done })
	f.WaitConnected(t)
	return f, a, rec
}

type toast struct {
	Toast struct{ Type, Content string } `json:"toast"`
}

// TestCardClick: a button's command is handled as typed in the card's
// chat, and answered with a toast; a button not warroom's is refused with
// one, and reaches nobody.
func TestCardClick(t *testing.T) {
	t.Parallel()
	f, a, rec := running(t)
	ch, err := a.CreateChannel(t.Context(), "fault-1-click")
	require.NoError(t, err)
	id, err := a.Post(t.Context(), ch.ID, bot.Message{Kind: bot.KindKickoff, Text: "Fault #1"})
	require.NoError(t, err)

	ack := f.Click(t, ch.ID, id, users["carol"], "/fault checkin")
	require.Equal(t, 200, ack.Code)
	var got toast
	require.NoError(t, json.Unmarshal(ack.Data, &got))
	assert.Equal(t, "info", got.Toast.Type)
	assert.Equal(t, "/fault checkin", got.Toast.Content)
	rec.Wait(t, 1)
	assert.Equal(t, []bot.Incoming{{Channel: ch.ID, User: users["carol"], Text: "/fault checkin"}}, rec.Messages())

	ack = f.Click(t, ch.ID, id, users["carol"], "/other thing")
	require.Equal(t, 200, ack.Code)
	require.NoError(t, json.Unmarshal(ack.Data, &got))
	assert.Equal(t, "error", got.Toast.Type)
	f.Say(t, ch.ID, users["carol"], "/fault status") // handled after the refused click
	rec.Wait(t, 2)
	assert.Len(t, rec.Messages(), 2, "the refused click reached nobody")
}

// TestCommandForms: `/fault x` anywhere; `fault x` in a DM or after the
// bot's mention; other mentions in the core's <@id> form.
func TestCommandForms(t *testing.T) {
	t.Parallel()
	f, _, rec := running(t)
	bot_ := larkfake.Mention{Key: "@_user_1", OpenID: f.BotID, Name: "warroom"}
	bob := larkfake.Mention{Key: "@_user_2", OpenID: users["bob"], Name: "Bob"}
	cases := []struct {
		push []byte
		want string
	}{
		{f.MessageEvent("oc_1", "group", users["alice"], "/fault status"), "/fault status"},
		{f.MessageEvent("oc_1", "group", users["alice"], "@_user_1 fault assign @_user_2", bot_, bob), "/fault assign <@" + users["bob"] + ">"},
		{f.MessageEvent("oc_p2p", "p2p", users["alice"], "Fault list"), "/fault list"},
		{f.MessageEvent("oc_1", "group", users["alice"], "fault is in the db"), "fault is in the db"},
	}
	for i, c := range cases {
		require.Equal(t, 200, f.Push(t, c.push, 1).Ack(t).Code)
		rec.Wait(t, i+1)
		assert.Equal(t, c.want, rec.Messages()[i].Text)
	}
}

// TestReactionLookup: a reaction to a message this process did not post
// (a kickoff from before a restart) finds its chat through Lark; one to a
// message Lark does not know is dropped (said in the log).
func TestReactionLookup(t *testing.T) {
	t.Parallel()
	f, _, rec := running(t)
	other := newAdapter(t, f) // the process before the restart
	ch, err := other.CreateChannel(t.Context(), "fault-2-restart")
	require.NoError(t, err)
	id, err := other.Post(t.Context(), ch.ID, bot.Message{Kind: bot.KindKickoff, Text: "kickoff"})
	require.NoError(t, err)

	require.Equal(t, 200, f.React(t, id, users["dave"], "DONE").Code)
	rec.Wait(t, 1)
	assert.Equal(t, []bot.Reaction{{Channel: ch.ID, Message: id, User: users["dave"], Emoji: "✅"}}, rec.Reactions())

	assert.Equal(t, 200, f.React(t, "om_nowhere", users["dave"], "DONE").Code, "gone for good: not sent again")
	assert.Len(t, rec.Reactions(), 1)
}

// TestReactionLookupSlow: a lookup that does not answer in time is left
// for Lark to send again.
func TestReactionLookupSlow(t *testing.T) {
	t.Parallel()
	f, _, rec := running(t, func(c *lark.Config) { c.AckWithin = 20 * time.Millisecond })
	f.SetLatency(200 * time.Millisecond)
	assert.Equal(t, 500, f.React(t, "om_elsewhere", users["dave"], "DONE").Code)
	assert.Zero(t, rec.Count())
}

// TestSplitAndGarbage: a payload in three frames is one event; frames and
// events that do not parse are answered (Lark would only send them again)
// and the connection goes on.
func TestSplitAndGarbage(t *testing.T) {
	t.Parallel()
	f, _, rec := running(t)
	require.Equal(t, 200, f.Push(t, []byte(`{"schema":"2.0"`), 1).Ack(t).Code)
	require.Equal(t, 200, f.Push(t, []byte(`not json`), 1).Ack(t).Code)
	// A text message that is a valid frame is still not one: skipped.
	fr := larkws.Frame{Method: int32(larkws.FrameTypeData), Payload: f.MessageEvent("oc_1", "group", users["bob"], "/fault as text"),
		Headers: []larkws.Header{{Key: larkws.HeaderType, Value: "event"}, {Key: larkws.HeaderMessageID, Value: "text-1"}}}
	b, _ := fr.Marshal()
	f.Garble(t, websocket.TextMessage, b)
	f.Garble(t, websocket.BinaryMessage, []byte{0xff, 0xff, 0xff})
	require.Equal(t, 200, f.Push(t, f.MessageEvent("oc_1", "group", users["bob"], "/fault split across frames"), 3).Ack(t).Code)
	rec.Wait(t, 1)
	assert.Equal(t, "/fault split across frames", rec.Messages()[0].Text)
}

// TestReconnect: a dropped connection is replaced, and events flow again.
func TestReconnect(t *testing.T) {
	t.Parallel()
	f, _, rec := running(t)
	f.Kick()
	f.WaitDial(t, 2)
	require.Equal(t, 200, f.Say(t, "oc_1", users["erin"], "/fault status").Code)
	rec.Wait(t, 1)
	assert.Equal(t, 2, f.Dials())
}

// TestRefused: Lark refusing the app ends Run with the reason.
func TestRefused(t *testing.T) {
	t.Parallel()
	f := larkfake.New(t)
	a := newAdapter(t, f)
	f.RefuseConnections(1)
	err := a.Run(t.Context(), &adaptertest.Recorder{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "lark refused the long connection (1000040351 app secret invalid): check lark.app_id and lark.app_secret")
}

// failingKeeper cannot store anything.
type failingKeeper struct{ adaptertest.Recorder }

func (*failingKeeper) Keep(context.Context, bot.Inbound) (*bot.Kept, error) {
	return nil, errors.New("database is locked")
}

// TestNotKeptIsNotAcked: an event the store cannot keep is answered 500,
// so that Lark sends it again.
func TestNotKeptIsNotAcked(t *testing.T) {
	t.Parallel()
	f := larkfake.New(t)
	a := newAdapter(t, f)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	h := &failingKeeper{}
	go func() { done <- a.Run(ctx, h) }()
	defer func() { cancel(); <-done }()
	assert.Equal(t, 500, f.Say(t, "oc_1", users["alice"], "/fault status").Code)
	assert.Zero(t, h.Count())
}

// TestPings: the client pings every third of SocketTimeout; Lark's pongs
// keep the connection alive.
func TestPings(t *testing.T) {
	t.Parallel()
	f, _, rec := running(t, func(c *lark.Config) { c.SocketTimeout = 150 * time.Millisecond })
	deadline := time.Now().Add(larkfake.Timeout)
	for f.Pings() < 3 && time.Now().Before(deadline) {
		f.Say(t, "oc_1", users["alice"], "chat") // waits on the ack, no sleep
	}
	assert.GreaterOrEqual(t, f.Pings(), 3)
	assert.Equal(t, 1, f.Dials(), "pongs kept the first connection")
	assert.NotZero(t, rec.Count())
}

// TestBackoff: a busy endpoint is tried again at once, then after 1 s,
// 2 s (the injected sleep), and the connection is made.
func TestBackoff(t *testing.T) {
	t.Parallel()
	f := larkfake.New(t)
	f.Busy(3)
	var mu sync.Mutex
	var waits []time.Duration
	a := newAdapter(t, f, func(c *lark.Config) {
		c.Sleep = func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			waits = append(waits, d)
			mu.Unlock()
			return ctx.Err()
		}
	})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	rec := &adaptertest.Recorder{}
	go func() { done <- a.Run(ctx, rec) }()
	defer func() { cancel(); <-done }()
	require.Equal(t, 200, f.Say(t, "oc_1", users["bob"], "/fault status").Code)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second}, waits)
}

// TestRunAgain: a leader that lost its term and won it back runs the
// adapter again: the connection is opened anew and events flow.
func TestRunAgain(t *testing.T) {
	t.Parallel()
	f := larkfake.New(t)
	a := newAdapter(t, f)
	for term := range 2 {
		ctx, cancel := context.WithCancel(t.Context())
		rec := &adaptertest.Recorder{}
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx, rec) }()
		f.WaitDial(t, term+1)
		require.Equal(t, 200, f.Say(t, "oc_1", users["bob"], "/fault status").Code)
		rec.Wait(t, 1)
		cancel()
		assert.ErrorIs(t, <-done, context.Canceled)
		assert.Equal(t, term+1, f.Dials())
	}
}

// TestHandshakeRefused: a banned app (403) or one past its connection
// limit ends Run; another handshake failure is retried.
func TestHandshakeRefused(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		status, auth int
		want         string
	}{
		{403, 0, "lark refused the long connection (403 app is forbidden)"},
		{514, 1000040350, "lark refused the long connection (514 app is forbidden)"},
	} {
		f := larkfake.New(t)
		a := newAdapter(t, f)
		f.DenyHandshake(c.status, "app is forbidden", c.auth)
		assert.ErrorContains(t, a.Run(t.Context(), &adaptertest.Recorder{}), c.want)
	}
	f := larkfake.New(t)
	var tries atomic.Int32
	a := newAdapter(t, f, func(c *lark.Config) {
		c.Sleep = func(ctx context.Context, _ time.Duration) error {
			if tries.Add(1) == 2 {
				f.DenyHandshake(0, "", 0) // then a handshake that works
			}
			return ctx.Err()
		}
	})
	f.DenyHandshake(514, "auth failed", 1)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, &adaptertest.Recorder{}) }()
	defer func() { cancel(); <-done }()
	f.WaitConnected(t)
	assert.GreaterOrEqual(t, tries.Load(), int32(2))
}

// TestSilentConnection: a connection whose pongs stop is given up after
// SocketTimeout and replaced.
func TestSilentConnection(t *testing.T) {
	t.Parallel()
	f, _, rec := running(t, func(c *lark.Config) { c.SocketTimeout = 150 * time.Millisecond })
	f.Mute()
	f.WaitDial(t, 2)
	require.Equal(t, 200, f.Say(t, "oc_1", users["carol"], "/fault status").Code)
	rec.Wait(t, 1)
}
