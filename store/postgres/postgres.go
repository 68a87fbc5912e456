// Package postgres keeps warroom's faults in PostgreSQL, as package store
// does in a SQLite file: the same tables, the same append-only timelines
// and the same audit rules, enforced by the database's triggers. Several
// warroom processes can share one database; Elect (leader.go) picks the
// one that runs the timed work.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/warroom/warroom/bot"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Advisory lock keys, in the database's one namespace of them: migrating
// (held by the transaction that migrates) and leading (held by the
// leader's session). "warr" and "warl" in ASCII.
const (
	lockMigrate int64 = 0x77617272
	lockLeader  int64 = 0x7761726c
)

// DB is a warroom store on a PostgreSQL database. It is safe for
// concurrent use, by this process and others.
type DB struct {
	pool  *pgxpool.Pool
	clock bot.Clock
	url   string
	owner *owner // this process's claim on the inbox items it keeps
}

var (
	_ bot.Store        = (*DB)(nil)
	_ bot.PlanVersions = (*DB)(nil)
	_ bot.StepOutputs  = (*DB)(nil)
	_ bot.AlertKeys    = (*DB)(nil)
	_ bot.Inbox        = (*DB)(nil)
	_ bot.Actors       = (*DB)(nil)
)

// IsURL reports whether a config's database names a PostgreSQL server
// rather than a SQLite file.
func IsURL(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}

// Open connects to the database at url (postgres://user@host:port/db?...)
// and brings its schema up to date. Storage times come from clock.
func Open(ctx context.Context, url string, clock bot.Clock) (*DB, error) {
	if clock == nil {
		return nil, errors.New("postgres: open: no clock")
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: the database URL: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	// A connection broken by a database restart is found at its next use
	// and replaced; a short health check period finds the idle ones sooner.
	cfg.HealthCheckPeriod = 5 * time.Second
	migrations, err := loadMigrations(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open %s: %w", Redact(url), err)
	}
	if err := migrate(ctx, pool, migrations); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open %s: %w", Redact(url), err)
	}
	own, err := holdOwner(ctx, url, slog.Default())
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open %s: the inbox owner lock: %w", Redact(url), err)
	}
	return &DB{pool: pool, clock: clock, url: url, owner: own}, nil
}

// Close closes the connections.
func (db *DB) Close() error {
	db.owner.close()
	db.pool.Close()
	return nil
}

// Ping proves the database can be written now: a write transaction that
// changes nothing, committed. GET /healthz answers 503 while it fails.
func (db *DB) Ping(ctx context.Context) error {
	_, err := db.pool.Exec(ctx, `UPDATE schema_version SET version = version`)
	return failed("health check", err)
}

// Redact is url without its password, for messages and logs.
func Redact(url string) string {
	cfg, err := pgx.ParseConfig(url)
	if err != nil || cfg.Password == "" {
		return url
	}
	return strings.Replace(url, ":"+cfg.Password+"@", ":xxxxx@", 1)
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
		return nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	var ms []migration
	for _, name := range names {
		base := path.Base(name)
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil || v < 1 {
			return nil, fmt.Errorf("postgres: migration %s: the name must start with its number, as in 0001_init.sql", base)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("postgres: migration %s: %w", base, err)
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("postgres: migration %s: expected number %d", m.name, i+1)
		}
	}
	return ms, nil
}

// migrate applies the migrations the database has not seen, in one
// transaction holding the migration lock, so that two processes starting
// together on a new database do not both apply them.
func migrate(ctx context.Context, pool *pgxpool.Pool, ms []migration) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockMigrate); err != nil {
		return fmt.Errorf("waiting for the migration lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)`); err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	var v int
	err = tx.QueryRow(ctx, `SELECT version FROM schema_version`).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		_, err = tx.Exec(ctx, `INSERT INTO schema_version (version) VALUES (0)`)
	}
	if err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	if v > len(ms) {
		return fmt.Errorf("the database's schema version is %d but this warroom knows only up to %d: it was written by a newer warroom; upgrade warroom or use another database", v, len(ms))
	}
	for _, m := range ms[v:] {
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE schema_version SET version = $1`, len(ms)); err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	return tx.Commit(ctx)
}

// formatTime is how times are stored: RFC 3339 with nanoseconds, in UTC,
// as the SQLite store keeps them.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// parseTime reads a time as formatTime wrote it.
func parseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }
