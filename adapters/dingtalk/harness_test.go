package dingtalk_test

import (
	"context"
	"testing"
	"time"

	"github.com/warroom/warroom/adapters/adaptertest"
	"github.com/warroom/warroom/adapters/dingtalk"
	"github.com/warroom/warroom/adapters/dingtalk/dingtalkfake"
	"github.com/warroom/warroom/bot"
)

// users are the DingTalk userids of the test people.
var users = map[string]string{"alice": "alice01", "bob": "bob02", "carol": "carol03", "dave": "dave04", "erin": "erin05"}

func catalogID(uid string) string {
	for id, u := range users {
		if u == uid {
			return id
		}
	}
	return uid
}

// noSleep is the injected wait: retries and reconnects happen at once.
func noSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

func newAdapter(t testing.TB, f *dingtalkfake.Server, opts ...func(*dingtalk.Config)) *dingtalk.Adapter {
	t.Helper()
	cfg := dingtalk.Config{Settings: dingtalk.Settings{ClientID: f.ClientID, ClientSecret: f.ClientSecret, TemplateID: f.Template,
		CardTemplateID: f.CardTemplate, Owner: f.Owner, APIURL: f.URL, OAPIURL: f.URL}, Sleep: noSleep}
	for _, o := range opts {
		o(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := dingtalk.New(ctx, cfg)
	if err != nil {
		t.Fatalf("dingtalk.New: %v", err)
	}
	t.Cleanup(a.Close)
	return a
}

type harness struct {
	f   *dingtalkfake.Server
	a   *dingtalk.Adapter
	rec *adaptertest.Recorder
}

func newHarness(t *testing.T) adaptertest.Harness {
	f := dingtalkfake.New(t)
	return &harness{f: f, a: newAdapter(t, f)}
}

func (h *harness) Adapter() bot.Adapter { return h.a }

func (h *harness) Person(id string) bot.Person {
	return bot.Person{ID: id, Accounts: map[string]string{"dingtalk": users[id]}}
}

func (h *harness) Start(ctx context.Context, hd bot.Handler) <-chan error {
	h.rec = &adaptertest.Recorder{Then: hd}
	done := make(chan error, 1)
	go func() { done <- h.a.Run(ctx, h.rec) }()
	return done
}

// Say pushes a robot message over the stream and waits for its handling
// and its ack.
func (h *harness) Say(t *testing.T, ch, person, text string) {
	n := h.rec.Count()
	id := h.f.Say(t, ch, users[person], text)
	h.rec.Wait(t, n+1)
	h.f.WaitAck(t, id)
}

// React: DingTalk has no reaction events, so a ✅ on the kickoff is a click
// on the kickoff card's check-in button, which the adapter must have put
// there; the handler must get it as a ✅ reaction to the kickoff.
func (h *harness) React(t *testing.T, ch, msg, person, emoji string) {
	if emoji != "white_check_mark" && emoji != "✅" {
		t.Fatalf("DingTalk checks in by a button, not by %q", emoji)
	}
	card, ok := h.f.Card(msg)
	if !ok {
		t.Fatalf("no card %s in %s", msg, ch)
	}
	b, ok := dingtalkfake.CheckinButton(card)
	if !ok {
		t.Fatalf("the kickoff card has no check-in button: %+v", card.Buttons)
	}
	n := h.rec.Count()
	id := h.f.Click(t, msg, users[person], b)
	h.rec.Wait(t, n+1)
	h.f.WaitAck(t, id)
}

func (h *harness) Members(_ *testing.T, ch string) []string {
	var out []string
	for _, u := range h.f.Members(ch) {
		out = append(out, catalogID(u))
	}
	return out
}

func (h *harness) Posts(_ *testing.T, ch string) []string {
	var out []string
	for _, m := range h.f.Messages(ch) {
		out = append(out, m.Text)
	}
	return out
}

func (h *harness) DMs(_ *testing.T, person string) []string {
	var out []string
	for _, m := range h.f.DMs(users[person]) {
		out = append(out, m.Text)
	}
	return out
}

func TestContract(t *testing.T) {
	t.Parallel()
	adaptertest.Run(t, newHarness)
}
