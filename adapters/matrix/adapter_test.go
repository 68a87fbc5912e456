package matrix_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warroom/warroom/adapters/adaptertest"
	"github.com/warroom/warroom/adapters/matrix"
	"github.com/warroom/warroom/adapters/matrix/matrixfake"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store/memstore"
)

func run(t *testing.T, a *matrix.Adapter, h bot.Handler) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, h) }()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		}
	}
	t.Cleanup(stop)
	return stop
}

func TestTokenRejected(t *testing.T) {
	t.Parallel()
	f := matrixfake.New(t)
	_, err := matrix.New(t.Context(), matrix.Config{Homeserver: f.URL, User: f.Bot, Token: "syt_wrong"})
	if err == nil || !strings.HasPrefix(err.Error(), "matrix.token is rejected by "+f.URL+" (M_UNKNOWN_TOKEN") {
		t.Fatalf("New with a wrong token: %v, want an error naming matrix.token", err)
	}
	_, err = matrix.New(t.Context(), matrix.Config{Homeserver: f.URL, User: "@other:fake.test", Token: f.Token})
	if err == nil || !strings.Contains(err.Error(), "but matrix.user is @other:fake.test") {
		t.Fatalf("New with another user's token: %v", err)
	}
}

// A restart syncs from the stored next_batch: what was handled is not
// handed on again, and what came while it was down is.
func TestRestartResumesSync(t *testing.T) {
	t.Parallel()
	f := matrixfake.New(t)
	file := filepath.Join(t.TempDir(), "matrix.sync")
	opt := func(c *matrix.Config) { c.SyncFile = file }
	f.Say("!nowhere", "@x:fake.test", "before the bot") // no such room: ignored by the fake
	a := newAdapter(t, f, opt)
	ch, err := a.CreateChannel(t.Context(), "fault-1-x")
	if err != nil {
		t.Fatal(err)
	}
	f.Say(ch.ID, f.User("alice"), "history before the first Run")
	rec := &adaptertest.Recorder{}
	stop := run(t, a, rec)
	f.Say(ch.ID, f.User("alice"), "one")
	rec.Wait(t, 2)
	stop()
	f.Say(ch.ID, f.User("alice"), "two, while it was down")

	rec2 := &adaptertest.Recorder{}
	run(t, newAdapter(t, f, opt), rec2)
	f.Say(ch.ID, f.User("alice"), "three")
	rec2.Wait(t, 2)
	var got []string
	for _, m := range rec2.Messages() {
		got = append(got, m.Text)
	}
	slices.Sort(got) // a handler that keeps nothing (bot.Keeper) gets them side by side
	if want := []string{"three", "two, while it was down"}; !slices.Equal(got, want) {
		t.Fatalf("after the restart the handler got %q, want %q", got, want)
	}
}

// On a first start, history is not replayed: New takes the server's
// position.
func TestFirstStartSkipsHistory(t *testing.T) {
	t.Parallel()
	f := matrixfake.New(t)
	room := f.InviteBot(f.User("alice"), "ops", false)
	f.Say(room, f.User("alice"), "old news")
	a := newAdapter(t, f, func(c *matrix.Config) { c.SyncFile = filepath.Join(t.TempDir(), "s") })
	if rm, _ := f.Room(room); rm.Members[f.Bot] != "join" {
		t.Fatalf("the bot did not join the room it was invited to: %v", rm.Members)
	}
	rec := &adaptertest.Recorder{}
	run(t, a, rec)
	f.Say(room, f.User("alice"), "!fault list")
	rec.Wait(t, 1)
	if got := rec.Messages(); len(got) != 1 || got[0].Text != "/fault list" {
		t.Fatalf("handler got %+v, want only the new /fault list", got)
	}
}

func TestRateLimitWaitsAsAsked(t *testing.T) {
	t.Parallel()
	f := matrixfake.New(t)
	s := &sleeps{}
	a := newAdapter(t, f, func(c *matrix.Config) { c.Sleep = s.sleep })
	ch, err := a.CreateChannel(t.Context(), "fault-2-x")
	if err != nil {
		t.Fatal(err)
	}
	f.RateLimit(1500, 250)
	if _, err := a.Post(t.Context(), ch.ID, bot.Message{Kind: bot.KindReply, Text: "through"}); err != nil {
		t.Fatal(err)
	}
	if got, want := s.all(), []time.Duration{1500 * time.Millisecond, 250 * time.Millisecond}; !slices.Equal(got, want) {
		t.Fatalf("waits = %v, want %v (retry_after_ms)", got, want)
	}
	if got := f.Messages(ch.ID); len(got) != 1 {
		t.Fatalf("posted %d messages, want 1", len(got))
	}
	f.RateLimit(5 * 60 * 1000) // longer than warroom waits
	if _, err := a.Post(t.Context(), ch.ID, bot.Message{Text: "x"}); err == nil || !strings.Contains(err.Error(), "M_LIMIT_EXCEEDED") {
		t.Fatalf("Post under a 5-minute limit: %v, want M_LIMIT_EXCEEDED", err)
	}
}

