package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/warroom/warroom/bot"
)

// CreateFault allocates the next fault id and records events under it, in
// one transaction. events[0] must be bot.EventDeclared. On success it sets
// FaultID and Seq (1, 2, ...) on the events in place.
func (db *DB) CreateFault(ctx context.Context, events []bot.Event) (int64, error) {
	if len(events) == 0 || events[0].Type != bot.EventDeclared {
		return 0, bot.Errorf(bot.EINVALID, "a fault's timeline must start with a %q event", bot.EventDeclared)
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return 0, failed("create fault", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	id, evs, err := db.createFault(ctx, tx, events)
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, failed(fmt.Sprintf("create fault %d", id), err)
	}
	copy(events, evs)
	return id, nil
}

// createFault inserts a fault and its events in tx, and returns its id and
// the events as recorded; the caller's events are left as they were.
func (db *DB) createFault(ctx context.Context, tx pgx.Tx, events []bot.Event) (int64, []bot.Event, error) {
	evs := slices.Clone(events)
	for i := range evs {
		evs[i].Seq = i + 1
	}
	f := bot.Replay(evs)
	var declaredAt *string
	if !f.DeclaredAt.IsZero() {
		s := formatTime(f.DeclaredAt)
		declaredAt = &s
	}
	now := formatTime(db.clock.Now())
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO faults (title, level, status, channel, declared_at, updated_at, seq)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		clean(f.Title), clean(string(f.Level)), string(f.Status), clean(f.Channel), declaredAt, now, f.Seq).Scan(&id)
	if err != nil {
		return 0, nil, failed("create fault", err)
	}
	for i := range evs {
		evs[i].FaultID = id
	}
	if err := insertEvents(ctx, tx, evs, now); err != nil {
		return 0, nil, failed(fmt.Sprintf("create fault %d", id), err)
	}
	return id, evs, nil
}

// Append records events after the fault's event number after, in one
// transaction; ECONFLICT, recording nothing, if the fault's last event is
// not number after any more. The fault's due time is left as it was.
func (db *DB) Append(ctx context.Context, faultID int64, after int, events []bot.Event) error {
	if len(events) == 0 {
		return nil
	}
	return db.append(ctx, faultID, after, events, nil)
}

// AppendDue is Append, and sets when the fault's timed work next falls due
// (zero: never) in the same transaction. With no events it sets only the
// due time, still at the expected event number.
func (db *DB) AppendDue(ctx context.Context, faultID int64, after int, events []bot.Event, due time.Time) error {
	return db.append(ctx, faultID, after, events, &due)
}

func (db *DB) append(ctx context.Context, faultID int64, after int, events []bot.Event, due *time.Time) error {
	what := fmt.Sprintf("append to fault %d", faultID)
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return failed(what, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))

	// FOR UPDATE: appends to one fault, from any process, take turns; the
	// second reads the first's seq and is a conflict. The projection is
	// patched by applying only the new events, as in package store.
	var (
		seq  int
		proj bot.Fault
	)
	err = tx.QueryRow(ctx, `SELECT seq, title, level, status, channel FROM faults WHERE id = $1 FOR UPDATE`, faultID).
		Scan(&seq, &proj.Title, &proj.Level, &proj.Status, &proj.Channel)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return notFound(faultID)
	case err != nil:
		return failed(what, err)
	case seq != after:
		return conflict(faultID, after, seq)
	}
	evs := slices.Clone(events)
	for i := range evs {
		evs[i].FaultID, evs[i].Seq = faultID, after+1+i
	}
	now := formatTime(db.clock.Now())
	if err := insertEvents(ctx, tx, evs, now); err != nil {
		if isConstraint(err) {
			return conflict(faultID, after, -1)
		}
		return failed(what, err)
	}
	f := &proj
	f.Seq = seq
	for _, e := range evs {
		bot.Apply(f, e)
	}
	if due == nil {
		_, err = tx.Exec(ctx, `UPDATE faults SET title = $1, level = $2, status = $3, channel = $4, seq = $5, updated_at = $6 WHERE id = $7`,
			clean(f.Title), clean(string(f.Level)), string(f.Status), clean(f.Channel), f.Seq, now, faultID)
	} else {
		_, err = tx.Exec(ctx, `UPDATE faults SET title = $1, level = $2, status = $3, channel = $4, seq = $5, updated_at = $6, due_at = $7 WHERE id = $8`,
			clean(f.Title), clean(string(f.Level)), string(f.Status), clean(f.Channel), f.Seq, now, dueValue(*due), faultID)
	}
	if err != nil {
		return failed(what, err)
	}
	if err := tx.Commit(ctx); err != nil {
		if isConstraint(err) {
			return conflict(faultID, after, -1)
		}
		return failed(what, err)
	}
	copy(events, evs)
	return nil
}

// insertEvents inserts events as they are (FaultID and Seq set), stamped
// with recordedAt, in one round trip (a batch).
func insertEvents(ctx context.Context, tx pgx.Tx, events []bot.Event, recordedAt string) error {
	b := &pgx.Batch{}
	for _, e := range events {
		e.At = e.At.UTC()
		data, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encode event %d: %w", e.Seq, err)
		}
		b.Queue(`INSERT INTO events (fault_id, seq, at, type, actor, data, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			e.FaultID, e.Seq, formatTime(e.At), clean(string(e.Type)), clean(e.Actor), string(data), recordedAt)
	}
	br := tx.SendBatch(ctx, b)
	defer br.Close()
	for _, e := range events {
		if _, err := br.Exec(); err != nil {
			if r := eventRefused(err, e); r != nil {
				return r
			}
			return err
		}
	}
	return br.Close()
}

// FaultByChannel returns the id of the newest fault whose war room is
// channelID; ENOTFOUND if there is none.
func (db *DB) FaultByChannel(ctx context.Context, channelID string) (int64, error) {
	if channelID == "" {
		return 0, bot.Errorf(bot.ENOTFOUND, "no fault has its war room here")
	}
	var id int64
	err := db.pool.QueryRow(ctx, `SELECT id FROM faults WHERE channel = $1 ORDER BY id DESC LIMIT 1`, clean(channelID)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, bot.Errorf(bot.ENOTFOUND, "no fault has its war room here")
	} else if err != nil {
		return 0, failed(fmt.Sprintf("fault by channel %q", channelID), err)
	}
	return id, nil
}

// Faults lists the faults filter selects, newest first, each replayed from
// its timeline. All timelines are read in one query.
func (db *DB) Faults(ctx context.Context, filter bot.FaultFilter) ([]*bot.Fault, error) {
	var sub strings.Builder
	var args []any
	sub.WriteString(`SELECT id FROM faults WHERE true`)
	if len(filter.Status) > 0 {
		st := make([]string, len(filter.Status))
		for i, s := range filter.Status {
			st[i] = string(s)
		}
		args = append(args, st)
		fmt.Fprintf(&sub, ` AND status = ANY($%d)`, len(args))
	}
	if filter.WithEvent != "" {
		args = append(args, string(filter.WithEvent))
		fmt.Fprintf(&sub, ` AND id IN (SELECT fault_id FROM events WHERE type = $%d)`, len(args))
	}
	var limit *int
	if filter.Limit > 0 {
		limit = &filter.Limit
	}
	args = append(args, limit)
	fmt.Fprintf(&sub, ` ORDER BY id DESC LIMIT $%d`, len(args))

	rows, err := db.pool.Query(ctx, `SELECT fault_id, seq, data FROM events
		WHERE fault_id IN (`+sub.String()+`) ORDER BY fault_id, seq`, args...)
	if err != nil {
		return nil, failed("list faults", err)
	}
	defer rows.Close()
	var faults []*bot.Fault
	var timeline []bot.Event
	flush := func() {
		if len(timeline) > 0 {
			faults = append(faults, bot.Replay(timeline))
			timeline = nil
		}
	}
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, failed("list faults", err)
		}
		if len(timeline) > 0 && timeline[0].FaultID != e.FaultID {
			flush()
		}
		timeline = append(timeline, e)
	}
	if err := rows.Err(); err != nil {
		return nil, failed("list faults", err)
	}
	flush()
	slices.Reverse(faults)
	return faults, nil
}

// Events returns the fault's timeline in order; ENOTFOUND if there is no
// such fault.
func (db *DB) Events(ctx context.Context, faultID int64) ([]bot.Event, error) {
	rows, err := db.pool.Query(ctx, `SELECT fault_id, seq, data FROM events WHERE fault_id = $1 ORDER BY seq`, faultID)
	if err != nil {
		return nil, failed(fmt.Sprintf("events of fault %d", faultID), err)
	}
	defer rows.Close()
	var events []bot.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, failed(fmt.Sprintf("events of fault %d", faultID), err)
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, failed(fmt.Sprintf("events of fault %d", faultID), err)
	}
	if len(events) == 0 {
		return nil, notFound(faultID)
	}
	return events, nil
}

// scanEvent decodes a row of fault_id, seq, data. The key columns win over
// the JSON copy of them.
func scanEvent(rows pgx.Rows) (bot.Event, error) {
	var (
		e       bot.Event
		faultID int64
		seq     int
		data    []byte
	)
	if err := rows.Scan(&faultID, &seq, &data); err != nil {
		return e, err
	}
	if err := json.Unmarshal(data, &e); err != nil {
		return e, fmt.Errorf("decode event %d of fault %d: %w", seq, faultID, err)
	}
	e.FaultID, e.Seq = faultID, seq
	return e, nil
}

// clean is s as a text column can hold it: PostgreSQL's text has no NUL,
// so each becomes U+FFFD. Only copies and keys are cleaned; the events'
// JSON keeps the text as it was.
func clean(s string) string { return strings.ReplaceAll(s, "\x00", "\uFFFD") }
