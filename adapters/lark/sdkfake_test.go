package lark_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"
	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"

	"github.com/warroom/warroom/adapters/lark/larkfake"
)

// TestFakeSpeaksTheSDKsProtocol: the SDK's own long-connection client, the
// reference for the protocol, connects to larkfake, decodes its message,
// reaction and card-click frames into the SDK's event types, and answers
// them as the adapter does (200; a click's toast in data). The client is
// never closed, nor its connection dropped, nor given a pong's config:
// each races in the SDK (see ws.go, larkfake.BarePongs); all end with the
// test binary.
func TestFakeSpeaksTheSDKsProtocol(t *testing.T) {
	t.Parallel()
	f := larkfake.New(t)
	f.Detach()
	f.BarePongs()
	msgs := make(chan *larkim.P2MessageReceiveV1, 1)
	reacts := make(chan *larkim.P2MessageReactionCreatedV1, 1)
	d := dispatcher.NewEventDispatcher("", "").
		OnP2MessageReceiveV1(func(_ context.Context, e *larkim.P2MessageReceiveV1) error { msgs <- e; return nil }).
		OnP2MessageReactionCreatedV1(func(_ context.Context, e *larkim.P2MessageReactionCreatedV1) error { reacts <- e; return nil }).
		OnP2CardActionTrigger(func(_ context.Context, e *callback.CardActionTriggerEvent) (*callback.CardActionTriggerResponse, error) {
			cmd, _ := e.Event.Action.Value["command"].(string)
			return &callback.CardActionTriggerResponse{Toast: &callback.Toast{Type: "info", Content: cmd}}, nil
		})
	c := larkws.NewClient(f.AppID, f.AppSecret, larkws.WithEventHandler(d), larkws.WithDomain(f.URL),
		larkws.WithLogLevel(larkcore.LogLevelError), larkws.WithAutoReconnect(false))
	go func() { _ = c.Start(context.Background()) }()

	assert.Equal(t, 200, f.Say(t, "oc_1", users["alice"], "/fault status").Code)
	m := <-msgs
	assert.Equal(t, "oc_1", *m.Event.Message.ChatId)
	assert.Equal(t, users["alice"], *m.Event.Sender.SenderId.OpenId)
	assert.JSONEq(t, `{"text":"/fault status"}`, *m.Event.Message.Content)

	assert.Equal(t, 200, f.React(t, "om_1", users["bob"], "DONE").Code)
	r := <-reacts
	assert.Equal(t, "DONE", *r.Event.ReactionType.EmojiType)

	ack := f.Click(t, "oc_1", "om_1", users["carol"], "/fault approve 2")
	require.Equal(t, 200, ack.Code)
	assert.JSONEq(t, `{"toast":{"type":"info","content":"/fault approve 2"}}`, string(ack.Data))
}
