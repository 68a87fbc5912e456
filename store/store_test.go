package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store"
)

// t0 has nanoseconds so that the round trip through text is checked to the
// last digit.
var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)

func openDB(t testing.TB) (*store.DB, string, *bot.FakeClock) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "warroom.db")
	clock := bot.NewFakeClock(t0)
	db, err := store.Open(path, clock)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	know(t, db)
	return db, path, clock
}

// know tells db of the people these tests' events name.
func know(t testing.TB, db *store.DB) {
	t.Helper()
	require.NoError(t, db.AddActors(context.Background(), []string{"alice", "bob", "carol", "dave", "erin", "kim"}))
}

// rawDB opens the file without the store, as an operator with sqlite3 would.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite3", path+"?_busy_timeout=5000")
	require.NoError(t, err)
	t.Cleanup(func() { raw.Close() })
	return raw
}

func declared(title string, level bot.Level) bot.Event {
	return bot.Event{At: t0, Type: bot.EventDeclared, Actor: "alice", Level: level, Text: title, Service: "checkout", Cause: "payments", Kind: "server-down"}
}

func event(typ bot.EventType, mod func(*bot.Event)) bot.Event {
	e := bot.Event{At: t0.Add(time.Minute), Type: typ, Actor: bot.ActorBot}
	if mod != nil {
		mod(&e)
	}
	return e
}

func create(t *testing.T, db *store.DB, events ...bot.Event) int64 {
	t.Helper()
	id, err := db.CreateFault(context.Background(), events)
	require.NoError(t, err)
	return id
}

func TestCreateAppendReplay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _, _ := openDB(t)

	first := []bot.Event{
		declared("checkout returns 500", bot.P2),
		event(bot.EventChannelCreated, func(e *bot.Event) { e.Channel, e.Text = "C1", "fault-1-checkout" }),
	}
	id, err := db.CreateFault(ctx, first)
	require.NoError(t, err)
	require.Positive(t, id)
	for i, e := range first {
		require.Equal(t, id, e.FaultID, "FaultID set in place")
		require.Equal(t, i+1, e.Seq, "Seq set in place")
	}

	// Every field set, a non-UTC time and text that needs escaping.
	every := bot.Event{
		At: t0.Add(90 * time.Second).In(time.FixedZone("CET", 3600)), Type: bot.EventLevelChanged, Actor: "carol",
		Person: "bob", Role: bot.RoleHandler, Level: bot.P1, From: bot.P2, Service: "checkout", Cause: "db",
		Kind: "db-data-error", Channel: "C1", Message: "M9", Task: 7, Via: "command", Text: "ünï \"quoted\" ✅\n'; DROP TABLE events; --",
	}
	more := []bot.Event{
		event(bot.EventInvited, func(e *bot.Event) { e.Person, e.Text = "bob", "contact of checkout" }),
		event(bot.EventKickoffPosted, func(e *bot.Event) { e.Message = "M1" }),
		event(bot.EventCheckedIn, func(e *bot.Event) { e.Person, e.Via = "bob", "reaction" }),
		event(bot.EventRoleAssigned, func(e *bot.Event) { e.Person, e.Role, e.Text = "bob", bot.RoleCommander, "policy" }),
		event(bot.EventTaskAdded, func(e *bot.Event) { e.Task, e.Person, e.Text, e.Actor = 1, "bob", "roll back", "bob" }),
		every,
		event(bot.EventUpdate, func(e *bot.Event) { e.Text = "rolled back" }),
	}
	require.NoError(t, db.Append(ctx, id, 2, more))
	for i, e := range more {
		require.Equal(t, id, e.FaultID)
		require.Equal(t, 3+i, e.Seq)
	}

	got, err := db.Events(ctx, id)
	require.NoError(t, err)
	want := append(append([]bot.Event{}, first...), more...)
	for i := range want {
		want[i].At = want[i].At.UTC() // stored in UTC
	}
	require.Equal(t, want, got)
	require.Equal(t, time.UTC, got[7].At.Location())

	f, err := bot.LoadFault(ctx, db, id)
	require.NoError(t, err)
	require.Equal(t, bot.Replay(got), f)
	require.Equal(t, id, f.ID)
	require.Equal(t, 9, f.Seq)
	require.Equal(t, bot.P1, f.Level)
	require.Equal(t, "C1", f.Channel)
	require.Len(t, f.Participants, 1)
	require.True(t, f.Participants[0].CheckedIn())

	id2 := create(t, db, declared("second", bot.P4))
	require.Greater(t, id2, id)
	id3 := create(t, db, declared("third", bot.P4))
	require.Greater(t, id3, id2)
}

