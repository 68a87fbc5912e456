package matrix

import (
	"encoding/json"
	"testing"

	"github.com/warroom/warroom/bot"
)

func msg(content string) timelineEvent {
	return timelineEvent{Type: "m.room.message", Sender: "@alice:x.org", ID: "$1", Content: json.RawMessage(content)}
}

func TestParseMessages(t *testing.T) {
	t.Parallel()
	p := parser{me: "@warroom:x.org", word: "fault"}
	cases := []struct {
		name, content, want string
	}{
		{"slash as text", `{"msgtype":"m.text","body":"/fault status"}`, "/fault status"},
		{"bang", `{"msgtype":"m.text","body":"!fault update rolled back"}`, "/fault update rolled back"},
		{"bang alone", `{"msgtype":"m.text","body":"!fault"}`, "/fault"},
		{"bang of another word", `{"msgtype":"m.text","body":"!faulty"}`, "!faulty"},
		{"chat", `{"msgtype":"m.text","body":"looking at it"}`, "looking at it"},
		{"bare user id", `{"msgtype":"m.text","body":"!fault role commander @bob:x.org"}`, "/fault role commander <@@bob:x.org>"},
		{"id then a full stop", `{"msgtype":"m.text","body":"ask @bob:x.org."}`, "ask <@@bob:x.org>."},
		{"id with a port", `{"msgtype":"m.text","body":"ask @bob:x.org:8448, please"}`, "ask <@@bob:x.org:8448>, please"},
		{"email is no id", `{"msgtype":"m.text","body":"mail bob@x.org"}`, "mail bob@x.org"},
		{"pill", `{"msgtype":"m.text","body":"!fault role scribe Bob","format":"org.matrix.custom.html",` +
			`"formatted_body":"!fault role scribe <a href=\"https://matrix.to/#/@bob:x.org\">Bob</a>"}`, "/fault role scribe <@@bob:x.org>"},
		{"escaped pill", `{"msgtype":"m.text","body":"x","format":"org.matrix.custom.html",` +
			`"formatted_body":"<a href=\"https://matrix.to/#/%40bob%3Ax.org\">Bob</a> &amp; co"}`, "<@@bob:x.org> & co"},
		{"addressed to the bot", `{"msgtype":"m.text","body":"warroom: !fault status","format":"org.matrix.custom.html",` +
			`"formatted_body":"<a href=\"https://matrix.to/#/@warroom:x.org\">warroom</a>: !fault status"}`, "/fault status"},
		{"reply fallback (HTML)", `{"msgtype":"m.text","body":"> <@bob:x.org> hi\n\n!fault status","format":"org.matrix.custom.html",` +
			`"formatted_body":"<mx-reply><blockquote>hi</blockquote></mx-reply>!fault status","m.relates_to":{"m.in_reply_to":{"event_id":"$0"}}}`, "/fault status"},
		{"reply fallback (plain)", `{"msgtype":"m.text","body":"> <@bob:x.org> hi\n\n!fault status","m.relates_to":{"m.in_reply_to":{"event_id":"$0"}}}`, "/fault status"},
		{"addressed: a verb", `{"msgtype":"m.text","body":"warroom: status","format":"org.matrix.custom.html",` +
			`"formatted_body":"<a href=\"https://matrix.to/#/@warroom:x.org\">warroom</a>: status"}`, "/fault status"},
		{"addressed: the word", `{"msgtype":"m.text","body":"warroom fault update db back","format":"org.matrix.custom.html",` +
			`"formatted_body":"<a href=\"https://matrix.to/#/@warroom:x.org\">warroom</a> fault update db back"}`, "/fault update db back"},
		{"addressed: slash", `{"msgtype":"m.text","body":"@warroom:x.org, /fault roles"}`, "/fault roles"},
		{"addressed alone", `{"msgtype":"m.text","body":"x","format":"org.matrix.custom.html",` +
			`"formatted_body":"<a href=\"https://matrix.to/#/%40warroom%3Ax.org\">warroom</a>"}`, "/fault"},
		{"addressed by a matrix: URI", `{"msgtype":"m.text","body":"x","format":"org.matrix.custom.html",` +
			`"formatted_body":"<a href=\"matrix:u/warroom:x.org?action=chat\">warroom</a>: checkin"}`, "/fault checkin"},
		{"matrix: URI pill", `{"msgtype":"m.text","body":"x","format":"org.matrix.custom.html",` +
			`"formatted_body":"!fault role handler <a href=\"matrix:u/bob:x.org\">Bob</a>"}`, "/fault role handler <@@bob:x.org>"},
		{"another's pill first", `{"msgtype":"m.text","body":"x","format":"org.matrix.custom.html",` +
			`"formatted_body":"<a href=\"https://matrix.to/#/@bob:x.org\">Bob</a>: status?"}`, "<@@bob:x.org>: status?"},
		{"capitalised by a phone", `{"msgtype":"m.text","body":"!Fault checkin"}`, "/fault checkin"},
		{"slash, capitalised", `{"msgtype":"m.text","body":"/Fault checkin"}`, "/fault checkin"},
		{"a word that starts like it", `{"msgtype":"m.text","body":"faulty disk"}`, "faulty disk"},
		{"lines", `{"msgtype":"m.text","body":"a","format":"org.matrix.custom.html","formatted_body":"<p>one</p><p>two<br>three</p>"}`, "one\ntwo\nthree"},
	}
	for _, c := range cases {
		in, ok := p.parse("!r:x.org", msg(c.content))
		if !ok || in.Message == nil {
			t.Errorf("%s: not a message", c.name)
			continue
		}
		if in.Message.Text != c.want || in.Message.User != "@alice:x.org" || in.Message.Channel != "!r:x.org" || in.ID != "event:$1" {
			t.Errorf("%s: got %+v (%s), want text %q", c.name, in.Message, in.ID, c.want)
		}
	}
}

