package bot

import "time"

// Observer hears what the core recorded, once the store has kept it: the
// metrics endpoint counts from it, without the core knowing of Prometheus.
// It is called on the goroutine that recorded, with the fault still locked,
// so it must be quick, must not keep Recorded.Fault, and must not call the
// Bot.
type Observer interface {
	Recorded(r Recorded)
}

// Recorded is one write of a fault's events: a declaration, or one command
// or timed job's batch.
type Recorded struct {
	Fault  *Fault  // as the events left it; read only
	Events []Event // as stored, numbered
	// Via is where a declaration came from (ViaChat, ViaAPI, ViaWeb,
	// ViaAlert); "" on every later write. The declared event does not say.
	Via string
	// Milestones are the fault's firsts that these events reached.
	Milestones []Milestone
}

// MilestoneKind names a moment the recovery figures measure.
type MilestoneKind string

// Milestones, as ComputeMetrics measures them.
const (
	// MilestoneFirstCheckin is the first check-in other than the
	// declarer's own (they are there by declaring).
	MilestoneFirstCheckin MilestoneKind = "first_checkin"
	// MilestoneMitigated is the first mitigation; a resolve without one is
	// one too (resolved implies mitigated).
	MilestoneMitigated MilestoneKind = "mitigated"
	MilestoneResolved  MilestoneKind = "resolved"
)

// Milestone is a fault reaching one of those moments.
type Milestone struct {
	Kind  MilestoneKind
	Level Level         // the fault's level then
	After time.Duration // since the declaration
}

// Observe sets who hears what is recorded; nil for nobody. Call it before
// Start.
func (b *Bot) Observe(o Observer) { b.observer = o }

// milestones are the milestones e reaches on f, as f stands before e is
// applied. It reads only what the figures read (ComputeMetrics), so that
// the metrics endpoint and the summary agree.
func milestones(f *Fault, e Event, out []Milestone) []Milestone {
	at := func(k MilestoneKind) Milestone {
		return Milestone{Kind: k, Level: f.Level, After: e.At.Sub(f.DeclaredAt)}
	}
	switch e.Type {
	case EventCheckedIn:
		if e.Via == CheckinDeclared {
			return out
		}
		ok := false
		for _, p := range f.Participants {
			if p.CheckedIn() && p.CheckinVia != CheckinDeclared {
				return out // not the first
			}
			ok = ok || (p.Person == e.Person && !p.CheckedIn())
		}
		if ok {
			out = append(out, at(MilestoneFirstCheckin))
		}
	case EventMitigated:
		if f.MitigatedAt.IsZero() {
			out = append(out, at(MilestoneMitigated))
		}
	case EventResolved:
		if f.MitigatedAt.IsZero() {
			out = append(out, at(MilestoneMitigated))
		}
		if f.ResolvedAt.IsZero() {
			out = append(out, at(MilestoneResolved))
		}
	}
	return out
}

// observe tells the observer of a write the store kept.
func (b *Bot) observe(r Recorded) {
	if b.observer != nil && len(r.Events) > 0 {
		b.observer.Recorded(r)
	}
}

// observeDeclared tells the observer of a declaration: its events are
// folded again from nothing to find the milestones among them.
func (b *Bot) observeDeclared(f *Fault, events []Event, via string) {
	if b.observer == nil {
		return
	}
	var ms []Milestone
	scratch := &Fault{}
	for _, e := range events {
		ms = milestones(scratch, e, ms)
		Apply(scratch, e)
	}
	b.observe(Recorded{Fault: f, Events: events, Via: via, Milestones: ms})
}
