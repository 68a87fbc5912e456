package lark_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"

	"github.com/warroom/warroom/adapters/lark/larkfake"
	"github.com/warroom/warroom/bot"
)

// TestWireFormats: every REST call is the method, path, query and body
// Lark's API reference gives (im/v1 chat create, chat members create,
// message create, chat update, pin create, chat list), whatever larkfake
// would also take.
func TestWireFormats(t *testing.T) {
	t.Parallel()
	f := larkfake.New(t)
	a := newAdapter(t, f)
	ch, err := a.CreateChannel(t.Context(), "fault-6-wire")
	require.NoError(t, err)
	require.NoError(t, a.Invite(t.Context(), ch.ID, []bot.Person{person("alice")}))
	id, err := a.Post(t.Context(), ch.ID, bot.Message{Kind: bot.KindKickoff, Text: "Fault #6"})
	require.NoError(t, err)
	require.NoError(t, a.DM(t.Context(), person("bob"), bot.Message{Text: "hi"}))
	require.NoError(t, a.SetTopic(t.Context(), ch.ID, "P1 checkout"))
	require.NoError(t, a.Pin(t.Context(), ch.ID, id))

	want := []struct {
		method, path string
		query        url.Values
		body         []string // the body's keys, sorted
	}{
		{"GET", "/open-apis/bot/v3/info", url.Values{}, nil},
		{"GET", "/open-apis/im/v1/chats", url.Values{"page_size": {"100"}}, nil},
		{"POST", "/open-apis/im/v1/chats", url.Values{"user_id_type": {"open_id"}, "set_bot_manager": {"true"}}, []string{"chat_mode", "chat_type", "name"}},
		{"POST", "/open-apis/im/v1/chats/" + ch.ID + "/members", url.Values{"member_id_type": {"open_id"}, "succeed_type": {"1"}}, []string{"id_list"}},
		{"POST", "/open-apis/im/v1/messages", url.Values{"receive_id_type": {"chat_id"}}, []string{"content", "msg_type", "receive_id"}},
		{"POST", "/open-apis/im/v1/messages", url.Values{"receive_id_type": {"open_id"}}, []string{"content", "msg_type", "receive_id"}},
		{"PUT", "/open-apis/im/v1/chats/" + ch.ID, url.Values{}, []string{"description"}},
		{"POST", "/open-apis/im/v1/pins", url.Values{}, []string{"message_id"}},
	}
	calls := f.Calls()
	require.Len(t, calls, len(want))
	for i, w := range want {
		c := calls[i]
		q, err := url.ParseQuery(c.Query)
		require.NoError(t, err)
		assert.Equal(t, w.method+" "+w.path, c.Method+" "+c.Path, "call %d", i)
		assert.Equal(t, w.query, q, "call %d: %s %s", i, c.Method, c.Path)
		var keys []string
		for k := range c.Body {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		assert.Equal(t, w.body, keys, "call %d: %s %s", i, c.Method, c.Path)
	}
	assert.Equal(t, "private", calls[2].Body["chat_type"])
	assert.Equal(t, "group", calls[2].Body["chat_mode"])
	assert.Equal(t, []any{users["alice"]}, calls[3].Body["id_list"])
	assert.Equal(t, "interactive", calls[4].Body["msg_type"])
	var card map[string]any
	require.NoError(t, json.Unmarshal([]byte(calls[4].Body["content"].(string)), &card), "content is a JSON string")
	assert.Contains(t, card, "elements")
	assert.Equal(t, "text", calls[5].Body["msg_type"])
	assert.JSONEq(t, `{"text":"hi"}`, calls[5].Body["content"].(string))
}

// TestAckFrame: an event is answered as the SDK answers it (ws/client.go
// handleDataFrame): the same frame, method, service and headers (type,
// message_id, sum, seq, trace_id) kept, biz_rt added, the payload
// {"code":200,"headers":null,"data":null}.
func TestAckFrame(t *testing.T) {
	t.Parallel()
	f, _, rec := running(t)
	p := f.Push(t, f.MessageEvent("oc_1", "group", users["alice"], "/fault status"), 2)
	ack := p.Ack(t)
	rec.Wait(t, 1)
	fr := ack.Frame
	assert.Equal(t, int32(larkws.FrameTypeData), fr.Method)
	assert.Equal(t, int32(larkfake.ServiceID), fr.Service)
	hs := larkws.Headers(fr.Headers)
	assert.Equal(t, "event", hs.GetString(larkws.HeaderType))
	assert.Equal(t, p.ID, hs.GetString(larkws.HeaderMessageID))
	assert.Equal(t, "2", hs.GetString(larkws.HeaderSum))
	assert.Equal(t, "1", hs.GetString(larkws.HeaderSeq), "the last part's frame, as the SDK's")
	assert.Equal(t, "trace-"+p.ID, hs.GetString(larkws.HeaderTraceID))
	assert.NotEmpty(t, hs.GetString(larkws.HeaderBizRt))
	assert.JSONEq(t, `{"code":200,"headers":null,"data":null}`, string(fr.Payload))
}
