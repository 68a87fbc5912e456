package store

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/mattn/go-sqlite3"
	"github.com/stretchr/testify/assert"

	"github.com/warroom/warroom/bot"
)

func TestExplain(t *testing.T) {
	t.Parallel()
	for code, want := range map[sqlite3.ErrNo]string{
		sqlite3.ErrReadonly: "warroom's database is read-only (its file or its folder cannot be written)",
		sqlite3.ErrFull:     "the disk holding warroom's database is full",
		sqlite3.ErrBusy:     "warroom's database is busy: another process is holding it",
		sqlite3.ErrLocked:   "warroom's database is busy: another process is holding it",
		sqlite3.ErrIoErr:    "warroom's database could not be read or written (a disk I/O error)",
		sqlite3.ErrCorrupt:  "warroom's database file is damaged",
		sqlite3.ErrCantOpen: "warroom's database file cannot be opened (moved, deleted, or its folder is not writable)",
	} {
		err := failed("append to fault 1", fmt.Errorf("insert: %w", sqlite3.Error{Code: code}))
		assert.Equal(t, want, bot.ErrorMessage(err), code)
		assert.Equal(t, bot.EINTERNAL, bot.ErrorCode(err))
	}
	assert.Equal(t, "warroom's database failed: boom", bot.ErrorMessage(failed("x", errors.New("boom"))))
	nf := bot.Errorf(bot.ENOTFOUND, "fault 3 not found")
	assert.Same(t, nf, failed("x", nf), "application errors pass as they are")
	assert.NoError(t, failed("x", nil))
}

func TestDenied(t *testing.T) {
	t.Parallel()
	err := denied("/var/lib/w.db", "the folder /var/lib", &fs.PathError{Op: "open", Path: "/var/lib/x", Err: fs.ErrPermission})
	assert.Contains(t, err.Error(), "store: open /var/lib/w.db: permission denied: warroom (running as ")
	assert.Contains(t, err.Error(), ") cannot write the folder /var/lib; make it writable by that user (chown or chmod), or name another file (-db FILE, or database: in the config)")
	err = denied("/w.db", "the file /w.db", &fs.PathError{Op: "open", Path: "/w.db", Err: errors.New("read-only file system")})
	assert.Equal(t, "store: open /w.db: open /w.db: read-only file system", err.Error())
}
