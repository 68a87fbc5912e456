package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/warroom/warroom/bot"
)

// The optional stores: plan versions, step outputs, the alert index, the
// inbox, the actors and the due index, as package store keeps them.

// SavePlan keeps a plan version; a version seen before is left as it was.
func (db *DB) SavePlan(ctx context.Context, p *bot.Plan) error {
	src := p.Source
	if src == nil {
		src = []byte{}
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO plan_versions (name, version, file, source, first_seen) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (name, version) DO NOTHING`, p.Name, p.Version, p.File, src, formatTime(db.clock.Now()))
	return failed(fmt.Sprintf("saving plan %s %s", p.Name, p.Version), err)
}

// PlanSource returns the file a plan version was read from.
func (db *DB) PlanSource(ctx context.Context, name, version string) ([]byte, error) {
	var src []byte
	err := db.pool.QueryRow(ctx, `SELECT source FROM plan_versions WHERE name = $1 AND version = $2`, name, version).Scan(&src)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, bot.Errorf(bot.ENOTFOUND, "plan %s has no version %s on record", name, version)
	} else if err != nil {
		return nil, failed(fmt.Sprintf("plan %s %s", name, version), err)
	}
	return src, nil
}

// SaveOutput keeps a step's output. Each step's output is recorded once.
func (db *DB) SaveOutput(ctx context.Context, faultID int64, run, step int, output string) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO step_outputs (fault_id, run, step, output, recorded_at) VALUES ($1, $2, $3, $4, $5)`,
		faultID, run, step, []byte(output), formatTime(db.clock.Now()))
	if isConstraint(err) {
		return bot.Errorf(bot.ECONFLICT, "output of fault %d run %d step %d is recorded already", faultID, run, step)
	}
	return failed("saving output", err)
}

// Output returns a step's kept output.
func (db *DB) Output(ctx context.Context, faultID int64, run, step int) (string, error) {
	var out []byte
	err := db.pool.QueryRow(ctx, `SELECT output FROM step_outputs WHERE fault_id = $1 AND run = $2 AND step = $3`, faultID, run, step).Scan(&out)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", bot.Errorf(bot.ENOTFOUND, "fault %d run %d step %d has no output on record", faultID, run, step)
	} else if err != nil {
		return "", failed("output", err)
	}
	return string(out), nil
}

// AlertFault returns the newest fault filed under source's key.
func (db *DB) AlertFault(ctx context.Context, source, key string) (int64, error) {
	var id int64
	err := db.pool.QueryRow(ctx, `SELECT fault_id FROM alert_keys WHERE source = $1 AND key = $2 ORDER BY fault_id DESC LIMIT 1`, source, key).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, bot.Errorf(bot.ENOTFOUND, "no fault was declared under this alert key")
	} else if err != nil {
		return 0, failed("alert fault", err)
	}
	return id, nil
}

// CreateAlertFault creates a fault filed under source's key, unless a fault
// filed under it is not resolved: that one's id is returned, created false.
// The transaction holds an advisory lock on the key first, so that two
// callers, in any process, cannot both create.
func (db *DB) CreateAlertFault(ctx context.Context, source, key string, events []bot.Event) (int64, bool, error) {
	if len(events) == 0 || events[0].Type != bot.EventDeclared {
		return 0, false, bot.Errorf(bot.EINVALID, "a fault's timeline must start with a %q event", bot.EventDeclared)
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return 0, false, failed("create alert fault", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))`, source, key); err != nil {
		return 0, false, failed("create alert fault", err)
	}
	var (
		open   int64
		status string
	)
	err = tx.QueryRow(ctx, `SELECT f.id, f.status FROM alert_keys a JOIN faults f ON f.id = a.fault_id
		WHERE a.source = $1 AND a.key = $2 ORDER BY a.fault_id DESC LIMIT 1`, source, key).Scan(&open, &status)
	switch {
	case err == nil && bot.Status(status) != bot.StatusResolved:
		return open, false, nil
	case err != nil && !errors.Is(err, pgx.ErrNoRows):
		return 0, false, failed("create alert fault", err)
	}
	id, evs, err := db.createFault(ctx, tx, events)
	if err != nil {
		return 0, false, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO alert_keys (source, key, fault_id) VALUES ($1, $2, $3)`, source, key, id); err != nil {
		return 0, false, failed(fmt.Sprintf("create alert fault %d", id), err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, false, failed(fmt.Sprintf("create alert fault %d", id), err)
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
		item.Payload = []byte{}
	}
	tag, err := db.pool.Exec(ctx, `INSERT INTO inbox (source, id, payload, received_at, owner, claimed_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (source, id) DO NOTHING`, item.Source, item.ID, item.Payload, formatTime(item.Received), db.owner.key, db.clock.Now())
	if err != nil {
		return false, inboxFailed(err)
	}
	return tag.RowsAffected() == 1, nil
}

