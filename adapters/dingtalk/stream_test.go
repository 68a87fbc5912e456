package dingtalk_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/adapters/adaptertest"
	"github.com/warroom/warroom/adapters/dingtalk"
	"github.com/warroom/warroom/adapters/dingtalk/dingtalkfake"
	"github.com/warroom/warroom/bot"
)

// syncBuf is a log sink safe for the adapter's goroutines.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

type running struct {
	f    *dingtalkfake.Server
	a    *dingtalk.Adapter
	rec  *adaptertest.Recorder
	log  *syncBuf
	done chan error
}

func run(t *testing.T, h bot.Handler, opts ...func(*dingtalk.Config)) *running {
	f := dingtalkfake.New(t)
	r := &running{f: f, rec: &adaptertest.Recorder{Then: h}, log: &syncBuf{}, done: make(chan error, 1)}
	opts = append(opts, func(c *dingtalk.Config) { c.Log = slog.New(slog.NewTextHandler(r.log, nil)) })
	r.a = newAdapter(t, f, opts...)
	ctx, cancel := context.WithCancel(context.Background())
	var handler bot.Handler = r.rec
	if _, ok := h.(bot.Keeper); ok {
		handler = h // Keep must reach it; the Recorder would hide it
	}
	go func() { r.done <- r.a.Run(ctx, handler) }()
	t.Cleanup(func() { cancel(); <-r.done })
	f.WaitConnected(t, 1)
	return r
}

func TestStreamHandshakeAndPing(t *testing.T) {
	t.Parallel()
	r := run(t, nil)
	assert.Equal(t, []string{"CALLBACK /v1.0/im/bot/messages/get", "CALLBACK /v1.0/card/instances/callback", "SYSTEM ping", "SYSTEM disconnect"},
		r.f.Subscriptions())
	id := r.f.Ping(t, `{"opaque":"1"}`)
	ack := r.f.WaitAck(t, id)
	assert.Equal(t, dingtalkfake.Ack{Code: 200, Message: "OK", Data: `{"opaque":"1"}`,
		Headers: map[string]string{"messageId": id, "contentType": "application/json"}}, ack)
}

func TestStreamReconnects(t *testing.T) {
	t.Parallel()
	r := run(t, nil)
	id := r.f.Disconnect(t)
	r.f.WaitAck(t, id)
	r.f.WaitConnected(t, 2)
	r.f.Drop()
	r.f.WaitConnected(t, 3)
	msg := r.f.Say(t, "cidG==", "alice01", "/fault status")
	r.rec.Wait(t, 1)
	r.f.WaitAck(t, msg)
	assert.Equal(t, []bot.Incoming{{Channel: "cidG==", User: "alice01", Text: "/fault status"}}, r.rec.Messages())
	assert.Equal(t, 3, r.f.Opens(), "a connections/open per connection")
	assert.Contains(t, r.log.String(), "DingTalk asked to reconnect")
}

func TestStreamSilentConnectionReplaced(t *testing.T) {
	t.Parallel()
	r := run(t, nil, func(c *dingtalk.Config) { c.KeepAlive = 20 * time.Millisecond })
	r.f.Stall()
	r.f.WaitConnected(t, 2) // no pong within 60 ms: a new connection
	id := r.f.Ping(t, "")
	r.f.WaitAck(t, id)
	assert.Contains(t, r.log.String(), "i/o timeout")
}

