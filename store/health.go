package store

import (
	"context"
	"fmt"
)

// Ping proves the database can be written now: a write transaction that
// changes nothing (it sets the schema version to what it is), committed.
// GET /healthz answers 503 while it fails.
func (db *DB) Ping(ctx context.Context) error {
	tx, err := db.write.BeginTx(ctx, nil) // BEGIN IMMEDIATE: the write lock
	if err != nil {
		return failed("health check", err)
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return failed("health check", err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v)); err != nil {
		return failed("health check", err)
	}
	return failed("health check", tx.Commit())
}

// SetQueryOnly makes every write fail as on a read-only file (SQLite's
// query_only, on the one writer connection), or lifts that. It is for
// tests of what warroom says and serves while its store cannot write.
func (db *DB) SetQueryOnly(ctx context.Context, on bool) error {
	v := 0
	if on {
		v = 1
	}
	_, err := db.write.ExecContext(ctx, fmt.Sprintf("PRAGMA query_only = %d", v))
	return failed("query_only", err)
}
