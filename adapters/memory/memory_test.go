package memory_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/warroom/warroom/adapters/adaptertest"
	"github.com/warroom/warroom/adapters/memory"
	"github.com/warroom/warroom/bot"
)

type harness struct{ a *memory.Adapter }

func (h harness) Adapter() bot.Adapter                     { return h.a }
func (h harness) Person(id string) bot.Person              { return bot.Person{ID: id} }
func (h harness) Members(_ *testing.T, ch string) []string { return h.a.Members(ch) }
func (h harness) Posts(_ *testing.T, ch string) []string   { return h.a.Texts(ch) }
func (h harness) Topic(_ *testing.T, ch string) string     { return h.a.Topic(ch) }

func (h harness) Start(ctx context.Context, hd bot.Handler) <-chan error {
	done := make(chan error, 1)
	go func() { done <- h.a.Run(ctx, hd) }()
	return done
}

func (h harness) Say(t *testing.T, ch, person, text string) {
	if err := h.a.Say(t.Context(), ch, person, text); err != nil {
		t.Fatal(err)
	}
}

func (h harness) React(t *testing.T, ch, msg, person, emoji string) {
	if err := h.a.React(t.Context(), ch, msg, person, emoji); err != nil {
		t.Fatal(err)
	}
}

func (h harness) DMs(_ *testing.T, person string) []string {
	var out []string
	for _, m := range h.a.DMs(person) {
		out = append(out, m.Text)
	}
	return out
}

func TestContract(t *testing.T) {
	t.Parallel()
	adaptertest.Run(t, func(*testing.T) adaptertest.Harness { return harness{memory.New()} })
}

func people(ids ...string) []bot.Person {
	var out []bot.Person
	for _, id := range ids {
		out = append(out, bot.Person{ID: id})
	}
	return out
}

func TestRecords(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a := memory.New()
	ch, _ := a.CreateChannel(ctx, "war")
	ch2, _ := a.CreateChannel(ctx, "war")
	ch3, _ := a.CreateChannel(ctx, "war")
	if ch.ID != "C1" || ch2.Name != "war-2" || ch3.Name != "war-3" {
		t.Fatalf("channels = %+v", a.Channels())
	}
	_ = a.Invite(ctx, ch.ID, people("alice", "bob"))
	_ = a.Invite(ctx, ch.ID, people("bob", "carol"))
	if got := a.Members(ch.ID); !slices.Equal(got, []string{"alice", "bob", "carol"}) {
		t.Errorf("members = %v", got)
	}
	if got := a.Invites(ch.ID); len(got) != 2 || !slices.Equal(got[0], []string{"alice", "bob"}) {
		t.Errorf("invites = %v", got)
	}
	fields := []bot.Field{{Label: "Level", Value: "P2"}}
	id, _ := a.Post(ctx, ch.ID, bot.Message{Kind: bot.KindKickoff, Text: "go", Title: "Fault", Fields: fields})
	fields[0].Value = "changed" // the record must not alias the caller's slice
	_ = a.SetTopic(ctx, ch.ID, "topic")
	_ = a.Pin(ctx, ch.ID, id)
	posts := a.Posts(ch.ID)
	if len(posts) != 1 || posts[0].ID != id || posts[0].Kind != bot.KindKickoff || posts[0].Title != "Fault" || posts[0].Fields[0].Value != "P2" {
		t.Errorf("posts = %+v", posts)
	}
	posts[0].Fields[0].Value = "mutated" // nor may a copy handed out alias the record
	if a.Posts(ch.ID)[0].Fields[0].Value != "P2" {
		t.Error("Posts returned an alias of the record")
	}
	if a.Topic(ch.ID) != "topic" || !slices.Equal(a.Pins(ch.ID), []string{id}) {
		t.Errorf("topic %q pins %v", a.Topic(ch.ID), a.Pins(ch.ID))
	}
}

func TestFailNext(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a := memory.New()
	boom := errors.New("boom")
	a.FailNextN("CreateChannel", 2, boom)
	a.FailNext("Post", boom)
	for range 2 {
		if _, err := a.CreateChannel(ctx, "x"); !errors.Is(err, boom) {
			t.Fatalf("CreateChannel err = %v, want boom", err)
		}
	}
	if _, err := a.CreateChannel(ctx, "x"); err != nil {
		t.Fatalf("third CreateChannel: %v", err)
	}
	if _, err := a.Post(ctx, "C1", bot.Message{Text: "lost"}); !errors.Is(err, boom) {
		t.Fatalf("Post err = %v", err)
	}
	if len(a.Posts("C1")) != 0 || len(a.Channels()) != 1 {
		t.Fatal("a failed call left a record")
	}
	defer func() {
		if recover() == nil {
			t.Error("FailNext on an unknown method did not panic")
		}
	}()
	a.FailNext("Create", boom)
}

func TestSayWaitsForRun(t *testing.T) {
	t.Parallel()
	a := memory.New()
	rec := &adaptertest.Recorder{}
	said := make(chan error, 1)
	go func() { said <- a.Say(t.Context(), "C1", "alice", "hi") }() // before Run
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, rec) }()
	if err := <-said; err != nil {
		t.Fatal(err)
	}
	if got := rec.Messages(); len(got) != 1 || got[0].Text != "hi" {
		t.Fatalf("messages = %+v", got)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	stopped, stop := context.WithCancel(t.Context())
	stop()
	if err := a.Say(stopped, "C1", "alice", "anyone?"); err == nil {
		t.Fatal("Say without Run succeeded")
	}
}

func TestConcurrent(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a := memory.New()
	rec := &adaptertest.Recorder{}
	go func() { _ = a.Run(ctx, rec) }() // stops with the test
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			ch, _ := a.CreateChannel(ctx, "war")
			_, _ = a.Post(ctx, ch.ID, bot.Message{Text: "x"})
			_ = a.Say(ctx, ch.ID, "alice", "y")
		})
	}
	wg.Wait()
	if len(a.Channels()) != 20 || len(rec.Messages()) != 20 {
		t.Fatalf("%d channels, %d messages", len(a.Channels()), len(rec.Messages()))
	}
}
