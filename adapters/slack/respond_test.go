package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	wslack "github.com/warroom/warroom/adapters/slack"
	"github.com/warroom/warroom/bot"
)

// handlerFunc is a bot.Handler that runs f on messages.
type handlerFunc func(ctx context.Context, m bot.Incoming)

func (f handlerFunc) HandleMessage(ctx context.Context, m bot.Incoming) { f(ctx, m) }
func (handlerFunc) HandleReaction(context.Context, bot.Reaction)        {}

func vias(rs []fakeReply) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.via)
	}
	return out
}

// A command's answers go through its own response, never behind the
// channel's pacing: the first in the ack, the next five to response_url
// (all Slack takes), then plain paced posts. A kickoff in the channel,
// and a post after the handler returned, are plain posts.
func TestAnswersGoThroughTheCommand(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ch, err := e.a.CreateChannel(t.Context(), "fault-1-answers")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.Post(t.Context(), ch.ID, bot.Message{Kind: bot.KindNotice, Text: "paced"}); err != nil {
		t.Fatal(err)
	}
	var after context.Context
	h := &harness{env: e}
	h.Start(t.Context(), handlerFunc(func(ctx context.Context, m bot.Incoming) {
		for i := 1; i <= 7; i++ {
			if _, err := e.a.Post(ctx, m.Channel, bot.Message{Kind: bot.KindReply, Text: fmt.Sprint("answer ", i)}); err != nil {
				t.Error(err)
			}
		}
		id, err := e.a.Post(ctx, m.Channel, bot.Message{Kind: bot.KindKickoff, Text: "kickoff"})
		if err != nil || !strings.HasPrefix(id, "1700000000.") {
			t.Errorf("kickoff: %q, %v; want a message ts", id, err)
		}
		after = ctx
	}))
	h.Say(t, ch.ID, "alice", "/fault status")
	if _, err := e.a.Post(after, ch.ID, bot.Message{Kind: bot.KindNotice, Text: "later"}); err != nil {
		t.Fatal(err)
	}
	var posted []string
	for _, p := range e.f.channel(ch.ID).posts {
		posted = append(posted, p.text)
	}
	if want := []string{"paced", "answer 7", "kickoff", "later"}; !slices.Equal(posted, want) {
		t.Errorf("posted %q, want %q", posted, want)
	}
	var acked, responded []string
	for _, r := range e.f.answers() {
		if r.channel != ch.ID {
			t.Errorf("an answer in %s: %+v", r.channel, r)
		}
		if r.via == "ack" {
			acked = append(acked, r.text)
		} else {
			responded = append(responded, r.text)
		}
	}
	if !slices.Equal(acked, []string{"answer 1"}) || !slices.Equal(responded, []string{"answer 2", "answer 3", "answer 4", "answer 5", "answer 6"}) {
		t.Errorf("in the ack %q, to response_url %q; want answer 1, then 2 to 6", acked, responded)
	}
	// Only the plain posts waited for the channel's pace.
	if got := e.sleep.Waits(); !slices.Equal(got, []time.Duration{time.Second, time.Second, time.Second}) {
		t.Errorf("waits %v, want a second before each of answer 7, kickoff and later", got)
	}
}

// Commands typed at once, by one person in one channel, each get their
// own answers.
func TestConcurrentCommandsEachGetTheirAnswer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	h := &harness{env: e}
	h.Start(t.Context(), handlerFunc(func(ctx context.Context, m bot.Incoming) {
		for i := range 2 {
			if _, err := e.a.Post(ctx, m.Channel, bot.Message{Kind: bot.KindReply, Text: fmt.Sprintf("%s: %d", m.Text, i)}); err != nil {
				t.Error(err)
			}
		}
	}))
	<-e.f.connected
	const n = 20
	ids := map[string]string{} // envelope → text
	for i := range n {
		text := fmt.Sprint("/fault status ", i)
		ids[e.f.slash(t, "C1", "UALICE", text)] = text
	}
	for id := range ids {
		e.f.waitAck(t, id)
	}
	h.rec.Wait(t, n)
	got := map[string]string{} // answer → via
	for _, r := range e.f.answers() {
		got[r.text] = r.via
		if cmd, _, _ := strings.Cut(r.text, ":"); r.via == "ack" && ids[r.envelope] != cmd {
			t.Errorf("the ack of %q carried %q", ids[r.envelope], r.text)
		}
	}
	for _, text := range ids {
		if got[text+": 0"] != "ack" || got[text+": 1"] != "response_url" {
			t.Errorf("%q answered via %q then %q, want its ack then its response_url", text, got[text+": 0"], got[text+": 1"])
		}
	}
	if len(got) != 2*n {
		t.Errorf("%d answers, want %d", len(got), 2*n)
	}
}

