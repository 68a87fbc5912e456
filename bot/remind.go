package bot

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// Notifier pages people where chat is not enough (SMS, voice, a paging
// service). Providers implement it; the core only says whom and why.
type Notifier interface {
	Page(ctx context.Context, p Page) error
}

// Page is one page: a person about a fault.
type Page struct {
	Person  Person
	FaultID int64
	Level   Level
	Text    string
	// Dedup identifies the fault for providers that group pages
	// (PagerDuty's dedup_key): "warroom-fault-<id>".
	Dedup string
	// Notify marks a stakeholder notification to a "+phone" recipient: a
	// text message only, never a call or a paging-service alert.
	Notify bool
}

// FaultTracker is a Notifier that also follows the fault itself rather than
// one person (PagerDuty): an alert opened at declare and closed at resolve,
// both keyed by Page.Dedup. Person is empty in these pages.
type FaultTracker interface {
	Opened(ctx context.Context, p Page) error
	Closed(ctx context.Context, p Page) error
}

// Check-in chase stages: invitees who have not checked in are DMed after one
// check-in window, paged after two, and reported to the commander after three.
const (
	ChaseDM        = "dm"
	ChasePage      = "page"
	ChaseCommander = "commander"
	// ChaseHandler is the third stage for the commander: reported to the
	// handler, not to himself.
	ChaseHandler = "handler"
)

var chaseStages = []string{ChaseDM, ChasePage, ChaseCommander}

// schedules caches parsed cron specs.
type schedules struct {
	mu sync.Mutex
	m  map[string]cron.Schedule
}

func (s *schedules) get(spec string) (cron.Schedule, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sch, ok := s.m[spec]; ok {
		return sch, nil
	}
	sch, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, err
	}
	if s.m == nil {
		s.m = map[string]cron.Schedule{}
	}
	s.m[spec] = sch
	return sch, nil
}