func TestParseCommandWord(t *testing.T) {
	t.Parallel()
	p := parser{me: "@warroom:x.org", word: "incident"}
	in, ok := p.parse("!r", msg(`{"msgtype":"m.text","body":"!incident status"}`))
	if !ok || in.Message.Text != "/incident status" {
		t.Fatalf("got %+v, want /incident status", in.Message)
	}
	in, _ = p.parse("!r", msg(`{"msgtype":"m.text","body":"!fault status"}`))
	if in.Message.Text != "!fault status" {
		t.Fatalf("another word's command became %q", in.Message.Text)
	}
}

func TestParseSkips(t *testing.T) {
	t.Parallel()
	p := parser{me: "@warroom:x.org", word: "fault"}
	skip := map[string]timelineEvent{
		"own":    {Type: "m.room.message", Sender: "@warroom:x.org", ID: "$1", Content: json.RawMessage(`{"msgtype":"m.text","body":"hi"}`)},
		"notice": msg(`{"msgtype":"m.notice","body":"a bot"}`),
		"edit":   msg(`{"msgtype":"m.text","body":"* !fault resolve","m.relates_to":{"rel_type":"m.replace","event_id":"$0"}}`),
		"empty":  msg(`{"msgtype":"m.text","body":"   "}`),
		"bad":    msg(`{"msgtype":"m.text","body":7}`),
		"state":  {Type: "m.room.topic", Sender: "@alice:x.org", ID: "$1", Content: json.RawMessage(`{"topic":"x"}`)},
		"reaction without key": {Type: "m.reaction", Sender: "@alice:x.org", ID: "$1",
			Content: json.RawMessage(`{"m.relates_to":{"rel_type":"m.annotation","event_id":"$0"}}`)},
	}
	for name, ev := range skip {
		if in, ok := p.parse("!r", ev); ok {
			t.Errorf("%s: parsed as %+v", name, in)
		}
	}
}

// Reaction keys come as clients send them; the core compares the form it
// knows (bot.NormalizeEmoji), so each is passed on in that form.
func TestReactionKeys(t *testing.T) {
	t.Parallel()
	for key, want := range map[string]string{
		"✅": "white_check_mark", "✅\uFE0F": "white_check_mark", "✔\uFE0F": "heavy_check_mark", "✔": "heavy_check_mark",
		"☑\uFE0F": "ballot_box_with_check", "☑": "ballot_box_with_check", "👍\U0001F3FD": "+1", "🎉": "🎉",
	} {
		if got := bot.NormalizeEmoji(reactionKey(key)); got != want {
			t.Errorf("%q: the core reads %q, want %q", key, got, want)
		}
	}
}

func TestParseReaction(t *testing.T) {
	t.Parallel()
	p := parser{me: "@warroom:x.org", word: "fault"}
	for _, key := range []string{"✅", "✅\uFE0F"} {
		ev := timelineEvent{Type: "m.reaction", Sender: "@bob:x.org", ID: "$9",
			Content: json.RawMessage(`{"m.relates_to":{"rel_type":"m.annotation","event_id":"$kick","key":"` + key + `"}}`)}
		in, ok := p.parse("!r", ev)
		if !ok || in.Reaction == nil || *in.Reaction != (bot.Reaction{Channel: "!r", Message: "$kick", User: "@bob:x.org", Emoji: "✅"}) {
			t.Errorf("%q: got %+v", key, in.Reaction)
		}
	}
}

// FuzzEvent feeds parse any event content: it never panics, and what it
// returns is a message or a reaction with the event's id and room.
func FuzzEvent(f *testing.F) {
	f.Add("m.room.message", `{"msgtype":"m.text","body":"!fault declare P2 x service=checkout"}`)
	f.Add("m.room.message", `{"msgtype":"m.text","body":"x","format":"org.matrix.custom.html","formatted_body":"<a href=\"https://matrix.to/#/@b:x.org\">B</a><mx-reply><a href=x>"}`)
	f.Add("m.reaction", `{"m.relates_to":{"rel_type":"m.annotation","event_id":"$k","key":"✅"}}`)
	f.Add("m.room.message", `{"msgtype":"m.text","body":"> q\n\n!fault","m.relates_to":{"m.in_reply_to":{}}}`)
	p := parser{me: "@warroom:x.org", word: "fault"}
	f.Fuzz(func(t *testing.T, typ, content string) {
		in, ok := p.parse("!r", timelineEvent{Type: typ, Sender: "@a:x.org", ID: "$e", Content: json.RawMessage(content)})
		if !ok {
			return
		}
		if in.ID != "event:$e" || (in.Message == nil) == (in.Reaction == nil) {
			t.Fatalf("parse gave %+v", in)
		}
		if in.Message != nil && (in.Message.Text == "" || in.Message.Channel != "!r") {
			t.Fatalf("message %+v", in.Message)
		}
	})
}
