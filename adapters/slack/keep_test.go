package slack_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warroom/warroom/adapters/adaptertest"
	wslack "github.com/warroom/warroom/adapters/slack"
	"github.com/warroom/warroom/bot"
)

// keeper is a bot.Keeper in front of a Recorder: it keeps each id once (as
// the core's inbox does) and refuses everything while refuse is set.
type keeper struct {
	*adaptertest.Recorder
	mu     sync.Mutex
	refuse bool
	kept   []bot.Inbound
	tried  chan string // each id Keep was asked for, buffered
}

func newKeeper() *keeper {
	return &keeper{Recorder: &adaptertest.Recorder{}, tried: make(chan string, 100)}
}

func (k *keeper) Keep(ctx context.Context, ev bot.Inbound) (*bot.Kept, error) {
	k.mu.Lock()
	defer func() { k.mu.Unlock(); k.tried <- ev.ID }()
	if k.refuse {
		return nil, bot.Errorf(bot.EUNAVAILABLE, "the store cannot keep it now (disk I/O error)")
	}
	if slices.ContainsFunc(k.kept, func(o bot.Inbound) bool { return o.ID == ev.ID && ev.ID != "" }) {
		return nil, nil
	}
	k.kept = append(k.kept, ev)
	return bot.Keep(ctx, k.Recorder, ev)
}

func (k *keeper) set(refuse bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.refuse = refuse
}

func (k *keeper) keptIDs() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []string
	for _, ev := range k.kept {
		out = append(out, ev.ID)
	}
	return out
}

// newKeepingHTTPEnv is an Events API adapter running with k as its handler.
func newKeepingHTTPEnv(t *testing.T, k *keeper) *httpEnv {
	e := newEnv(t, func(o *wslack.Options) { o.AppToken, o.SigningSecret = "", secret })
	mux := http.NewServeMux()
	for p, h := range e.a.Routes() {
		mux.Handle(p, h)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	he := &httpEnv{env: e, srv: srv, rec: k.Recorder}
	go func() { _ = e.a.Run(t.Context(), k) }()
	// Run has started once a signed request stops answering 503.
	for deadline := time.Now().Add(adaptertest.Timeout); ; {
		if he.send(t, "/slack/commands", "command=%2Ffault&text=&channel_id=C0&user_id=U0&trigger_id=TR0", e.clock.Now(), secret, nil) == 200 {
			k.Wait(t, 1)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run never started")
		}
	}
	return he
}

// post posts a signed body and returns the status and the body answered.
func (he *httpEnv) post(t *testing.T, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, he.srv.URL+path, strings.NewReader(body))
	ts, sig := sign(secret, he.clock.Now(), body)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", sig)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	got, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(got)
}

// A slash command over HTTP is kept, under its trigger_id, before the 200;
// the same trigger_id again (a replay with a fresh signature) is answered
// and not handled twice. One the store cannot keep in time is answered
// 200 with an ephemeral "nothing was recorded", and not handled: Slack
// never sends a command again, so its user must.
func TestHTTPCommandIsKeptBeforeItsAnswer(t *testing.T) {
	t.Parallel()
	k := newKeeper()
	he := newKeepingHTTPEnv(t, k)
	body := "command=%2Ffault&text=status&channel_id=C1&user_id=UALICE&trigger_id=TR1&response_url=" + he.f.responseURL("C1")
	if code, _ := he.post(t, "/slack/commands", body); code != 200 {
		t.Fatalf("status %d", code)
	}
	k.Wait(t, 2)
	if code, _ := he.post(t, "/slack/commands", body+"&x=1"); code != 200 {
		t.Fatalf("again: status %d", code)
	}
	if got := k.keptIDs(); !slices.Equal(got, []string{"cmd:TR0", "cmd:TR1"}) {
		t.Fatalf("kept %v", got)
	}
	var r struct {
		Channel     string `json:"channel"`
		ResponseURL string `json:"response_url"`
	}
	if err := json.Unmarshal(k.kept[1].Route, &r); err != nil || r.Channel != "C1" || r.ResponseURL != he.f.responseURL("C1") {
		t.Fatalf("route %s: %v", k.kept[1].Route, err)
	}

	k.set(true)
	code, answer := he.post(t, "/slack/commands", strings.ReplaceAll(body, "TR1", "TR2"))
	if code != 200 || !strings.Contains(answer, "Nothing was recorded") || !strings.Contains(answer, "Send it again") ||
		!strings.Contains(answer, `"ephemeral"`) {
		t.Fatalf("refused: %d %s", code, answer)
	}
	k.set(false)
	if code, _ := he.post(t, "/slack/commands", strings.ReplaceAll(body, "TR1", "TR3")); code != 200 {
		t.Fatalf("status %d", code)
	}
	k.Wait(t, 3)
	if got := k.Count(); got != 3 {
		t.Fatalf("handled %d, want 3 (TR0, TR1 once, TR3)", got)
	}
}

