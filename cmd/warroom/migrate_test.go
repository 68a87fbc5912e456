package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store"
	"github.com/warroom/warroom/store/postgres"
	"github.com/warroom/warroom/store/postgres/pgtest"
)

// warroom migrate copies a SQLite file into a new PostgreSQL database, and
// refuses one that is not empty, copying nothing.
func TestMigrateSQLiteToPostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.Get(t).NewDatabase(t)
	path := filepath.Join(t.TempDir(), "w.db")
	lite, err := store.Open(path, bot.NewFakeClock(start))
	require.NoError(t, err)
	id, err := lite.CreateFault(ctx, []bot.Event{{Type: bot.EventDeclared, At: start, Actor: bot.ActorBot, Level: bot.P2, Text: "Ledger down"}})
	require.NoError(t, err)
	require.NoError(t, lite.SaveOutput(ctx, id, 1, 1, "done\n"))
	require.NoError(t, lite.Close())

	out, errOut, code := cli(t, "migrate", "-from", path, "-to", url)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "events 1")
	assert.Contains(t, out, "faults 1")
	pg, err := postgres.Open(ctx, url, bot.NewFakeClock(start))
	require.NoError(t, err)
	defer pg.Close()
	f, err := bot.LoadFault(ctx, pg, id)
	require.NoError(t, err)
	assert.Equal(t, "Ledger down", f.Title)
	o, err := pg.Output(ctx, id, 1, 1)
	require.NoError(t, err)
	assert.Equal(t, "done\n", o)

	_, errOut, code = cli(t, "migrate", "-from", path, "-to", url)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "nothing was copied: the PostgreSQL database is not empty")

	_, errOut, code = cli(t, "migrate", "-from", path)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "give -from FILE")
	_, errOut, code = cli(t, "migrate", "-from", filepath.Join(t.TempDir(), "none.db"), "-to", url)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "no database at")
	_, err = os.Stat(path)
	require.NoError(t, err)
}
