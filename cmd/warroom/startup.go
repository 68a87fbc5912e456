package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/config"
)

// What the console adapter offers the binary beyond bot.Adapter: the
// start-up banner, the war rooms of earlier runs, and a demo clock.
type (
	announcer     interface{ Announce(facts ...string) }
	channelKnower interface{ KnowChannels(names ...string) }
	demoClocked   interface {
		UseDemoClock(now func() time.Time, advance func(ctx context.Context, d time.Duration))
	}
)

// demoTick is how far the demo clock moves between two ticks while a "~"
// line moves it: the ticker's period (tickEvery), so that reminders and
// chases are done when the running binary would do them, each at its
// time. A move over demoTicks of them (an hour) is cut into demoTicks
// equal steps instead, each a multiple of demoTick: a tick reads every
// open fault, and ~ 24h in 15 s steps would take seconds. Work then falls
// due at most a step (6 minutes for ~ 24h) later than it would.
const (
	demoTick  = 15 * time.Second
	demoTicks = 240
)

// demoAdvance moves the demo clock by d, running the timed work at every
// step on the way and at the end. It returns when that work is done: the
// console reads its next line after it.
func demoAdvance(ctx context.Context, tick func(context.Context) error, clock *bot.FakeClock, d time.Duration, log *slog.Logger) {
	step := demoTick
	if d > demoTicks*demoTick {
		step = (d/demoTicks + demoTick - 1) / demoTick * demoTick
	}
	for d > 0 {
		s := min(d, step)
		clock.Advance(s)
		d -= s
		if err := tick(ctx); err != nil {
			log.Error("timed work", "err", err)
		}
	}
}

// banner is what warroom says about itself at start.
type banner struct {
	database, http, logs string
	demo                 *bot.FakeClock // nil: the real clock
	plans                []*bot.Plan
	plansFrom            string
	planProblems         int
}

// knownRooms is how many of the newest faults' war rooms the console is
// told of at start, so that "#fault-3-..." of an earlier run switches there.
const knownRooms = 100

// announce tells the console the war rooms of earlier runs and prints the
// banner there; another adapter has it logged.
func announce(ctx context.Context, adapter bot.Adapter, db bot.Store, bn banner, log *slog.Logger) {
	open, err := db.Faults(ctx, bot.FaultFilter{Status: []bot.Status{bot.StatusOpen, bot.StatusMitigated}})
	if err != nil {
		log.Error("listing the open faults", "err", err)
	}
	if k, ok := adapter.(channelKnower); ok {
		recent, err := db.Faults(ctx, bot.FaultFilter{Limit: knownRooms})
		if err != nil {
			log.Error("listing the faults", "err", err)
		}
		var names []string
		for _, f := range append(recent, open...) {
			names = append(names, f.ChannelName)
		}
		k.KnowChannels(names...)
	}
	facts := bn.facts(open)
	if a, ok := adapter.(announcer); ok {
		a.Announce(facts...)
		return
	}
	log.Info("warroom started", "adapter", adapter.Platform(), "facts", strings.Join(facts, "; "))
}

func (bn banner) facts(open []*bot.Fault) []string {
	out := []string{fmt.Sprintf("warroom: database %s · HTTP %s · logs to %s", bn.database, bn.http, bn.logs)}

	plans := fmt.Sprintf("plans: none loaded from %s", bn.plansFrom)
	if len(bn.plans) > 0 {
		names := make([]string, len(bn.plans))
		for i, p := range bn.plans {
			names[i] = p.Name
		}
		plans = fmt.Sprintf("plans: %d loaded from %s (%s)", len(bn.plans), bn.plansFrom, strings.Join(names, ", "))
	}
	switch bn.planProblems {
	case 0:
	case 1:
		plans += "; 1 file has a problem (warroom plans check says which)"
	default:
		plans += fmt.Sprintf("; %d files have problems (warroom plans check says which)", bn.planProblems)
	}
	out = append(out, plans)

	faults := "open faults: none"
	if len(open) > 0 {
		const most = 5
		var rooms []string
		for _, f := range open[:min(len(open), most)] {
			rooms = append(rooms, fmt.Sprintf("#%s (%s %s)", f.ChannelName, f.Level, f.Title))
		}
		faults = fmt.Sprintf("open faults: %d, newest first: %s", len(open), strings.Join(rooms, ", "))
		if len(open) > most {
			faults += fmt.Sprintf(" and %d more (/fault list)", len(open)-most)
		}
	}
	out = append(out, faults)

	if bn.demo != nil {
		out = append(out, fmt.Sprintf("demo clock: %s; only ~ <duration> lines move it", bn.demo.Now().Format("2006-01-02 15:04:05 MST")))
	} else {
		out = append(out, "clock: the real one (-demo-clock makes one that ~ <duration> lines move)")
	}
	return out
}

// plansFrom says where the plans came from, for the banner.
func plansFrom(dir string, cfg *config.Config, embedded bool) string {
	if embedded && dir != cfg.Plans && dir != "plans" {
		return "the embedded examples"
	}
	if _, err := os.Stat(dir); err != nil {
		return dir + " (no such directory)"
	}
	return dir
}
