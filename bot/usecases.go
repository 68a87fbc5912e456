package bot

import (
	"context"
	"fmt"
	"strings"
)

// The use cases of a war room: one method each, called alike by chat verbs,
// the HTTP API, alerts and the web. Each locks the fault, loads it, decides
// (act: resolved?, presence, who may), records, and does the side effects;
// the text returned is what the war room was told.

// How a check-in came about (Participant.CheckinVia).
const (
	CheckinCommand  = "command"  // /fault checkin
	CheckinReaction = "reaction" // ✅ on the kickoff
	CheckinPresence = "presence" // an invitee typed another command in the war room
	CheckinDeclared = "declared" // the declarer, at declare
	CheckinAPI      = "api"      // POST /api/incidents/{id}/checkin
	CheckinWeb      = "web"      // the war-room page's form
)

func checkinVia(a Actor) string {
	switch a.Via {
	case ViaAPI:
		return CheckinAPI
	case ViaWeb:
		return CheckinWeb
	}
	return CheckinCommand
}

// announce posts what a use case did in the war room and returns it.
func (b *Bot) announce(ctx context.Context, f *Fault, format string, args ...any) string {
	text := fmt.Sprintf(format, args...)
	if f.Channel != "" {
		b.reply(ctx, f.Channel, KindReply, text)
	}
	return text
}

// CheckIn says the actor is here. Someone not invited joins as a responder;
// the first to check in to a fault without a handler becomes its handler.
func (b *Bot) CheckIn(ctx context.Context, a Actor, id int64) (Result, error) {
	return b.act(ctx, a, id, ask{command: "checkin"}, func(f *Fault) (string, error) {
		return b.checkin(ctx, f, a.Person, checkinVia(a))
	})
}

// checkinEvents are the events of a person checking in: joining first if
// they were not invited, taking the handler's role if nobody holds it.
func (b *Bot) checkinEvents(f *Fault, p Person, via string) []Event {
	var evs []Event
	if !f.Invited(p.ID) {
		evs = append(evs,
			Event{Type: EventInvited, Actor: p.ID, Person: p.ID, Text: "joined"},
			Event{Type: EventRoleAssigned, Actor: ActorBot, Role: RoleResponder, Person: p.ID, Text: "joined"})
	}
	if f.Handler == "" {
		evs = append(evs, Event{Type: EventRoleAssigned, Actor: ActorBot, Role: RoleHandler, Person: p.ID, Text: "first to check in"})
	}
	return append(evs, Event{Type: EventCheckedIn, Actor: p.ID, Person: p.ID, Via: via})
}

// checkin records a check-in and announces it.
func (b *Bot) checkin(ctx context.Context, f *Fault, p Person, via string) (string, error) {
	if pt, ok := f.Participant(p.ID); ok && pt.CheckedIn() {
		return "", Errorf(EINVALID, "%s checked in already, at %s (+%s)", b.mention(p.ID), ClockTime(pt.CheckedInAt, b.clock.Now()), Dur(pt.CheckedInAt.Sub(f.DeclaredAt)))
	}
	joined, handler := !f.Invited(p.ID), f.Handler == ""
	if err := b.record(ctx, f, b.checkinEvents(f, p, via)...); err != nil {
		return "", err
	}
	pt, _ := f.Participant(p.ID)
	msg := fmt.Sprintf("✅ %s checked in (+%s) — %d of %d checked in",
		b.mention(p.ID), Dur(pt.CheckedInAt.Sub(f.DeclaredAt)), f.CheckedIn(), len(f.Participants))
	if joined {
		msg += "; joined as a responder"
	}
	if handler {
		msg += "; the handler now (the first to check in)"
		b.setTopic(ctx, f)
	}
	return b.announce(ctx, f, "%s", msg), nil
}

// AssignRole gives person a role.
func (b *Bot) AssignRole(ctx context.Context, a Actor, id int64, role Role, person string) (Result, error) {
	role, err := ParseRole(string(role))
	if err != nil {
		return Result{}, b.usageErr("role", ErrorMessage(err))
	}
	return b.act(ctx, a, id, ask{command: "role", role: role, target: person}, func(f *Fault) (string, error) {
		if f.HasRole(person, role) {
			return "", Errorf(EINVALID, "%s is already %s", b.mention(person), role)
		}
		if _, err := b.invite(ctx, f, a.Person.ID, []invitee{{person, "given the " + string(role) + " role"}}); err != nil {
			return "", err
		}
		was := ""
		if role != RoleResponder {
			was = b.holdersID(f, role)
		}
		if err := b.record(ctx, f, Event{Type: EventRoleAssigned, Actor: a.Person.ID, Role: role, Person: person}); err != nil {
			return "", err
		}
		if role != RoleResponder { // the topic names only the commander and handler
			b.setTopic(ctx, f)
		}
		if was != "" {
			return b.announce(ctx, f, "%s is now %s (was %s)", b.mention(person), role, b.mention(was)), nil
		}
		return b.announce(ctx, f, "%s is now %s", b.mention(person), role), nil
	})
}

func (b *Bot) holdersID(f *Fault, r Role) string {
	if r == RoleCommander {
		return f.Commander
	}
	return f.Handler
}

// Invite brings people, and a service's contacts, into the war room.
func (b *Bot) Invite(ctx context.Context, a Actor, id int64, people []string, service string) (Result, error) {
	var who []invitee
	for _, p := range people {
		who = append(who, invitee{p, "invited by " + a.Person.ID})
	}
	if service != "" {
		if _, err := b.catalog.Service(service); err != nil {
			return Result{}, b.usageErr("invite", ErrorMessage(b.catalog.noService("service", service)))
		}
		who = append(who, b.contactsOf(service, "contact of "+service)...)
	}
	if len(who) == 0 {
		return Result{}, b.usageErr("invite", "say whom to invite")
	}
	return b.act(ctx, a, id, ask{command: "invite"}, func(f *Fault) (string, error) {
		ids, err := b.invite(ctx, f, a.Person.ID, who)
		if err != nil {
			return "", err
		}
		if len(ids) == 0 {
			return b.announce(ctx, f, "everyone named is already in the war room"), nil
		}
		return b.announce(ctx, f, "invited %s", b.mentions(ids)), nil
	})
}

// SetCause sets the suspected-cause service and invites its contacts.
func (b *Bot) SetCause(ctx context.Context, a Actor, id int64, service string) (Result, error) {
	if _, err := b.catalog.Service(service); err != nil {
		return Result{}, b.usageErr("cause", ErrorMessage(err))
	}
	return b.act(ctx, a, id, ask{command: "cause"}, func(f *Fault) (string, error) {
		if f.Cause == service {
			return "", Errorf(EINVALID, "the suspected cause is already %s", service)
		}
		was := f.Cause
		if err := b.record(ctx, f, Event{Type: EventCauseSet, Actor: a.Person.ID, Service: service}); err != nil {
			return "", err
		}
		ids, inviteErr := b.invite(ctx, f, a.Person.ID, b.contactsOf(service, "contact of "+service+", the suspected cause"))
		msg := fmt.Sprintf("suspected cause: %s → %s", orDash(was), service)
		if len(ids) > 0 {
			msg += "; invited its contacts " + b.mentions(ids)
		} else if inviteErr == nil {
			msg += "; its contacts are already here"
		}
		return b.announce(ctx, f, "%s", msg), inviteErr
	})
}

// AddTask assigns person a task.
func (b *Bot) AddTask(ctx context.Context, a Actor, id int64, person, text string) (Result, error) {
	text = strings.TrimSpace(text)
	if person == "" || text == "" {
		return Result{}, b.usageErr("task", "a person and the task are needed")
	}
	return b.act(ctx, a, id, ask{command: "task"}, func(f *Fault) (string, error) {
		if _, err := b.invite(ctx, f, a.Person.ID, []invitee{{person, "assigned a task"}}); err != nil {
			return "", err
		}
		n := len(f.Tasks) + 1
		if err := b.record(ctx, f, Event{Type: EventTaskAdded, Actor: a.Person.ID, Task: n, Person: person, Text: text}); err != nil {
			return "", err
		}
		return b.announce(ctx, f, "📋 task #%d for %s: %s (close it with /%s done %d)", n, b.mention(person), text, b.opts.Command, n), nil
	})
}

