package bot

import (
	"context"
	"fmt"
	"strings"
)

// notify tells the level's stakeholders (config `notify`: "#channels",
// people by DM, "+phone" numbers by SMS through the Notifier) what happened
// to a fault. A recipient that cannot be reached is said in the war room and
// on the timeline; the others still hear.
func (b *Bot) notify(ctx context.Context, f *Fault, what string, alsoLevels ...Level) {
	// A re-grade is news to the old level's stakeholders too.
	var recipients []string
	seen := map[string]bool{}
	for _, l := range append([]Level{f.Level}, alsoLevels...) {
		for _, to := range b.catalog.Levels[l].Notify {
			if !seen[to] {
				seen[to] = true
				recipients = append(recipients, to)
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
		switch {
		case strings.HasPrefix(to, "#"):
			_, err = b.adapter.Post(ctx, to, msg)
		case strings.HasPrefix(to, "+"):
			if b.notifier == nil {
				err = fmt.Errorf("%s", noPager)
			} else {
				err = b.notifier.Page(ctx, Page{Person: Person{ID: to, Phone: to}, FaultID: f.ID, Level: f.Level, Text: text, Dedup: fmt.Sprintf("warroom-fault-%d", f.ID)})
			}
		default:
			err = b.adapter.DM(ctx, b.person(to), msg)
		}
		if err != nil {
			b.log.Warn("notifying a stakeholder", "fault", f.ID, "to", to, "err", err)
			failed = append(failed, Event{Type: EventNotifyFailed, Actor: ActorBot, Person: to, Text: err.Error()})
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
