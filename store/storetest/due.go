package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

// RunDueIndex runs the contract of the due index every bot.Store keeps:
// due times set with events or alone, listed by time, kept exactly, with
// the policy fingerprint they were worked out under.
func RunDueIndex(t *testing.T, open Opener) {
	t.Helper()
	open = knowing(open)
	ctx := context.Background()
	t.Run("AppendDueSetsItWithTheEvents", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := create(t, s, Declared("a", bot.P2))
		b := create(t, s, Declared("b", bot.P2))
		c := create(t, s, Declared("c", bot.P2))
		require.NoError(t, s.AppendDue(ctx, a, 1, []bot.Event{channel("C1")}, t0.Add(2*time.Minute)))
		require.NoError(t, s.AppendDue(ctx, b, 1, []bot.Event{channel("C2")}, t0.Add(time.Minute)))
		require.NoError(t, s.AppendDue(ctx, c, 1, []bot.Event{channel("C3")}, time.Time{}))
		assert.Len(t, events(t, s, a), 2)

		due, err := s.DueBy(ctx, t0.Add(2*time.Minute))
		require.NoError(t, err)
		assert.Equal(t, []int64{b, a}, due, "soonest first; a zero due time is never due")
		due, err = s.DueBy(ctx, t0.Add(2*time.Minute-time.Nanosecond))
		require.NoError(t, err)
		assert.Equal(t, []int64{b}, due, "kept to the nanosecond")
	})
	t.Run("AppendLeavesItAsItWas", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := create(t, s, Declared("a", bot.P2))
		require.NoError(t, s.AppendDue(ctx, a, 1, []bot.Event{channel("C1")}, t0))
		require.NoError(t, s.Append(ctx, a, 2, []bot.Event{update("x")}))
		due, err := s.DueBy(ctx, t0)
		require.NoError(t, err)
		assert.Equal(t, []int64{a}, due)
	})
	t.Run("StaleAppendDueSetsNothing", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := create(t, s, Declared("a", bot.P2))
		err := s.AppendDue(ctx, a, 0, []bot.Event{channel("C1")}, t0)
		assert.Equal(t, bot.ECONFLICT, bot.ErrorCode(err), "%v", err)
		err = s.AppendDue(ctx, a, 0, nil, t0)
		assert.Equal(t, bot.ECONFLICT, bot.ErrorCode(err), "no events, still at the expected number: %v", err)
		due, err := s.DueBy(ctx, t0.Add(time.Hour))
		require.NoError(t, err)
		assert.Empty(t, due)
		assert.Len(t, events(t, s, a), 1)
	})
	t.Run("SetDueAndPolicy", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := create(t, s, Declared("a", bot.P2))
		b := create(t, s, Declared("b", bot.P2))
		p, err := s.DuePolicy(ctx)
		require.NoError(t, err)
		assert.Equal(t, "", p, "a new store has no policy")

		require.NoError(t, s.SetDue(ctx, "p1", map[int64]time.Time{a: t0, b: t0.Add(-time.Second)}))
		due, err := s.DueBy(ctx, t0)
		require.NoError(t, err)
		assert.Equal(t, []int64{b, a}, due)
		p, err = s.DuePolicy(ctx)
		require.NoError(t, err)
		assert.Equal(t, "p1", p)

		require.NoError(t, s.SetDue(ctx, "", map[int64]time.Time{b: {}}))
		due, err = s.DueBy(ctx, t0)
		require.NoError(t, err)
		assert.Equal(t, []int64{a}, due, "zero clears")
		p, err = s.DuePolicy(ctx)
		require.NoError(t, err)
		assert.Equal(t, "p1", p, `"" leaves the policy`)

		err = s.SetDue(ctx, "p2", map[int64]time.Time{a: {}, 99: t0})
		assert.Equal(t, bot.ENOTFOUND, bot.ErrorCode(err), "%v", err)
		due, err = s.DueBy(ctx, t0)
		require.NoError(t, err)
		assert.Equal(t, []int64{a}, due, "an unknown fault sets nothing")
	})
	t.Run("FaultsWithEvent", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := create(t, s, Declared("a", bot.P2), Ev(bot.EventRunStarted, func(e *bot.Event) { e.Run = 1 }))
		create(t, s, Declared("b", bot.P2))
		c := create(t, s, Declared("c", bot.P3))
		require.NoError(t, s.Append(ctx, c, 1, []bot.Event{Ev(bot.EventRunStarted, func(e *bot.Event) { e.Run = 1 })}))
		list, err := s.Faults(ctx, bot.FaultFilter{WithEvent: bot.EventRunStarted})
		require.NoError(t, err)
		require.Len(t, list, 2)
		assert.Equal(t, []int64{c, a}, []int64{list[0].ID, list[1].ID}, "newest first")
		list, err = s.Faults(ctx, bot.FaultFilter{WithEvent: bot.EventRunStarted, Status: []bot.Status{bot.StatusResolved}})
		require.NoError(t, err)
		assert.Empty(t, list, "with the status filter too")
	})
}