func TestAppendConflict(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _, _ := openDB(t)
	id := create(t, db, declared("t", bot.P3), event(bot.EventUpdate, nil))
	before, err := db.Events(ctx, id)
	require.NoError(t, err)

	for _, after := range []int{0, 1, 3, 100} {
		evs := []bot.Event{event(bot.EventUpdate, func(e *bot.Event) { e.Text = "stale" }), event(bot.EventResolved, nil)}
		err := db.Append(ctx, id, after, evs)
		require.Equal(t, bot.ECONFLICT, bot.ErrorCode(err), "after=%d: %v", after, err)
		require.Zero(t, evs[0].Seq, "events untouched on failure")
		require.Zero(t, evs[0].FaultID)
	}
	got, err := db.Events(ctx, id)
	require.NoError(t, err)
	require.Equal(t, before, got, "nothing written")
	f, err := bot.LoadFault(ctx, db, id)
	require.NoError(t, err)
	require.Equal(t, bot.StatusOpen, f.Status)

	require.NoError(t, db.Append(ctx, id, 2, []bot.Event{event(bot.EventResolved, nil)}))
	require.NoError(t, db.Append(ctx, id, 3, nil), "appending nothing does nothing")
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _, _ := openDB(t)
	create(t, db, declared("t", bot.P3), event(bot.EventChannelCreated, func(e *bot.Event) { e.Channel = "C1" }))

	_, err := bot.LoadFault(ctx, db, 42)
	require.Equal(t, bot.ENOTFOUND, bot.ErrorCode(err))
	require.Equal(t, "fault 42 not found", bot.ErrorMessage(err))
	_, err = db.Events(ctx, 42)
	require.Equal(t, bot.ENOTFOUND, bot.ErrorCode(err))
	err = db.Append(ctx, 42, 0, []bot.Event{event(bot.EventUpdate, nil)})
	require.Equal(t, bot.ENOTFOUND, bot.ErrorCode(err))
	_, err = db.FaultByChannel(ctx, "C2")
	require.Equal(t, bot.ENOTFOUND, bot.ErrorCode(err))
	_, err = db.FaultByChannel(ctx, "")
	require.Equal(t, bot.ENOTFOUND, bot.ErrorCode(err))
}

func TestCreateFaultInvalid(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _, _ := openDB(t)

	_, err := db.CreateFault(ctx, nil)
	require.Equal(t, bot.EINVALID, bot.ErrorCode(err))
	evs := []bot.Event{event(bot.EventUpdate, nil), declared("t", bot.P1)}
	_, err = db.CreateFault(ctx, evs)
	require.Equal(t, bot.EINVALID, bot.ErrorCode(err))
	require.Zero(t, evs[0].Seq)

	all, err := db.Faults(ctx, bot.FaultFilter{})
	require.NoError(t, err)
	require.Empty(t, all)
}

func TestFaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _, _ := openDB(t)
	var ids []int64
	for i := range 6 {
		ids = append(ids, create(t, db, declared(fmt.Sprint("fault ", i), bot.P3), event(bot.EventUpdate, nil)))
	}
	// 0 open, 1 resolved, 2 mitigated, 3 open, 4 resolved, 5 open
	require.NoError(t, db.Append(ctx, ids[1], 2, []bot.Event{event(bot.EventResolved, nil)}))
	require.NoError(t, db.Append(ctx, ids[2], 2, []bot.Event{event(bot.EventMitigated, nil)}))
	require.NoError(t, db.Append(ctx, ids[4], 2, []bot.Event{event(bot.EventMitigated, nil), event(bot.EventResolved, nil)}))

	list := func(filter bot.FaultFilter) []int64 {
		t.Helper()
		fs, err := db.Faults(ctx, filter)
		require.NoError(t, err)
		var got []int64
		for _, f := range fs {
			events, err := db.Events(ctx, f.ID)
			require.NoError(t, err)
			require.Equal(t, bot.Replay(events), f, "each listed fault is its replayed timeline")
			got = append(got, f.ID)
		}
		return got
	}
	open, mitigated, resolved := bot.StatusOpen, bot.StatusMitigated, bot.StatusResolved
	require.Equal(t, []int64{ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}, list(bot.FaultFilter{}))
	require.Equal(t, []int64{ids[5], ids[3], ids[0]}, list(bot.FaultFilter{Status: []bot.Status{open}}))
	require.Equal(t, []int64{ids[4], ids[2], ids[1]}, list(bot.FaultFilter{Status: []bot.Status{mitigated, resolved}}))
	require.Equal(t, []int64{ids[5], ids[4]}, list(bot.FaultFilter{Limit: 2}))
	require.Equal(t, []int64{ids[5], ids[3]}, list(bot.FaultFilter{Status: []bot.Status{open}, Limit: 2}))
	require.Equal(t, []int64{ids[2]}, list(bot.FaultFilter{Status: []bot.Status{mitigated}, Limit: 5}))
	require.Empty(t, list(bot.FaultFilter{Status: []bot.Status{"unknown"}}))
}

