package postgres

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// Leader election: which of the warroom processes on one database runs
// the timed work and holds the chat platforms' event connections.
//
// The leader is the process whose session holds the advisory lock
// lockLeader, taken with pg_try_advisory_lock on a connection of its own
// (not the pool's: the lock belongs to one session). PostgreSQL releases
// it when that session ends, so a leader killed with -9, whose sockets the
// kernel closes at once, is replaced at the next try of a follower (every
// Retry, 1 s). A lease row would need a TTL to pass after a crash and a
// clock-agnostic renewal; the session lock needs neither, and the
// database itself says who holds it (pg_locks).
//
// The rule that nothing timed runs twice: a leader that cannot prove it
// still holds its session (a check, every Check, that fails or takes
// longer than Check) stops its work at once. The server ends a session it
// cannot reach (a network cut) after tcp_keepalives (2 s idle, then 3
// probes a second apart, set on the session below) or tcp_user_timeout
// (5 s), later than the leader stops. A session the server ends itself
// (a restart) frees the lock at once, so a winner waits two checks before
// it leads (graceWait). Two leaders therefore never work at once; the
// store's optimistic append (one event per (fault, seq)) is the backstop.

// ElectOptions tune Elect; the zero value is the defaults.
type ElectOptions struct {
	Retry time.Duration // between a follower's tries; default 1 s
	Check time.Duration // between the leader's checks of its session; default 1 s
	Log   *slog.Logger
	// Changed, when set, hears each change: true on winning, false on
	// losing or stepping down.
	Changed func(leader bool)
}

// Elect campaigns for leadership of the processes on the database at url
// until ctx ends. Each time this process wins, lead runs with a context
// that ends when leadership is lost; Elect waits for lead to return before
// it campaigns again, and before it returns.
func Elect(ctx context.Context, url string, o ElectOptions, lead func(ctx context.Context)) {
	if o.Retry <= 0 {
		o.Retry = time.Second
	}
	if o.Check <= 0 {
		o.Check = time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	changed := func(b bool) {
		if o.Changed != nil {
			o.Changed(b)
		}
	}
	wait := func() bool {
		t := time.NewTimer(o.Retry)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		}
	}
	unreachable := false // logged once per outage
	for ctx.Err() == nil {
		conn, err := electionConn(ctx, url, o.Retry)
		if err != nil {
			if !unreachable && ctx.Err() == nil {
				o.Log.Warn("leader election: the database cannot be reached; trying again every second", "err", err)
				unreachable = true
			}
			if !wait() {
				return
			}
			continue
		}
		unreachable = false
		for ctx.Err() == nil {
			won, err := tryLock(ctx, conn, o.Retry)
			if err != nil {
				break // a new connection
			}
			if won && !graceWait(ctx, 3*o.Check) {
				break
			}
			if won {
				o.Log.Warn("leader election: this process leads now: it runs the timed work")
				changed(true)
				why := holdAndLead(ctx, conn, o.Check, lead)
				o.Log.Warn("leader election: this process leads no more: timed work stopped", "why", why)
				changed(false)
				break // the session is in doubt, or ctx ended: start afresh
			}
			if !wait() {
				break
			}
		}
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = conn.Close(closeCtx) // ends the session, and the lock with it
		cancel()
		if ctx.Err() == nil && !wait() {
			return
		}
	}
}

// graceWait waits d after winning before leading: a leader whose session
// the server ended (a restart, an administrator's pg_terminate_backend)
// freed the lock at once, and finds out at its next check, within two checks;
// by then it has stopped. False if ctx ended.
func graceWait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// electionConn is a connection of its own for the lock's session, its
// dead peer found in seconds on both sides.
func electionConn(ctx context.Context, url string, timeout time.Duration) (*pgx.Conn, error) {
	return sessionConn(ctx, url, timeout, "warroom-leader")
}

// sessionConn is a connection of its own for a session lock, named app in
// pg_stat_activity, with keepalives that find a cut network in seconds.
func sessionConn(ctx context.Context, url string, timeout time.Duration, app string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	cfg.ConnectTimeout = max(timeout, 3*time.Second)
	for k, v := range map[string]string{
		"application_name":        app,
		"tcp_keepalives_idle":     "2",
		"tcp_keepalives_interval": "1",
		"tcp_keepalives_count":    "3",
		"tcp_user_timeout":        "5000",
	} {
		if _, ok := cfg.RuntimeParams[k]; !ok {
			cfg.RuntimeParams[k] = v
		}
	}
	return pgx.ConnectConfig(ctx, cfg)
}

func tryLock(ctx context.Context, conn *pgx.Conn, timeout time.Duration) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, max(timeout, 3*time.Second))
	defer cancel()
	var won bool
	err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, lockLeader).Scan(&won)
	return won, err
}

// holdAndLead runs lead while the session answers within every check,
// and says why it stopped.
func holdAndLead(ctx context.Context, conn *pgx.Conn, every time.Duration, lead func(context.Context)) string {
	leadCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		lead(leadCtx)
	}()
	defer func() {
		stop()
		<-done
	}()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return "stopping"
		case <-done:
			return "its work ended"
		case <-t.C:
		}
		checkCtx, cancel := context.WithTimeout(ctx, every)
		var held bool
		err := conn.QueryRow(checkCtx, `SELECT count(*) > 0 FROM pg_locks
			WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted AND objid = $1::bigint::oid`, lockLeader&0xffffffff).Scan(&held)
		cancel()
		switch {
		case ctx.Err() != nil:
			return "stopping"
		case err != nil:
			stop() // at once: another may win once the server ends this session
			return "the database connection was lost: " + err.Error()
		case !held:
			return "the lock was lost"
		}
	}
}