func TestInviteNamesEachFailure(t *testing.T) {
	t.Parallel()
	f := matrixfake.New(t)
	a := newAdapter(t, f)
	ch, _ := a.CreateChannel(t.Context(), "fault-3-x")
	f.Forbid(f.User("bob"))
	f.Forbid(f.User("carol"))
	var people []bot.Person
	for _, n := range []string{"alice", "bob", "carol", "dave"} {
		people = append(people, bot.Person{ID: n, Accounts: map[string]string{"matrix": f.User(n)}})
	}
	people = append(people, bot.Person{ID: "erin"}) // not on Matrix: not invited
	err := a.Invite(t.Context(), ch.ID, people)
	var ie *bot.InviteError
	if !errors.As(err, &ie) || len(ie.Failed) != 2 || ie.Failed["bob"] == nil || ie.Failed["carol"] == nil ||
		!strings.Contains(ie.Failed["bob"].Error(), "M_FORBIDDEN: "+f.User("bob")) {
		t.Fatalf("Invite: %v, want bob's and carol's failures named, by person", err)
	}
	if got := f.Members(ch.ID); !slices.Equal(got, []string{f.User("alice"), f.User("dave"), f.Bot}) {
		t.Fatalf("members = %v, want alice and dave invited all the same", got)
	}
}

func TestPostHTML(t *testing.T) {
	t.Parallel()
	f := matrixfake.New(t)
	a := newAdapter(t, f)
	ch, _ := a.CreateChannel(t.Context(), "fault-4-x")
	bob := a.Mention(bot.Person{ID: "bob", Accounts: map[string]string{"matrix": f.User("bob")}})
	text := "Fault #4 (P2): <Checkout> 5xx\nCommander: " + bob + "\nBridge: https://meet.example.com/f4"
	if _, err := a.Post(t.Context(), ch.ID, bot.Message{Kind: bot.KindKickoff, Title: "Fault #4 (P2): <Checkout> 5xx", Text: text}); err != nil {
		t.Fatal(err)
	}
	m := f.Messages(ch.ID)[0]
	want := `<strong>Fault #4 (P2): &lt;Checkout&gt; 5xx</strong><br>Commander: <a href="https://matrix.to/#/@bob:fake.test">@bob:fake.test</a><br>` +
		`Bridge: <a href="https://meet.example.com/f4">https://meet.example.com/f4</a>`
	if m.Body() != text || m.Content["formatted_body"] != want || m.Content["msgtype"] != "m.text" {
		t.Fatalf("content = %+v\nwant formatted_body %s", m.Content, want)
	}
	if men, _ := m.Content["m.mentions"].(map[string]any); men == nil || !slices.Equal(men["user_ids"].([]any), []any{f.User("bob")}) {
		t.Fatalf("m.mentions = %v, want bob", m.Content["m.mentions"])
	}
}

// replier answers every message with a reply, as the core does.
type replier struct {
	a *matrix.Adapter
	adaptertest.Recorder
}

func (r *replier) HandleMessage(ctx context.Context, m bot.Incoming) {
	r.a.Post(ctx, m.Channel, bot.Message{Kind: bot.KindReply, Text: "ok"})
	r.Recorder.HandleMessage(ctx, m)
}

func TestAnswersReplyToTheCommand(t *testing.T) {
	t.Parallel()
	f := matrixfake.New(t)
	a := newAdapter(t, f)
	ch, _ := a.CreateChannel(t.Context(), "fault-5-x")
	r := &replier{a: a}
	run(t, a, r)
	cmd := f.Say(ch.ID, f.User("alice"), "!fault status")
	r.Wait(t, 1)
	got := f.Messages(ch.ID)
	rel, _ := got[len(got)-1].Content["m.relates_to"].(map[string]any)
	if inr, _ := rel["m.in_reply_to"].(map[string]any); inr == nil || inr["event_id"] != cmd {
		t.Fatalf("answer's m.relates_to = %v, want a reply to %s", rel, cmd)
	}
}