func TestReopen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "warroom.db")
	clock := bot.NewFakeClock(t0)

	db, err := store.Open(path, clock)
	require.NoError(t, err)
	know(t, db)
	id := create(t, db, declared("survives", bot.P1), event(bot.EventUpdate, nil))
	want, err := bot.LoadFault(ctx, db, id)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	migrations, err := filepath.Glob("migrations/*.sql")
	require.NoError(t, err)
	require.NotEmpty(t, migrations)
	version := func() int {
		var v int
		require.NoError(t, rawDB(t, path).QueryRow("PRAGMA user_version").Scan(&v))
		return v
	}
	require.Equal(t, len(migrations), version())

	last := id
	for range 2 { // re-applying a migration would fail: its tables exist
		db, err = store.Open(path, clock)
		require.NoError(t, err)
		got, err := bot.LoadFault(ctx, db, id)
		require.NoError(t, err)
		require.Equal(t, want, got)
		next := create(t, db, declared("next", bot.P4))
		require.Greater(t, next, last, "ids are not reused")
		last = next
		require.NoError(t, db.Close())
		require.Equal(t, len(migrations), version())
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	t.Parallel()
	_, path, _ := openDB(t)
	_, err := rawDB(t, path).Exec("PRAGMA user_version = 999")
	require.NoError(t, err)

	_, err = store.Open(path, bot.NewFakeClock(t0))
	require.Error(t, err)
	require.Contains(t, err.Error(), "schema version is 999")
	require.Contains(t, err.Error(), "newer warroom")
}

func TestEventsAppendOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, path, _ := openDB(t)
	id := create(t, db, declared("history", bot.P2), event(bot.EventUpdate, nil))
	raw := rawDB(t, path)

	for _, q := range []string{
		"UPDATE events SET actor = 'mallory' WHERE fault_id = ?",
		"DELETE FROM events WHERE fault_id = ?",
		"DELETE FROM events WHERE fault_id = ? AND seq = 2",
	} {
		_, err := raw.Exec(q, id)
		require.ErrorContains(t, err, "events are append-only", q)
	}
	events, err := db.Events(ctx, id)
	require.NoError(t, err)
	require.Len(t, events, 2)
	require.Equal(t, "alice", events[0].Actor)
}

func TestStorageTimesFromClock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, path, clock := openDB(t)
	raw := rawDB(t, path)

	declare := declared("t", bot.P2)
	declare.At = t0.Add(-time.Hour) // when it happened, not when stored
	id := create(t, db, declare)
	clock.Advance(5*time.Minute + time.Nanosecond)
	require.NoError(t, db.Append(ctx, id, 1, []bot.Event{event(bot.EventUpdate, nil)}))

	var declaredAt, updatedAt string
	require.NoError(t, raw.QueryRow("SELECT declared_at, updated_at FROM faults WHERE id = ?", id).Scan(&declaredAt, &updatedAt))
	require.Equal(t, "2025-03-14T08:26:53.589793238Z", declaredAt)
	require.Equal(t, "2025-03-14T09:31:53.589793239Z", updatedAt)

	rows, err := raw.Query("SELECT at, recorded_at FROM events WHERE fault_id = ? ORDER BY seq", id)
	require.NoError(t, err)
	defer rows.Close()
	var got []string
	for rows.Next() {
		var at, recorded string
		require.NoError(t, rows.Scan(&at, &recorded))
		got = append(got, at+" "+recorded)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{
		"2025-03-14T08:26:53.589793238Z 2025-03-14T09:26:53.589793238Z",
		"2025-03-14T09:27:53.589793238Z 2025-03-14T09:31:53.589793239Z",
	}, got)
}

