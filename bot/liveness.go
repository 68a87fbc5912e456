package bot

import "context"

// Liveness is a Store shared by several warroom processes (PostgreSQL)
// that can tell whether a process lives: each plan run records the process
// running it (Event.Owner), so that another process starting, or a new
// leader, marks interrupted only the runs of a process that is gone, never
// those a live one is running. Optional: with one process (SQLite) every
// running run at start was the last process's.
type Liveness interface {
	// Self is this process's id.
	Self() string
	// Alive reports whether the process with that id still lives.
	Alive(ctx context.Context, id string) (bool, error)
}

func (b *Bot) self() string {
	if l, ok := b.store.(Liveness); ok {
		return l.Self()
	}
	return ""
}

// runsElsewhere reports whether a live process runs run: this one, or
// another. When that cannot be told it is taken as alive: a run wrongly
// marked interrupted is worse than one marked at the next start or
// takeover.
func (b *Bot) runsElsewhere(ctx context.Context, run *Run) bool {
	l, ok := b.store.(Liveness)
	if !ok || run.Owner == "" {
		return false
	}
	if run.Owner == l.Self() {
		return true
	}
	alive, err := l.Alive(ctx, run.Owner)
	if err != nil {
		b.log.Warn("telling whether the process running a plan run lives; taking it for alive", "run", run.Num, "owner", run.Owner, "err", err)
		return true
	}
	return alive
}
