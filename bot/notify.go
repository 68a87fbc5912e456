package bot

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// notify tells the level's stakeholders (config `notify`: "#channels",
// people by DM, "+phone" numbers by SMS through the Notifier) what happened
// to a fault. A recipient that cannot be reached is said in the war room and
// on the timeline; the others still hear.
func (b *Bot) notify(ctx context.Context, f *Fault, what string) {
	// Whoever heard under an earlier level keeps hearing until resolve.
	type recipient struct {
		Recipient
		level Level // the first level that lists it, for error messages
	}
	var recipients []recipient
	seen := map[Recipient]bool{}
	for _, l := range append([]Level{f.Level}, f.Levels...) {
		for _, to := range b.catalog.Levels[l].Notify {
			if !seen[to] {
				seen[to] = true
				recipients = append(recipients, recipient{to, l})
			}
		}
	}
	if len(recipients) == 0 {
		return
	}
	text := fmt.Sprintf("📣 %s %s: %s — %s (status %s; war room #%s)", f.Level, f.Ref(), f.Title, what, f.Status, f.ChannelName)
	msg := Message{Kind: KindNotice, Title: fmt.Sprintf("%s %s: %s", f.Level, f.Ref(), f.Title), Text: text}
	var failed []Event
	for _, to := range recipients {
		var err error
		switch to.Kind {
		case RecipientChannel:
			err = b.postNamed(ctx, to.Name, to.level, msg)
		case RecipientPhone:
			if b.notifier == nil {
				err = fmt.Errorf("%s", noPager)
			} else {
				err = b.notifier.Page(ctx, Page{Person: Person{ID: to.Name, Phone: to.Name}, FaultID: f.ID, Level: f.Level, Text: text, Dedup: dedupKey(f), Notify: true})
			}
		case RecipientPerson:
			err = b.adapter.DM(ctx, b.person(to.Name), msg)
		default:
			err = fmt.Errorf("recipient %q has no kind", to.Name)
		}
		if err != nil {
			b.log.Warn("notifying a stakeholder", "fault", f.ID, "to", to.String(), "err", err)
			failed = append(failed, Event{Type: EventNotifyFailed, Actor: ActorBot, Person: to.String(), Text: err.Error()})
		}
	}
	if len(failed) == 0 {
		return
	}
	if err := b.record(ctx, f, failed...); err != nil {
		b.log.Error("recording failed notifications", "fault", f.ID, "err", err)
	}
	var who []string
	for _, e := range failed {
		who = append(who, fmt.Sprintf("%s (%s)", e.Person, e.Text))
	}
	b.reply(ctx, f.Channel, KindError, "⚠️ stakeholders not reached: "+strings.Join(who, ", "))
}

// postNamed posts msg in the channel people call #name. Post takes ids, so
// an adapter that can look names up (ChannelFinder) is asked for the id
// first; others get "#name" as it stands. A channel the platform does not
// have is an ENOTFOUND error that says what to do about it.
func (b *Bot) postNamed(ctx context.Context, name string, level Level, msg Message) error {
	cf, ok := b.adapter.(ChannelFinder)
	if !ok {
		_, err := b.adapter.Post(ctx, "#"+name, msg)
		return err
	}
	ch, err := cf.FindChannel(ctx, name)
	if ErrorCode(err) == ENOTFOUND {
		return Errorf(ENOTFOUND, "no channel named #%s on %s; create it or fix levels.%s.notify", name, b.adapter.Platform(), level)
	}
	if err != nil {
		return err
	}
	_, err = b.adapter.Post(ctx, ch.ID, msg)
	return err
}

// dedupKey identifies a fault to paging services that group alerts.
func dedupKey(f *Fault) string { return fmt.Sprintf("warroom-fault-%d", f.ID) }

// track tells a paging service that follows faults (PagerDuty) that this one
// opened or closed. A failure is said in the war room and on the timeline.
func (b *Bot) track(ctx context.Context, f *Fault, opened bool) {
	ft, ok := b.notifier.(FaultTracker)
	if !ok {
		return
	}
	pg := Page{FaultID: f.ID, Level: f.Level, Dedup: dedupKey(f),
		Text: fmt.Sprintf("%s %s: %s (war room #%s)", f.Level, f.Ref(), f.Title, f.ChannelName)}
	var err error
	what := "opened"
	if opened {
		err = ft.Opened(ctx, pg)
	} else {
		what = "closed"
		err = ft.Closed(ctx, pg)
	}
	if err == nil {
		return
	}
	b.log.Warn("paging service", "fault", f.ID, "what", what, "err", err)
	if rerr := b.record(ctx, f, Event{Type: EventNotifyFailed, Actor: ActorBot, Person: "paging service", Text: what + ": " + err.Error()}); rerr != nil {
		b.log.Error("recording a paging failure", "fault", f.ID, "err", rerr)
	}
	b.reply(ctx, f.Channel, KindError, fmt.Sprintf("⚠️ the paging service was not told the fault %s: %v", what, err))
}

