package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store"
)

// Issue 15, finding 8: beside warroom, a write with database/sql (or
// sqlite3) on the file could delete step outputs, rewrite a fault's row and
// slip a back-dated approval by an unknown actor into a timeline, which
// the export then showed. The database refuses each now.

// refusedBy runs q on raw and requires the database to refuse it with a
// message containing want.
func refusedBy(t *testing.T, raw *sql.DB, want, q string, args ...any) {
	t.Helper()
	_, err := raw.Exec(q, args...)
	require.ErrorContains(t, err, want, q)
}

func TestStepOutputsAndPlansCannotBeRewritten(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, path, _ := openDB(t)
	id := create(t, db, declared("outputs", bot.P2))
	require.NoError(t, db.SaveOutput(ctx, id, 1, 1, "rows deleted: 12\n"))
	require.NoError(t, db.SavePlan(ctx, &bot.Plan{Name: "reseed", Version: "sha256:111111111111", File: "/p/reseed.yaml", Source: []byte("name: reseed\n")}))
	raw := rawDB(t, path)

	refusedBy(t, raw, "step outputs are kept as recorded", "DELETE FROM step_outputs WHERE fault_id = ?", id)
	refusedBy(t, raw, "step outputs are kept as recorded", "UPDATE step_outputs SET output = 'nothing happened' WHERE fault_id = ?", id)
	refusedBy(t, raw, "plan versions are kept as recorded", "UPDATE plan_versions SET source = 'name: reseed\n# harmless\n'")
	refusedBy(t, raw, "plan versions are kept as recorded", "DELETE FROM plan_versions")

	out, err := db.Output(ctx, id, 1, 1)
	require.NoError(t, err)
	assert.Equal(t, "rows deleted: 12\n", out)
	src, err := db.PlanSource(ctx, "reseed", "sha256:111111111111")
	require.NoError(t, err)
	assert.Equal(t, "name: reseed\n", string(src))
}

func TestFaultRowChangesOnlyByEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, path, clock := openDB(t)
	id := create(t, db, declared("identity", bot.P2), event(bot.EventUpdate, nil))
	other := create(t, db, declared("other", bot.P3))
	require.NoError(t, db.AddActors(ctx, []string{"alertmanager"}))
	byAlert := declared("by an alert", bot.P2)
	byAlert.Actor = "alertmanager"
	_, _, err := db.CreateAlertFault(ctx, "alertmanager", "group-1", []bot.Event{byAlert})
	require.NoError(t, err)
	raw := rawDB(t, path)

	const msg = "a fault changes only by new events"
	for _, q := range []string{
		"UPDATE faults SET id = 99 WHERE id = ?",
		"UPDATE faults SET declared_at = '2020-01-01T00:00:00Z' WHERE id = ?",
		"UPDATE faults SET seq = 1 WHERE id = ?",
		"UPDATE faults SET seq = 3 WHERE id = ?",
		"UPDATE faults SET status = 'resolved' WHERE id = ?",
		"UPDATE faults SET title = 'nothing to see', level = 'P4' WHERE id = ?",
		"UPDATE faults SET channel = 'C-elsewhere' WHERE id = ?",
	} {
		refusedBy(t, raw, msg, q, id)
	}
	refusedBy(t, raw, "faults are kept", "DELETE FROM faults WHERE id = ?", other)
	refusedBy(t, raw, "the alert index is kept as recorded", "DELETE FROM alert_keys")

	// The store's own patch of the row, with new events, still goes.
	clock.Advance(time.Minute)
	require.NoError(t, db.Append(ctx, id, 2, []bot.Event{event(bot.EventResolved, nil)}))
	resolved, err := db.Faults(ctx, bot.FaultFilter{Status: []bot.Status{bot.StatusResolved}})
	require.NoError(t, err)
	require.Len(t, resolved, 1)
	assert.Equal(t, id, resolved[0].ID)
	assert.Equal(t, "identity", resolved[0].Title)
}

