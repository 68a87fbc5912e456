package lark_test

import (
	"context"
	"testing"
	"time"

	"github.com/warroom/warroom/adapters/adaptertest"
	"github.com/warroom/warroom/adapters/lark"
	"github.com/warroom/warroom/adapters/lark/larkfake"
	"github.com/warroom/warroom/bot"
)

// users are the open_ids of the test people.
var users = map[string]string{
	"alice": "ou_a11ce000000000000000000000000001", "bob": "ou_b0b00000000000000000000000000002",
	"carol": "ou_ca401000000000000000000000000003", "dave": "ou_da4e0000000000000000000000000004",
	"erin": "ou_e4140000000000000000000000000005",
}

func catalogID(uid string) string {
	for id, u := range users {
		if u == uid {
			return id
		}
	}
	return uid
}

func person(id string) bot.Person {
	return bot.Person{ID: id, Accounts: map[string]string{"lark": users[id]}}
}

// noSleep: backoffs return at once.
func noSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

func newAdapter(t testing.TB, f *larkfake.Server, opts ...func(*lark.Config)) *lark.Adapter {
	t.Helper()
	cfg := lark.Config{AppID: f.AppID, AppSecret: f.AppSecret, APIURL: f.URL, Sleep: noSleep}
	for _, o := range opts {
		o(&cfg)
	}
	a, err := lark.New(cfg)
	if err != nil {
		t.Fatalf("lark.New: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Connect(ctx); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return a
}

type harness struct {
	f   *larkfake.Server
	a   *lark.Adapter
	rec *adaptertest.Recorder
}

func newHarness(t *testing.T) adaptertest.Harness {
	f := larkfake.New(t)
	return &harness{f: f, a: newAdapter(t, f)}
}

func (h *harness) Adapter() bot.Adapter        { return h.a }
func (h *harness) Person(id string) bot.Person { return person(id) }

func (h *harness) Start(ctx context.Context, hd bot.Handler) <-chan error {
	h.rec = &adaptertest.Recorder{Then: hd}
	done := make(chan error, 1)
	go func() { done <- h.a.Run(ctx, h.rec) }()
	return done
}

func (h *harness) Say(t *testing.T, ch, p, text string) {
	n := h.rec.Count()
	if ack := h.f.Say(t, ch, users[p], text); ack.Code != 200 {
		t.Fatalf("message answered %v, want 200", ack)
	}
	h.rec.Wait(t, n+1)
}

func (h *harness) React(t *testing.T, _, msg, p, emoji string) {
	n := h.rec.Count()
	if emoji == "white_check_mark" {
		emoji = "DONE" // Lark's name for ✅
	}
	if ack := h.f.React(t, msg, users[p], emoji); ack.Code != 200 {
		t.Fatalf("reaction answered %v, want 200", ack)
	}
	h.rec.Wait(t, n+1)
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
		out = append(out, m.Text())
	}
	return out
}

func (h *harness) DMs(_ *testing.T, p string) []string {
	var out []string
	for _, m := range h.f.DMs(users[p]) {
		out = append(out, m.Text())
	}
	return out
}

func (h *harness) Topic(_ *testing.T, ch string) string { return h.f.Chat(ch).Description }

func TestContract(t *testing.T) {
	t.Parallel()
	adaptertest.Run(t, newHarness)
}
