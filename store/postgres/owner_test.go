package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store/postgres"
	"github.com/warroom/warroom/store/postgres/pgtest"
)

func pendingIDs(t *testing.T, db *postgres.DB) []string {
	t.Helper()
	items, err := db.Pending(context.Background(), "chat", 0)
	require.NoError(t, err)
	var ids []string
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	return ids
}

// Two processes on one database: neither replays what the other, alive,
// has kept; what a process that ended had kept is adopted by the next to
// look, once; an item held past the lease by a live process is adopted too.
func TestInboxItemsBelongToTheirProcess(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.Get(t).NewDatabase(t)
	clock := bot.NewFakeClock(time.Date(2026, 6, 2, 8, 0, 0, 0, time.UTC))
	open := func() *postgres.DB {
		db, err := postgres.Open(ctx, url, clock)
		require.NoError(t, err)
		return db
	}
	a, b := open(), open()
	defer b.Close()
	fresh, err := a.Put(ctx, bot.InboxItem{Source: "chat", ID: "e1", Payload: []byte(`{}`), Received: clock.Now()})
	require.NoError(t, err)
	require.True(t, fresh)
	fresh, err = b.Put(ctx, bot.InboxItem{Source: "chat", ID: "e1", Payload: []byte(`{}`), Received: clock.Now()})
	require.NoError(t, err)
	assert.False(t, fresh, "kept once, whoever keeps it again")

	assert.Equal(t, []string{"e1"}, pendingIDs(t, a), "its own")
	assert.Empty(t, pendingIDs(t, b), "a live process's item is not another's to replay")

	aID := a.Self()
	require.NoError(t, a.Close()) // its session ends, and its owner lock
	gone(t, b, aID)
	assert.Equal(t, []string{"e1"}, pendingIDs(t, b), "adopted from the process that ended")
	c := open()
	defer c.Close()
	assert.Empty(t, pendingIDs(t, c), "adopted once: b has it now")

	clock.Advance(11 * time.Minute) // past the lease, b alive
	assert.Equal(t, []string{"e1"}, pendingIDs(t, c), "stuck past the lease in a live process: adopted")
	assert.Empty(t, pendingIDs(t, b))

	require.NoError(t, c.Done(ctx, "chat", "e1"))
	assert.Empty(t, pendingIDs(t, c))
	assert.Empty(t, pendingIDs(t, b))
}

// Liveness: a process is alive while its session holds its owner lock.
func TestProcessesTellWhoLives(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.Get(t).NewDatabase(t)
	clock := bot.NewFakeClock(time.Date(2026, 6, 2, 8, 0, 0, 0, time.UTC))
	a, err := postgres.Open(ctx, url, clock)
	require.NoError(t, err)
	b, err := postgres.Open(ctx, url, clock)
	require.NoError(t, err)
	defer b.Close()
	require.NotEqual(t, a.Self(), b.Self())
	for _, id := range []string{a.Self(), b.Self()} {
		alive, err := b.Alive(ctx, id)
		require.NoError(t, err)
		assert.True(t, alive, id)
	}
	aID := a.Self()
	require.NoError(t, a.Close())
	gone(t, b, aID)
	alive, err := b.Alive(ctx, "not-a-process")
	require.NoError(t, err)
	assert.False(t, alive)
}

// gone waits for the server to end a closed process's session: the backend
// exits, and frees its locks, a moment after the client hangs up.
func gone(t *testing.T, db *postgres.DB, id string) {
	t.Helper()
	require.Eventually(t, func() bool {
		alive, err := db.Alive(context.Background(), id)
		return err == nil && !alive
	}, 10*time.Second, 10*time.Millisecond, "process %s's session did not end", id)
}
