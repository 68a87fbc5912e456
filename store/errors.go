package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mattn/go-sqlite3"

	"github.com/warroom/warroom/bot"
)

// failure is a database error as the store returns it. For the log, its
// Error names the operation and the driver's error (errors.Is and As reach
// that error); for people, it holds a *bot.Error (code EINTERNAL) saying in
// words what happened, the disk being full or the file read-only, which is
// what chat and the HTTP API show.
type failure struct {
	op     string
	err    error
	public *bot.Error
}

func (f *failure) Error() string   { return "store: " + f.op + ": " + f.err.Error() }
func (f *failure) Unwrap() []error { return []error{f.err, f.public} }

// failed wraps an error from the database for op ("append to fault 3").
// Application errors (not found, conflict) and a cancelled context pass as
// they are: the caller made those.
func failed(op string, err error) error {
	var be *bot.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &be):
		return err
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("store: %s: %w", op, err)
	}
	return &failure{op: op, err: err, public: bot.Errorf(bot.EINTERNAL, "%s", explain(err))}
}

// explain says what a database error means for the person whose command
// it stopped. SQLite's messages hold no data, only what went wrong.
func explain(err error) string {
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrReadonly:
			return "warroom's database is read-only (its file or its folder cannot be written)"
		case sqlite3.ErrFull:
			return "the disk holding warroom's database is full"
		case sqlite3.ErrBusy, sqlite3.ErrLocked:
			return "warroom's database is busy: another process is holding it"
		case sqlite3.ErrIoErr:
			return "warroom's database could not be read or written (a disk I/O error)"
		case sqlite3.ErrPerm, sqlite3.ErrAuth:
			return "warroom may not write its database (permission denied)"
		case sqlite3.ErrCantOpen:
			return "warroom's database file cannot be opened (moved, deleted, or its folder is not writable)"
		case sqlite3.ErrCorrupt, sqlite3.ErrNotADB:
			return "warroom's database file is damaged"
		}
		if msg := refusal(err); strings.HasPrefix(msg, "warroom: ") {
			return "warroom's database refused the change: " + strings.TrimPrefix(msg, "warroom: ") // the audit triggers (0005)
		}
		return "warroom's database failed: " + se.Error()
	}
	if strings.Contains(err.Error(), "sql: database is closed") {
		return "warroom's database is closed (warroom is stopping)"
	}
	return "warroom's database failed: " + err.Error()
}

// writable checks, before SQLite is asked, that the database file can be
// written, and its folder too when SQLite must create the -wal file beside
// it; so that an unwritable database says so, and what to do, rather than
// SQLite's "unable to open database file: no such file or directory". It
// creates the file when it is not there, as SQLite would.
func writable(path string) error {
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("store: open %s: the folder %s does not exist; create it (mkdir -p %s) or name another file (-db FILE, or database: in the config)", path, dir, dir)
	case err != nil:
		return denied(path, "the folder "+dir, err)
	case !fi.IsDir():
		return fmt.Errorf("store: open %s: %s is not a folder", path, dir)
	}
	what := "the file " + path
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("store: open %s: it is a folder; name a file in it, e.g. %s", path, filepath.Join(path, "warroom.db"))
	} else if errors.Is(err, fs.ErrNotExist) {
		what = "the folder " + dir // to create the file in
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return denied(path, what, err)
	}
	_ = f.Close()
	if _, err := os.Stat(path + "-wal"); errors.Is(err, fs.ErrNotExist) {
		probe, err := os.CreateTemp(dir, ".warroom-probe-*")
		if err != nil {
			return denied(path, "the folder "+dir, err)
		}
		_ = probe.Close()
		_ = os.Remove(probe.Name())
	}
	return nil
}

// denied words a failure to write what ("the file ...", "the folder ...").
func denied(path, what string, err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("store: open %s: permission denied: warroom (running as %s) cannot write %s; make it writable by that user (chown or chmod), or name another file (-db FILE, or database: in the config)", path, whoAmI(), what)
	}
	return fmt.Errorf("store: open %s: %w", path, err)
}

// whoAmI is the user the process runs as, for messages.
func whoAmI() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "uid " + strconv.Itoa(os.Getuid())
}
