package lark_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warroom/warroom/adapters/adaptertest"
	"github.com/warroom/warroom/adapters/lark"
	"github.com/warroom/warroom/adapters/lark/larkfake"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store"
)

func catalog() *bot.Catalog {
	return &bot.Catalog{
		People: map[string]bot.Person{"alice": person("alice"), "bob": person("bob"), "dave": person("dave"), "erin": person("erin"),
			"carol": {ID: "carol", Phone: "+15550102"}}, // not on Lark
		Services: map[string]bot.Service{
			"checkout": {Name: "checkout", Contacts: []string{"alice", "bob"}, Stability: "bob"},
		},
		Duty: bot.Duty{Rotation: bot.Weekly, Start: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC), People: []string{"dave"}},
		Levels: map[bot.Level]bot.LevelPolicy{
			bot.P1: {Commander: "duty", CheckinWithin: 5 * time.Minute},
			bot.P2: {Commander: "duty", CheckinWithin: 10 * time.Minute},
			bot.P3: {Commander: "stability", CheckinWithin: 30 * time.Minute},
			bot.P4: {Commander: "stability", CheckinWithin: 2 * time.Hour},
		},
	}
}

// world is the real core (and an SQLite store) on the Lark adapter
// against the fake.
type world struct {
	t   *testing.T
	f   *larkfake.Server
	a   *lark.Adapter
	b   *bot.Bot
	rec *adaptertest.Recorder
	n   int // events handled so far
}

func newWorld(t *testing.T) *world {
	f := larkfake.New(t)
	clock := bot.NewFakeClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	a := newAdapter(t, f, func(c *lark.Config) { c.Clock = clock })
	st, err := store.Open(filepath.Join(t.TempDir(), "warroom.db"), clock)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(st, a, clock, catalog(), bot.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, f: f, a: a, b: b, rec: &adaptertest.Recorder{Then: b}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, w.rec) }()
	t.Cleanup(func() { cancel(); <-done; b.Wait(); st.Close() })
	f.WaitConnected(t)
	return w
}

// settle waits until the events pushed so far are handled and background
// work (topic, pin, DMs) is done; every push must have been answered 200.
func (w *world) settle(ack larkfake.Ack) {
	w.t.Helper()
	if ack.Code != 200 {
		w.t.Fatalf("event answered %v, want 200", ack)
	}
	w.n++
	w.rec.Wait(w.t, w.n)
	w.b.Wait()
	w.a.Wait()
}

func texts(ms []larkfake.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Text())
	}
	return out
}

func containing(ms []string, s string) bool {
	return slices.ContainsFunc(ms, func(m string) bool { return strings.Contains(m, s) })
}

