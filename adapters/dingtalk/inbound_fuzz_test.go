package dingtalk

import (
	"strings"
	"testing"
)

// FuzzInbound feeds arbitrary bytes to the stream's frame parsing: it must
// never panic, and what it accepts is a whole event: a message or a
// reaction, with a channel, a user and an id.
func FuzzInbound(f *testing.F) {
	f.Add([]byte(`{"specVersion":"1.0","type":"CALLBACK","headers":{"topic":"/v1.0/im/bot/messages/get","messageId":"m1"},"data":"{\"conversationId\":\"cid1==\",\"conversationType\":\"2\",\"msgId\":\"x\",\"msgtype\":\"text\",\"senderStaffId\":\"u1\",\"text\":{\"content\":\" /fault status\"}}"}`))
	f.Add([]byte(`{"type":"CALLBACK","headers":{"topic":"/v1.0/card/instances/callback","messageId":"m2"},"data":"{\"outTrackId\":\"wr1.Y2lkMT09.ab\",\"userId\":\"u1\",\"content\":\"{\\\"cardPrivateData\\\":{\\\"actionIds\\\":[\\\"checkin\\\"],\\\"params\\\":{}}}\"}"}`))
	f.Add([]byte(`{"type":"SYSTEM","headers":{"topic":"ping","messageId":"m3"},"data":"{}"}`))
	f.Add([]byte(`{"type":"CALLBACK","headers":{"messageId":"m4"}}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := parseFrame(data)
		if err != nil {
			return
		}
		ev, err := inbound("fault", nil, fr)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("a multi-line error: %q", err)
			}
			return
		}
		if (ev.Message == nil) == (ev.Reaction == nil) || ev.ID == "" {
			t.Fatalf("not one whole event: %+v", ev)
		}
		if m := ev.Message; m != nil && (m.Channel == "" || m.User == "" || m.Text == "") {
			t.Fatalf("a message without a channel, user or text: %+v", m)
		}
		if r := ev.Reaction; r != nil && (r.Channel == "" || r.User == "" || r.Message == "") {
			t.Fatalf("a reaction without a channel, user or message: %+v", r)
		}
	})
}

// FuzzTrackID: a card's outTrackId gives back the group it was made for.
func FuzzTrackID(f *testing.F) {
	f.Add("cidAbC+/=x==", "0011223344556677")
	f.Add("", "x")
	f.Fuzz(func(t *testing.T, ch, unique string) {
		got, err := trackChannel(trackID(ch, unique))
		if ch == "" {
			if err == nil {
				t.Fatalf("an empty channel came back as %q", got)
			}
			return
		}
		if err != nil || got != ch {
			t.Fatalf("trackChannel(trackID(%q)) = %q, %v", ch, got, err)
		}
	})
}

func TestMentions(t *testing.T) {
	t.Parallel()
	known := func(id string) bool { return id == "bob02" }
	cases := []struct {
		text  string
		staff []string
		want  string
	}{
		{"/fault role responder @bob02", nil, "/fault role responder <@bob02>"},
		{"/fault role responder @Bob", []string{"bob02"}, "/fault role responder <@bob02>"},
		{"/fault role responder @alice", nil, "/fault role responder @alice"},
		{"/fault invite @张三 @李四", []string{"zs1", "ls2"}, "/fault invite <@zs1> <@ls2>"},
		{"/fault invite @张三 @alice", []string{"zs1"}, "/fault invite @张三 @alice"}, // two @words, one userid: not guessed
		{"/fault update mail@example.com\nline two  @bob02", nil, "/fault update mail@example.com\nline two  <@bob02>"},
		{"@", nil, "@"},
	}
	for _, c := range cases {
		if got := mentions(c.text, c.staff, known); got != c.want {
			t.Errorf("mentions(%q, %q) = %q, want %q", c.text, c.staff, got, c.want)
		}
	}
}
