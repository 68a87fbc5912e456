package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/warroom/warroom/bot"
)

// stmts are the statements of every declare and append, prepared once on
// the writer's one connection: preparing them per call was a seventh of a
// declare's time.
type stmts struct {
	insertFault, project, update, updateDue *sql.Stmt
	rows                                    [maxRows + 1]*sql.Stmt // rows[n] inserts n events
}

// Events are inserted up to maxRows in a statement, of eventColumns each.
const (
	maxRows      = 16
	eventColumns = 7
)

// insertSQL inserts n events.
func insertSQL(n int) string {
	return `INSERT INTO events (fault_id, seq, at, type, actor, data, recorded_at) VALUES ` +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?), ", n), ", ")
}

func prepare(ctx context.Context, w *sql.DB) (*stmts, error) {
	var s stmts
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&s.insertFault, `INSERT INTO faults (title, level, status, channel, declared_at, updated_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`},
		{&s.project, `SELECT seq, title, level, status, channel FROM faults WHERE id = ?`},
		{&s.update, `UPDATE faults SET title = ?, level = ?, status = ?, channel = ?, seq = ?, updated_at = ? WHERE id = ?`},
		{&s.updateDue, `UPDATE faults SET title = ?, level = ?, status = ?, channel = ?, seq = ?, updated_at = ?, due_at = ? WHERE id = ?`},
	} {
		st, err := w.PrepareContext(ctx, p.sql)
		if err != nil {
			return nil, fmt.Errorf("prepare %q: %w", p.sql, err)
		}
		*p.stmt = st
	}
	// Prepared beforehand: the writer's one connection is its
	// transaction's while the events are inserted.
	for n := 1; n <= maxRows; n++ {
		st, err := w.PrepareContext(ctx, insertSQL(n))
		if err != nil {
			return nil, fmt.Errorf("prepare the insert of %d events: %w", n, err)
		}
		s.rows[n] = st
	}
	return &s, nil
}

// CreateFault allocates the next fault id and records events under it, in
// one transaction. events[0] must be bot.EventDeclared. On success it sets
// FaultID and Seq (1, 2, ...) on the events in place.
func (db *DB) CreateFault(ctx context.Context, events []bot.Event) (int64, error) {
	if len(events) == 0 || events[0].Type != bot.EventDeclared {
		return 0, bot.Errorf(bot.EINVALID, "a fault's timeline must start with a %q event", bot.EventDeclared)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, failed("create fault", err)
	}
	defer tx.Rollback()
	id, evs, err := db.createFault(ctx, tx, events)
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, failed(fmt.Sprintf("create fault %d", id), err)
	}
	copy(events, evs)
	return id, nil
}

// createFault inserts a fault and its events in tx, and returns its id and
// the events as recorded (FaultID and Seq set). The caller's events are
// left as they were.
func (db *DB) createFault(ctx context.Context, tx *sql.Tx, events []bot.Event) (int64, []bot.Event, error) {
	evs := slices.Clone(events)
	for i := range evs {
		evs[i].Seq = i + 1
	}
	f := bot.Replay(evs)
	var declaredAt any
	if !f.DeclaredAt.IsZero() {
		declaredAt = formatTime(f.DeclaredAt)
	}
	now := formatTime(db.clock.Now())
	var id int64
	err := tx.StmtContext(ctx, db.stmts.insertFault).QueryRowContext(ctx, f.Title, string(f.Level), string(f.Status), f.Channel, declaredAt, now, f.Seq).Scan(&id)
	if err != nil {
		return 0, nil, failed("create fault", err)
	}
	for i := range evs {
		evs[i].FaultID = id
	}
	if err := db.insertEvents(ctx, tx, evs, now); err != nil {
		return 0, nil, failed(fmt.Sprintf("create fault %d", id), err)
	}
	return id, evs, nil
}

// Append records events after the fault's event number after, in one
// transaction. If the fault's last event is not after any more (someone
// appended meanwhile) it fails with ECONFLICT and records nothing; the caller
// reloads the fault and decides again. On success it sets FaultID and Seq
// (after+1, ...) on the events in place. Appending no events does nothing.
// The fault's due time is left as it was (AppendDue sets it).
func (db *DB) Append(ctx context.Context, faultID int64, after int, events []bot.Event) error {
	if len(events) == 0 {
		return nil
	}
	return db.append(ctx, faultID, after, events, nil)
}

// append is Append, setting the due time too unless due is nil.
func (db *DB) append(ctx context.Context, faultID int64, after int, events []bot.Event, due *time.Time) error {
	what := fmt.Sprintf("append to fault %d", faultID)
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return failed(what, err)
	}
	defer tx.Rollback()

	// The projection columns are patched by applying only the new events to
	// them: each column is set by its own event types alone (declared,
	// channel_created, level_changed, mitigated, resolved), so this agrees
	// with a full replay without re-reading the timeline.
	var (
		seq  int
		proj bot.Fault
	)
	err = tx.StmtContext(ctx, db.stmts.project).QueryRowContext(ctx, faultID).
		Scan(&seq, &proj.Title, &proj.Level, &proj.Status, &proj.Channel)
	switch {
	case errors.Is(err, sql.ErrNoRows):
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
	if err := db.insertEvents(ctx, tx, evs, now); err != nil {
		if isConstraint(err) {
			return conflict(faultID, after, -1)
		}
		return failed(what, err)
	}
	f := &proj
	for _, e := range evs {
		bot.Apply(f, e)
	}
	if due == nil {
		_, err = tx.StmtContext(ctx, db.stmts.update).ExecContext(ctx,
			f.Title, string(f.Level), string(f.Status), f.Channel, f.Seq, now, faultID)
	} else {
		_, err = tx.StmtContext(ctx, db.stmts.updateDue).ExecContext(ctx,
			f.Title, string(f.Level), string(f.Status), f.Channel, f.Seq, now, dueValue(*due), faultID)
	}
	if err != nil {
		return failed(what, err)
	}
	if err := tx.Commit(); err != nil {
		if isConstraint(err) {
			return conflict(faultID, after, -1)
		}
		return failed(what, err)
	}
	copy(events, evs)
	return nil
}

