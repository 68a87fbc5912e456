package matrix_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/warroom/warroom/adapters/matrix"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store"
)

// TestDendrite walks a fault on a real Dendrite through the real core:
// declared by a message in a room the bot was invited to, the war room
// made and its people invited, bob joins and checks in with ✅, an
// update, resolve, and the summary names bob.
func TestDendrite(t *testing.T) {
	t.Parallel()
	d := startDendrite(t, "warroombot", "alice", "bob", "carol")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	uid := func(name string) string { return "@" + name + ":" + d.server }
	alice, bob, carol := d.client(t, "alice"), d.client(t, "bob"), d.client(t, "carol")

	clock := bot.NewFakeClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	a, err := matrix.New(ctx, matrix.Config{Homeserver: d.url, User: uid("warroombot"), Token: d.tokens["warroombot"],
		SyncFile: filepath.Join(t.TempDir(), "matrix.sync"), SyncTimeout: 5 * time.Second, Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "warroom.db"), clock)
	if err != nil {
		t.Fatal(err)
	}
	person := func(name string) bot.Person {
		return bot.Person{ID: name, Accounts: map[string]string{"matrix": uid(name)}}
	}
	cat := &bot.Catalog{
		People:   map[string]bot.Person{"alice": person("alice"), "bob": person("bob"), "carol": person("carol")},
		Services: map[string]bot.Service{"checkout": {Name: "checkout", Contacts: []string{"bob", "carol"}, Stability: "bob"}},
		Duty:     bot.Duty{Rotation: bot.Weekly, Start: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC), People: []string{"alice"}},
		Levels: map[bot.Level]bot.LevelPolicy{bot.P2: {Commander: "duty", CheckinWithin: 10 * time.Minute,
			Notify: []bot.Recipient{{Kind: bot.RecipientChannel, Name: "status"}, {Kind: bot.RecipientPerson, Name: "carol"}}}},
	}
	b, err := bot.New(st, a, clock, cat, bot.Options{}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	h := &counted{Handler: b, handled: make(chan struct{}, 16)}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx, h) }()
	t.Cleanup(func() { stop(); <-done; b.Wait(); st.Close() })
	settle := func() { // the event sent is handled, and what it started done
		t.Helper()
		select {
		case <-h.handled:
		case <-ctx.Done():
			t.Fatal("the bot did not handle the event within the test's 2 minutes")
		}
		b.Wait()
		a.Wait()
	}

	// alice's #ops, with the bot invited: it joins by itself.
	ops, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "private_chat", Name: "ops", Invite: []id.UserID{id.UserID(uid("warroombot"))}})
	if err != nil {
		t.Fatal(err)
	}
	// carol's #status, for stakeholders: the bot finds it by its alias.
	status, err := carol.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "private_chat", Name: "status", RoomAliasName: "status",
		Invite: []id.UserID{id.UserID(uid("warroombot"))}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct {
		c    *mautrix.Client
		room id.RoomID
	}{{alice, ops.RoomID}, {carol, status.RoomID}} {
		waitFor(t, "the bot to join "+string(r.room), func() bool {
			m, err := r.c.JoinedMembers(ctx, r.room)
			return err == nil && hasMember(m, uid("warroombot"))
		})
	}

	// Declare by message.
	if _, err := alice.SendText(ctx, ops.RoomID, "!fault declare P2 Checkout API 5xx service=checkout"); err != nil {
		t.Fatal(err)
	}
	settle()
	room := waitInvite(t, ctx, bob, "fault-1-checkout-api-5xx")
	if _, err := bob.JoinRoomByID(ctx, room); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.JoinRoomByID(ctx, room); err != nil {
		t.Fatal(err)
	}
	want := []string{uid("alice"), uid("bob"), uid("carol"), uid("warroombot")}
	var in []string
	waitFor(t, "the war room's members", func() bool {
		members, err := alice.Members(ctx, room)
		if err != nil {
			t.Fatal(err)
		}
		in = nil
		for _, ev := range members.Chunk {
			if ms := ev.Content.AsMember().Membership; ms == event.MembershipJoin || ms == event.MembershipInvite {
				in = append(in, ev.GetStateKey())
			}
		}
		slices.Sort(in)
		return slices.Equal(in, want)
	})
	var rules event.JoinRulesEventContent
	if err := alice.StateEvent(ctx, room, event.StateJoinRules, "", &rules); err != nil || rules.JoinRule != event.JoinRuleInvite {
		t.Errorf("join rule = %q (%v), want invite", rules.JoinRule, err)
	}
	var topic event.TopicEventContent
	if err := alice.StateEvent(ctx, room, event.StateTopic, "", &topic); err != nil || !strings.Contains(topic.Topic, "Checkout API 5xx") {
		t.Errorf("topic = %q (%v), want the fault's", topic.Topic, err)
	}
	if err := a.Invite(ctx, string(room), []bot.Person{person("bob")}); err != nil {
		t.Errorf("inviting bob, who is in the room: %v, want no error", err)
	}
	msgs := waitMessages(t, ctx, bob, room, uid("warroombot"), func(m []message) bool { return len(m) > 0 })
	if !strings.Contains(msgs[0].Body, "Checkout API 5xx") || msgs[0].FormattedBody == "" {
		t.Fatalf("war room messages = %+v, want the kickoff first, with HTML", msgs)
	}
	kickoff := msgs[0].ID

	// bob checks in with ✅ on the kickoff.
	if _, err := bob.SendReaction(ctx, room, kickoff, "✅"); err != nil {
		t.Fatal(err)
	}
	settle()
	// An update and resolve, by the commander.
	if _, err := alice.SendText(ctx, room, "!fault update Rolled back the 14:02 deploy; 5xx falling"); err != nil {
		t.Fatal(err)
	}
	settle()
	clock.Advance(20 * time.Minute)
	if _, err := alice.SendText(ctx, room, "!fault resolve"); err != nil {
		t.Fatal(err)
	}
	settle()

	var summary *message
	waitMessages(t, ctx, bob, room, uid("warroombot"), func(msgs []message) bool {
		for i := range msgs {
			if strings.Contains(msgs[i].Body, "resolved") && strings.Contains(msgs[i].Body, "Check-in rate") {
				summary = &msgs[i]
			}
		}
		return summary != nil
	})
	if !strings.Contains(summary.Body, "("+uid("bob")+")") || !strings.Contains(summary.FormattedBody, `href="https://matrix.to/#/`+uid("bob")+`"`) {
		t.Errorf("summary does not name bob, who checked in (a pill in HTML):\n%s\n%s", summary.Body, summary.FormattedBody)
	}
	if !strings.Contains(summary.Body, "not checked in: "+uid("carol")) {
		t.Errorf("summary's check-ins do not name carol, who did not check in:\n%s", summary.Body)
	}
	// carol was told in a direct room, and #status heard.
	dm := directRoom(t, ctx, carol)
	waitMessages(t, ctx, carol, dm, uid("warroombot"), func(m []message) bool { return len(m) > 0 })
	if got := waitMessages(t, ctx, carol, status.RoomID, uid("warroombot"), func(m []message) bool { return len(m) > 0 }); !strings.Contains(got[0].Body, "📣 P2") {
		t.Errorf("#status = %+v, want the declare notice", got)
	}
}

