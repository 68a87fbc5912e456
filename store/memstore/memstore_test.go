package memstore_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store/memstore"
	"github.com/warroom/warroom/store/storetest"
)

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) bot.Store { return memstore.New() })
}

func TestCloseAndReopen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := memstore.New()
	require.NoError(t, s.AddActors(ctx, storetest.People))
	id, err := s.CreateFault(ctx, []bot.Event{storetest.Declared("survives", bot.P1)})
	require.NoError(t, err)
	require.NoError(t, s.SaveOutput(ctx, id, 1, 1, "out"))
	want, err := bot.LoadFault(ctx, s, id)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	_, err = bot.LoadFault(ctx, s, id)
	require.ErrorIs(t, err, memstore.ErrClosed)
	require.Equal(t, bot.EINTERNAL, bot.ErrorCode(err))
	require.ErrorIs(t, s.Append(ctx, id, 1, []bot.Event{storetest.Ev(bot.EventUpdate, nil)}), memstore.ErrClosed)
	_, err = s.CreateFault(ctx, []bot.Event{storetest.Declared("late", bot.P1)})
	require.ErrorIs(t, err, memstore.ErrClosed)

	r := s.Reopen()
	got, err := bot.LoadFault(ctx, r, id)
	require.NoError(t, err)
	require.Equal(t, want, got)
	out, err := r.Output(ctx, id, 1, 1)
	require.NoError(t, err)
	require.Equal(t, "out", out)
	next, err := r.CreateFault(ctx, []bot.Event{storetest.Declared("next", bot.P4)})
	require.NoError(t, err)
	require.Equal(t, id+1, next)
	_, err = bot.LoadFault(ctx, s, next)
	require.ErrorIs(t, err, memstore.ErrClosed, "the closed handle stays closed")
}