func TestStreamBadFrames(t *testing.T) {
	t.Parallel()
	r := run(t, nil)
	f := r.f
	f.PushRaw(t, nil, "not a frame at all")
	f.PushRaw(t, nil, map[string]any{"type": "CALLBACK", "headers": map[string]string{"topic": dingtalk.TopicBotMessage}})
	ids := []string{
		f.Push(t, dingtalkfake.Frame{Type: "CALLBACK", Headers: map[string]string{"topic": dingtalk.TopicBotMessage}, Data: "{"}),
		f.Push(t, dingtalkfake.Frame{Type: "CALLBACK", Headers: map[string]string{"topic": dingtalk.TopicBotMessage},
			Data: `{"conversationId":"cidG==","msgtype":"picture","senderStaffId":"alice01"}`}),
		f.Click(t, "someone-elses-card", "alice01", dingtalkfake.Button{ID: "x", Command: "/fault resolve"}),
		f.Click(t, "wr1.Y2lkRz09.abc", "alice01", dingtalkfake.Button{ID: "x", Command: "rm -rf"}),
		f.Push(t, dingtalkfake.Frame{Type: "EVENT", Headers: map[string]string{"topic": "chat_update_title"}, Data: "{}"}),
	}
	good := f.Say(t, "cidG==", "bob02", "/fault help")
	r.rec.Wait(t, 1)
	for _, id := range append(ids, good) {
		f.WaitAck(t, id) // junk is acknowledged, so that it is not sent again
	}
	assert.Equal(t, []bot.Incoming{{Channel: "cidG==", User: "bob02", Text: "/fault help"}}, r.rec.Messages())
	logs := r.log.String()
	for _, want := range []string{"not a stream frame", "a stream frame without a type or a messageId", "a robot message that is not JSON",
		`a robot message of type \"picture\"`, "a click on a card warroom did not make", `command \"rm -rf\" is not warroom's`,
		`a topic warroom does not subscribe to: \"chat_update_title\"`} {
		assert.Contains(t, logs, want)
	}
}

// failingKeeper keeps nothing: the store is down.
type failingKeeper struct{ adaptertest.Recorder }

func (*failingKeeper) Keep(context.Context, bot.Inbound) (*bot.Kept, error) {
	return nil, errors.New("database is locked")
}

func TestStreamUnkeptLeftUnacknowledged(t *testing.T) {
	t.Parallel()
	r := run(t, &failingKeeper{})
	id := r.f.Say(t, "cidG==", "alice01", "/fault declare P1 db down")
	ping := r.f.Ping(t, "")
	r.f.WaitAck(t, ping) // frames are kept in order: the message was tried first
	assert.False(t, r.f.Acked(id), "an event not kept is left for DingTalk to send again")
	assert.Contains(t, r.log.String(), "could not store an event; leaving it unacknowledged")
}

func TestStreamDirectMessage(t *testing.T) {
	t.Parallel()
	r := run(t, nil)
	id := r.f.Say(t, "", "bob02", "/fault help")
	r.rec.Wait(t, 1)
	r.f.WaitAck(t, id)
	in := r.rec.Messages()[0]
	assert.Equal(t, bot.Incoming{Channel: "user:bob02", User: "bob02", Text: "/fault help"}, in)
	_, err := r.a.Post(t.Context(), in.Channel, bot.Message{Kind: bot.KindReply, Text: "the commands are..."})
	require.NoError(t, err)
	dms := r.f.DMs("bob02")
	require.Len(t, dms, 1)
	assert.Equal(t, "the commands are...", dms[0].Text)
}

func TestStreamCardButtonIsACommand(t *testing.T) {
	t.Parallel()
	r := run(t, nil)
	ch, err := r.a.CreateChannel(t.Context(), "fault-7")
	require.NoError(t, err)
	id, err := r.a.Post(t.Context(), ch.ID, bot.Message{Kind: bot.KindApproval, Text: "approve?",
		Buttons: []bot.Button{{Label: "Approve", Command: "/fault approve 2 --yes"}}})
	require.NoError(t, err)
	card, _ := r.f.Card(id)
	ack := r.f.WaitAck(t, r.f.Click(t, id, "carol03", card.Buttons[0]))
	r.rec.Wait(t, 1)
	assert.Equal(t, []bot.Incoming{{Channel: ch.ID, User: "carol03", Text: "/fault approve 2 --yes"}}, r.rec.Messages())
	assert.Equal(t, `{"response":{}}`, ack.Data)
}

func TestStreamRejectedCredentialsStopRun(t *testing.T) {
	t.Parallel()
	f := dingtalkfake.New(t)
	a := newAdapter(t, f)
	f.RotateSecret("rotated")
	done := make(chan error, 1)
	go func() { done <- a.Run(t.Context(), &adaptertest.Recorder{}) }()
	select {
	case err := <-done:
		require.Error(t, err)
		assert.True(t, strings.HasPrefix(err.Error(), "dingtalk.client_id/client_secret were rejected when opening the stream"), err.Error())
	case <-time.After(adaptertest.Timeout):
		t.Fatal("Run did not stop on rejected credentials")
	}
}
