package lark_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"

	"github.com/warroom/warroom/bot"
)

// TestClickShapes, over the long connection: a click naming only its
// message is in that message's chat; a legacy card callback in a "card"
// frame is a click too; a click on a message Lark does not know is
// answered with an error toast, and the connection goes on.
func TestClickShapes(t *testing.T) {
	t.Parallel()
	f, a, rec := running(t)
	ch, err := a.CreateChannel(t.Context(), "fault-3-shapes")
	require.NoError(t, err)
	id, err := a.Post(t.Context(), ch.ID, bot.Message{Kind: bot.KindKickoff, Text: "Fault #3"})
	require.NoError(t, err)

	noChat := f.ClickEvent("", id, users["carol"], map[string]any{"command": "/fault checkin"})
	require.Equal(t, 200, f.Push(t, noChat, 1).Ack(t).Code)
	rec.Wait(t, 1)

	legacy, _ := json.Marshal(map[string]any{"open_id": users["dave"], "open_message_id": id, "open_chat_id": ch.ID,
		"tenant_key": "tk", "token": "c-legacy-1", "action": map[string]any{"value": map[string]any{"command": "/fault status"}, "tag": "button"}})
	require.Equal(t, 200, f.PushType(t, larkws.MessageTypeCard, legacy, 1).Ack(t).Code)
	rec.Wait(t, 2)
	assert.Equal(t, []bot.Incoming{
		{Channel: ch.ID, User: users["carol"], Text: "/fault checkin"},
		{Channel: ch.ID, User: users["dave"], Text: "/fault status"},
	}, rec.Messages())

	lost := f.Push(t, f.ClickEvent("", "om_nowhere", users["carol"], map[string]any{"command": "/fault checkin"}), 1).Ack(t)
	require.Equal(t, 200, lost.Code)
	var got toast
	require.NoError(t, json.Unmarshal(lost.Data, &got))
	assert.Equal(t, "error", got.Toast.Type)
	require.Equal(t, 200, f.React(t, id, users["erin"], "CheckMark").Code)
	rec.Wait(t, 3)
	assert.Equal(t, []bot.Reaction{{Channel: ch.ID, Message: id, User: users["erin"], Emoji: "✅"}}, rec.Reactions())
	assert.Len(t, rec.Messages(), 2, "the lost click reached nobody")
}