// client is a person's Matrix client (the test's Element).
func (d *dendrite) client(t *testing.T, name string) *mautrix.Client {
	c, err := mautrix.NewClient(d.url, id.UserID("@"+name+":"+d.server), d.tokens[name])
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func hasMember(m *mautrix.RespJoinedMembers, uid string) bool {
	_, ok := m.Joined[id.UserID(uid)]
	return ok
}

// waitFor retries cond, a question to the server, until it holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30 s for %s", what)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		<-ctx.Done() // polling another process
		cancel()
	}
}

// waitInvite syncs as c until it is invited to a room named name.
func waitInvite(t *testing.T, ctx context.Context, c *mautrix.Client, name string) id.RoomID {
	t.Helper()
	since := ""
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := c.FullSyncRequest(ctx, mautrix.ReqSync{Since: since, Timeout: 2000})
		if err != nil {
			t.Fatal(err)
		}
		since = resp.NextBatch
		for room, inv := range resp.Rooms.Invite {
			for _, ev := range inv.State.Events {
				if ev.Type == event.StateRoomName {
					ev.Content.ParseRaw(ev.Type)
					if ev.Content.AsRoomName().Name == name {
						return room
					}
				}
			}
		}
	}
	t.Fatalf("%s was not invited to %s within 30 s", c.UserID, name)
	return ""
}

type message struct {
	ID                  id.EventID
	Body, FormattedBody string
}

// botMessages reads a room's messages from sender, oldest first.
func botMessages(t *testing.T, ctx context.Context, c *mautrix.Client, room id.RoomID, sender string) []message {
	t.Helper()
	resp, err := c.Messages(ctx, room, "", "", mautrix.DirectionBackward, nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []message
	for _, ev := range slices.Backward(resp.Chunk) {
		if ev.Type != event.EventMessage || string(ev.Sender) != sender {
			continue
		}
		ev.Content.ParseRaw(ev.Type)
		m := ev.Content.AsMessage()
		out = append(out, message{ID: ev.ID, Body: m.Body, FormattedBody: m.FormattedBody})
	}
	return out
}

// directRoom syncs as c until it is invited to a direct room, joins it
// and returns it. Dendrite's sync hears of an invite a moment after the
// invite is made.
func directRoom(t *testing.T, ctx context.Context, c *mautrix.Client) id.RoomID {
	t.Helper()
	since := ""
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := c.FullSyncRequest(ctx, mautrix.ReqSync{Since: since, Timeout: 2000})
		if err != nil {
			t.Fatal(err)
		}
		since = resp.NextBatch
		for room, inv := range resp.Rooms.Invite {
			for _, ev := range inv.State.Events {
				if ev.Type != event.StateMember || ev.GetStateKey() != string(c.UserID) {
					continue
				}
				ev.Content.ParseRaw(ev.Type)
				if ev.Content.AsMember().IsDirect {
					if _, err := c.JoinRoomByID(ctx, room); err != nil {
						t.Fatal(err)
					}
					return room
				}
			}
		}
	}
	t.Fatalf("%s was not invited to a direct room within 30 s", c.UserID)
	return ""
}

// waitMessages reads sender's messages in room until ok holds: the
// server's /messages sees an event a moment after it is sent.
func waitMessages(t *testing.T, ctx context.Context, c *mautrix.Client, room id.RoomID, sender string, ok func([]message) bool) []message {
	t.Helper()
	var msgs []message
	waitFor(t, "messages in "+string(room), func() bool {
		msgs = botMessages(t, ctx, c, room, sender)
		return ok(msgs)
	})
	return msgs
}

// counted is the bot with a signal for each event it handled.
type counted struct {
	bot.Handler
	handled chan struct{}
}

func (c *counted) HandleMessage(ctx context.Context, m bot.Incoming) {
	c.Handler.HandleMessage(ctx, m)
	c.handled <- struct{}{}
}

func (c *counted) HandleReaction(ctx context.Context, r bot.Reaction) {
	c.Handler.HandleReaction(ctx, r)
	c.handled <- struct{}{}
}

// testLog is a logger writing to the test's output.
func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