// An Events API event the store cannot keep is answered 503, so that Slack
// sends it again; its retry is kept and handled once.
func TestHTTPEventNotKeptIsRetried(t *testing.T) {
	t.Parallel()
	k := newKeeper()
	he := newKeepingHTTPEnv(t, k)
	ev := `{"token":"x","team_id":"T1","api_app_id":"A1","type":"event_callback","event_id":"EvK1","event_time":1,` +
		`"event":{"type":"reaction_added","user":"UBOB","reaction":"white_check_mark","item":{"type":"message","channel":"C1","ts":"1.1"}}}`
	k.set(true)
	if code, _ := he.post(t, "/slack/events", ev); code != http.StatusServiceUnavailable {
		t.Fatalf("refused: status %d, want 503", code)
	}
	k.set(false)
	for range 2 { // Slack's retry, and a second one
		if code, _ := he.post(t, "/slack/events", ev); code != 200 {
			t.Fatalf("retry: status %d", code)
		}
	}
	k.Wait(t, 2)
	if got := k.keptIDs(); !slices.Equal(got, []string{"cmd:TR0", "event:EvK1"}) {
		t.Fatalf("kept %v", got)
	}
	if n := len(k.Reactions()); n != 1 {
		t.Fatalf("%d reactions handled, want 1", n)
	}
}

// A Socket Mode envelope the store cannot keep is left unacknowledged:
// Slack delivers it again (here, on the next connection), and then it is
// kept, acknowledged and handled once.
func TestSocketEnvelopeNotKeptIsNotAcknowledged(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	k := newKeeper()
	go func() { _ = e.a.Run(t.Context(), k) }()
	e.f.waitConn(t, 1)
	k.set(true)
	id := e.f.slash(t, "C1", "UALICE", "/fault status")
	if got := <-k.tried; got != "envelope:"+id {
		t.Fatalf("kept as %q", got)
	}
	k.set(false)
	e.f.dropSocket()
	e.f.waitAck(t, id)
	k.Wait(t, 1)
	if got := e.f.resentIDs(); !slices.Contains(got, id) {
		t.Fatalf("resent %v: the refused envelope was acknowledged", got)
	}
	if got := k.keptIDs(); !slices.Equal(got, []string{"envelope:" + id}) {
		t.Fatalf("kept %v", got)
	}
	if n := k.Count(); n != 1 {
		t.Fatalf("handled %d, want 1", n)
	}
}

// A command kept before a restart is answered through the response_url
// kept with it while Slack takes it, and in its channel after.
func TestResumeAnswersThroughTheKeptResponseURL(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ch := e.f.addChannel("general", false)
	route := json.RawMessage(`{"channel":"` + ch + `","response_url":"` + e.f.responseURL(ch) + `"}`)
	ctx, finish := e.a.Resume(t.Context(), route, e.clock.Now().Add(-time.Minute))
	if _, err := e.a.Post(ctx, ch, bot.Message{Kind: bot.KindReply, Text: "resumed"}); err != nil {
		t.Fatal(err)
	}
	finish()
	if got := e.f.answers(); len(got) != 1 || got[0].text != "resumed" || got[0].via != "response_url" {
		t.Fatalf("answers %+v", got)
	}
	ctx, finish = e.a.Resume(t.Context(), route, e.clock.Now().Add(-time.Hour)) // the response_url is dead
	defer finish()
	if _, err := e.a.Post(ctx, ch, bot.Message{Kind: bot.KindReply, Text: "late"}); err != nil {
		t.Fatal(err)
	}
	if got := e.f.answers(); len(got) != 1 {
		t.Fatalf("answers %+v, want the late one posted in the channel", got)
	}
	if got := e.f.texts(ch); !slices.Contains(got, "late") {
		t.Fatalf("the channel shows %q", got)
	}
}