// CloseTask marks task n done (and, for a plan's manual step, goes on).
func (b *Bot) CloseTask(ctx context.Context, a Actor, id int64, n int) (Result, error) {
	if n <= 0 {
		return Result{}, b.usageErr("done", "a task number is needed, such as 1 or #1")
	}
	return b.act(ctx, a, id, ask{command: "done", task: n}, func(f *Fault) (string, error) {
		t, ok := f.Task(n)
		if !ok {
			return "", Errorf(ENOTFOUND, "there is no task #%d%s", n, openTasksHint(f))
		}
		if t.Done() {
			return "", Errorf(EINVALID, "task #%d was done already, by %s at %s", n, b.mention(t.DoneBy), ClockTime(t.DoneAt, b.clock.Now()))
		}
		if err := b.record(ctx, f, Event{Type: EventTaskDone, Actor: a.Person.ID, Task: n}); err != nil {
			return "", err
		}
		if t.Run != 0 {
			if err := b.doneManualStep(ctx, f, t, a.Person.ID); err != nil {
				return "", err
			}
		}
		open := 0
		for _, t := range f.Tasks {
			if !t.Done() {
				open++
			}
		}
		return b.announce(ctx, f, "☑️ task #%d done: %s — %d open", n, t.Text, open), nil
	})
}

// Update posts a progress update: to the war room and the stakeholders; it
// resets the reminder.
func (b *Bot) Update(ctx context.Context, a Actor, id int64, text string) (Result, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return Result{}, b.usageErr("update", "the update's text is needed")
	}
	return b.act(ctx, a, id, ask{command: "update"}, func(f *Fault) (string, error) {
		if err := b.record(ctx, f, Event{Type: EventUpdate, Actor: a.Person.ID, Text: text}); err != nil {
			return "", err
		}
		msg := b.announce(ctx, f, "📣 update #%d from %s: %s", f.Updates, b.mention(a.Person.ID), text)
		b.notify(ctx, f, "update from "+b.mention(a.Person.ID)+": "+text)
		return msg, nil
	})
}

// Mitigate marks the impact stopped; recovery goes on.
func (b *Bot) Mitigate(ctx context.Context, a Actor, id int64, note string) (Result, error) {
	note = strings.TrimSpace(note)
	return b.act(ctx, a, id, ask{command: "mitigated"}, func(f *Fault) (string, error) {
		if f.Status == StatusMitigated {
			return "", Errorf(EINVALID, "%s was marked mitigated already, at %s; /%s resolve closes it", f.Ref(), ClockTime(f.MitigatedAt, b.clock.Now()), b.opts.Command)
		}
		if err := b.record(ctx, f, Event{Type: EventMitigated, Actor: a.Person.ID, Text: note}); err != nil {
			return "", err
		}
		b.setTopic(ctx, f)
		after := Dur(f.MitigatedAt.Sub(f.DeclaredAt))
		msg := b.announce(ctx, f, "🩹 %s mitigated after %s%s; /%s resolve when recovery is complete", f.Ref(), after, notePart(note), b.opts.Command)
		b.notify(ctx, f, "mitigated after "+after+notePart(note))
		return msg, nil
	})
}

