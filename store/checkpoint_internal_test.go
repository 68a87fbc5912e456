package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

// TestCheckpointsOffTheCommitPath: the writer never checkpoints itself;
// the checkpointer does, after every checkpointEvery commits, and what was
// committed is all there after a reopen.
func TestCheckpointsOffTheCommitPath(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "w.db")
	clock := bot.NewFakeClock(time.Date(2026, 6, 2, 8, 0, 0, 0, time.UTC))
	db, err := Open(path, clock)
	require.NoError(t, err)
	var auto int
	require.NoError(t, db.write.QueryRow("PRAGMA wal_autocheckpoint").Scan(&auto))
	assert.Zero(t, auto, "the writer's automatic checkpoints are off")

	id, err := db.CreateFault(ctx, []bot.Event{{At: clock.Now(), Type: bot.EventDeclared, Actor: bot.ActorBot, Level: bot.P3, Text: "wal"}})
	require.NoError(t, err)
	for seq := 1; seq < 2*checkpointEvery; seq++ {
		require.NoError(t, db.Append(ctx, id, seq, []bot.Event{{At: clock.Now(), Type: bot.EventUpdate, Actor: bot.ActorBot, Text: "still"}}))
	}
	require.Eventually(t, func() bool { return db.ckpt.runs.Load() >= 1 }, 10*time.Second, time.Millisecond,
		"a checkpoint after %d commits", checkpointEvery)
	require.NoError(t, db.Close())

	db, err = Open(path, clock)
	require.NoError(t, err)
	defer db.Close()
	events, err := db.Events(ctx, id)
	require.NoError(t, err)
	assert.Len(t, events, 2*checkpointEvery)
}