func TestDMReusesTheDirectRoom(t *testing.T) {
	t.Parallel()
	f := matrixfake.New(t)
	alice := bot.Person{ID: "alice", Accounts: map[string]string{"matrix": f.User("alice")}}
	for i, a := range []*matrix.Adapter{newAdapter(t, f), newAdapter(t, f)} { // the second: after a restart
		for range 2 {
			if err := a.DM(t.Context(), alice, bot.Message{Kind: bot.KindNotice, Text: "hello"}); err != nil {
				t.Fatal(err)
			}
		}
		if n := f.DirectRooms(f.User("alice")); n != 1 {
			t.Fatalf("adapter %d: %d direct rooms with alice, want 1", i+1, n)
		}
	}
	if got := f.DMs(f.User("alice")); len(got) != 4 {
		t.Fatalf("alice got %d DMs, want 4", len(got))
	}
	if err := newAdapter(t, f).DM(t.Context(), bot.Person{ID: "erin"}, bot.Message{Text: "x"}); err == nil || !strings.Contains(err.Error(), "erin has no Matrix account") {
		t.Fatalf("DM to someone not on Matrix: %v", err)
	}
}

// More events in a room than a sync answer holds (a long restart): the
// gap is read with /messages, so none is lost.
func TestSyncGapIsRead(t *testing.T) {
	t.Parallel()
	f := matrixfake.New(t)
	file := filepath.Join(t.TempDir(), "matrix.sync")
	a := newAdapter(t, f, func(c *matrix.Config) { c.SyncFile = file })
	ch, _ := a.CreateChannel(t.Context(), "fault-6-x")
	const n = 450 // over two timelines' worth
	for i := range n {
		f.Say(ch.ID, f.User("alice"), fmt.Sprintf("m%03d", i))
	}
	rec := &adaptertest.Recorder{}
	run(t, a, rec)
	rec.Wait(t, n)
	var got []string
	for _, m := range rec.Messages() {
		got = append(got, m.Text)
	}
	slices.Sort(got)
	if len(got) != n || got[0] != "m000" || got[n-1] != fmt.Sprintf("m%03d", n-1) || slices.Compact(got) == nil || len(slices.Compact(got)) != n {
		t.Fatalf("handled %d distinct messages of %d (first %q)", len(slices.Compact(got)), n, got[0])
	}
}

// A token revoked while warroom runs ends Run with an error naming it.
func TestTokenRevokedWhileRunning(t *testing.T) {
	t.Parallel()
	f := matrixfake.New(t)
	a := newAdapter(t, f)
	done := make(chan error, 1)
	go func() { done <- a.Run(t.Context(), &adaptertest.Recorder{}) }()
	f.RevokeToken()
	f.InviteBot(f.User("alice"), "", false) // wakes the long poll; the next one is refused
	select {
	case err := <-done:
		if err == nil || !strings.HasPrefix(err.Error(), "matrix.token was rejected by "+f.URL) {
			t.Fatalf("Run: %v, want an error naming matrix.token", err)
		}
	case <-time.After(adaptertest.Timeout):
		t.Fatal("Run went on with a revoked token")
	}
}

// With the position in warroom's database, a follower that becomes the
// leader syncs from where the last leader stopped, not from where it was
// itself when it started: nothing handled is handed on again.
func TestFailoverSyncsFromTheSharedPosition(t *testing.T) {
	t.Parallel()
	f := matrixfake.New(t)
	db := memstore.New()
	opt := func(c *matrix.Config) { c.State = db }
	leader := newAdapter(t, f, opt)
	follower := newAdapter(t, f, opt) // started beside it, not syncing
	ch, err := leader.CreateChannel(t.Context(), "fault-1-x")
	if err != nil {
		t.Fatal(err)
	}
	rec := &adaptertest.Recorder{}
	stop := run(t, leader, rec)
	f.Say(ch.ID, f.User("alice"), "one")
	rec.Wait(t, 1)
	// The position is stored after the answer's events are handled: wait
	// for the one past "one" (the room's newest event is in it).
	for deadline := time.Now().Add(5 * time.Second); ; {
		b, _ := db.State(t.Context(), "matrix.sync")
		if strings.Contains(string(b), ch.ID) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the leader stored no position past \"one\": %s", b)
		}
		time.Sleep(time.Millisecond) // the position is written by Run's goroutine, which signals nothing
	}
	stop() // the leader dies
	f.Say(ch.ID, f.User("alice"), "two, between leaders")

	rec2 := &adaptertest.Recorder{}
	run(t, follower, rec2)
	f.Say(ch.ID, f.User("alice"), "three")
	rec2.Wait(t, 2)
	var got []string
	for _, m := range rec2.Messages() {
		got = append(got, m.Text)
	}
	slices.Sort(got)
	if want := []string{"three", "two, between leaders"}; !slices.Equal(got, want) {
		t.Fatalf("the new leader got %q, want %q", got, want)
	}
	if b, _ := db.State(t.Context(), "matrix.sync"); !strings.Contains(string(b), "next_batch") {
		t.Fatalf("no position in the database: %q", b)
	}
}
