package postgres_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store"
	"github.com/warroom/warroom/store/storetest"
)

// A SQLite database copied into PostgreSQL reads the same there: every
// event, output, plan version, the alert index, the inbox, the actors and
// the due index; a second copy into the same database is refused.
func TestCopyFromSQLite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "warroom.db")
	lite, err := store.Open(path, bot.NewFakeClock(t0))
	require.NoError(t, err)
	require.NoError(t, lite.AddActors(ctx, append(storetest.People, "alertmanager")))
	id, err := lite.CreateFault(ctx, []bot.Event{storetest.Declared("copied", bot.P2), storetest.EveryField()})
	require.NoError(t, err)
	require.NoError(t, lite.SaveOutput(ctx, id, 1, 1, "out\x00\n"))
	require.NoError(t, lite.SavePlan(ctx, &bot.Plan{Name: "reseed", Version: "sha256:1", File: "/p/reseed.yaml", Source: []byte("name: reseed\n")}))
	am := storetest.Declared("by alert", bot.P3)
	am.Actor = "alertmanager"
	alertID, _, err := lite.CreateAlertFault(ctx, "alertmanager", "g1", []bot.Event{am})
	require.NoError(t, err)
	_, err = lite.Put(ctx, bot.InboxItem{Source: "alerts", ID: "d1", Payload: []byte("{}"), Received: t0})
	require.NoError(t, err)
	require.NoError(t, lite.SetDue(ctx, "policy-1", map[int64]time.Time{id: t0.Add(time.Hour)}))
	want, err := lite.Events(ctx, id)
	require.NoError(t, err)
	require.NoError(t, lite.Close())

	src, err := sql.Open("sqlite3", path+"?mode=ro")
	require.NoError(t, err)
	defer src.Close()
	pg := open(t)
	counts, err := pg.CopyFrom(ctx, src)
	require.NoError(t, err)
	assert.Equal(t, 2, counts["faults"])
	assert.Equal(t, 3, counts["events"])

	got, err := pg.Events(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	out, err := pg.Output(ctx, id, 1, 1)
	require.NoError(t, err)
	assert.Equal(t, "out\x00\n", out)
	plan, err := pg.PlanSource(ctx, "reseed", "sha256:1")
	require.NoError(t, err)
	assert.Equal(t, "name: reseed\n", string(plan))
	found, err := pg.AlertFault(ctx, "alertmanager", "g1")
	require.NoError(t, err)
	assert.Equal(t, alertID, found)
	pending, err := pg.Pending(ctx, "alerts", 0)
	require.NoError(t, err)
	require.Len(t, pending, 1)
	due, err := pg.DueBy(ctx, t0.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, []int64{id}, due)
	policy, err := pg.DuePolicy(ctx)
	require.NoError(t, err)
	assert.Equal(t, "policy-1", policy)

	// New faults are numbered after the copied ones; copying again is refused.
	next, err := pg.CreateFault(ctx, []bot.Event{storetest.Declared("after", bot.P2)})
	require.NoError(t, err)
	assert.Equal(t, alertID+1, next)
	_, err = pg.CopyFrom(ctx, src)
	require.ErrorContains(t, err, "not empty")
}
