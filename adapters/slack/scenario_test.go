package slack_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warroom/warroom/adapters/adaptertest"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store"
)

// allMethods storm, apps.connections.open included.
var allMethods = []string{"auth.test", "apps.connections.open", "conversations.create", "conversations.invite", "conversations.setTopic",
	"conversations.open", "chat.postMessage", "pins.add", "users.lookupByEmail", "users.info"}

// TestScenario runs a whole war room on the fake Slack with the real core,
// every Web API method answering 429 (Retry-After: 2) twice first: slash
// declare from a channel the bot is not in, ✅ check-ins, role, update,
// resolve. It asserts the Web API calls each step made and that nothing
// was lost. The commands' answers come in their acks: no Web API call,
// no pacing.
func TestScenario(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	f := e.f
	f.set(func(f *fake) {
		for _, m := range allMethods {
			f.storm[m] = 2
		}
	})
	db, err := store.Open(t.TempDir()+"/warroom.db", bot.NewFakeClock(t0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	coreClock := bot.NewFakeClock(t0)
	levels := map[bot.Level]bot.LevelPolicy{}
	for _, l := range []bot.Level{bot.P1, bot.P2, bot.P3, bot.P4} {
		levels[l] = bot.LevelPolicy{Commander: bot.CommanderDuty, CheckinWithin: 10 * time.Minute}
	}
	catalog := &bot.Catalog{
		People:   e.people,
		Services: map[string]bot.Service{"checkout": {Name: "checkout", Contacts: []string{"bob", "carol"}}},
		Duty:     bot.Duty{Rotation: bot.Weekly, Start: t0.Add(-time.Hour), People: []string{"alice"}},
		Levels:   levels,
	}
	b, err := bot.New(db, e.a, coreClock, catalog, bot.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := &adaptertest.Recorder{Then: b}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- e.a.Run(ctx, rec) }()

	<-f.connected // auth.test and apps.connections.open are behind us
	seen := 0
	step := func(name string, do func()) []string {
		t.Helper()
		before := len(f.methods())
		do()
		seen++
		rec.Wait(t, seen)
		b.Wait() // topic and pin run in the background
		calls := f.methods()[before:]
		t.Logf("%s: %v", name, calls)
		return calls
	}
	slash := func(user, channel, text string) func() {
		return func() { f.waitAck(t, f.slash(t, channel, user, text)) }
	}

	// Declare from #general, where the bot is not: the answer goes in the
	// command's ack.
	calls := step("declare", slash("UALICE", "CGENERAL", "/fault declare P2 Checkout 5xx service=checkout"))
	room := f.channel("C001")
	if room.name != "fault-1-checkout-5xx" || room.private {
		t.Fatalf("war room = %+v", room)
	}
	wantMulti(t, "declare", calls, map[string]int{
		"conversations.create": 3, "users.lookupByEmail": 3, "conversations.invite": 3,
		"chat.postMessage":       3,                                 // the kickoff (2×429)
		"conversations.setTopic": 3, "pins.add": 3, "users.info": 3, // who alice is: by id, no lookup
	}, "users.info")
	before(t, calls, "conversations.create", "conversations.invite")
	before(t, calls, "conversations.create", "chat.postMessage")
	before(t, calls, "chat.postMessage", "pins.add")
	members := slices.Sorted(slices.Values(room.members))
	if !slices.Equal(members, []string{"UALICE", "UBOB", "UCAROL"}) {
		t.Errorf("members = %v", members)
	}
	if len(room.posts) != 1 || !strings.Contains(room.posts[0].text, "Checkout 5xx") || !strings.Contains(room.posts[0].blocks, `"header"`) {
		t.Fatalf("posts = %+v", room.posts)
	}
	kickoff := room.posts[0].ts
	if !slices.Equal(room.pins, []string{kickoff}) || !strings.Contains(room.topic, "P2 Checkout 5xx") {
		t.Errorf("pins %v topic %q", room.pins, room.topic)
	}
	answers := f.answers()
	if len(answers) != 1 || !strings.Contains(answers[0].text, "declared") || answers[0].channel != "CGENERAL" || answers[0].via != "ack" {
		t.Errorf("answers = %+v, want the declare's, in its ack", answers)
	}

	// ✅ from bob (by Slack id) and carol (known by email since her invite:
	// no users.info).
	calls = step("bob checks in", func() { f.waitAck(t, f.reaction(t, "C001", kickoff, "UBOB", "white_check_mark")) })
	wantMulti(t, "bob checks in", calls, map[string]int{"chat.postMessage": 1})
	calls = step("carol checks in", func() { f.waitAck(t, f.reaction(t, "C001", kickoff, "UCAROL", "white_check_mark")) })
	wantMulti(t, "carol checks in", calls, map[string]int{"chat.postMessage": 1})

	exactly := func(name string, calls []string, want ...string) {
		t.Helper()
		if !slices.Equal(calls, want) {
			t.Errorf("%s: calls %v, want %v", name, calls, want)
		}
	}
	exactly("role", step("role", slash("UALICE", "C001", "/fault role responder <@UBOB>")))
	exactly("update", step("update", slash("UBOB", "C001", "/fault update db failover done")))
	exactly("resolve", step("resolve", slash("UALICE", "C001", "/fault resolve fixed")), "conversations.setTopic")

	texts := f.texts("C001")
	for _, want := range []string{"Checkout 5xx", "UBOB> checked in", "UCAROL> checked in", "responder", "db failover done", "resolved"} {
		if !slices.ContainsFunc(texts, func(s string) bool { return strings.Contains(s, want) }) {
			t.Errorf("no post mentions %q; posts: %q", want, texts)
		}
	}
	answers = f.answers()
	if last := answers[len(answers)-1]; last.via != "ack" || !strings.Contains(last.text, "resolved") || !strings.Contains(last.blocks, `"header"`) {
		t.Errorf("the summary is not resolve's answer in Block Kit: %+v", last)
	}
	// Every 429 was waited out for its Retry-After; pacing asked for at most 1s.
	for _, w := range e.sleep.Waits() {
		if w != 2*time.Second && (w <= 0 || w > time.Second) {
			t.Errorf("unexpected wait %v", w)
		}
	}
	// auth.test, apps.connections.open, create, lookupByEmail, invite,
	// postMessage, setTopic, pins: two 429s each (users.info and
	// conversations.open were never called).
	if n := count(durations(e.sleep.Waits()), "2s"); n != 2*8 {
		t.Errorf("Retry-After waits: %d, want 16: %v", n, e.sleep.Waits())
	}
	cancel()
	if err := <-done; err != nil && err != context.Canceled {
		t.Fatalf("Run = %v", err)
	}
}

func durations(ds []time.Duration) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.String()
	}
	return out
}

func count(xs []string, x string) int {
	n := 0
	for _, y := range xs {
		if y == x {
			n++
		}
	}
	return n
}

// wantMulti checks how many times each method was called; optional
// methods may be absent.
func wantMulti(t *testing.T, step string, calls []string, want map[string]int, optional ...string) {
	t.Helper()
	got := map[string]int{}
	for _, c := range calls {
		got[c]++
	}
	for m, n := range want {
		if slices.Contains(optional, m) && got[m] == 0 {
			continue
		}
		if got[m] != n {
			t.Errorf("%s: %s called %d times, want %d (calls %v)", step, m, got[m], n, calls)
		}
	}
	for m := range got {
		if _, ok := want[m]; !ok {
			t.Errorf("%s: unexpected %s (calls %v)", step, m, calls)
		}
	}
}

// before checks that the first call of a comes before the first of b.
func before(t *testing.T, calls []string, a, b string) {
	t.Helper()
	if i, j := slices.Index(calls, a), slices.Index(calls, b); i < 0 || j < 0 || i > j {
		t.Errorf("%s does not come before %s in %v", a, b, calls)
	}
}