// TestScenario: declare in a general chat by @mentioning the bot, a
// private war room with everyone on Lark in it, a kickoff card pinned,
// check-in by ✅ and by the card's button, an approval card approved by
// its button and the run, a typed update, a role by mention, resolve, and
// the summary card.
func TestScenario(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	f := w.f
	general := f.AddChat("general")
	me := larkfake.Mention{Key: "@_user_1", OpenID: f.BotID, Name: "warroom"}
	w.settle(f.Say(t, general, users["erin"], "@_user_1 fault declare P2 Checkout API 5xx service=checkout", me))

	var room larkfake.Chat
	for _, c := range f.Chats() {
		if c.Name == "fault-1-checkout-api-5xx" {
			room = c
		}
	}
	if room.ID == "" || room.Type != "private" {
		t.Fatalf("no private war room fault-1-checkout-api-5xx in %+v; the general chat has %q", f.Chats(), texts(f.Messages(general)))
	}
	var members []string
	for _, u := range room.Members {
		members = append(members, catalogID(u))
	}
	slices.Sort(members)
	if !slices.Equal(members, []string{"alice", "bob", "dave", "erin"}) {
		t.Errorf("war room members = %v, want alice, bob, dave, erin (carol is not on Lark)", members)
	}
	if !strings.Contains(room.Description, "Checkout API 5xx") {
		t.Errorf("war room description (the topic) = %q", room.Description)
	}
	msgs := f.Messages(room.ID)
	if len(msgs) != 1 || msgs[0].MsgType != "interactive" || !strings.Contains(msgs[0].Content, "Checkout API 5xx") {
		t.Fatalf("war room messages = %+v, want the kickoff card", msgs)
	}
	kickoff := msgs[0]
	if b := kickoff.Buttons(); len(b) == 0 || b[0].Command != "/fault checkin" {
		t.Errorf("kickoff buttons = %+v, want the check-in button first", b)
	}
	if !slices.Contains(f.Pins(), kickoff.ID) {
		t.Errorf("pins = %v, want the kickoff", f.Pins())
	}
	if g := texts(f.Messages(general)); !containing(g, "declared") {
		t.Errorf("general chat = %q, want the declare's answer", g)
	}

	// ✅ by reaction, and by the kickoff card's button.
	w.settle(f.React(t, kickoff.ID, users["alice"], "DONE"))
	w.settle(f.Click(t, room.ID, kickoff.ID, users["bob"], kickoff.Buttons()[0].Command))
	txt := texts(f.Messages(room.ID))
	for _, who := range []string{"alice", "bob"} {
		if !containing(txt, `<at user_id="`+users[who]+`"></at> checked in`) {
			t.Errorf("war room lacks %s's check-in: %q", who, txt)
		}
	}

	// An approval card, approved by its button.
	plan := &bot.Plan{Name: "failover", Title: "Fail checkout over", Impact: bot.P4, Version: "sha256:000000000000",
		Approval: bot.Approval{Roles: []bot.Role{bot.RoleCommander}, Count: 1},
		Steps:    []bot.Step{{Name: "switch", Script: []string{"failover.sh"}}}}
	w.b.UseRunner(nopRunner{})
	if err := w.b.SetPlans(t.Context(), []*bot.Plan{plan}); err != nil {
		t.Fatal(err)
	}
	w.settle(f.Say(t, room.ID, users["erin"], "/fault run failover"))
	msgs = f.Messages(room.ID)
	card := msgs[len(msgs)-1]
	if !strings.Contains(card.Content, `"template":"orange"`) || len(card.Buttons()) == 0 || !strings.HasPrefix(card.Buttons()[0].Command, "/fault approve") {
		t.Fatalf("after /fault run the last message is %+v, want the approval card", card)
	}
	before := len(msgs)
	w.settle(f.Click(t, room.ID, card.ID, users["dave"], card.Buttons()[0].Command))
	w.b.Wait()
	if txt := texts(f.Messages(room.ID)[before:]); !containing(txt, "approved") || !containing(txt, "run #1 (failover) succeeded") {
		t.Errorf("after dave's click the war room has %q, want the approval and the run", txt)
	}

	// A typed update, a role by mention, resolve.
	w.settle(f.Say(t, room.ID, users["erin"], "/fault update rolled back build 42"))
	w.settle(f.Say(t, room.ID, users["erin"], "/fault role responder @_user_1", larkfake.Mention{Key: "@_user_1", OpenID: users["bob"], Name: "Bob"}))
	w.settle(f.Say(t, room.ID, users["dave"], "/fault resolve fixed"))
	msgs = f.Messages(room.ID)
	txt = texts(msgs)
	for _, want := range []string{"rolled back build 42", `<at user_id="` + users["bob"] + `"></at> is now responder`} {
		if !containing(txt, want) {
			t.Errorf("war room lacks %q: %q", want, txt)
		}
	}
	summary := msgs[len(msgs)-1]
	if summary.MsgType != "interactive" || !strings.Contains(summary.Content, `"template":"green"`) || !strings.Contains(summary.Text(), "Check-in") {
		t.Errorf("last message = %+v, want the summary card", summary)
	}
	if testing.Verbose() {
		for _, m := range msgs {
			t.Logf("%s %s", m.MsgType, m.Content)
		}
	}
}

// nopRunner ends every step at once, saying so.
type nopRunner struct{}

func (nopRunner) Run(_ context.Context, _ bot.StepRequest, out func(string)) bot.StepResult {
	out("switched\n")
	return bot.StepResult{Status: bot.StepOK, Output: "switched\n"}
}

// TestRedeliveryIsOnce: Lark sends an event again when its answer did not
// arrive; the core keeps it (bot.Keep, in SQLite) before the answer, so the
// command runs once.
func TestRedeliveryIsOnce(t *testing.T) {
	t.Parallel()
	f := larkfake.New(t)
	clock := bot.NewFakeClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	a := newAdapter(t, f, func(c *lark.Config) { c.Clock = clock })
	st, err := store.Open(filepath.Join(t.TempDir(), "warroom.db"), clock)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(st, a, clock, catalog(), bot.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, b) }() // the core itself: a Keeper
	t.Cleanup(func() { cancel(); <-done; b.Wait(); st.Close() })

	general := f.AddChat("general")
	payload := f.MessageEvent(general, "group", users["erin"], "/fault declare P2 Checkout API 5xx service=checkout")
	rooms := func() (n int) {
		a.Wait()
		b.Wait()
		for _, c := range f.Chats() {
			if strings.HasPrefix(c.Name, "fault-") {
				n++
			}
		}
		return n
	}
	for i := range 2 { // the event, then Lark sending it again
		if ack := f.Push(t, payload, 1).Ack(t); ack.Code != 200 {
			t.Fatalf("delivery %d answered %v, want 200", i+1, ack)
		}
		if n := rooms(); n != 1 {
			t.Fatalf("%d war rooms after delivery %d of one declare, want 1: %+v", n, i+1, f.Chats())
		}
	}
}
