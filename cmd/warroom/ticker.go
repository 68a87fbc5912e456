package main

import (
	"context"
	"log/slog"

	"github.com/robfig/cron/v3"

	"github.com/warroom/warroom/bot"
)

// tickEvery is how often timed work (reminders, check-in chases) is looked
// at. What is due is derived from the store, so the period only bounds how
// late a reminder may be.
const tickEvery = "@every 15s"

// startTicker drives bot.Tick with robfig/cron. Recover keeps a panicking
// tick from killing the bot; SkipIfStillRunning keeps a slow one from piling
// up. Work that fell due while the bot was down is done at once.
func startTicker(ctx context.Context, b *bot.Bot, log *slog.Logger) (stop func()) {
	logger := cronLogger{log}
	tick := func() {
		if err := b.Tick(ctx); err != nil && ctx.Err() == nil { // not a term ending mid-tick
			log.Error("timed work", "err", err)
		}
	}
	tick()
	c := cron.New(cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)), cron.WithLogger(logger))
	if _, err := c.AddFunc(tickEvery, tick); err != nil {
		panic(err) // a constant spec
	}
	c.Start()
	return func() { <-c.Stop().Done() }
}

// cronLogger routes robfig/cron's logging to slog.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}
