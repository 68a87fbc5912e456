package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/warroom/warroom/bot"
)

// The alert index and the inbox (migration 0003): bot.AlertKeys and
// bot.Inbox.

var (
	_ bot.AlertKeys = (*DB)(nil)
	_ bot.Inbox     = (*DB)(nil)
)

// AlertFault returns the newest fault filed under source's key.
func (db *DB) AlertFault(ctx context.Context, source, key string) (int64, error) {
	var id int64
	err := db.read.QueryRowContext(ctx, `SELECT fault_id FROM alert_keys WHERE source = ? AND key = ? ORDER BY fault_id DESC LIMIT 1`, source, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, bot.Errorf(bot.ENOTFOUND, "no fault was declared under this alert key")
	} else if err != nil {
		return 0, fmt.Errorf("store: alert fault: %w", err)
	}
	return id, nil
}

// CreateAlertFault creates a fault filed under source's key, unless a fault
// filed under it is not resolved: that one's id is returned, created false.
// The look-up and the creation are one (immediate) transaction on the one
// writer connection, so two callers, in this process or another, cannot
// both create.
func (db *DB) CreateAlertFault(ctx context.Context, source, key string, events []bot.Event) (int64, bool, error) {
	if len(events) == 0 || events[0].Type != bot.EventDeclared {
		return 0, false, bot.Errorf(bot.EINVALID, "a fault's timeline must start with a %q event", bot.EventDeclared)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, fmt.Errorf("store: create alert fault: %w", err)
	}
	defer tx.Rollback()
	var (
		open   int64
		status string
	)
	err = tx.QueryRowContext(ctx, `SELECT f.id, f.status FROM alert_keys a JOIN faults f ON f.id = a.fault_id
		WHERE a.source = ? AND a.key = ? ORDER BY a.fault_id DESC LIMIT 1`, source, key).Scan(&open, &status)
	switch {
	case err == nil && bot.Status(status) != bot.StatusResolved:
		return open, false, nil
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return 0, false, fmt.Errorf("store: create alert fault: %w", err)
	}
	id, evs, err := db.createFault(ctx, tx, events)
	if err != nil {
		return 0, false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO alert_keys (source, key, fault_id) VALUES (?, ?, ?)`, source, key, id); err != nil {
		return 0, false, fmt.Errorf("store: create alert fault %d: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, false, fmt.Errorf("store: create alert fault %d: %w", id, err)
	}
	copy(events, evs)
	return id, true, nil
}

// Put keeps an inbox item; an id its source has already is not kept again.
func (db *DB) Put(ctx context.Context, item bot.InboxItem) (bool, error) {
	if item.Source == "" || item.ID == "" {
		return false, bot.Errorf(bot.EINVALID, "an inbox item needs a source and an id")
	}
	payload := item.Payload
	if payload == nil {
		payload = []byte{} // NOT NULL
	}
	res, err := db.write.ExecContext(ctx, `INSERT INTO inbox (source, id, payload, received_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (source, id) DO NOTHING`, item.Source, item.ID, payload, formatTime(item.Received))
	if err != nil {
		return false, bot.Errorf(bot.EINTERNAL, "store: inbox put: %v", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, bot.Errorf(bot.EINTERNAL, "store: inbox put: %v", err)
	}
	return n == 1, nil
}

// Pending returns up to limit items of source not done, oldest first.
func (db *DB) Pending(ctx context.Context, source string, limit int) ([]bot.InboxItem, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, payload, received_at FROM inbox WHERE source = ? AND done_at IS NULL ORDER BY seq LIMIT ?`, source, limit)
	if err != nil {
		return nil, bot.Errorf(bot.EINTERNAL, "store: inbox pending: %v", err)
	}
	defer rows.Close()
	var out []bot.InboxItem
	for rows.Next() {
		it := bot.InboxItem{Source: source}
		var at string
		if err := rows.Scan(&it.ID, &it.Payload, &at); err != nil {
			return nil, bot.Errorf(bot.EINTERNAL, "store: inbox pending: %v", err)
		}
		if it.Received, err = parseTime(at); err != nil {
			return nil, bot.Errorf(bot.EINTERNAL, "store: inbox pending: %v", err)
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, bot.Errorf(bot.EINTERNAL, "store: inbox pending: %v", err)
	}
	return out, nil
}

// Done marks an inbox item acted on.
func (db *DB) Done(ctx context.Context, source, id string) error {
	res, err := db.write.ExecContext(ctx, `UPDATE inbox SET done_at = coalesce(done_at, ?) WHERE source = ? AND id = ?`, formatTime(db.clock.Now()), source, id)
	if err != nil {
		return bot.Errorf(bot.EINTERNAL, "store: inbox done: %v", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return bot.Errorf(bot.EINTERNAL, "store: inbox done: %v", err)
	} else if n == 0 {
		return bot.Errorf(bot.ENOTFOUND, "the inbox has no item %s of %s", id, source)
	}
	return nil
}

// parseTime reads a time as formatTime wrote it.
func parseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }
