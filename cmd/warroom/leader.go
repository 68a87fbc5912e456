package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store/postgres"
)

// leadership is whether this process runs the timed work (reminders,
// chases, digests, expiries) and holds the chat platform's event
// connection. On SQLite there is one process and it always leads; on
// PostgreSQL the processes elect one through the database
// (postgres.Elect: a session advisory lock). Every process serves HTTP.
type leadership struct {
	mu     sync.Mutex
	ctx    context.Context // the current term's; nil while following
	gained chan struct{}   // closed at each win, then replaced
}

func newLeadership() *leadership { return &leadership{gained: make(chan struct{})} }

// Role is "leader" or "follower", for /healthz.
func (l *leadership) Role() string {
	if l.term() != nil {
		return "leader"
	}
	return "follower"
}

// term is the context of the current term, ending when it does; nil while
// following.
func (l *leadership) term() context.Context {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ctx != nil && l.ctx.Err() != nil {
		return nil
	}
	return l.ctx
}

func (l *leadership) begin(ctx context.Context) {
	l.mu.Lock()
	l.ctx = ctx
	close(l.gained)
	l.gained = make(chan struct{})
	l.mu.Unlock()
}

func (l *leadership) end() {
	l.mu.Lock()
	l.ctx = nil
	l.mu.Unlock()
}

// wait returns the next term's context once this process leads, or nil
// when ctx ends first.
func (l *leadership) wait(ctx context.Context) context.Context {
	for {
		l.mu.Lock()
		term, gained := l.ctx, l.gained
		l.mu.Unlock()
		if term != nil && term.Err() == nil {
			return term
		}
		select {
		case <-ctx.Done():
			return nil
		case <-gained:
		}
	}
}

// lead runs work for each term this process leads until ctx ends: always
// one term on SQLite, one per election won on PostgreSQL. It returns when
// the campaign has ended and work with it.
func (l *leadership) lead(ctx context.Context, database string, log *slog.Logger, work func(term context.Context)) {
	term := func(term context.Context) {
		l.begin(term)
		defer l.end()
		work(term)
	}
	if !postgres.IsURL(database) {
		term(ctx)
		return
	}
	postgres.Elect(ctx, database, postgres.ElectOptions{Log: log}, term)
}

// timedWork is what the leader runs in each term: the ticker, which first
// does what fell due while nobody led. With the demo clock there is no
// ticker (the console's "~" lines tick, when this process leads: demoTick),
// only that first tick. On a shared database (shared) each term begins by
// taking over what another process kept and did not handle.
func timedWork(b *bot.Bot, demo *bot.FakeClock, log *slog.Logger, shared bool) func(term context.Context) {
	return func(term context.Context) {
		if shared {
			if err := b.TakeOver(term); err != nil && term.Err() == nil {
				log.Error("taking over what another process kept", "err", err)
			}
		}
		if demo != nil {
			if err := b.Tick(term); err != nil && term.Err() == nil {
				log.Error("timed work", "err", err)
			}
			<-term.Done()
			return
		}
		stop := startTicker(term, b, log)
		<-term.Done()
		stop()
	}
}

// demoTicker is the tick a "~" line runs at each step: only while this
// process leads, under its term.
func (l *leadership) demoTicker(b *bot.Bot) func(ctx context.Context) error {
	return func(context.Context) error {
		term := l.term()
		if term == nil {
			return nil // a follower's clock moves; the leader does the work
		}
		return b.Tick(term)
	}
}

// eventConnection is an adapter whose Run holds a connection the platform
// sends events on (Slack's Socket Mode): only the leader may hold it, or
// two processes would handle each event.
type eventConnection interface {
	HoldsEventConnection() bool
}

// runAdapter runs the adapter's event loop. One that holds an event
// connection runs only while this process leads; when the term ends the
// process stops, saying why, so that its supervisor starts it again as a
// follower (the connection is not handed over inside one process). Others
// (the console, Slack's Events API over HTTP) run in every process.
func runAdapter(ctx context.Context, a bot.Adapter, h bot.Handler, l *leadership, log *slog.Logger) error {
	if ec, ok := a.(eventConnection); !ok || !ec.HoldsEventConnection() {
		return a.Run(ctx, h)
	}
	term := l.wait(ctx)
	if term == nil {
		return ctx.Err()
	}
	log.Warn("leading: opening the platform's event connection", "platform", a.Platform())
	err := a.Run(term, h)
	if ctx.Err() == nil && term.Err() != nil {
		return errors.New("this process lost the leader election while holding the platform's event connection: stopping, to start again as a follower")
	}
	return err
}
