package postgres

import (
	"context"
	"database/sql"
	"fmt"
)

// copyTables are the tables CopyFrom copies, in an order the audit
// triggers accept (actors before events, faults before what refers to
// them, events in number order), and their columns, which both stores
// share.
var copyTables = []struct{ table, columns, order string }{
	{"actors", "id, added_at", "id"},
	{"faults", "id, title, level, status, channel, declared_at, updated_at, seq, due_at", "id"},
	{"events", "fault_id, seq, at, type, actor, data, recorded_at", "fault_id, seq"},
	{"plan_versions", "name, version, file, source, first_seen", "name, version"},
	{"step_outputs", "fault_id, run, step, output, recorded_at", "fault_id, run, step"},
	{"alert_keys", "source, key, fault_id", "source, key, fault_id"},
	{"inbox", "seq, source, id, payload, received_at, done_at", "seq"},
	{"due_policy", "id, policy", "id"},
	{"adapter_state", "key, value, updated_at", "key"},
}

// CopyFrom copies everything a SQLite store keeps (src, opened read-only
// with database/sql) into this database, in one transaction, and reports
// how many rows of each table it copied. It refuses a database that holds
// anything already but warroom itself as an actor.
func (db *DB) CopyFrom(ctx context.Context, src *sql.DB) (map[string]int, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var used bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM faults) OR EXISTS (SELECT 1 FROM inbox)
		OR EXISTS (SELECT 1 FROM plan_versions) OR EXISTS (SELECT 1 FROM actors WHERE id <> 'warroom')`).Scan(&used); err != nil {
		return nil, err
	}
	if used {
		return nil, fmt.Errorf("the PostgreSQL database is not empty: warroom migrate copies into a new database only (create one: createdb warroom)")
	}
	counts := map[string]int{}
	for _, t := range copyTables {
		rows, err := src.QueryContext(ctx, "SELECT "+t.columns+" FROM "+t.table+" ORDER BY "+t.order)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", t.table, err)
		}
		cols, _ := rows.Columns()
		conflict := ""
		if t.table == "actors" {
			conflict = " ON CONFLICT (id) DO NOTHING" // warroom is there already
		}
		q := "INSERT INTO " + t.table + " (" + t.columns + ") VALUES ("
		for i := range cols {
			if i > 0 {
				q += ", "
			}
			q += fmt.Sprintf("$%d", i+1)
		}
		q += ")" + conflict
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return nil, fmt.Errorf("reading %s: %w", t.table, err)
			}
			for i, v := range vals {
				bytea := cols[i] == "output" || cols[i] == "payload" || (cols[i] == "source" && t.table == "plan_versions")
				switch x := v.(type) {
				case []byte:
					if !bytea {
						vals[i] = clean(string(x))
					}
				case string:
					if bytea {
						vals[i] = []byte(x)
					} else {
						vals[i] = clean(x)
					}
				}
			}
			if _, err := tx.Exec(ctx, q, vals...); err != nil {
				rows.Close()
				return nil, fmt.Errorf("copying %s: %w", t.table, err)
			}
			counts[t.table]++
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("reading %s: %w", t.table, err)
		}
	}
	// The identities go on after the copied ids.
	for _, t := range []string{"faults", "inbox"} {
		col := map[string]string{"faults": "id", "inbox": "seq"}[t]
		if _, err := tx.Exec(ctx, fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', '%s'), coalesce((SELECT max(%s) FROM %s), 0) + 1, false)`, t, col, col, t)); err != nil {
			return nil, err
		}
	}
	return counts, tx.Commit(ctx)
}
