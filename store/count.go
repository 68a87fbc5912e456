package store

import (
	"context"
	"strings"

	"github.com/warroom/warroom/bot"
)

var _ bot.FaultCounter = (*DB)(nil)

// CountFaults counts the faults in statuses by status and level, from the
// faults table's columns (kept with each event) and its status index.
func (db *DB) CountFaults(ctx context.Context, statuses ...bot.Status) ([]bot.FaultCount, error) {
	q := `SELECT status, level, COUNT(*) FROM faults`
	var args []any
	if len(statuses) > 0 {
		q += ` WHERE status IN (?` + strings.Repeat(`, ?`, len(statuses)-1) + `)`
		for _, s := range statuses {
			args = append(args, string(s))
		}
	}
	rows, err := db.read.QueryContext(ctx, q+` GROUP BY status, level`, args...)
	if err != nil {
		return nil, failed("count faults", err)
	}
	defer rows.Close()
	var out []bot.FaultCount
	for rows.Next() {
		var c bot.FaultCount
		if err := rows.Scan(&c.Status, &c.Level, &c.N); err != nil {
			return nil, failed("count faults", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, failed("count faults", err)
	}
	bot.SortFaultCounts(out) // in Go's order, as the other stores
	return out, nil
}
