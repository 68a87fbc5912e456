package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/warroom/warroom/bot"
)

// failure is a database error as the store returns it: for the log, the
// operation and the driver's error; for people, a *bot.Error saying in
// words what happened (as package store's failure does).
type failure struct {
	op     string
	err    error
	public *bot.Error
}

func (f *failure) Error() string   { return "postgres: " + f.op + ": " + f.err.Error() }
func (f *failure) Unwrap() []error { return []error{f.err, f.public} }

// failed wraps an error from the database for op. Application errors and
// a cancelled context pass as they are: the caller made those.
func failed(op string, err error) error {
	var be *bot.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &be):
		return err
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	return &failure{op: op, err: err, public: bot.Errorf(bot.EINTERNAL, "%s", explain(err))}
}

// explain says what a database error means for the person whose command
// it stopped.
func explain(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Message, "warroom: "): // the audit triggers
			return "warroom's database refused the change: " + strings.TrimPrefix(pe.Message, "warroom: ")
		case pe.Code == "25006": // read_only_sql_transaction: a standby, or default_transaction_read_only
			return "warroom's database is read-only (a standby, or a read-only user)"
		case pe.Code == "53100":
			return "the disk holding warroom's database is full"
		case strings.HasPrefix(pe.Code, "57P"): // admin shutdown, crash shutdown, cannot connect now
			return "warroom's database is restarting or shutting down"
		case strings.HasPrefix(pe.Code, "28"), pe.Code == "42501":
			return "warroom may not use its database (authentication or permission denied)"
		}
		return "warroom's database failed: " + pe.Message
	}
	if pgconn.SafeToRetry(err) || strings.Contains(err.Error(), "connect") {
		return "warroom's database cannot be reached"
	}
	if strings.Contains(err.Error(), "closed pool") {
		return "warroom's database is closed (warroom is stopping)"
	}
	return "warroom's database failed: " + err.Error()
}

// isConstraint reports whether err is a primary-key or unique violation.
func isConstraint(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// refusal is the message of a trigger's RAISE, or "".
func refusal(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "P0001" {
		return pe.Message
	}
	return ""
}

// eventRefused words a trigger's refusal of event e; nil when err is none.
func eventRefused(err error, e bot.Event) error {
	msg := refusal(err)
	switch {
	case strings.HasPrefix(msg, "warroom: event by unknown actor"):
		return bot.UnknownActor(e.Actor)
	case strings.HasPrefix(msg, "warroom: event out of order"):
		return bot.Errorf(bot.EINTERNAL, "event %d of fault %d refused: it would be recorded before the fault's last event (is this host's clock behind?)", e.Seq, e.FaultID)
	}
	return nil
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