// Pending returns up to limit items of source not done, oldest first: this
// process's own and those it adopts (see owner.go), never those another
// live process holds.
func (db *DB) Pending(ctx context.Context, source string, limit int) ([]bot.InboxItem, error) {
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	now := db.clock.Now()
	if _, err := db.pool.Exec(ctx, `UPDATE inbox SET owner = $2, claimed_at = $3
		WHERE source = $1 AND done_at IS NULL AND owner IS DISTINCT FROM $2
		  AND (owner IS NULL OR claimed_at IS NULL OR claimed_at < $4 OR NOT `+ownerHeld("inbox.owner")+`)`,
		source, db.owner.key, now, now.Add(-inboxLease)); err != nil {
		return nil, inboxFailed(err)
	}
	rows, err := db.pool.Query(ctx, `SELECT id, payload, received_at FROM inbox WHERE source = $1 AND done_at IS NULL AND owner = $2 ORDER BY seq LIMIT $3`, source, db.owner.key, lim)
	if err != nil {
		return nil, inboxFailed(err)
	}
	defer rows.Close()
	var out []bot.InboxItem
	for rows.Next() {
		it := bot.InboxItem{Source: source}
		var at string
		if err := rows.Scan(&it.ID, &it.Payload, &at); err != nil {
			return nil, inboxFailed(err)
		}
		if it.Received, err = parseTime(at); err != nil {
			return nil, inboxFailed(err)
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, inboxFailed(err)
	}
	return out, nil
}

// Done marks an inbox item acted on.
func (db *DB) Done(ctx context.Context, source, id string) error {
	tag, err := db.pool.Exec(ctx, `UPDATE inbox SET done_at = coalesce(done_at, $1) WHERE source = $2 AND id = $3`,
		formatTime(db.clock.Now()), source, id)
	switch {
	case err != nil:
		return inboxFailed(err)
	case tag.RowsAffected() == 0:
		return bot.Errorf(bot.ENOTFOUND, "the inbox has no item %s of %s", id, source)
	}
	return nil
}

func inboxFailed(err error) error {
	return bot.Errorf(bot.EINTERNAL, "postgres: inbox: %v", err)
}

// AddActors makes ids known; only those not known yet are written.
func (db *DB) AddActors(ctx context.Context, ids []string) error {
	ids = slices.Clone(ids)
	for i := range ids {
		ids[i] = clean(ids[i])
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	if len(ids) == 0 {
		return nil
	}
	if ids[0] == "" {
		return bot.Errorf(bot.EINVALID, "an actor needs an id")
	}
	var missing int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM unnest($1::text[]) AS n(id) WHERE id NOT IN (SELECT id FROM actors)`, ids).Scan(&missing); err != nil {
		return failed("reading the known actors", err)
	}
	if missing == 0 {
		return nil
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO actors (id, added_at) SELECT id, $1 FROM unnest($2::text[]) AS n(id)
		ON CONFLICT (id) DO NOTHING`, formatTime(db.clock.Now()), ids)
	return failed("adding actors", err)
}

// dueValue is a due time as the column keeps it.
func dueValue(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	n := t.UnixNano()
	return &n
}

// SetDue sets due times in one transaction, and the policy fingerprint
// unless it is "". An unknown fault id is ENOTFOUND and nothing is set.
func (db *DB) SetDue(ctx context.Context, policy string, due map[int64]time.Time) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return failed("set due times", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	b := &pgx.Batch{}
	ids := make([]int64, 0, len(due))
	for id, t := range due {
		ids = append(ids, id)
		b.Queue(`UPDATE faults SET due_at = $1 WHERE id = $2`, dueValue(t), id)
	}
	br := tx.SendBatch(ctx, b)
	for _, id := range ids {
		tag, err := br.Exec()
		if err != nil {
			br.Close()
			return failed("set due times", err)
		}
		if tag.RowsAffected() == 0 {
			br.Close()
			return notFound(id)
		}
	}
	if err := br.Close(); err != nil {
		return failed("set due times", err)
	}
	if policy != "" {
		if _, err := tx.Exec(ctx, `INSERT INTO due_policy (id, policy) VALUES (1, $1)
			ON CONFLICT (id) DO UPDATE SET policy = excluded.policy`, policy); err != nil {
			return failed("set due policy", err)
		}
	}
	return failed("set due times", tx.Commit(ctx))
}

// DueBy lists the faults due at or before t, soonest first.
func (db *DB) DueBy(ctx context.Context, t time.Time) ([]int64, error) {
	rows, err := db.pool.Query(ctx, `SELECT id FROM faults WHERE due_at IS NOT NULL AND due_at <= $1 ORDER BY due_at, id`, t.UnixNano())
	if err != nil {
		return nil, failed("due faults", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, failed("due faults", err)
	}
	return ids, nil
}

// DuePolicy is the fingerprint last given to SetDue; "" if none was.
func (db *DB) DuePolicy(ctx context.Context) (string, error) {
	var p string
	err := db.pool.QueryRow(ctx, `SELECT policy FROM due_policy WHERE id = 1`).Scan(&p)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", failed("due policy", err)
	}
	return p, nil
}
