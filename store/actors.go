package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mattn/go-sqlite3"

	"github.com/warroom/warroom/bot"
)

// The audit trail (migration 0005): the actors table, which the database
// checks every event's actor against, and the words for its refusals.

var _ bot.Actors = (*DB)(nil)

// AddActors makes ids known. Only the ids not known yet are written, so
// that a store that cannot be written still starts when everyone is known.
func (db *DB) AddActors(ctx context.Context, ids []string) error {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	if len(ids) == 0 {
		return nil
	}
	if ids[0] == "" {
		return bot.Errorf(bot.EINVALID, "an actor needs an id")
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return fmt.Errorf("store: add actors: %w", err)
	}
	var missing int
	err = db.read.QueryRowContext(ctx, `SELECT count(*) FROM json_each(?) WHERE value NOT IN (SELECT id FROM actors)`, string(list)).Scan(&missing)
	if err != nil {
		return failed("reading the known actors", err)
	}
	if missing == 0 {
		return nil
	}
	_, err = db.write.ExecContext(ctx, `INSERT INTO actors (id, added_at) SELECT value, ? FROM json_each(?) WHERE true
		ON CONFLICT (id) DO NOTHING`, formatTime(db.clock.Now()), string(list))
	return failed("adding actors", err)
}

// Refusals of the audit triggers, by the start of their messages.
const (
	refusedUnknownActor = "warroom: event by unknown actor"
	refusedOutOfOrder   = "warroom: event out of order"
)

// refusal is the message of a trigger's RAISE, or "".
func refusal(err error) string {
	var se sqlite3.Error
	if errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintTrigger {
		return se.Error()
	}
	return ""
}

// eventRefused words a trigger's refusal of event e; nil when err is none.
func eventRefused(err error, e bot.Event) error {
	msg := refusal(err)
	switch {
	case strings.HasPrefix(msg, refusedUnknownActor):
		return bot.UnknownActor(e.Actor)
	case strings.HasPrefix(msg, refusedOutOfOrder):
		return bot.Errorf(bot.EINTERNAL, "event %d of fault %d refused: it would be recorded before the fault's last event (is this host's clock behind?)", e.Seq, e.FaultID)
	}
	return nil
}
