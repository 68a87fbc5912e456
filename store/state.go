package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/warroom/warroom/bot"
)

var _ bot.AdapterState = (*DB)(nil)

// State returns the adapter value under key; nil when none.
func (db *DB) State(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := db.read.QueryRowContext(ctx, `SELECT value FROM adapter_state WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, failed("adapter state "+key, err)
	}
	return v, nil
}

// SetState keeps value under key.
func (db *DB) SetState(ctx context.Context, key string, value []byte) error {
	if key == "" {
		return bot.Errorf(bot.EINVALID, "an adapter state needs a key")
	}
	if value == nil {
		value = []byte{}
	}
	_, err := db.write.ExecContext(ctx, `INSERT INTO adapter_state (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, value, formatTime(db.clock.Now()))
	return failed("saving adapter state "+key, err)
}
