package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
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
	if item.Payload == nil {
		item.Payload = []byte{} // NOT NULL
	}
	op := &inboxOp{put: true, source: item.Source, id: item.ID, payload: item.Payload, at: formatTime(item.Received)}
	db.inbox.do(ctx, db, op)
	return op.fresh, op.err
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
	op := &inboxOp{source: source, id: id, at: formatTime(db.clock.Now())}
	db.inbox.do(ctx, db, op)
	return op.err
}

// inboxWriter commits the inbox's writes in groups: the Puts and Dones that
// arrive while one transaction commits go together in the next. A storm of
// alert deliveries is then a few write transactions instead of two per
// delivery, on the one writer connection the faults' timelines need too,
// and the hooks' answers wait less. Alone, a write is its own transaction,
// as before.
type inboxWriter struct {
	mu      sync.Mutex
	queue   []*inboxOp
	writing bool // a caller is committing groups; the others wait on done
}

// inboxOp is one Put (put) or Done, and its outcome.
type inboxOp struct {
	put        bool
	source, id string
	payload    []byte
	at         string // received_at, or done_at
	fresh      bool
	err        error
	done       chan struct{} // closed when it is written (or failed)
	lead       chan struct{} // closed when its caller is to commit the next group
}

// maxInboxGroup bounds one group's transaction.
const maxInboxGroup = 256

// do runs op in a group. A caller who finds nobody committing commits a
// group (its own op first), then hands the next group to the caller at the
// head of the queue: each commits one group, so nobody waits for more than
// the group before theirs and their own.
func (w *inboxWriter) do(ctx context.Context, db *DB, op *inboxOp) {
	op.done, op.lead = make(chan struct{}), make(chan struct{})
	w.mu.Lock()
	w.queue = append(w.queue, op)
	if w.writing {
		w.mu.Unlock()
		select {
		case <-op.done:
			return
		case <-op.lead: // op heads the queue now
		}
		w.mu.Lock()
	}
	w.writing = true
	n := min(len(w.queue), maxInboxGroup)
	group := w.queue[:n:n]
	w.queue = w.queue[n:]
	w.mu.Unlock()

	// The group is everyone's: one caller giving up must not undo the
	// others' writes.
	db.commitInbox(context.WithoutCancel(ctx), group)

	w.mu.Lock()
	for _, o := range group {
		if o != op {
			close(o.done)
		}
	}
	if len(w.queue) > 0 {
		close(w.queue[0].lead)
	} else {
		w.writing = false
	}
	w.mu.Unlock()
}

// commitInbox writes a group of inbox operations in one transaction.
func (db *DB) commitInbox(ctx context.Context, group []*inboxOp) {
	fail := func(err error) {
		for _, o := range group {
			o.fresh, o.err = false, bot.Errorf(bot.EINTERNAL, "store: inbox: %v", err)
		}
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		fail(err)
		return
	}
	defer tx.Rollback()
	for _, o := range group {
		var res sql.Result
		if o.put {
			res, err = tx.ExecContext(ctx, `INSERT INTO inbox (source, id, payload, received_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (source, id) DO NOTHING`, o.source, o.id, o.payload, o.at)
		} else {
			res, err = tx.ExecContext(ctx, `UPDATE inbox SET done_at = coalesce(done_at, ?) WHERE source = ? AND id = ?`, o.at, o.source, o.id)
		}
		if err != nil {
			fail(err)
			return
		}
		n, err := res.RowsAffected()
		if err != nil {
			fail(err)
			return
		}
		switch {
		case o.put:
			o.fresh = n == 1
		case n == 0:
			o.err = bot.Errorf(bot.ENOTFOUND, "the inbox has no item %s of %s", o.id, o.source)
		}
	}
	if err := tx.Commit(); err != nil {
		fail(err)
	}
}

// parseTime reads a time as formatTime wrote it.
func parseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }
