package bot_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

// heard is an Observer that keeps what it heard.
type heard struct {
	mu  sync.Mutex
	got []bot.Recorded
}

func (h *heard) Recorded(r bot.Recorded) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r.Fault = nil // not to be kept
	h.got = append(h.got, r)
}

func (h *heard) milestones() []bot.Milestone {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []bot.Milestone
	for _, r := range h.got {
		out = append(out, r.Milestones...)
	}
	return out
}

func (h *heard) events() []bot.EventType {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []bot.EventType
	for _, r := range h.got {
		for _, e := range r.Events {
			out = append(out, e.Type)
		}
	}
	return out
}

func observedRig(t *testing.T) (*rig, *heard) {
	r := newRig(t)
	h := &heard{}
	r.bot.Observe(h)
	return r, h
}

// The observer hears every event the store kept, once, in order, and the
// milestones the figures measure: the declarer's own check-in is not the
// first check-in.
func TestObserverHearsWhatIsRecorded(t *testing.T) {
	t.Parallel()
	r, h := observedRig(t)
	f := r.declare("/fault declare P2 Ledger writes time out service=ledger")
	h.mu.Lock()
	require.NotEmpty(t, h.got)
	assert.Equal(t, bot.ViaChat, h.got[0].Via)
	assert.Equal(t, bot.EventDeclared, h.got[0].Events[0].Type)
	for _, rec := range h.got[1:] {
		assert.Empty(t, rec.Via, "only the declaration says where it came from")
	}
	h.mu.Unlock()
	assert.Empty(t, h.milestones(), "ana checked in by declaring")

	r.clock.Advance(2 * time.Minute)
	r.say(f.Channel, "ben", "/fault checkin")
	r.clock.Advance(time.Minute)
	r.say(f.Channel, "cy", "/fault checkin")
	r.clock.Advance(2 * time.Minute)
	r.say(f.Channel, "ana", "/fault mitigated rolled back")
	r.clock.Advance(4 * time.Minute)
	r.say(f.Channel, "ana", "/fault resolve")

	assert.Equal(t, []bot.Milestone{
		{Kind: bot.MilestoneFirstCheckin, Level: bot.P2, After: 2 * time.Minute},
		{Kind: bot.MilestoneMitigated, Level: bot.P2, After: 5 * time.Minute},
		{Kind: bot.MilestoneResolved, Level: bot.P2, After: 9 * time.Minute},
	}, h.milestones())

	events, err := r.db.Events(r.ctx, f.ID)
	require.NoError(t, err)
	var stored []bot.EventType
	for _, e := range events {
		stored = append(stored, e.Type)
	}
	assert.Equal(t, stored, h.events(), "each stored event heard once, in order")
}

// A resolve with no mitigation before it is both (resolved implies
// mitigated); a write the store refused is not heard.
func TestObserverResolveIsMitigatedToo(t *testing.T) {
	t.Parallel()
	r, h := observedRig(t)
	f := r.declare("/fault declare P3 Queue backlog service=queue")
	r.clock.Advance(7 * time.Minute)
	r.say(f.Channel, "ana", "/fault resolve")
	assert.Equal(t, []bot.Milestone{
		{Kind: bot.MilestoneMitigated, Level: bot.P3, After: 7 * time.Minute},
		{Kind: bot.MilestoneResolved, Level: bot.P3, After: 7 * time.Minute},
	}, h.milestones())

	n := len(h.events())
	require.NoError(t, r.db.Close()) // every write fails from here
	r.say("general", "ana", "/fault declare P1 Everything service=ledger")
	assert.Len(t, h.events(), n, "nothing the store refused is heard")
}