// Tick does the timed work that is due at the clock's now: progress
// reminders, their escalation, and chasing invitees who have not checked in.
// The store's due index names the faults that have any (nothing else is
// read); what is due on each is derived from its timeline, and doing it is
// recorded there, so Tick is idempotent: calling it twice at the same moment
// does the work once, and after a restart work that fell due while the bot
// was down is done once, not once per missed slot.
func (b *Bot) Tick(ctx context.Context) error {
	var errs []string
	if err := b.requeueAlerts(ctx); err != nil { // alert deliveries whose acting failed
		errs = append(errs, fmt.Sprintf("alerts: %v", err))
	}
	ids, err := b.store.DueBy(ctx, b.clock.Now())
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := b.tickFault(ctx, id); err != nil {
			errs = append(errs, fmt.Sprintf("fault %d: %v", id, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("tick: %s", strings.Join(errs, "; "))
	}
	return nil
}

func (b *Bot) tickFault(ctx context.Context, id int64) error {
	defer b.lock(id)()
	f, err := b.load(ctx, id) // under the lock: a command may have just changed it
	if err != nil {
		return err
	}
	now, seq := b.clock.Now(), f.Seq
	if b.due(f, now) {
		for _, job := range []struct {
			name string
			run  func(context.Context, *Fault, time.Time) error
		}{{"alerts", b.tellAlerts}, {"expiry", b.expireRuns}, {"reminder", b.remind}, {"digest", b.digest}, {"chase", b.chase}} {
			if err := b.contain(ctx, f, job.name, func() error { return job.run(ctx, f, now) }); err != nil {
				return err
			}
		}
	}
	// Whatever was recorded carried its new due time. When nothing was (the
	// index ran ahead of the timeline), the entry is corrected so that the
	// fault is not read again before its work is really due.
	if next := b.dueAt(f); f.Seq == seq && (next.IsZero() || next.After(now)) {
		return b.store.SetDue(ctx, "", map[int64]time.Time{id: next})
	}
	return nil
}

// remind asks the handler for an update when the level's schedule says one
// is due since the last update or reminder; if the previous reminder went
// unanswered, this one escalates to the commander too.
func (b *Bot) remind(ctx context.Context, f *Fault, now time.Time) error {
	spec := b.catalog.Levels[f.Level].Remind
	if spec == "" {
		return nil
	}
	sch, err := b.crons.get(spec)
	if err != nil {
		return Errorf(EINVALID, "levels.%s.remind %q: %v", f.Level, spec, err)
	}
	base := latest(f.DeclaredAt, f.LastUpdateAt, f.LastRemindAt)
	if now.Before(sch.Next(base)) {
		return nil
	}
	prev := f.LastRemindAt
	missed := prev.After(f.LastUpdateAt) // asked before, no update since
	handler := f.Handler
	if handler == "" {
		handler = f.Commander
	}
	evs := []Event{{Type: EventReminded, At: now, Actor: ActorBot, Person: handler}}
	if missed && f.Commander != "" {
		evs = append(evs, Event{Type: EventEscalated, At: now, Actor: ActorBot, Person: f.Commander,
			Text: fmt.Sprintf("no update since the reminder at %s", ClockTime(prev, now))})
	}
	if err := b.record(ctx, f, evs...); err != nil {
		return err
	}
	since := "the declaration"
	if !f.LastUpdateAt.IsZero() {
		since = "the last update, " + Dur(now.Sub(f.LastUpdateAt)) + " ago"
	}
	b.reply(ctx, f.Channel, KindNotice, fmt.Sprintf("⏰ %s, time for a progress update on %s (nothing since %s): /%s update <text>",
		b.mention(handler), f.Ref(), since, b.opts.Command))
	if missed && f.Commander != "" {
		msg := fmt.Sprintf("⏫ %s: no progress update on %s (%s %s) since the reminder at %s; %s is handling it.",
			b.mention(f.Commander), f.Ref(), f.Level, f.Title, ClockTime(prev, now), b.mention(handler))
		b.reply(ctx, f.Channel, KindNotice, msg)
		b.dm(ctx, f.Commander, msg+" War room: #"+f.ChannelName)
	}
	return nil
}

// chase takes every invitee who has not checked in through the stages that
// are due: a DM after one check-in window from their invitation, a page
// after two, a report to the commander after three.
func (b *Bot) chase(ctx context.Context, f *Fault, now time.Time) error {
	window := b.catalog.Levels[f.Level].CheckinWithin
	if window <= 0 {
		return nil
	}
	var evs []Event
	var report []string // those the commander hears of now
	for _, p := range f.Participants {
		if p.CheckedIn() {
			continue
		}
		// Every stage that is due is done now, so that work missed while
		// the bot was down is caught up in one tick and a second tick at
		// the same moment finds nothing to do.
		due := min(len(chaseStages), int(now.Sub(p.InvitedAt)/window))
		for k := p.Chased; k < due; k++ {
			stage := chaseStages[k]
			e := Event{Type: EventChased, At: now, Actor: ActorBot, Person: p.Person, Via: stage}
			switch stage {
			case ChaseDM:
				e.Text = b.dmErr(ctx, p.Person, fmt.Sprintf("🚨 you were invited to the war room of %s (%s %s) %s ago and have not checked in: react ✅ to its kickoff in #%s or type /%s checkin there.",
					f.Ref(), f.Level, f.Title, Dur(now.Sub(p.InvitedAt)), f.ChannelName, b.opts.Command))
			case ChasePage:
				e.Text = b.page(ctx, f, p.Person, fmt.Sprintf("warroom %s %s: %s. You have not checked in: join #%s", f.Level, f.Ref(), f.Title, f.ChannelName))
			case ChaseCommander:
				if p.Person == f.Commander {
					e.Via = ChaseHandler
				}
				report = append(report, p.Person)
			}
			evs = append(evs, e)
		}
	}
	if err := b.record(ctx, f, evs...); err != nil {
		return err
	}
	for _, e := range evs {
		// Without a pager there is nothing to fix per page: the timeline
		// says so, the channel is spared a warning per person.
		if e.Via == ChasePage && e.Text != "" && e.Text != noPager {
			b.reply(ctx, f.Channel, KindError, fmt.Sprintf("⚠️ could not page %s: %s", b.mention(e.Person), e.Text))
		}
	}
	b.reportChased(ctx, f, report, now)
	return nil
}

// reportChased tells the commander (or, of the commander, the handler) who
// has still not checked in, and what of the chase really reached them.
func (b *Bot) reportChased(ctx context.Context, f *Fault, people []string, now time.Time) {
	byWhom := map[string][]string{}
	var order []string
	for _, id := range people {
		p, _ := f.Participant(id)
		to := f.Commander
		if id == f.Commander {
			to = f.Handler // a commander is not reported to himself
		}
		if _, ok := byWhom[to]; !ok {
			order = append(order, to)
		}
		byWhom[to] = append(byWhom[to], fmt.Sprintf("%s (invited %s ago; %s)", b.mention(id), Dur(now.Sub(p.InvitedAt)), reached(p)))
	}
	for _, to := range order {
		who := b.mention(to)
		if to == "" {
			who = "commander (none assigned: /" + b.opts.Command + " role commander @person)"
		}
		b.reply(ctx, f.Channel, KindNotice, fmt.Sprintf("📋 %s: not checked in: %s", who, strings.Join(byWhom[to], ", ")))
	}
}

// reached says what of the chase reached a participant: "a DM and a page
// reached them", or which failed and why.
func reached(p Participant) string {
	var got, missed []string
	for _, st := range []struct{ stage, what string }{{ChaseDM, "a DM"}, {ChasePage, "a page"}} {
		if why, ok := p.Missed[st.stage]; ok {
			missed = append(missed, fmt.Sprintf("%s failed: %s", st.what, why))
		} else {
			got = append(got, st.what)
		}
	}
	var parts []string
	if len(got) > 0 {
		parts = append(parts, strings.Join(got, " and ")+" reached them")
	}
	return strings.Join(append(parts, missed...), "; ")
}

const noPager = "no pager is configured"

// page pages a person through the Notifier and returns "" or why it failed.
func (b *Bot) page(ctx context.Context, f *Fault, person, text string) string {
	if b.notifier == nil {
		return noPager
	}
	err := b.notifier.Page(ctx, Page{Person: b.person(person), FaultID: f.ID, Level: f.Level, Text: text, Dedup: dedupKey(f)})
	if err != nil {
		b.log.Warn("page failed", "fault", f.ID, "person", person, "err", err)
		return err.Error()
	}
	return ""
}

// dm sends a direct message; a failure is logged, not fatal: the channel
// still has the message.
func (b *Bot) dm(ctx context.Context, person, text string) { b.dmErr(ctx, person, text) }

// dmErr is dm, returning "" or why it failed.
func (b *Bot) dmErr(ctx context.Context, person, text string) string {
	if err := b.adapter.DM(ctx, b.person(person), Message{Kind: KindNotice, Text: text}); err != nil {
		b.log.Warn("DM failed", "person", person, "err", err)
		return err.Error()
	}
	return ""
}

func latest(ts ...time.Time) time.Time {
	sort.Slice(ts, func(i, j int) bool { return ts[i].After(ts[j]) })
	return ts[0]
}