// Resolve closes the fault: the voice channel goes, runs are settled, the
// pager and stakeholders hear, and the recovery-metrics summary is posted.
func (b *Bot) Resolve(ctx context.Context, a Actor, id int64, note string) (Result, error) {
	note = strings.TrimSpace(note)
	return b.act(ctx, a, id, ask{command: "resolve"}, func(f *Fault) (string, error) {
		if err := b.record(ctx, f, Event{Type: EventResolved, Actor: a.Person.ID, Text: note}); err != nil {
			return "", err
		}
		b.closeVoice(ctx, f)
		b.settleRuns(ctx, f)
		b.track(ctx, f, false)
		events, err := b.store.Events(ctx, f.ID)
		if err != nil {
			return "", err
		}
		b.setTopic(ctx, f)
		after := "resolved after " + Dur(f.ResolvedAt.Sub(f.DeclaredAt)) + notePart(note)
		b.notify(ctx, f, after)
		sum := b.summary(f, events)
		if _, err := b.adapter.Post(ctx, f.Channel, sum); err != nil {
			return f.Ref() + " " + after, Errorf(EUNAVAILABLE, "%s is resolved, but the summary could not be posted: %v; /%s status shows it", f.Ref(), err, b.opts.Command)
		}
		return sum.Text, nil
	})
}

// List returns faults, newest first.
func (b *Bot) List(ctx context.Context, a Actor, filter FaultFilter) ([]*Fault, error) {
	if err := b.authorize(nil, a.Person.ID, ask{command: "list"}); err != nil {
		return nil, err
	}
	return b.store.Faults(ctx, filter)
}

// ResolvePerson reads a person argument from outside chat (HTTP): @alice or
// alice, a person in the catalog. A platform mention names whatever id it
// holds, so it is for chat only.
func (b *Bot) ResolvePerson(ctx context.Context, arg string) (Person, error) {
	if strings.HasPrefix(arg, "<@") {
		return Person{}, Errorf(EINVALID, "%q is a chat mention; name a person id from the catalog, such as @alice", arg)
	}
	return b.resolvePerson(ctx, arg)
}

// Regrade changes the fault's level: the new level's policy applies from
// now on (commander rule, check-in window, reminders, stakeholders), and
// those who heard under the old level keep hearing.
func (b *Bot) Regrade(ctx context.Context, a Actor, id int64, lvl Level) (Result, error) {
	lvl, err := ParseLevel(string(lvl))
	if err != nil {
		return Result{}, b.usageErr("level", ErrorMessage(err))
	}
	return b.act(ctx, a, id, ask{command: "level"}, func(f *Fault) (string, error) {
		if a.Via == ViaAlert && lvl.Rank() >= f.Level.Rank() {
			return "", nil // an alert re-grades up only: a person's grading stands
		}
		if lvl == f.Level {
			return "", Errorf(EINVALID, "%s is already %s", f.Ref(), lvl)
		}
		from := f.Level
		evs := []Event{{Type: EventLevelChanged, Actor: a.Person.ID, Level: lvl, From: from}}
		// Re-apply the new level's commander rule, unless a person chose the
		// commander by hand: people outrank policy.
		want := b.catalog.Commander(lvl, f.Service, b.clock.Now())
		change := want != "" && want != f.Commander && !f.CommanderByHand
		if change {
			evs = append(evs, Event{Type: EventRoleAssigned, Actor: ActorBot, Role: RoleCommander, Person: want, Text: "policy"})
		}
		was := f.Commander
		if err := b.record(ctx, f, evs...); err != nil {
			return "", err
		}
		msg := fmt.Sprintf("re-graded %s → %s", from, lvl)
		var inviteErr error
		switch {
		case change:
			var ids []string
			ids, inviteErr = b.invite(ctx, f, ActorBot, []invitee{{want, "commander for " + string(lvl)}})
			msg += fmt.Sprintf("; commander %s → %s (%s rule)", b.mention(was), b.mention(want), b.ruleName(lvl))
			if len(ids) > 0 {
				msg += "; invited " + b.mentions(ids)
			}
		case want != "" && want != f.Commander:
			msg += fmt.Sprintf("; commander stays %s, assigned by hand (the %s rule would pick %s)", b.mention(f.Commander), lvl, b.mention(want))
		default:
			msg += fmt.Sprintf("; commander stays %s", b.mention(f.Commander))
		}
		b.setTopic(ctx, f)
		msg = b.announce(ctx, f, "%s", msg)
		b.notify(ctx, f, fmt.Sprintf("re-graded %s → %s", from, lvl))
		b.pageLevel(ctx, f) // the new level's paging list, whoever it has not reached
		return msg, inviteErr
	})
}