// pageAtDeclare pages the level's page list and the invitees who have no
// account on the chat platform ("auto-dial"): chat cannot reach them.
func (b *Bot) pageAtDeclare(ctx context.Context, f *Fault) {
	var noChat []string
	_, byEmail := b.adapter.(Directory)
	for _, p := range f.Participants {
		pp, ok := b.catalog.People[p.Person]
		if ok && !b.onChat(pp) && !(byEmail && pp.Email != "") {
			noChat = append(noChat, p.Person)
		}
	}
	b.pageAll(ctx, f, noChat)
}

// pageLevel pages the level's page list after a re-grade, leaving out
// whoever a page of this fault has reached already.
func (b *Bot) pageLevel(ctx context.Context, f *Fault) { b.pageAll(ctx, f, nil) }

// pageAll pages the level's page list and the others named, once each,
// and records each page with how it went.
func (b *Bot) pageAll(ctx context.Context, f *Fault, noChat []string) {
	var evs []Event
	seen := map[string]bool{}
	for _, p := range f.Paged {
		seen[p] = true
	}
	add := func(id, why string) {
		if id == "" || seen[id] {
			return
		}
		seen[id] = true
		text := fmt.Sprintf("warroom %s %s: %s. War room #%s", f.Level, f.Ref(), f.Title, f.ChannelName)
		evs = append(evs, Event{Type: EventPaged, Actor: ActorBot, Person: id, Via: why, Text: b.page(ctx, f, id, text)})
	}
	for _, id := range b.catalog.Levels[f.Level].Page {
		add(id, "level "+string(f.Level)+" page list")
	}
	for _, id := range noChat {
		add(id, "no chat account")
	}
	if len(evs) == 0 {
		return
	}
	if err := b.record(ctx, f, evs...); err != nil {
		b.log.Error("recording pages", "fault", f.ID, "err", err)
		return
	}
	var ok, failed []string
	for _, e := range evs {
		if e.Text == "" {
			ok = append(ok, b.mention(e.Person))
		} else {
			failed = append(failed, fmt.Sprintf("%s (%s)", b.mention(e.Person), e.Text))
		}
	}
	if len(ok) > 0 {
		b.reply(ctx, f.Channel, KindNotice, "📟 paged "+strings.Join(ok, ", "))
	}
	if len(failed) > 0 {
		b.reply(ctx, f.Channel, KindError, "⚠️ could not page "+strings.Join(failed, ", "))
	}
}

// digest sends the level's notify recipients a status digest when one is
// due: every `digest` interval since the declaration or the last digest, so
// stakeholders keep hearing until the fault is resolved even when nobody
// posts updates. Recorded first, so a second tick does not send it again.
func (b *Bot) digest(ctx context.Context, f *Fault, now time.Time) error {
	if !digestDue(b.catalog.Levels[f.Level], f, now) {
		return nil
	}
	if err := b.record(ctx, f, Event{Type: EventDigestSent, At: now, Actor: ActorBot}); err != nil {
		return err
	}
	b.notify(ctx, f, b.digestText(f, now))
	return nil
}

// digestDue reports whether the level's digest interval has passed since
// the declaration or the last digest.
func digestDue(pol LevelPolicy, f *Fault, now time.Time) bool {
	return pol.Digest > 0 && len(pol.Notify) > 0 && !now.Before(latest(f.DeclaredAt, f.LastDigestAt).Add(pol.Digest))
}

func (b *Bot) digestText(f *Fault, now time.Time) string {
	parts := []string{
		"status digest: " + string(f.Status) + " for " + Dur(now.Sub(f.DeclaredAt)),
		fmt.Sprintf("commander %s, handler %s", b.mention(f.Commander), b.mention(f.Handler)),
		fmt.Sprintf("%d of %d checked in", f.CheckedIn(), len(f.Participants)),
	}
	if f.Updates > 0 {
		parts = append(parts, fmt.Sprintf("last update %s ago: %s", Dur(now.Sub(f.LastUpdateAt)), f.LastUpdate))
	} else {
		parts = append(parts, "no update yet")
	}
	open := 0
	for _, t := range f.Tasks {
		if !t.Done() {
			open++
		}
	}
	if open > 0 {
		parts = append(parts, fmt.Sprintf("%d task(s) open", open))
	}
	for _, r := range f.Runs {
		if r.Status == RunRunning || r.Status == RunPending {
			parts = append(parts, fmt.Sprintf("plan run #%d %s %s", r.Num, r.Plan, r.Status))
		}
	}
	return strings.Join(parts, "; ")
}
