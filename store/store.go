// Package store keeps warroom's faults in a SQLite file: each fault is its
// append-only timeline of bot.Events, plus a few projection columns to find
// faults by channel and status. It implements bot.Store.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/warroom/warroom/bot"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Connection settings. WAL lets readers run beside the one writer; the
// writer's transactions BEGIN IMMEDIATE so that a second writer, even in
// another process, waits on the busy timeout instead of failing with
// SQLITE_BUSY half-way through a transaction.
const (
	writerParams = "_journal_mode=WAL&_foreign_keys=on&_busy_timeout=5000&_txlock=immediate&_synchronous=NORMAL"
	readerParams = "_foreign_keys=on&_busy_timeout=5000&_query_only=1"
)

// DB is a warroom store on a SQLite file. It is safe for concurrent use.
type DB struct {
	write *sql.DB // one connection: writes are serialised here, not by SQLite
	read  *sql.DB
	clock bot.Clock
	stmts *stmts      // prepared on write
	inbox inboxWriter // the inbox's writes, committed in groups (alerts.go)
	ckpt  *checkpointer
}

var _ bot.Store = (*DB)(nil)

// Open opens the SQLite file at path, creating it if needed, and brings its
// schema up to date. Storage times come from clock.
func Open(path string, clock bot.Clock) (*DB, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("store: open %q: a plain file path is required", path)
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("store: open %q: the path may not contain '?' or '#'", path)
	}
	if clock == nil {
		return nil, errors.New("store: open: no clock")
	}
	migrations, err := loadMigrations(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	if err := writable(path); err != nil {
		return nil, err
	}

	// The writer goes first: it creates the file, sets WAL and migrates, so
	// that the readers find a complete schema.
	w, err := sql.Open("sqlite3", path+"?"+writerParams)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := migrate(context.Background(), w, migrations); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}

	r, err := sql.Open("sqlite3", path+"?"+readerParams)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	if err := r.Ping(); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	st, err := prepare(context.Background(), w)
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	cp, err := startCheckpointer(context.Background(), w, path)
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return &DB{write: w, read: r, clock: clock, stmts: st, ckpt: cp}, nil
}

// Close closes the database.
func (db *DB) Close() error {
	return errors.Join(db.ckpt.close(), db.read.Close(), db.write.Close())
}

// migration is one numbered SQL file.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads dir/NNNN_name.sql from fsys, numbered 1, 2, 3...
// without gaps.
func loadMigrations(fsys fs.FS, dir string) ([]migration, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.sql"))
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	var ms []migration
	for _, name := range names {
		base := path.Base(name)
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil || v < 1 {
			return nil, fmt.Errorf("store: migration %s: the name must start with its number, as in 0001_init.sql", base)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("store: migration %s: %w", base, err)
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("store: migration %s: expected number %d", m.name, i+1)
		}
	}
	return ms, nil
}

// migrate applies the migrations the database has not seen yet, each in its
// own transaction together with the new PRAGMA user_version. The version is
// read inside the (immediate) transaction, so two processes opening the same
// new file do not both apply a migration.
func migrate(ctx context.Context, db *sql.DB, ms []migration) error {
	for _, m := range ms {
		if err := migrateOne(ctx, db, m, len(ms)); err != nil {
			return err
		}
	}
	return nil
}

func migrateOne(ctx context.Context, db *sql.DB, m migration, known int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	switch {
	case v > known:
		return newerSchema(v, known)
	case v >= m.version:
		return nil // applied before
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
		return fmt.Errorf("migration %s: set schema version: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	return nil
}

func newerSchema(have, known int) error {
	return fmt.Errorf("the database's schema version is %d but this warroom knows only up to %d: it was written by a newer warroom; upgrade warroom or use another file", have, known)
}

// formatTime is how times are stored: RFC 3339 with nanoseconds, in UTC.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// isConstraint reports whether err is a primary-key or unique violation.
func isConstraint(err error) bool {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey || se.ExtendedCode == sqlite3.ErrConstraintUnique
}
