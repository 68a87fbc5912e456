package adaptertest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/warroom/warroom/bot"
)

// Timeout bounds every wait of the contract, so that a broken adapter fails
// a test instead of hanging it.
const Timeout = 10 * time.Second

// Recorder is a bot.Handler that records what it receives and wakes up
// whoever waits for it. Harnesses wrap the handler they are given with one
// (Then) to know when an injected event was handled.
type Recorder struct {
	Then bot.Handler // called first, when set

	mu        sync.Mutex
	messages  []bot.Incoming
	reactions []bot.Reaction
	changed   chan struct{} // closed and replaced on every event
}

// HandleMessage implements bot.Handler.
func (r *Recorder) HandleMessage(ctx context.Context, m bot.Incoming) {
	if r.Then != nil {
		r.Then.HandleMessage(ctx, m)
	}
	r.record(func() { r.messages = append(r.messages, m) })
}

// HandleReaction implements bot.Handler.
func (r *Recorder) HandleReaction(ctx context.Context, x bot.Reaction) {
	if r.Then != nil {
		r.Then.HandleReaction(ctx, x)
	}
	r.record(func() { r.reactions = append(r.reactions, x) })
}

func (r *Recorder) record(add func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	add()
	if r.changed != nil {
		close(r.changed)
		r.changed = nil
	}
}

// Count returns how many events were handled so far.
func (r *Recorder) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.messages) + len(r.reactions)
}

// Wait blocks until at least n events were handled, failing t after Timeout.
func (r *Recorder) Wait(t testing.TB, n int) {
	t.Helper()
	deadline := time.NewTimer(Timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		if len(r.messages)+len(r.reactions) >= n {
			r.mu.Unlock()
			return
		}
		if r.changed == nil {
			r.changed = make(chan struct{})
		}
		changed := r.changed
		r.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("handler saw %d events after %v, want %d", r.Count(), Timeout, n)
		}
	}
}

// Messages returns the messages handled so far.
func (r *Recorder) Messages() []bot.Incoming {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.messages)
}

// Reactions returns the reactions handled so far.
func (r *Recorder) Reactions() []bot.Reaction {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.reactions)
}
