package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store/postgres"
	"github.com/warroom/warroom/store/postgres/pgtest"
	"github.com/warroom/warroom/store/storetest"
)

// openRaw is a store and a plain connection to its database beside it,
// as someone with psql would have.
func openRaw(t *testing.T) (*postgres.DB, *pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	url := pgtest.Get(t).NewDatabase(t)
	db, err := postgres.Open(ctx, url, bot.NewFakeClock(t0))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	raw, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { raw.Close(ctx) })
	require.NoError(t, db.AddActors(ctx, storetest.People))
	return db, raw
}

func refusedBy(t *testing.T, raw *pgx.Conn, want, q string, args ...any) {
	t.Helper()
	_, err := raw.Exec(context.Background(), q, args...)
	require.ErrorContains(t, err, want, q)
}

// The audit rules of the SQLite store's migration 0005 hold here too, as
// the database's triggers: a write beside warroom cannot rewrite history.
func TestHistoryCannotBeRewritten(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, raw := openRaw(t)
	id, err := db.CreateFault(ctx, []bot.Event{storetest.Declared("audit", bot.P2), storetest.Ev(bot.EventUpdate, nil)})
	require.NoError(t, err)
	require.NoError(t, db.SaveOutput(ctx, id, 1, 1, "rows deleted: 12\n"))
	require.NoError(t, db.SavePlan(ctx, &bot.Plan{Name: "reseed", Version: "sha256:1", File: "/p/reseed.yaml", Source: []byte("name: reseed\n")}))
	_, _, err = db.CreateAlertFault(ctx, "alice", "group-1", []bot.Event{storetest.Declared("by an alert", bot.P2)})
	require.NoError(t, err)

	refusedBy(t, raw, "events are append-only", "UPDATE events SET actor = 'bob' WHERE fault_id = $1", id)
	refusedBy(t, raw, "events are append-only", "DELETE FROM events WHERE fault_id = $1", id)
	refusedBy(t, raw, "events are append-only", "TRUNCATE events CASCADE")
	refusedBy(t, raw, "step outputs are kept as recorded", "DELETE FROM step_outputs")
	refusedBy(t, raw, "step outputs are kept as recorded", "UPDATE step_outputs SET output = 'x'")
	refusedBy(t, raw, "plan versions are kept as recorded", "UPDATE plan_versions SET source = 'x'")
	refusedBy(t, raw, "plan versions are kept as recorded", "DELETE FROM plan_versions")
	refusedBy(t, raw, "the alert index is kept as recorded", "DELETE FROM alert_keys")
	refusedBy(t, raw, "actors are kept as added", "DELETE FROM actors WHERE id = 'alice'")
	refusedBy(t, raw, "faults are kept", "DELETE FROM faults WHERE id = $1", id)
	for _, q := range []string{
		"UPDATE faults SET id = 99 WHERE id = $1",
		"UPDATE faults SET declared_at = '2020-01-01T00:00:00Z' WHERE id = $1",
		"UPDATE faults SET seq = 1 WHERE id = $1",
		"UPDATE faults SET seq = 3 WHERE id = $1",
		"UPDATE faults SET status = 'resolved' WHERE id = $1",
		"UPDATE faults SET channel = 'C-elsewhere' WHERE id = $1",
	} {
		refusedBy(t, raw, "a fault changes only by new events", q, id)
	}

	// A back-dated event, one out of number, one by a stranger.
	ins := "INSERT INTO events (fault_id, seq, at, type, actor, data, recorded_at) VALUES ($1, $2, '2020-01-01T00:00:00Z', 'run_approved', $3, '{}', $4)"
	refusedBy(t, raw, "event out of order", ins, id, 3, "alice", "2020-01-01T00:00:00Z")
	refusedBy(t, raw, "event out of order", ins, id, 5, "alice", t0.Add(time.Hour).Format(time.RFC3339Nano))
	refusedBy(t, raw, "event by unknown actor", ins, id, 3, "mallory", t0.Add(time.Hour).Format(time.RFC3339Nano))
	refusedBy(t, raw, "duplicate key", ins, id, 2, "alice", t0.Add(time.Hour).Format(time.RFC3339Nano))

	// The store's own writes still go, and what was recorded is as it was.
	require.NoError(t, db.Append(ctx, id, 2, []bot.Event{storetest.Ev(bot.EventUpdate, nil)}))
	require.NoError(t, db.SetDue(ctx, "p", map[int64]time.Time{id: t0}))
	evs, err := db.Events(ctx, id)
	require.NoError(t, err)
	assert.Len(t, evs, 3)
	out, err := db.Output(ctx, id, 1, 1)
	require.NoError(t, err)
	assert.Equal(t, "rows deleted: 12\n", out)
}

// A stale append is refused by the database itself: the primary key
// (fault_id, seq), even for a writer that skips the store's check.
func TestAppendRaceOneWinsAcrossStores(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.Get(t).NewDatabase(t)
	var stores []*postgres.DB
	for range 4 {
		db, err := postgres.Open(ctx, url, bot.NewFakeClock(t0))
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })
		stores = append(stores, db)
	}
	require.NoError(t, stores[0].AddActors(ctx, storetest.People))
	id, err := stores[0].CreateFault(ctx, []bot.Event{storetest.Declared("race", bot.P2)})
	require.NoError(t, err)
	errs := make(chan error, len(stores))
	for _, s := range stores {
		go func() { errs <- s.Append(ctx, id, 1, []bot.Event{storetest.Ev(bot.EventUpdate, nil)}) }()
	}
	won := 0
	for range stores {
		if err := <-errs; err == nil {
			won++
		} else {
			assert.Equal(t, bot.ECONFLICT, bot.ErrorCode(err), "%v", err)
		}
	}
	assert.Equal(t, 1, won)
}
