package lark

import (
	"strings"
	"testing"

	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"
)

const fuzzBot = "ou_b0000000000000000000000000000b07"

// FuzzParseEvent: any payload is an event, nothing, or an error; an event
// has what the core needs. Seeds: testdata/fuzz/FuzzParseEvent.
func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(`{"schema":"2.0","header":{"event_id":"e1","event_type":"im.message.receive_v1"},"event":{"sender":{"sender_id":{"open_id":"ou_a"},"sender_type":"user"},"message":{"message_id":"om_1","chat_id":"oc_1","chat_type":"group","message_type":"text","content":"{\"text\":\"@_user_1 fault status\"}","mentions":[{"key":"@_user_1","id":{"open_id":"` + fuzzBot + `"}}]}}}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		ev, err := parseEvent(payload, "frame-1", fuzzBot, "fault")
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("a multi-line error: %q", err)
			}
			return
		}
		if ev.Message != nil && ev.Reaction != nil {
			t.Fatalf("both a message and a reaction: %+v", ev)
		}
		if m := ev.Message; m != nil && ((m.Channel == "") == (ev.CardMessage == "") || m.User == "" || m.Text == "" || ev.ID == "") {
			t.Fatalf("a message without its chat, user, text or id: %+v %+v", ev, m)
		}
		if r := ev.Reaction; r != nil && (r.Message == "" || r.User == "" || r.Emoji == "" || ev.ID == "") {
			t.Fatalf("a reaction without its message, user, emoji or id: %+v %+v", ev, r)
		}
		if ev.Message == nil && ev.Reaction == nil && ev.Refuse == "" && ev.ID != "" {
			t.Fatalf("an id for nothing: %+v", ev)
		}
	})
}

// FuzzFrame: any websocket message is a frame or not; split payloads are
// put together without panics, and unfinished ones are bounded.
// Seeds: testdata/fuzz/FuzzFrame.
func FuzzFrame(f *testing.F) {
	fr := larkws.Frame{Method: 1, Service: 7, Payload: []byte(`{"a":1}`), Headers: []larkws.Header{
		{Key: "type", Value: "event"}, {Key: "message_id", Value: "m1"}, {Key: "sum", Value: "2"}, {Key: "seq", Value: "1"}}}
	b, _ := fr.Marshal()
	f.Add(b)
	f.Fuzz(func(t *testing.T, msg []byte) {
		parts := map[string][][]byte{}
		for range 3 { // the same frame thrice: duplicates of a part
			var fr larkws.Frame
			if fr.Unmarshal(msg) != nil {
				return
			}
			hs := larkws.Headers(fr.Headers)
			p, whole := combine(parts, hs.GetString(larkws.HeaderMessageID), hs.GetInt(larkws.HeaderSum), hs.GetInt(larkws.HeaderSeq), fr.Payload)
			if whole && hs.GetInt(larkws.HeaderSum) <= 1 && string(p) != string(fr.Payload) {
				t.Fatal("a whole payload changed")
			}
			if len(parts) > 257 {
				t.Fatalf("%d unfinished splits kept", len(parts))
			}
		}
	})
}
