package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

// listOnly hides a store's FaultCounter, so that bot.CountFaults counts
// by listing.
type listOnly struct{ bot.Store }

// RunFaultCounter runs the bot.FaultCounter contract: counts by status and
// level that follow the events (a re-grade, a mitigation, a resolve), the
// same as counting the listed faults.
func RunFaultCounter(t *testing.T, open Opener) {
	t.Helper()
	open = knowing(open)
	ctx := context.Background()
	t.Run("CountsFollowTheEvents", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		c := s.(bot.FaultCounter)
		got, err := c.CountFaults(ctx, bot.StatusOpen)
		require.NoError(t, err)
		assert.Empty(t, got, "an empty store")

		create(t, s, Declared("a", bot.P1))
		b := create(t, s, Declared("b", bot.P2))
		create(t, s, Declared("c", bot.P2))
		d := create(t, s, Declared("d", bot.P3))
		e := create(t, s, Declared("e", bot.P4))
		require.NoError(t, s.Append(ctx, b, 1, []bot.Event{Ev(bot.EventMitigated, nil)}))
		require.NoError(t, s.Append(ctx, d, 1, []bot.Event{Ev(bot.EventResolved, nil)}))
		require.NoError(t, s.Append(ctx, e, 1, []bot.Event{Ev(bot.EventLevelChanged, func(e *bot.Event) { e.Level, e.From = bot.P1, bot.P4 })}))

		want := []bot.FaultCount{
			{Status: bot.StatusMitigated, Level: bot.P2, N: 1},
			{Status: bot.StatusOpen, Level: bot.P1, N: 2},
			{Status: bot.StatusOpen, Level: bot.P2, N: 1},
		}
		got, err = c.CountFaults(ctx, bot.StatusOpen, bot.StatusMitigated)
		require.NoError(t, err)
		assert.Equal(t, want, got, "the re-graded P4 counts as the P1 it is")
		listed, err := bot.CountFaults(ctx, listOnly{s}, bot.StatusOpen, bot.StatusMitigated)
		require.NoError(t, err)
		assert.Equal(t, listed, got, "as counting the listed faults")

		all, err := c.CountFaults(ctx)
		require.NoError(t, err)
		assert.Equal(t, append(want, bot.FaultCount{Status: bot.StatusResolved, Level: bot.P3, N: 1}), all, "no status: every fault")
	})
	t.Run("CanceledContext", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := s.(bot.FaultCounter).CountFaults(ctx, bot.StatusOpen)
		assert.Error(t, err)
	})
}
