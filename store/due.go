package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/warroom/warroom/bot"
)

// AppendDue is Append, and sets when the fault's timed work next falls due
// (zero: never) in the same transaction. With no events it sets only the
// due time, still at the expected event number.
func (db *DB) AppendDue(ctx context.Context, faultID int64, after int, events []bot.Event, due time.Time) error {
	return db.append(ctx, faultID, after, events, &due)
}

// dueValue is a due time as the column keeps it.
func dueValue(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

// SetDue sets due times in one transaction, and the policy fingerprint
// unless it is "". An unknown fault id is ENOTFOUND and nothing is set.
func (db *DB) SetDue(ctx context.Context, policy string, due map[int64]time.Time) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return failed("set due times", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `UPDATE faults SET due_at = ? WHERE id = ?`)
	if err != nil {
		return failed("set due times", err)
	}
	defer stmt.Close()
	for id, t := range due {
		res, err := stmt.ExecContext(ctx, dueValue(t), id)
		if err != nil {
			return failed("set due times", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return failed("set due times", err)
		} else if n == 0 {
			return notFound(id)
		}
	}
	if policy != "" {
		if _, err := tx.ExecContext(ctx, `INSERT INTO due_policy (id, policy) VALUES (1, ?)
			ON CONFLICT (id) DO UPDATE SET policy = excluded.policy`, policy); err != nil {
			return failed("set due policy", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return failed("set due times", err)
	}
	return nil
}

// DueBy lists the faults due at or before t, soonest first, from the
// partial index on due_at.
func (db *DB) DueBy(ctx context.Context, t time.Time) ([]int64, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id FROM faults WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at, id`, t.UnixNano())
	if err != nil {
		return nil, failed("due faults", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, failed("due faults", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, failed("due faults", err)
	}
	return ids, nil
}

// DuePolicy is the fingerprint last given to SetDue; "" if none was.
func (db *DB) DuePolicy(ctx context.Context) (string, error) {
	var p string
	err := db.read.QueryRowContext(ctx, `SELECT policy FROM due_policy WHERE id = 1`).Scan(&p)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", failed("due policy", err)
	}
	return p, nil
}
