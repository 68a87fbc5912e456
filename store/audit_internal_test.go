package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

// TestAuditMigrationKeepsOldData: a database from before 0005 keeps
// working: whoever made its events is known.
func TestAuditMigrationKeepsOldData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	ms, err := loadMigrations(migrationFiles, "migrations")
	require.NoError(t, err)
	i := 0
	for i < len(ms) && ms[i].name != "0005_audit.sql" {
		i++
	}
	require.Less(t, i, len(ms), "0005_audit.sql is a migration")

	w, err := sql.Open("sqlite3", path+"?"+writerParams)
	require.NoError(t, err)
	require.NoError(t, migrate(ctx, w, ms[:i]))
	for _, q := range []string{
		`INSERT INTO faults (id, title, level, status, channel, declared_at, updated_at, seq) VALUES (1, 'old', 'P2', 'open', 'C1', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', 2)`,
		`INSERT INTO events VALUES (1, 1, '2024-01-01T00:00:00Z', 'declared', 'olga', '{"at":"2024-01-01T00:00:00Z","type":"declared","actor":"olga","level":"P2","text":"old"}', '2024-01-01T00:00:00Z')`,
		`INSERT INTO events VALUES (1, 2, '2024-01-01T00:00:00Z', 'channel_created', 'warroom', '{"at":"2024-01-01T00:00:00Z","type":"channel_created","actor":"warroom","channel":"C1"}', '2024-01-01T00:00:00Z')`,
	} {
		_, err := w.Exec(q)
		require.NoError(t, err, q)
	}
	require.NoError(t, w.Close())

	now := time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
	db, err := Open(path, bot.NewFakeClock(now))
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Append(ctx, 1, 2, []bot.Event{{At: now, Type: bot.EventUpdate, Actor: "olga", Text: "still here"}}))
	err = db.Append(ctx, 1, 3, []bot.Event{{At: now, Type: bot.EventUpdate, Actor: "mallory"}})
	require.Equal(t, bot.EINVALID, bot.ErrorCode(err), "%v", err)
}

// TestTriggerRefusalsInWords: a refusal by an audit trigger that the store
// does not word itself still says what it is.
func TestTriggerRefusalsInWords(t *testing.T) {
	t.Parallel()
	db, err := Open(filepath.Join(t.TempDir(), "w.db"), bot.NewFakeClock(time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)))
	require.NoError(t, err)
	defer db.Close()
	_, err = db.write.Exec("DELETE FROM actors")
	err = failed("tidy up", err)
	require.Equal(t, bot.EINTERNAL, bot.ErrorCode(err))
	require.Equal(t, "warroom's database refused the change: actors are kept as added", bot.ErrorMessage(err))
}