func TestCanceledContext(t *testing.T) {
	t.Parallel()
	db, _, _ := openDB(t)
	id := create(t, db, declared("t", bot.P2))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	_, err := db.CreateFault(ctx, []bot.Event{declared("t", bot.P2)})
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, bot.EINTERNAL, bot.ErrorCode(err))
	require.ErrorIs(t, db.Append(ctx, id, 1, []bot.Event{event(bot.EventUpdate, nil)}), context.Canceled)
	_, err = bot.LoadFault(ctx, db, id)
	require.ErrorIs(t, err, context.Canceled)
	_, err = db.Faults(ctx, bot.FaultFilter{})
	require.ErrorIs(t, err, context.Canceled)

	all, err := db.Faults(context.Background(), bot.FaultFilter{})
	require.NoError(t, err)
	require.Len(t, all, 1)
	require.Equal(t, 1, all[0].Seq)
}

// hammer appends to one fault from several goroutines, retrying on
// ECONFLICT as the core does, while other goroutines create faults. The
// goroutines take turns over dbs. Any error but ECONFLICT fails the test:
// in particular SQLITE_BUSY.
func hammer(t *testing.T, dbs ...*store.DB) {
	ctx := context.Background()
	const goroutines, each = 8, 10
	id, err := dbs[0].CreateFault(ctx, []bot.Event{declared("contended", bot.P1)})
	require.NoError(t, err)

	var wg sync.WaitGroup
	var mu sync.Mutex
	var created []int64
	var conflicts int
	for g := range goroutines {
		db := dbs[g%len(dbs)]
		wg.Go(func() {
			for i := range each {
				for {
					f, err := bot.LoadFault(ctx, db, id)
					if err != nil {
						t.Errorf("load: %v", err)
						return
					}
					e := event(bot.EventUpdate, func(e *bot.Event) { e.Text = fmt.Sprintf("g%d-%d", g, i) })
					err = db.Append(ctx, id, f.Seq, []bot.Event{e})
					if bot.ErrorCode(err) == bot.ECONFLICT {
						mu.Lock()
						conflicts++
						mu.Unlock()
						continue
					}
					if err != nil {
						t.Errorf("append: %v", err)
						return
					}
					break
				}
			}
		})
		wg.Go(func() {
			for i := range each {
				id, err := db.CreateFault(ctx, []bot.Event{declared(fmt.Sprintf("c%d-%d", g, i), bot.P4), event(bot.EventUpdate, nil)})
				if err != nil {
					t.Errorf("create: %v", err)
					return
				}
				mu.Lock()
				created = append(created, id)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	t.Logf("%d conflicts retried", conflicts)

	events, err := dbs[0].Events(ctx, id)
	require.NoError(t, err)
	require.Len(t, events, 1+goroutines*each)
	seen := map[string]bool{}
	for i, e := range events {
		require.Equal(t, i+1, e.Seq, "seqs are contiguous")
		if i > 0 {
			require.False(t, seen[e.Text], "%s stored twice", e.Text)
			seen[e.Text] = true
		}
	}
	for g := range goroutines {
		for i := range each {
			require.True(t, seen[fmt.Sprintf("g%d-%d", g, i)])
		}
	}
	f, err := bot.LoadFault(ctx, dbs[len(dbs)-1], id)
	require.NoError(t, err)
	require.Equal(t, 1+goroutines*each, f.Seq)
	require.Equal(t, goroutines*each, f.Updates)

	all, err := dbs[0].Faults(ctx, bot.FaultFilter{})
	require.NoError(t, err)
	require.Len(t, all, 1+goroutines*each)
	ids := map[int64]bool{}
	for _, f := range all {
		require.False(t, ids[f.ID])
		ids[f.ID] = true
	}
	for _, id := range created {
		require.True(t, ids[id])
	}
}

func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	db, _, _ := openDB(t)
	hammer(t, db)
}

func TestTwoHandlesOnOneFile(t *testing.T) {
	t.Parallel()
	db1, path, clock := openDB(t)
	db2, err := store.Open(path, clock)
	require.NoError(t, err)
	defer db2.Close()
	hammer(t, db1, db2)
}

func TestOpenRefusesOddPaths(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"", ":memory:", "file:x.db", "a?b.db"} {
		_, err := store.Open(p, bot.NewFakeClock(t0))
		require.Error(t, err, p)
	}
	_, err := store.Open(filepath.Join(t.TempDir(), "no", "such", "dir.db"), bot.NewFakeClock(t0))
	require.Error(t, err)
	require.Equal(t, bot.EINTERNAL, bot.ErrorCode(err))
}
