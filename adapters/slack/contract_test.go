package slack_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warroom/warroom/adapters/adaptertest"
	wslack "github.com/warroom/warroom/adapters/slack"
	"github.com/warroom/warroom/bot"
)

// sleeper is the adapter's injected Sleep: it records the waits asked for
// and moves the adapter's fake clock instead of sleeping.
type sleeper struct {
	clock *bot.FakeClock
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	s.clock.Advance(d)
	return nil
}

func (s *sleeper) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// env is a fake workspace and an adapter talking to it.
type env struct {
	f      *fake
	a      *wslack.Adapter
	clock  *bot.FakeClock // the adapter's
	sleep  *sleeper
	people map[string]bot.Person
}

func newEnv(t testing.TB, mod func(*wslack.Options)) *env {
	f := newFake(t)
	clock := bot.NewFakeClock(t0)
	s := &sleeper{clock: clock}
	e := &env{f: f, clock: clock, sleep: s, people: map[string]bot.Person{
		"alice": {ID: "alice", Name: "Alice", Email: "alice@example.com", Accounts: map[string]string{"slack": "UALICE"}},
		"bob":   {ID: "bob", Name: "Bob", Email: "bob@example.com", Accounts: map[string]string{"slack": "UBOB"}},
		"carol": {ID: "carol", Name: "Carol", Email: "carol@example.com"}, // found by email
	}}
	f.addUser("UALICE", "alice@example.com")
	f.addUser("UBOB", "bob@example.com")
	f.addUser("UCAROL", "carol@example.com")
	opts := wslack.Options{
		BotToken: "xoxb-test", AppToken: "xapp-test", APIURL: f.url(),
		Clock: clock, Sleep: s.Sleep,
	}
	if mod != nil {
		mod(&opts)
	}
	a, err := wslack.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.a = a
	return e
}

// uidOf is the Slack user id of a catalog person as the fake knows it.
func (e *env) uidOf(id string) string {
	if p := e.people[id]; p.Account("slack") != "" {
		return p.Account("slack")
	}
	return "U" + strings.ToUpper(id)
}

func (e *env) personOf(uid string) string {
	for id := range e.people {
		if e.uidOf(id) == uid {
			return id
		}
	}
	return uid
}

// harness is the adapter contract's view of env.
type harness struct {
	*env
	rec *adaptertest.Recorder
}

func (h *harness) Adapter() bot.Adapter                   { return h.a }
func (h *harness) Person(id string) bot.Person            { return h.people[id] }
func (h *harness) Posts(_ *testing.T, ch string) []string { return h.f.texts(ch) }
func (h *harness) Topic(_ *testing.T, ch string) string   { return h.f.channel(ch).topic }
func (h *harness) DMs(_ *testing.T, id string) []string   { return h.f.dmTexts(h.uidOf(id)) }

func (h *harness) Members(_ *testing.T, ch string) []string {
	var out []string
	for _, uid := range h.f.channel(ch).members {
		out = append(out, h.personOf(uid))
	}
	return out
}

func (h *harness) Start(ctx context.Context, hd bot.Handler) <-chan error {
	h.rec = &adaptertest.Recorder{Then: hd}
	done := make(chan error, 1)
	go func() { done <- h.a.Run(ctx, h.rec) }()
	return done
}

// Say types a slash command, or mentions the bot with anything else.
func (h *harness) Say(t *testing.T, ch, person, text string) {
	n := h.rec.Count()
	var id string
	if strings.HasPrefix(text, "/") {
		id = h.f.slash(t, ch, h.uidOf(person), text)
	} else {
		id = h.f.event(t, nextEventID(), 0, map[string]any{"type": "app_mention", "user": h.uidOf(person),
			"text": "<@UWARROOM> " + text, "channel": ch, "ts": "1700000000.9", "event_ts": "1700000000.9"})
	}
	h.f.waitAck(t, id)
	h.rec.Wait(t, n+1)
}

func (h *harness) React(t *testing.T, ch, msg, person, emoji string) {
	n := h.rec.Count()
	h.f.waitAck(t, h.f.reaction(t, ch, msg, h.uidOf(person), emoji))
	h.rec.Wait(t, n+1)
}

func TestContract(t *testing.T) {
	t.Parallel()
	adaptertest.Run(t, func(t *testing.T) adaptertest.Harness { return &harness{env: newEnv(t, nil)} })
}
