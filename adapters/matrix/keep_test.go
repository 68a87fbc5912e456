package matrix_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/warroom/warroom/adapters/adaptertest"
	"github.com/warroom/warroom/adapters/matrix/matrixfake"
	"github.com/warroom/warroom/bot"
)

// keeper is a bot.Keeper in front of a Recorder: it keeps each id once (as
// the core's inbox does) and refuses the first refuse events offered.
type keeper struct {
	*adaptertest.Recorder
	mu     sync.Mutex
	refuse int
	kept   []string
	offers int
}

func (k *keeper) Keep(ctx context.Context, ev bot.Inbound) (*bot.Kept, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.offers++
	if !ev.Redelivered {
		return nil, bot.Errorf(bot.EINVALID, "a Matrix event must say it is redelivered: the sync is asked for again")
	}
	if k.refuse > 0 {
		k.refuse--
		return nil, bot.Errorf(bot.EUNAVAILABLE, "the store cannot keep it now (disk I/O error)")
	}
	if slices.Contains(k.kept, ev.ID) {
		return nil, nil
	}
	k.kept = append(k.kept, ev.ID)
	return bot.Keep(ctx, k.Recorder, ev)
}

// An answer whose events the store cannot keep is synced again: nothing
// is lost, and what was kept before the refusal is not handled twice.
func TestUnkeptEventsAreSyncedAgain(t *testing.T) {
	t.Parallel()
	f := matrixfake.New(t)
	a := newAdapter(t, f)
	ch, _ := a.CreateChannel(t.Context(), "fault-1-keep")
	f.Say(ch.ID, f.User("alice"), "one")
	f.Say(ch.ID, f.User("alice"), "two")
	k := &keeper{Recorder: &adaptertest.Recorder{}, refuse: 1}
	run(t, a, k)
	k.Wait(t, 2)
	f.Say(ch.ID, f.User("alice"), "three")
	k.Wait(t, 3)
	var got []string
	for _, m := range k.Messages() {
		got = append(got, m.Text)
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"one", "three", "two"}) {
		t.Fatalf("handled %q, want one, two, three once each", got)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.offers < 4 {
		t.Fatalf("%d offers to keep, want the refused one offered again", k.offers)
	}
}
