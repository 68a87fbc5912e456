package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/warroom/warroom/bot"
)

// SavePlan keeps a plan version; a version seen before is left as it was.
func (db *DB) SavePlan(ctx context.Context, p *bot.Plan) error {
	src := p.Source
	if src == nil {
		src = []byte{} // a plan built in code has no file; the column is NOT NULL
	}
	_, err := db.write.ExecContext(ctx,
		`INSERT INTO plan_versions (name, version, file, source, first_seen) VALUES (?, ?, ?, ?, ?)
		 ON CONFLICT (name, version) DO NOTHING`,
		p.Name, p.Version, p.File, src, formatTime(db.clock.Now()))
	if err != nil {
		return failed(fmt.Sprintf("saving plan %s %s", p.Name, p.Version), err)
	}
	return nil
}

// PlanSource returns the file a plan version was read from.
func (db *DB) PlanSource(ctx context.Context, name, version string) ([]byte, error) {
	var src []byte
	err := db.read.QueryRowContext(ctx, `SELECT source FROM plan_versions WHERE name = ? AND version = ?`, name, version).Scan(&src)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, bot.Errorf(bot.ENOTFOUND, "plan %s has no version %s on record", name, version)
	} else if err != nil {
		return nil, failed(fmt.Sprintf("plan %s %s", name, version), err)
	}
	return src, nil
}

// SaveOutput keeps a step's output. Each step's output is recorded once.
func (db *DB) SaveOutput(ctx context.Context, faultID int64, run, step int, output string) error {
	_, err := db.write.ExecContext(ctx,
		`INSERT INTO step_outputs (fault_id, run, step, output, recorded_at) VALUES (?, ?, ?, ?, ?)`,
		faultID, run, step, output, formatTime(db.clock.Now()))
	if isConstraint(err) {
		return bot.Errorf(bot.ECONFLICT, "output of fault %d run %d step %d is recorded already", faultID, run, step)
	} else if err != nil {
		return failed("saving output", err)
	}
	return nil
}

// Output returns a step's kept output.
func (db *DB) Output(ctx context.Context, faultID int64, run, step int) (string, error) {
	var out string
	err := db.read.QueryRowContext(ctx, `SELECT output FROM step_outputs WHERE fault_id = ? AND run = ? AND step = ?`, faultID, run, step).Scan(&out)
	if errors.Is(err, sql.ErrNoRows) {
		return "", bot.Errorf(bot.ENOTFOUND, "fault %d run %d step %d has no output on record", faultID, run, step)
	} else if err != nil {
		return "", failed("output", err)
	}
	return out, nil
}

var (
	_ bot.PlanVersions = (*DB)(nil)
	_ bot.StepOutputs  = (*DB)(nil)
)

// PlanHistory returns the versions of plan name ("" for all), oldest first.
func (db *DB) PlanHistory(ctx context.Context, name string) ([]bot.PlanVersion, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT name, version, file, first_seen FROM plan_versions
		WHERE ? = '' OR name = ? ORDER BY first_seen, rowid`, name, name)
	if err != nil {
		return nil, failed("plan history", err)
	}
	defer rows.Close()
	out := []bot.PlanVersion{}
	for rows.Next() {
		var v bot.PlanVersion
		var seen string
		if err := rows.Scan(&v.Name, &v.Version, &v.File, &seen); err != nil {
			return nil, failed("plan history", err)
		}
		if v.FirstSeen, err = parseTime(seen); err != nil {
			return nil, failed("plan history: first_seen", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, failed("plan history", err)
	}
	return out, nil
}

var _ bot.PlanHistory = (*DB)(nil)
