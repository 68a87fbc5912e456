package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mattn/go-sqlite3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store"
)

// TestUnwritableStore: while SQLite refuses writes (as on a read-only
// file), every write fails with an error that says so in words, for chat,
// and keeps the driver's error for the log; reads go on, and the health
// check fails until writes work again.
func TestUnwritableStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _, _ := openDB(t)
	id := create(t, db, declared("t", bot.P2))
	require.NoError(t, db.Ping(ctx))

	require.NoError(t, db.SetQueryOnly(ctx, true))
	err := db.Append(ctx, id, 1, []bot.Event{event(bot.EventUpdate, nil)})
	require.Error(t, err)
	assert.Equal(t, bot.EINTERNAL, bot.ErrorCode(err))
	assert.Equal(t, "warroom's database is read-only (its file or its folder cannot be written)", bot.ErrorMessage(err))
	assert.Equal(t, "store: append to fault 1: attempt to write a readonly database", err.Error())
	var se sqlite3.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, sqlite3.ErrReadonly, se.Code)

	_, err = db.CreateFault(ctx, []bot.Event{declared("u", bot.P3)})
	assert.Equal(t, "warroom's database is read-only (its file or its folder cannot be written)", bot.ErrorMessage(err))
	err = db.Ping(ctx)
	assert.Equal(t, "warroom's database is read-only (its file or its folder cannot be written)", bot.ErrorMessage(err))
	assert.Contains(t, err.Error(), "store: health check: ")

	f, err := bot.LoadFault(ctx, db, id)
	require.NoError(t, err, "reads go on")
	assert.Equal(t, 1, f.Seq, "nothing was recorded")

	require.NoError(t, db.SetQueryOnly(ctx, false))
	require.NoError(t, db.Ping(ctx))
	require.NoError(t, db.Append(ctx, id, 1, []bot.Event{event(bot.EventUpdate, nil)}))
	f, err = bot.LoadFault(ctx, db, id)
	require.NoError(t, err)
	assert.Equal(t, 2, f.Seq, "the ping changed nothing")
}

// TestClosedStoreSaysSo: a call on a closed store says the database is
// closed.
func TestClosedStoreSaysSo(t *testing.T) {
	t.Parallel()
	db, err := store.Open(filepath.Join(t.TempDir(), "w.db"), bot.NewFakeClock(t0))
	require.NoError(t, err)
	require.NoError(t, db.Close())
	err = db.Ping(context.Background())
	assert.Equal(t, "warroom's database is closed (warroom is stopping)", bot.ErrorMessage(err))
}

// TestOpenSaysWhatIsWrong: a database that cannot be opened for writing
// says why, and what to do, instead of SQLite's "unable to open database
// file".
func TestOpenSaysWhatIsWrong(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clock := bot.NewFakeClock(t0)

	missing := filepath.Join(dir, "no", "such")
	_, err := store.Open(filepath.Join(missing, "w.db"), clock)
	require.Error(t, err)
	assert.Equal(t, "store: open "+filepath.Join(missing, "w.db")+": the folder "+missing+" does not exist; create it (mkdir -p "+missing+") or name another file (-db FILE, or database: in the config)", err.Error())

	_, err = store.Open(dir, clock)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "it is a folder; name a file in it, e.g. "+filepath.Join(dir, "warroom.db"))

	if os.Geteuid() == 0 {
		t.Skip("root may write anything: the permission cases need another user")
	}
	ro := filepath.Join(dir, "ro")
	require.NoError(t, os.Mkdir(ro, 0o755))
	file := filepath.Join(ro, "w.db")
	db, err := store.Open(file, clock)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	require.NoError(t, os.Chmod(file, 0o444))
	_, err = store.Open(file, clock)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "store: open "+file+": permission denied: warroom (running as ")
	assert.Contains(t, err.Error(), ") cannot write the file "+file+"; make it writable by that user (chown or chmod), or name another file (-db FILE, or database: in the config)")
	assert.NotContains(t, err.Error(), "no such file")

	require.NoError(t, os.Chmod(file, 0o644))
	require.NoError(t, os.Chmod(ro, 0o555))
	t.Cleanup(func() { _ = os.Chmod(ro, 0o755) })
	_, err = store.Open(file, clock)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot write the folder "+ro+";", "SQLite creates its -wal file in the folder")
	_, err = store.Open(filepath.Join(ro, "new.db"), clock)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot write the folder "+ro+";", "to create the file in")
}