// insertEvents inserts events as they are (FaultID and Seq set), stamped
// with recordedAt: up to maxRows in each statement, since each statement
// crossing into SQLite costs about as much as the rows it inserts. A
// statement the audit trigger refuses inserts none of its rows; its events
// are then tried one by one, to name the one refused.
func (db *DB) insertEvents(ctx context.Context, tx *sql.Tx, events []bot.Event, recordedAt string) error {
	for chunk := range slices.Chunk(events, maxRows) {
		args := make([]any, 0, len(chunk)*eventColumns)
		for _, e := range chunk {
			e.At = e.At.UTC()
			data, err := json.Marshal(e)
			if err != nil {
				return fmt.Errorf("encode event %d: %w", e.Seq, err)
			}
			args = append(args, e.FaultID, e.Seq, formatTime(e.At), string(e.Type), e.Actor, data, recordedAt)
		}
		if _, err := tx.StmtContext(ctx, db.stmts.rows[len(chunk)]).ExecContext(ctx, args...); err != nil {
			if refusal(err) == "" || len(chunk) == 1 {
				return refusedOr(err, chunk[0])
			}
			one := tx.StmtContext(ctx, db.stmts.rows[1])
			for i, e := range chunk {
				if _, err := one.ExecContext(ctx, args[i*eventColumns:(i+1)*eventColumns]...); err != nil {
					return refusedOr(err, e)
				}
			}
			return err
		}
	}
	return nil
}

// refusedOr is the audit trigger's refusal of e, or err.
func refusedOr(err error, e bot.Event) error {
	if r := eventRefused(err, e); r != nil {
		return r
	}
	return err
}

// FaultByChannel returns the id of the newest fault whose war room is
// channelID; ENOTFOUND if there is none.
func (db *DB) FaultByChannel(ctx context.Context, channelID string) (int64, error) {
	if channelID == "" {
		return 0, bot.Errorf(bot.ENOTFOUND, "no fault has its war room here")
	}
	var id int64
	err := db.read.QueryRowContext(ctx, `SELECT id FROM faults WHERE channel = ? ORDER BY id DESC LIMIT 1`, channelID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
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
	sub.WriteString(`SELECT id FROM faults WHERE 1`)
	if len(filter.Status) > 0 {
		sub.WriteString(` AND status IN (?` + strings.Repeat(`, ?`, len(filter.Status)-1) + `)`)
		for _, s := range filter.Status {
			args = append(args, string(s))
		}
	}
	if filter.WithEvent != "" { // from the index on events (type, fault_id)
		sub.WriteString(` AND id IN (SELECT fault_id FROM events WHERE type = ?)`)
		args = append(args, string(filter.WithEvent))
	}
	sub.WriteString(` ORDER BY id DESC LIMIT ?`)
	limit := filter.Limit
	if limit <= 0 {
		limit = -1 // no limit
	}
	args = append(args, limit)

	rows, err := db.read.QueryContext(ctx, `SELECT fault_id, seq, data FROM events
		WHERE fault_id IN (`+sub.String()+`) ORDER BY fault_id, seq`, args...)
	if err != nil {
		return nil, failed("list faults", err)
	}
	defer rows.Close()

	// Timelines arrive oldest fault first; each is replayed as soon as it is
	// complete so that only one is held at a time.
	var faults []*bot.Fault
	var timeline []bot.Event
	flush := func() {
		if len(timeline) > 0 {
			faults = append(faults, bot.Replay(timeline))
			timeline = timeline[:0]
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
	events, err := queryEvents(ctx, db.read, `SELECT fault_id, seq, data FROM events WHERE fault_id = ? ORDER BY seq`, faultID)
	if err != nil {
		return nil, failed(fmt.Sprintf("events of fault %d", faultID), err)
	}
	if len(events) == 0 {
		return nil, notFound(faultID)
	}
	return events, nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryEvents runs a query selecting fault_id, seq, data from events.
func queryEvents(ctx context.Context, q querier, query string, args ...any) ([]bot.Event, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var events []bot.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	return events, rows.Err()
}

// scanEvent decodes a row of fault_id, seq, data. The key columns win over
// the JSON copy of them.
func scanEvent(rows *sql.Rows) (bot.Event, error) {
	var (
		e       bot.Event
		faultID int64
		seq     int
		data    sql.RawBytes
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

func notFound(id int64) error {
	return bot.Errorf(bot.ENOTFOUND, "fault %d not found", id)
}

func conflict(id int64, after, now int) error {
	if now < 0 {
		return bot.Errorf(bot.ECONFLICT, "fault %d changed meanwhile; reload it and try again", id)
	}
	return bot.Errorf(bot.ECONFLICT, "fault %d changed meanwhile (event %d, expected %d); reload it and try again", id, now, after)
}
