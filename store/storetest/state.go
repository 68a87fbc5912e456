package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

// RunAdapterState runs the bot.AdapterState contract: nothing under a key
// never set, the last value set, keys apart, an empty key refused.
func RunAdapterState(t *testing.T, open Opener) {
	t.Helper()
	t.Run("SetThenReplaced", func(t *testing.T) {
		t.Parallel()
		s := open(t).(bot.AdapterState)
		ctx := context.Background()
		v, err := s.State(ctx, "matrix.sync")
		require.NoError(t, err)
		assert.Nil(t, v, "never set")
		require.NoError(t, s.SetState(ctx, "matrix.sync", []byte(`{"next_batch":"s1"}`)))
		require.NoError(t, s.SetState(ctx, "other", []byte("x")))
		require.NoError(t, s.SetState(ctx, "matrix.sync", []byte(`{"next_batch":"s2"}`)))
		v, err = s.State(ctx, "matrix.sync")
		require.NoError(t, err)
		assert.Equal(t, `{"next_batch":"s2"}`, string(v))
		v, err = s.State(ctx, "other")
		require.NoError(t, err)
		assert.Equal(t, "x", string(v))
		require.NoError(t, s.SetState(ctx, "empty", nil))
		v, err = s.State(ctx, "empty")
		require.NoError(t, err)
		assert.NotNil(t, v, "set, if empty")
		assert.Empty(t, v)
		assert.Equal(t, bot.EINVALID, bot.ErrorCode(s.SetState(ctx, "", []byte("x"))))
	})
}
