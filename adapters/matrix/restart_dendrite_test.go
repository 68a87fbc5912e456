package matrix_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"

	"github.com/warroom/warroom/adapters/adaptertest"
	"github.com/warroom/warroom/adapters/matrix"
	"github.com/warroom/warroom/bot"
)

// realSleeps waits for real (Dendrite's limits are real time) and
// records each wait.
type realSleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *realSleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// crowd are people to invite at once.
var crowd = []string{"p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"}

// TestDendriteRestartAndRateLimit: on a real Dendrite, a restart after
// 250 messages in a room (more than one sync answer holds) hands on each
// of them once and none from before; and 8 invites at once, over
// Dendrite's rate limit, all land, each 429 waited out for its
// retry_after_ms.
func TestDendriteRestartAndRateLimit(t *testing.T) {
	t.Parallel()
	d := startDendrite(t, append([]string{"warroombot", "alice"}, crowd...)...)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	alice := d.client(t, "alice")
	botID := "@warroombot:" + d.server
	sleeps := &realSleeps{}
	file := filepath.Join(t.TempDir(), "matrix.sync")
	open := func() *matrix.Adapter {
		a, err := matrix.New(ctx, matrix.Config{Homeserver: d.url, User: botID, Token: d.tokens["warroombot"],
			SyncFile: file, SyncTimeout: 5 * time.Second, Sleep: sleeps.sleep, Log: testLog(t)})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	ops, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "private_chat", Name: "ops", Invite: []id.UserID{id.UserID(botID)}})
	if err != nil {
		t.Fatal(err)
	}
	a := open() // joins #ops
	waitFor(t, "the bot to join #ops", func() bool {
		m, err := alice.JoinedMembers(ctx, ops.RoomID)
		return err == nil && hasMember(m, botID)
	})
	rec := &adaptertest.Recorder{}
	stop := run(t, a, rec)
	if _, err := alice.SendText(ctx, ops.RoomID, "before the restart"); err != nil {
		t.Fatal(err)
	}
	rec.Wait(t, 1)
	stop()

	const n = 250
	var wg sync.WaitGroup
	slots := make(chan struct{}, 8)
	for i := range n {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			if _, err := alice.SendText(ctx, ops.RoomID, fmt.Sprintf("m%03d", i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	rec2 := &adaptertest.Recorder{}
	a2 := open()
	run(t, a2, rec2)
	rec2.Wait(t, n)
	var got []string
	for _, m := range rec2.Messages() {
		got = append(got, m.Text)
	}
	slices.Sort(got)
	if len(got) != n || len(slices.Compact(slices.Clone(got))) != n || got[0] != "m000" || got[n-1] != fmt.Sprintf("m%03d", n-1) {
		t.Fatalf("after the restart the handler got %d messages (%d distinct; %q … %q), want m000 to m%03d once each", len(got), len(slices.Compact(slices.Clone(got))), got[:3], got[len(got)-3:], n-1)
	}

	// 8 invites at once, over Dendrite's limit.
	ch, err := a2.CreateChannel(ctx, "fault-1-burst")
	if err != nil {
		t.Fatal(err)
	}
	if again, err := a2.CreateChannel(ctx, "fault-1-burst"); err != nil || again.Name != "fault-1-burst-2" {
		t.Errorf("the name again: %+v, %v; want fault-1-burst-2 (the alias is taken)", again, err)
	}
	var people []bot.Person
	want := []string{botID}
	for _, name := range crowd {
		people = append(people, bot.Person{ID: name, Accounts: map[string]string{"matrix": "@" + name + ":" + d.server}})
		want = append(want, "@"+name+":"+d.server)
	}
	if err := a2.Invite(ctx, ch.ID, people); err != nil {
		t.Fatalf("Invite: %v", err)
	}
	slices.Sort(want)
	botClient := d.client(t, "warroombot")
	waitFor(t, "the 8 invitees in the room", func() bool {
		members, err := botClient.Members(ctx, id.RoomID(ch.ID))
		if err != nil {
			t.Fatal(err)
		}
		var in []string
		for _, ev := range members.Chunk {
			in = append(in, ev.GetStateKey())
		}
		slices.Sort(in)
		return slices.Equal(in, want)
	})
	waits := sleeps.all()
	if len(waits) == 0 {
		t.Fatalf("8 invites at once met no rate limit: Dendrite's is 5 requests per 500 ms")
	}
	for _, w := range waits {
		if w != 500*time.Millisecond {
			t.Errorf("a wait of %v; Dendrite asks for its cooloff, 500 ms", w)
		}
	}
	t.Logf("8 invites at once: %d rate-limit waits of %v", len(waits), waits[0])
}

func (s *realSleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.waits)
}