// TestBackdatedApprovalRefused is the finding's forged approval: an
// INSERT of run_approved on the file, by someone warroom does not know,
// dated before the run's last event.
func TestBackdatedApprovalRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, path, clock := openDB(t)
	id := create(t, db, declared("forgery", bot.P2))
	clock.Advance(time.Minute)
	req := event(bot.EventRunRequested, func(e *bot.Event) { e.Actor, e.Run, e.Plan, e.Version = "carol", 1, "drain", "sha256:0123456789ab" })
	require.NoError(t, db.Append(ctx, id, 1, []bot.Event{req}))
	raw := rawDB(t, path)

	insert := func(seq int, actor string, recordedAt time.Time) error {
		e := bot.Event{FaultID: id, Seq: seq, At: t0, Type: bot.EventRunApproved, Actor: actor, Run: 1}
		data, err := json.Marshal(e)
		require.NoError(t, err)
		_, err = raw.Exec(`INSERT INTO events (fault_id, seq, at, type, actor, data, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			id, seq, t0.Format(time.RFC3339Nano), string(e.Type), actor, string(data), recordedAt.UTC().Format(time.RFC3339Nano))
		return err
	}
	now := clock.Now()
	require.ErrorContains(t, insert(3, "mallory", t0), "event by unknown actor", "the finding's insert")
	require.ErrorContains(t, insert(3, "mallory", now), "event by unknown actor", "not back-dated, still unknown")
	require.ErrorContains(t, insert(3, "bob", t0), "event out of order", "known, but recorded before the last event")
	require.ErrorContains(t, insert(3, "bob", now.Add(-time.Millisecond)), "event out of order", "a millisecond counts")
	require.ErrorContains(t, insert(4, "bob", now), "event out of order", "a gap in the numbers")
	require.ErrorContains(t, insert(0, "bob", now), "event out of order")
	require.ErrorContains(t, insert(2, "bob", now), "UNIQUE constraint failed", "a number taken is the primary key's")

	events, err := db.Events(ctx, id)
	require.NoError(t, err)
	require.Len(t, events, 2, "nothing got in")
	f := bot.Replay(events)
	require.Len(t, f.Runs, 1)
	assert.Empty(t, f.Runs[0].Approvers, "nobody approved run #1")

	// Actors once known stay known, as they were.
	refusedBy(t, raw, "actors are kept as added", "DELETE FROM actors WHERE id = 'carol'")
	refusedBy(t, raw, "actors are kept as added", "UPDATE actors SET id = 'mallory' WHERE id = 'bob'")
}

// TestStoreWordsRefusals: the store's own writes that a trigger refuses
// say why in words.
func TestStoreWordsRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _, clock := openDB(t)
	id := create(t, db, declared("words", bot.P2))

	err := db.Append(ctx, id, 1, []bot.Event{event(bot.EventRunApproved, func(e *bot.Event) { e.Actor, e.Run = "mallory", 1 })})
	assert.Equal(t, bot.EINVALID, bot.ErrorCode(err))
	assert.Equal(t, `event by unknown actor "mallory" refused: add them to the catalog`, bot.ErrorMessage(err))

	clock.Set(t0.Add(-time.Hour)) // the host's clock stepped back
	err = db.Append(ctx, id, 1, []bot.Event{event(bot.EventUpdate, nil)})
	assert.Equal(t, bot.EINTERNAL, bot.ErrorCode(err))
	assert.Equal(t, "event 2 of fault 1 refused: it would be recorded before the fault's last event (is this host's clock behind?)", bot.ErrorMessage(err))

	clock.Set(t0)
	require.NoError(t, db.Append(ctx, id, 1, []bot.Event{event(bot.EventUpdate, nil)}), "the same instant is not before")

	// Events go in one statement; the refused one is still named, and
	// none of the batch is recorded.
	batch := []bot.Event{event(bot.EventUpdate, nil), event(bot.EventRunApproved, func(e *bot.Event) { e.Actor, e.Run = "trudy", 1 }), event(bot.EventUpdate, nil)}
	err = db.Append(ctx, id, 2, batch)
	assert.Equal(t, `event by unknown actor "trudy" refused: add them to the catalog`, bot.ErrorMessage(err))
	events, err := db.Events(ctx, id)
	require.NoError(t, err)
	assert.Len(t, events, 2, "nothing of the refused batch is recorded")
}

// TestActorsPersist: who was known is known after a restart.
func TestActorsPersist(t *testing.T) {
	t.Parallel()
	_, path, clock := openDB(t)
	require.NoError(t, func() error {
		db, err := store.Open(path, clock)
		if err != nil {
			return err
		}
		defer db.Close()
		return db.AddActors(context.Background(), []string{"U024BE7LH"})
	}())
	db, err := store.Open(path, clock)
	require.NoError(t, err)
	defer db.Close()
	d := declared("by a workspace member", bot.P3)
	d.Actor = "U024BE7LH"
	_, err = db.CreateFault(context.Background(), []bot.Event{d})
	require.NoError(t, err)
}
