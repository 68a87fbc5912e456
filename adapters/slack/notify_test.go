package slack_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/warroom/warroom/adapters/adaptertest"
	wslack "github.com/warroom/warroom/adapters/slack"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store"
)

// A level's "#status" reaches the workspace's #status channel by its id,
// found through conversations.list page by page; #exec, which Slack does
// not have, is a notify_failed event with the reason, and the war room
// goes on.
func TestNotifyNamedChannel(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	f := e.f
	general := f.addChannel("general", false)
	f.addChannel("random", false)
	f.addChannel("leadership", true)
	status := f.addChannel("status", false)
	f.set(func(f *fake) { f.pageSize = 1 }) // a cursor for every channel

	db, err := store.Open(t.TempDir()+"/warroom.db", bot.NewFakeClock(t0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	levels := map[bot.Level]bot.LevelPolicy{}
	for _, l := range bot.Levels {
		levels[l] = bot.LevelPolicy{Commander: bot.CommanderDuty, CheckinWithin: 10 * time.Minute}
	}
	p2 := levels[bot.P2]
	p2.Notify = []bot.Recipient{{Kind: bot.RecipientChannel, Name: "status"}, {Kind: bot.RecipientChannel, Name: "exec"}}
	levels[bot.P2] = p2
	catalog := &bot.Catalog{
		People:   e.people,
		Services: map[string]bot.Service{"checkout": {Name: "checkout", Contacts: []string{"bob"}}},
		Duty:     bot.Duty{Rotation: bot.Weekly, Start: t0.Add(-time.Hour), People: []string{"alice"}},
		Levels:   levels,
	}
	b, err := bot.New(db, e.a, bot.NewFakeClock(t0), catalog, bot.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := &adaptertest.Recorder{Then: b}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- e.a.Run(ctx, rec) }()
	t.Cleanup(func() { cancel(); <-done })
	<-f.connected
	handled := 0
	slash := func(user, channel, text string) (lists int) {
		t.Helper()
		n := len(f.methods())
		f.waitAck(t, f.slash(t, channel, user, text))
		handled++
		rec.Wait(t, handled)
		b.Wait()
		return count(f.methods()[n:], "conversations.list")
	}

	lists := slash("UALICE", general, "/fault declare P2 Checkout 5xx service=checkout")
	got := f.texts(status)
	if len(got) != 1 || !strings.Contains(got[0], "📣 P2 fault 1: Checkout 5xx — declared by") {
		t.Fatalf("#status (%s) has %q, want the declaration", status, got)
	}
	// #status is the fourth of four channels before the war room (the fifth):
	// four pages; #exec is in none of the five.
	if lists != 4+5 {
		t.Errorf("declare made %d conversations.list calls, want 9 (4 pages to #status, 5 to find no #exec)", lists)
	}
	evs, err := db.Events(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	var failed []bot.Event
	for _, ev := range evs {
		if ev.Type == bot.EventNotifyFailed {
			failed = append(failed, ev)
		}
	}
	const why = "no channel named #exec on slack; create it or fix levels.P2.notify"
	if len(failed) != 1 || failed[0].Person != "#exec" || failed[0].Text != why {
		t.Fatalf("notify_failed events = %+v, want one for #exec: %s", failed, why)
	}
	room := "C005"
	if !strings.HasPrefix(f.channel(room).name, "fault-1-") {
		t.Fatalf("war room %s is %+v", room, f.channel(room))
	}
	if !slicesContain(f.texts(room), "stakeholders not reached: #exec ("+why+")") {
		t.Errorf("the war room was not told: %q", f.texts(room))
	}

	// The war room goes on. #status is known for a minute; #exec is looked
	// for again, and found once someone made it.
	exec := f.addChannel("exec", false)
	lists = slash("UBOB", room, "/fault update rolled back")
	if got := f.texts(status); len(got) != 2 || !strings.Contains(got[1], "rolled back") {
		t.Fatalf("#status has %q, want the update too", got)
	}
	if got := f.texts(exec); len(got) != 1 || !strings.Contains(got[0], "rolled back") {
		t.Errorf("the new #exec has %q, want the update", got)
	}
	if lists != 6 {
		t.Errorf("update made %d conversations.list calls, want 6 (none for #status, all pages to #exec)", lists)
	}
	e.clock.Advance(wslack.ChannelTTL)
	if lists = slash("UBOB", room, "/fault update error rate normal"); lists != 4+6 {
		t.Errorf("after the TTL the update made %d conversations.list calls, want 10 (both looked up again)", lists)
	}
	if got := f.texts(exec); len(got) != 2 {
		t.Errorf("#exec has %q, want two updates", got)
	}
}

// FindChannel on its own: any case, a leading "#" ignored, private
// channels too; a workspace without the scopes is told what to add.
func TestFindChannel(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := t.Context()
	ops := e.f.addChannel("ops-private", true)
	for _, name := range []string{"ops-private", "#OPS-private"} {
		if ch, err := e.a.FindChannel(ctx, name); err != nil || ch.ID != ops || ch.Name != "ops-private" {
			t.Errorf("FindChannel(%q) = %+v, %v; want %s", name, ch, err, ops)
		}
	}
	if _, err := e.a.FindChannel(ctx, "nope"); bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Errorf("FindChannel(nope) = %v, want ENOTFOUND", err)
	}
	e.f.set(func(f *fake) { f.fail["conversations.list"] = "missing_scope" })
	_, err := e.a.FindChannel(ctx, "nope")
	if bot.ErrorCode(err) != bot.EUNAVAILABLE || !strings.Contains(err.Error(), "channels:read and groups:read") {
		t.Errorf("FindChannel without the scopes = %v, want EUNAVAILABLE naming them", err)
	}
}

func slicesContain(ts []string, sub string) bool {
	for _, s := range ts {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
