package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

// People are the actors the contract's events name besides warroom. The
// suites tell a store that implements bot.Actors of them before a test.
var People = []string{"alice", "bob", "carol", "dee"}

// knowing wraps open so that the stores it returns know People.
func knowing(open Opener) Opener {
	return func(t *testing.T) bot.Store {
		s := open(t)
		if a, ok := s.(bot.Actors); ok {
			require.NoError(t, a.AddActors(context.Background(), People))
		}
		return s
	}
}

// RunActors runs the bot.Actors contract: an event whose actor the store
// was not told of is refused, with nothing of its batch recorded.
func RunActors(t *testing.T, open Opener) {
	t.Helper()
	ctx := context.Background()
	actors := func(t *testing.T) (bot.Store, bot.Actors) {
		s := open(t)
		a, ok := s.(bot.Actors)
		if !ok {
			t.Skipf("%T does not implement bot.Actors", s)
		}
		return s, a
	}
	refused := func(t *testing.T, err error, actor string) {
		t.Helper()
		require.Error(t, err)
		assert.Equal(t, bot.EINVALID, bot.ErrorCode(err), "%v", err)
		assert.Equal(t, `event by unknown actor "`+actor+`" refused: add them to the catalog`, bot.ErrorMessage(err))
	}

	t.Run("AnEmptyStoreKnowsOnlyWarroom", func(t *testing.T) {
		t.Parallel()
		s, _ := actors(t)
		_, err := s.CreateFault(ctx, []bot.Event{Declared("by a stranger", bot.P2)})
		refused(t, err, "alice")
		all, err := s.Faults(ctx, bot.FaultFilter{})
		require.NoError(t, err)
		assert.Empty(t, all, "no fault is made")

		d := Declared("by warroom", bot.P2)
		d.Actor = bot.ActorBot
		_, err = s.CreateFault(ctx, []bot.Event{d})
		require.NoError(t, err)
	})

	t.Run("AddedActorsMayAct", func(t *testing.T) {
		t.Parallel()
		s, a := actors(t)
		require.NoError(t, a.AddActors(ctx, []string{"alice", "bob"}))
		require.NoError(t, a.AddActors(ctx, []string{"bob", "alice", "bob"}), "adding again is no error")
		require.NoError(t, a.AddActors(ctx, nil))
		id := create(t, s, Declared("known", bot.P2))
		approve := Ev(bot.EventRunApproved, func(e *bot.Event) { e.Run, e.Actor = 1, "bob" })
		require.NoError(t, s.Append(ctx, id, 1, []bot.Event{approve}))
	})

	t.Run("AnUnknownActorRefusesTheWholeBatch", func(t *testing.T) {
		t.Parallel()
		s, a := actors(t)
		require.NoError(t, a.AddActors(ctx, []string{"alice"}))
		id := create(t, s, Declared("known", bot.P2))
		evs := []bot.Event{
			Ev(bot.EventUpdate, func(e *bot.Event) { e.Actor, e.Text = "alice", "looking" }),
			Ev(bot.EventRunApproved, func(e *bot.Event) { e.Run, e.Actor = 1, "mallory" }),
		}
		refused(t, s.Append(ctx, id, 1, evs), "mallory")
		got, err := s.Events(ctx, id)
		require.NoError(t, err)
		assert.Len(t, got, 1, "nothing of the batch is recorded")
		assert.Zero(t, evs[0].Seq, "the caller's events are left as they were")

		_, err = s.CreateFault(ctx, []bot.Event{Declared("x", bot.P3), evs[1]})
		refused(t, err, "mallory")
		all, err := s.Faults(ctx, bot.FaultFilter{})
		require.NoError(t, err)
		assert.Len(t, all, 1, "no fault is made")
	})

	t.Run("AnActorNeedsAnID", func(t *testing.T) {
		t.Parallel()
		_, a := actors(t)
		err := a.AddActors(ctx, []string{"alice", ""})
		assert.Equal(t, bot.EINVALID, bot.ErrorCode(err), "%v", err)
	})

	t.Run("AnAlertFaultByAnUnknownSourceIsNotFiled", func(t *testing.T) {
		t.Parallel()
		s, _ := actors(t)
		ak, ok := s.(bot.AlertKeys)
		if !ok {
			t.Skipf("%T does not implement bot.AlertKeys", s)
		}
		d := Declared("5xx", bot.P1)
		d.Actor = "alertmanager"
		_, _, err := ak.CreateAlertFault(ctx, "alertmanager", "k", []bot.Event{d})
		refused(t, err, "alertmanager")
		_, err = ak.AlertFault(ctx, "alertmanager", "k")
		assert.Equal(t, bot.ENOTFOUND, bot.ErrorCode(err), "%v", err)
	})
}