// An ack lost with its connection brings the command again: acknowledged
// with the same answer, not acted on again.
func TestLostAckIsSentAgainWithItsAnswer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	h := &harness{env: e}
	h.Start(t.Context(), handlerFunc(func(ctx context.Context, m bot.Incoming) {
		_, _ = e.a.Post(ctx, m.Channel, bot.Message{Kind: bot.KindReply, Text: "only once"})
	}))
	e.f.waitConn(t, 1)
	e.f.set(func(f *fake) { f.loseAck = true })
	id := e.f.slash(t, "C1", "UBOB", "/fault checkin")
	h.rec.Wait(t, 1)
	e.f.waitConn(t, 2)
	e.f.waitAck(t, id)
	if got := e.f.answers(); len(got) != 1 || got[0].text != "only once" || got[0].via != "ack" {
		t.Fatalf("answers %+v, want one, in the second ack", got)
	}
	if len(h.rec.Messages()) != 1 {
		t.Errorf("handled %d times", len(h.rec.Messages()))
	}
}

// An answer whose ack cannot be written (its connection is gone), or that
// comes after AckWithin, goes to the response_url.
func TestAnswerAfterTheAckGoesToResponseURL(t *testing.T) {
	t.Parallel()
	t.Run("connection gone", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		gone := make(chan struct{})
		h := &harness{env: e}
		h.Start(t.Context(), handlerFunc(func(ctx context.Context, m bot.Incoming) {
			<-gone
			_, _ = e.a.Post(ctx, m.Channel, bot.Message{Kind: bot.KindReply, Text: "late"})
		}))
		e.f.waitConn(t, 1)
		e.f.slash(t, "C1", "UBOB", "/fault status")
		e.f.dropSocket()
		e.f.waitConn(t, 2) // the old connection is closed, and the command sent again
		close(gone)
		h.rec.Wait(t, 1)
		if got := e.f.answers(); len(got) != 1 || got[0].via != "response_url" {
			t.Fatalf("answers %+v, want one, to response_url", got)
		}
	})
	t.Run("too late", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(o *wslack.Options) { o.AckWithin = time.Millisecond })
		h := &harness{env: e}
		acked := make(chan struct{})
		h.Start(t.Context(), handlerFunc(func(ctx context.Context, m bot.Incoming) {
			<-acked
			_, _ = e.a.Post(ctx, m.Channel, bot.Message{Kind: bot.KindReply, Text: "late"})
		}))
		<-e.f.connected
		e.f.waitAck(t, e.f.slash(t, "C1", "UBOB", "/fault status")) // empty, after 1ms
		close(acked)
		h.rec.Wait(t, 1)
		if got := e.f.answers(); len(got) != 1 || got[0].via != "response_url" {
			t.Fatalf("answers %+v, want one, to response_url", got)
		}
	})
}

// A click is answered through its response_url (Slack takes no answer in
// its ack), beside the card clicked.
func TestClickAnsweredThroughResponseURL(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	h := &harness{env: e}
	h.Start(t.Context(), handlerFunc(func(ctx context.Context, m bot.Incoming) {
		_, _ = e.a.Post(ctx, m.Channel, bot.Message{Kind: bot.KindReply, Text: "denied"})
	}))
	id := e.f.push(t, "interactive", map[string]any{"type": "block_actions", "user": map[string]any{"id": "UBOB"},
		"channel": map[string]any{"id": "C1"}, "response_url": e.f.responseURL("C1"),
		"actions": []map[string]any{{"type": "button", "action_id": "warroom_cmd_1", "block_id": "warroom_actions", "value": "/fault deny 3"}}}, 0)
	e.f.waitAck(t, id)
	h.rec.Wait(t, 1)
	if got := e.f.answers(); len(got) != 1 || got[0].via != "response_url" || got[0].text != "denied" {
		t.Fatalf("answers %+v", got)
	}
}

// Over HTTP, the 200 of a slash command carries its first answer; the
// next goes to its response_url.
func TestHTTPCommandAnsweredInItsResponse(t *testing.T) {
	t.Parallel()
	var a *wslack.Adapter
	he := newHTTPEnvWith(t, handlerFunc(func(ctx context.Context, m bot.Incoming) {
		if m.Channel != "C1" {
			return // newHTTPEnv's probe
		}
		for _, text := range []string{"first", "second"} {
			if _, err := a.Post(ctx, m.Channel, bot.Message{Kind: bot.KindReply, Text: text}); err != nil {
				t.Error(err)
			}
		}
	}))
	a = he.a
	body := "command=%2Ffault&text=status&channel_id=C1&user_id=UALICE&response_url=" + url.QueryEscape(he.f.responseURL("C1"))
	req, _ := http.NewRequest(http.MethodPost, he.srv.URL+"/slack/commands", strings.NewReader(body))
	ts, sig := sign(secret, he.clock.Now(), body)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", sig)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var got struct {
		ResponseType string          `json:"response_type"`
		Text         string          `json:"text"`
		Blocks       json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(raw, &got); err != nil || res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" ||
		got.ResponseType != "in_channel" || got.Text != "first" || len(got.Blocks) == 0 {
		t.Fatalf("response %d %q: %s (%v)", res.StatusCode, res.Header.Get("Content-Type"), raw, err)
	}
	he.rec.Wait(t, 2)
	if r := he.f.answers(); len(r) != 1 || r[0].text != "second" || r[0].via != "response_url" {
		t.Fatalf("response_url answers %+v, want second", r)
	}
	if got := he.f.methods(); slices.Contains(got, "chat.postMessage") {
		t.Errorf("calls %v: an answer was posted", got)
	}
}
