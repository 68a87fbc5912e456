package lark

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

func click2(value string, ctx string) []byte {
	return []byte(`{"schema":"2.0","header":{"event_id":"ev_9","event_type":"card.action.trigger"},"event":{"operator":{"open_id":"ou_c","user_id":"u1"},"token":"c-9","action":{"value":` + value + `,"tag":"button"},"context":` + ctx + `}}`)
}

// TestParseLarkShapes: the shapes Lark documents, beyond what larkfake
// sends: both check marks, any case; a 2.0 card's string value; a click
// naming only its message; the legacy (1.0) card callback.
func TestParseLarkShapes(t *testing.T) {
	t.Parallel()
	const chat = `{"open_message_id":"om_k","open_chat_id":"oc_k"}`
	cmd := func(ch, text, id string) inbound {
		return inbound{ID: id, Card: true, Message: &bot.Incoming{Channel: ch, User: "ou_c", Text: text}}
	}
	cases := []struct {
		name    string
		payload string
		want    inbound
	}{
		{"value object", string(click2(`{"command":"/fault checkin"}`, chat)), cmd("oc_k", "/fault checkin", "card:ev_9")},
		{"value string", string(click2(`"/fault checkin"`, chat)), cmd("oc_k", "/fault checkin", "card:ev_9")},
		{"value JSON in a string", string(click2(`"{\"command\":\"/fault status\"}"`, chat)), cmd("oc_k", "/fault status", "card:ev_9")},
		{"value a number", string(click2(`7`, chat)), inbound{Card: true, Refuse: "this button is not warroom's, or is from an older version; type the command instead"}},
		{"message only", string(click2(`{"command":"/fault checkin"}`, `{"open_message_id":"om_k"}`)),
			inbound{ID: "card:ev_9", Card: true, CardMessage: "om_k", Message: &bot.Incoming{User: "ou_c", Text: "/fault checkin"}}},
		{"legacy card", `{"open_id":"ou_c","user_id":"u1","open_message_id":"om_k","open_chat_id":"oc_k","tenant_key":"tk","token":"c-legacy","action":{"value":{"command":"/fault approve 1"},"tag":"button"}}`,
			cmd("oc_k", "/fault approve 1", "card:c-legacy")},
		{"legacy card, no token", `{"open_id":"ou_c","open_message_id":"om_k","open_chat_id":"oc_k","action":{"value":{"command":"/fault approve 1"}}}`,
			cmd("oc_k", "/fault approve 1", "card:frame:f1")},
	}
	for _, e := range []string{"DONE", "CheckMark", "done", "CHECKMARK"} {
		cases = append(cases, struct {
			name    string
			payload string
			want    inbound
		}{"reaction " + e, `{"schema":"2.0","header":{"event_id":"ev_r","event_type":"im.message.reaction.created_v1"},"event":{"message_id":"om_k","reaction_type":{"emoji_type":"` + e + `"},"operator_type":"user","user_id":{"open_id":"ou_c","union_id":"on_1","user_id":"u1"},"action_time":"1"}}`,
			inbound{ID: "reaction:om_k:ou_c:✅", Reaction: &bot.Reaction{Message: "om_k", User: "ou_c", Emoji: "✅"}}})
	}
	for _, c := range cases {
		got, err := parseEvent([]byte(c.payload), "f1", "ou_bot", "fault")
		require.NoError(t, err, c.name)
		assert.Equal(t, c.want, got, c.name)
	}
	_, err := parseEvent([]byte(`{"uuid":"u","event":{"type":"message"},"type":"event_callback"}`), "f1", "ou_bot", "fault")
	assert.ErrorContains(t, err, "not the 2.0 schema", "a 1.0-schema event")
}

// TestRedeliveredClickIsOneID: Lark sends the same click again (same
// event_id, or for a legacy card the same token) on a new frame; the keep
// id is the same, so the core runs it once.
func TestRedeliveredClickIsOneID(t *testing.T) {
	t.Parallel()
	legacy := []byte(`{"open_id":"ou_c","open_chat_id":"oc_k","token":"c-1","action":{"value":{"command":"/fault checkin"}}}`)
	for _, p := range [][]byte{click2(`{"command":"/fault checkin"}`, `{"open_chat_id":"oc_k"}`), legacy} {
		a, err := parseEvent(p, "frame-1", "", "fault")
		require.NoError(t, err)
		b, err := parseEvent(p, "frame-2", "", "fault")
		require.NoError(t, err)
		assert.Equal(t, a.ID, b.ID)
		assert.NotEmpty(t, a.ID)
	}
}

func msgEvent(typ, content string) []byte {
	c, _ := json.Marshal(content)
	return []byte(`{"schema":"2.0","header":{"event_id":"ev_m","event_type":"im.message.receive_v1"},"event":{"sender":{"sender_id":{"open_id":"ou_a","union_id":"on_a","user_id":"u_a"},"sender_type":"user","tenant_key":"tk"},"message":{"message_id":"om_m","root_id":"","parent_id":"","create_time":"1","chat_id":"oc_m","chat_type":"group","message_type":"` + typ + `","content":` + string(c) + `,"mentions":[{"key":"@_user_1","id":{"open_id":"ou_bot","union_id":"on_b","user_id":""},"name":"warroom","tenant_key":"tk"}]}}}`)
}

// TestRichText: a rich-text ("post") message is read as its text, its
// "at" elements as the mentions they key; bare as events send it, or in a
// locale; others are not commands.
func TestRichText(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		`{"title":"","content":[[{"tag":"at","user_id":"@_user_1","user_name":"warroom","style":[]},{"tag":"text","text":" fault update ","style":["bold"]},{"tag":"a","href":"https://x","text":"the graph"}],[{"tag":"text","text":"second line"},{"tag":"img","image_key":"img_1"}]]}`: "/fault update the graph\nsecond line",
		`{"en_us":{"title":"t","content":[[{"tag":"text","text":"/fault status"}]]}}`: "/fault status",
	}
	for content, want := range cases {
		got, err := parseEvent(msgEvent("post", content), "f", "ou_bot", "fault")
		require.NoError(t, err, content)
		require.NotNil(t, got.Message, content)
		assert.Equal(t, want, got.Message.Text)
	}
	_, err := parseEvent(msgEvent("post", `[1,2]`), "f", "ou_bot", "fault")
	assert.ErrorContains(t, err, "rich-text message whose content does not parse")
	got, err := parseEvent(msgEvent("image", `{"image_key":"img_1"}`), "f", "ou_bot", "fault")
	assert.NoError(t, err)
	assert.Nil(t, got.Message)
}
