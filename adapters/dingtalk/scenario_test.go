package dingtalk_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/adapters/dingtalk"
	"github.com/warroom/warroom/adapters/dingtalk/dingtalkfake"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store"
)

func catalog() *bot.Catalog {
	p := func(id string) bot.Person {
		return bot.Person{ID: id, Accounts: map[string]string{"dingtalk": users[id]}}
	}
	return &bot.Catalog{
		People: map[string]bot.Person{"alice": p("alice"), "bob": p("bob"), "dave": p("dave"), "erin": p("erin"),
			"carol": {ID: "carol", Phone: "+15550102"}}, // not on DingTalk
		Services: map[string]bot.Service{"checkout": {Name: "checkout", Contacts: []string{"alice", "bob"}, Stability: "bob"}},
		Duty:     bot.Duty{Rotation: bot.Weekly, Start: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC), People: []string{"dave"}},
		Levels: map[bot.Level]bot.LevelPolicy{
			bot.P1: {Commander: "duty", CheckinWithin: 5 * time.Minute},
			bot.P2: {Commander: "duty", CheckinWithin: 10 * time.Minute},
			bot.P3: {Commander: "stability", CheckinWithin: 30 * time.Minute},
			bot.P4: {Commander: "stability", CheckinWithin: 2 * time.Hour},
		},
	}
}

// world is the real core, on SQLite, on the DingTalk adapter against the
// fake; the bot itself is the handler, so events are kept (and redeliveries
// dropped) in the store's inbox as in production.
type world struct {
	t *testing.T
	f *dingtalkfake.Server
	a *dingtalk.Adapter
	b *bot.Bot
}

func newWorld(t *testing.T, opts ...func(*dingtalk.Config)) *world {
	f := dingtalkfake.New(t)
	clock := bot.NewFakeClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	cat := catalog()
	a := newAdapter(t, f, append([]func(*dingtalk.Config){func(c *dingtalk.Config) { c.Clock = clock; c.Catalog = cat }}, opts...)...)
	st, err := store.Open(filepath.Join(t.TempDir(), "warroom.db"), clock)
	require.NoError(t, err)
	b, err := bot.New(st, a, clock, cat, bot.Options{}, nil)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, b) }()
	t.Cleanup(func() { cancel(); <-done; b.Wait(); st.Close() })
	f.WaitConnected(t, 1)
	return &world{t: t, f: f, a: a, b: b}
}

// say types a command and waits until it is acknowledged and its answers
// in cid number n.
func (w *world) say(cid, who, text string, n int, at ...string) []dingtalkfake.Message {
	w.t.Helper()
	id := w.f.Say(w.t, cid, users[who], text, at...)
	w.f.WaitAck(w.t, id)
	w.settle()
	return w.f.WaitMessages(w.t, cid, n)
}

// settle waits until what was acknowledged is handled, and the core's
// background work (invites, topic) is done.
func (w *world) settle() {
	w.a.Wait()
	w.b.Wait()
}

func TestScenario(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	f := w.f
	general := f.AddGroup("general", users["erin"])

	// Declare by a typed robot message in a group.
	w.say(general, "erin", "/fault declare P2 Checkout API 5xx service=checkout", 1)
	gs := f.Groups()
	require.Len(t, gs, 2)
	room := gs[1]
	assert.Equal(t, "fault-1-checkout-api-5xx", room.Title)
	assert.Equal(t, f.Template, room.Template)
	slices.Sort(room.Members)
	assert.Equal(t, []string{users["alice"], users["bob"], users["dave"], users["erin"], f.Owner}, room.Members)
	if r := f.Messages(general); assert.Len(t, r, 1) {
		assert.Contains(t, r[0].Text, "declared")
	}
	msgs := f.WaitMessages(t, room.ID, 1)
	kick := msgs[0]
	assert.True(t, kick.Card)
	assert.Equal(t, "kickoff", kick.Kind)
	assert.Contains(t, kick.Title, "Checkout API 5xx")
	assert.Contains(t, kick.AtUserIDs, users["dave"], "the commander is @-mentioned for real")
	checkin, ok := dingtalkfake.CheckinButton(kick)
	require.True(t, ok, "the kickoff card has a check-in button: %+v", kick.Buttons)
	assert.Contains(t, kick.Text, "press ✅ Check in on this card", "not \"react\": DingTalk has no reactions")

	// ✅ by the card's button; a second click and a redelivered frame
	// change nothing.
	id := f.Click(t, kick.ID, users["alice"], checkin)
	f.WaitAck(t, id)
	msgs = f.WaitMessages(t, room.ID, 2)
	w.settle()
	assert.Contains(t, msgs[1].Text, "@"+users["alice"]+" checked in")
	assert.Equal(t, []string{users["alice"]}, msgs[1].AtUserIDs)
	f.WaitAck(t, f.Click(t, kick.ID, users["alice"], checkin))
	f.Redeliver(t, id)
	f.WaitAck(t, id)
	w.settle()

	// Typed commands in the war room; a redelivered one is done once.
	// A real mention: "@Bob Li" in the text, bob02 in atUsers.
	msgs = w.say(room.ID, "erin", "/fault role responder @Bob", 3, users["bob"])
	assert.Contains(t, msgs[2].Text, "@"+users["bob"]+" is now responder")
	upd := f.Say(t, room.ID, users["erin"], "/fault update rolled back build 42")
	f.WaitAck(t, upd)
	msgs = f.WaitMessages(t, room.ID, 4)
	w.settle()
	f.Redeliver(t, upd)
	f.WaitAck(t, upd)
	w.settle()
	assert.Contains(t, msgs[3].Text, "update #1 from @"+users["erin"]+": rolled back build 42")

	msgs = w.say(room.ID, "dave", "/fault resolve fixed", 5)
	w.settle()
	msgs = f.Messages(room.ID)
	summary := msgs[len(msgs)-1]
	assert.True(t, summary.Card)
	assert.Equal(t, "summary", summary.Kind)
	assert.Contains(t, summary.Text, "Check-in rate")
	var texts []string
	for _, m := range msgs {
		texts = append(texts, m.Text)
	}
	assert.Equal(t, 1, countContaining(texts, "checked in ("), "one check-in, however often clicked or redelivered: %q", texts)
	assert.Equal(t, 1, countContaining(texts, "update #1"), "%q", texts)
	assert.Equal(t, 0, countContaining(texts, "update #2"), "%q", texts)
}

func countContaining(xs []string, sub string) int {
	n := 0
	for _, x := range xs {
		if strings.Contains(x, sub) {
			n++
		}
	}
	return n
}
