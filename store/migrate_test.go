package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

// These tests drive migrate with made-up migrations: the real ones are only
// one so far, which cannot show that only the missing ones are applied.

func testMigrations(t *testing.T, files map[string]string) []migration {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, sql := range files {
		fsys["m/"+name] = &fstest.MapFile{Data: []byte(sql)}
	}
	ms, err := loadMigrations(fsys, "m")
	require.NoError(t, err)
	return ms
}

func openWriter(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", filepath.Join(t.TempDir(), "m.db")+"?"+writerParams)
	require.NoError(t, err)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func userVersion(t *testing.T, db *sql.DB) int {
	t.Helper()
	var v int
	require.NoError(t, db.QueryRow("PRAGMA user_version").Scan(&v))
	return v
}

func TestMigrateAppliesOnlyMissing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openWriter(t)
	one := map[string]string{"0001_a.sql": "CREATE TABLE a (x INTEGER); INSERT INTO a VALUES (1);"}
	require.NoError(t, migrate(ctx, db, testMigrations(t, one)))
	require.Equal(t, 1, userVersion(t, db))

	// 0001 again would fail: table a exists.
	two := map[string]string{"0001_a.sql": one["0001_a.sql"], "0002_b.sql": "CREATE TABLE b (y INTEGER);"}
	require.NoError(t, migrate(ctx, db, testMigrations(t, two)))
	require.NoError(t, migrate(ctx, db, testMigrations(t, two)))
	require.Equal(t, 2, userVersion(t, db))
	var n int
	require.NoError(t, db.QueryRow("SELECT count(*) FROM a").Scan(&n))
	require.Equal(t, 1, n)

	// An older binary refuses the newer file.
	err := migrate(ctx, db, testMigrations(t, one))
	require.ErrorContains(t, err, "schema version is 2 but this warroom knows only up to 1")
}

func TestMigrateFailureRollsBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openWriter(t)
	ms := testMigrations(t, map[string]string{
		"0001_a.sql": "CREATE TABLE a (x INTEGER);",
		"0002_b.sql": "CREATE TABLE b (y INTEGER); INSERT INTO nosuch VALUES (1);",
	})
	err := migrate(ctx, db, ms)
	require.ErrorContains(t, err, "0002_b.sql")
	require.Equal(t, 1, userVersion(t, db), "0001 stays, 0002 is undone")
	var n int
	require.NoError(t, db.QueryRow("SELECT count(*) FROM sqlite_schema WHERE name = 'b'").Scan(&n))
	require.Zero(t, n)
}

func TestLoadMigrationsNames(t *testing.T) {
	t.Parallel()
	for name, files := range map[string]fstest.MapFS{
		"no number": {"m/init.sql": {}},
		"gap":       {"m/0001_a.sql": {}, "m/0003_c.sql": {}},
		"twice":     {"m/0001_a.sql": {}, "m/0001_b.sql": {}},
		"zero":      {"m/0000_a.sql": {}},
	} {
		_, err := loadMigrations(files, "m")
		require.Error(t, err, name)
	}
	ms, err := loadMigrations(migrationFiles, "migrations")
	require.NoError(t, err)
	require.NotEmpty(t, ms)
	require.Equal(t, "0001_init.sql", ms[0].name)
}
