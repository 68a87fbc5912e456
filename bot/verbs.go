package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// coreVerbs are the war-room commands of the walking skeleton. Plans,
// reminders and the bridge register theirs from their own packages.
func coreVerbs() []Verb {
	return []Verb{
		{Name: "declare", Usage: declareUsage, Summary: "open a war room for a new fault", Scope: AnyChannel, Run: verbDeclare},
		{Name: "checkin", Aliases: []string{"ack"}, Summary: "say you are here (or react with the check-in emoji to the kickoff)", Scope: WarRoom, Run: verbCheckin},
		{Name: "role", Usage: "commander|handler|responder @person", Summary: "give someone a role", Scope: WarRoom, Run: verbRole},
		{Name: "roles", Summary: "who holds what; who has and has not checked in", Scope: WarRoom, WhenResolved: true, Run: verbRoles},
		{Name: "invite", Usage: "@person | service=<name>", Summary: "bring people (or a service's contacts) into the war room", Scope: WarRoom, Run: verbInvite},
		{Name: "cause", Usage: "<service>", Summary: "set the suspected cause; invites its contacts", Scope: WarRoom, Run: verbCause},
		{Name: "level", Usage: "P1|P2|P3|P4", Summary: "re-grade; re-applies the level's policy", Scope: WarRoom, Run: verbLevel},
		{Name: "task", Usage: "@person <text>", Summary: "the commander assigns a task", Scope: WarRoom, Run: verbTask},
		{Name: "done", Usage: "<task#>", Summary: "mark a task done", Scope: WarRoom, Run: verbDone},
		{Name: "update", Usage: "<text>", Summary: "post a progress update for stakeholders", Scope: WarRoom, Run: verbUpdate},
		{Name: "call", Aliases: []string{"bridge"}, Summary: "the conference bridge for this fault", Scope: WarRoom, Run: verbCall},
		{Name: "mitigated", Usage: "[note]", Summary: "the impact is stopped; recovery goes on", Scope: WarRoom, Run: verbMitigated},
		{Name: "resolve", Usage: "[note]", Summary: "close the fault and post the recovery-metrics summary", Scope: WarRoom, Run: verbResolve},
		{Name: "status", Summary: "where the fault stands", Scope: WarRoom, WhenResolved: true, Run: verbStatus},
		{Name: "timeline", Summary: "every event so far", Scope: WarRoom, WhenResolved: true, Run: verbTimeline},
		{Name: "help", Usage: "[command]", Summary: "this list, or one command's usage", Scope: AnyChannel, Run: verbHelp},
	}
}

func (b *Bot) say(ctx context.Context, r *Request, format string, args ...any) error {
	b.reply(ctx, r.Channel, KindReply, fmt.Sprintf(format, args...))
	return nil
}

func (b *Bot) usageErr(verb, problem string) error {
	v, err := b.verbs.Lookup(b.opts.Command, verb)
	if err != nil {
		return err
	}
	return Errorf(EINVALID, "%s. Type: %s", problem, v.usage(b.opts.Command))
}

// checkin records a check-in, inviting the person first if they joined on
// their own, and announces it.
func (b *Bot) checkin(ctx context.Context, f *Fault, p Person, via string) error {
	if pt, ok := f.Participant(p.ID); ok && pt.CheckedIn() {
		return Errorf(EINVALID, "%s checked in already, at %s (+%s)", b.mention(p.ID), ClockTime(pt.CheckedInAt, b.clock.Now()), Dur(pt.CheckedInAt.Sub(f.DeclaredAt)))
	}
	var evs []Event
	if !f.Invited(p.ID) {
		// Someone who found the war room by themselves: count them in.
		evs = append(evs, Event{Type: EventInvited, Actor: p.ID, Person: p.ID, Text: "joined"})
	}
	evs = append(evs, Event{Type: EventCheckedIn, Actor: p.ID, Person: p.ID, Via: via})
	if err := b.record(ctx, f, evs...); err != nil {
		return err
	}
	pt, _ := f.Participant(p.ID)
	b.reply(ctx, f.Channel, KindReply, fmt.Sprintf("✅ %s checked in (+%s) — %d of %d checked in",
		b.mention(p.ID), Dur(pt.CheckedInAt.Sub(f.DeclaredAt)), f.CheckedIn(), len(f.Participants)))
	return nil
}

func verbCheckin(ctx context.Context, b *Bot, r *Request) error {
	return b.checkin(ctx, r.Fault, r.Actor, "command")
}

func verbRole(ctx context.Context, b *Bot, r *Request) error {
	a, err := Tokenize(r.Cmd.Rest)
	if err != nil || len(a.Words) != 2 || len(a.Options) > 0 {
		return b.usageErr("role", "a role and one person are needed")
	}
	role, err := ParseRole(a.Words[0])
	if err != nil {
		return b.usageErr("role", ErrorMessage(err))
	}
	p, err := b.resolvePerson(ctx, a.Words[1])
	if err != nil {
		return b.usageErr("role", ErrorMessage(err))
	}
	f := r.Fault
	if f.HasRole(p.ID, role) {
		return Errorf(EINVALID, "%s is already %s", b.mention(p.ID), role)
	}
	if _, err := b.invite(ctx, f, r.Actor.ID, []invitee{{p.ID, "given the " + string(role) + " role"}}); err != nil {
		return err
	}
	was := ""
	switch role {
	case RoleCommander:
		was = f.Commander
	case RoleHandler:
		was = f.Handler
	}
	if err := b.record(ctx, f, Event{Type: EventRoleAssigned, Actor: r.Actor.ID, Role: role, Person: p.ID}); err != nil {
		return err
	}
	if role != RoleResponder { // the topic names only the commander and handler
		b.setTopic(ctx, f)
	}
	if was != "" {
		return b.say(ctx, r, "%s is now %s (was %s)", b.mention(p.ID), role, b.mention(was))
	}
	return b.say(ctx, r, "%s is now %s", b.mention(p.ID), role)
}

func verbRoles(ctx context.Context, b *Bot, r *Request) error {
	return b.say(ctx, r, "%s", b.rolesText(r.Fault))
}

func (b *Bot) rolesText(f *Fault) string {
	var in, out []string
	for _, p := range f.Participants {
		if p.CheckedIn() {
			in = append(in, fmt.Sprintf("%s (+%s)", b.mention(p.Person), Dur(p.CheckedInAt.Sub(f.DeclaredAt))))
		} else {
			out = append(out, b.mention(p.Person))
		}
	}
	return fmt.Sprintf("Commander: %s · Handler: %s · Responders: %s\nChecked in (%d/%d): %s\nNot checked in: %s",
		b.mention(f.Commander), b.mention(f.Handler), b.mentions(f.Responders),
		len(in), len(f.Participants), orNone(in), orNone(out))
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "nobody"
	}
	return strings.Join(s, ", ")
}

func verbInvite(ctx context.Context, b *Bot, r *Request) error {
	a, err := Tokenize(r.Cmd.Rest)
	if err != nil {
		return b.usageErr("invite", ErrorMessage(err))
	}
	usage := "/" + b.opts.Command + " invite @person | service=<name>"
	if err := a.CheckOptions(usage, "service"); err != nil {
		return err
	}
	var people []invitee
	for _, w := range a.Words {
		p, err := b.resolvePerson(ctx, w)
		if err != nil {
			return b.usageErr("invite", ErrorMessage(err))
		}
		people = append(people, invitee{p.ID, "invited by " + r.Actor.ID})
	}
	if svc, ok := a.Options["service"]; ok {
		if _, err := b.catalog.Service(svc); err != nil {
			return b.usageErr("invite", "service=: "+ErrorMessage(err))
		}
		people = append(people, b.contactsOf(svc, "contact of "+svc)...)
	}
	if len(people) == 0 {
		return b.usageErr("invite", "say whom to invite")
	}
	ids, err := b.invite(ctx, r.Fault, r.Actor.ID, people)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return b.say(ctx, r, "everyone named is already in the war room")
	}
	return b.say(ctx, r, "invited %s", b.mentions(ids))
}

func verbCause(ctx context.Context, b *Bot, r *Request) error {
	a, err := Tokenize(r.Cmd.Rest)
	if err != nil || len(a.Words) != 1 || len(a.Options) > 0 {
		return b.usageErr("cause", "one service is needed")
	}
	svc := a.Words[0]
	if _, err := b.catalog.Service(svc); err != nil {
		return b.usageErr("cause", ErrorMessage(err))
	}
	f := r.Fault
	if f.Cause == svc {
		return Errorf(EINVALID, "the suspected cause is already %s", svc)
	}
	was := f.Cause
	if err := b.record(ctx, f, Event{Type: EventCauseSet, Actor: r.Actor.ID, Service: svc}); err != nil {
		return err
	}
	ids, inviteErr := b.invite(ctx, f, r.Actor.ID, b.contactsOf(svc, "contact of "+svc+", the suspected cause"))
	msg := fmt.Sprintf("suspected cause: %s → %s", orDash(was), svc)
	if len(ids) > 0 {
		msg += "; invited its contacts " + b.mentions(ids)
	} else if inviteErr == nil {
		msg += "; its contacts are already here"
	}
	b.say(ctx, r, "%s", msg)
	return inviteErr
}

func verbLevel(ctx context.Context, b *Bot, r *Request) error {
	a, err := Tokenize(r.Cmd.Rest)
	if err != nil || len(a.Words) != 1 || len(a.Options) > 0 {
		return b.usageErr("level", "one level is needed")
	}
	lvl, err := ParseLevel(a.Words[0])
	if err != nil {
		return b.usageErr("level", ErrorMessage(err))
	}
	f := r.Fault
	if lvl == f.Level {
		return Errorf(EINVALID, "%s is already %s", f.Ref(), lvl)
	}
	from := f.Level
	evs := []Event{{Type: EventLevelChanged, Actor: r.Actor.ID, Level: lvl, From: from}}
	// Re-apply the new level's commander rule, unless a person chose the
	// commander by hand: people outrank policy.
	want := b.catalog.Commander(lvl, f.Service, b.clock.Now())
	change := want != "" && want != f.Commander && !f.CommanderByHand
	if change {
		evs = append(evs, Event{Type: EventRoleAssigned, Actor: ActorBot, Role: RoleCommander, Person: want, Text: "policy"})
	}
	was := f.Commander
	if err := b.record(ctx, f, evs...); err != nil {
		return err
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
	b.say(ctx, r, "%s", msg)
	b.notify(ctx, f, fmt.Sprintf("re-graded %s → %s", from, lvl), from)
	return inviteErr
}

func (b *Bot) ruleName(l Level) string {
	switch rule := b.catalog.Levels[l].Commander; rule {
	case CommanderDuty, "":
		return string(l) + ": on duty"
	case CommanderStability:
		return string(l) + ": stability contact"
	default:
		return string(l) + ": " + rule
	}
}

// mayDirect reports whether a person may hand out and close work: the
// commander, or the handler who drives recovery.
func mayDirect(f *Fault, person string) bool {
	return f.Commander == person || f.Handler == person
}

func verbTask(ctx context.Context, b *Bot, r *Request) error {
	who, text := SplitFirst(r.Cmd.Rest)
	if who == "" || text == "" {
		return b.usageErr("task", "a person and the task are needed")
	}
	p, err := b.resolvePerson(ctx, who)
	if err != nil {
		return b.usageErr("task", ErrorMessage(err))
	}
	f := r.Fault
	if !mayDirect(f, r.Actor.ID) {
		return Errorf(EFORBIDDEN, "only the commander (%s) or the handler (%s) assigns tasks; ask them, or post /%s update", b.mention(f.Commander), b.mention(f.Handler), b.opts.Command)
	}
	if _, err := b.invite(ctx, f, r.Actor.ID, []invitee{{p.ID, "assigned a task"}}); err != nil {
		return err
	}
	n := len(f.Tasks) + 1
	if err := b.record(ctx, f, Event{Type: EventTaskAdded, Actor: r.Actor.ID, Task: n, Person: p.ID, Text: text}); err != nil {
		return err
	}
	return b.say(ctx, r, "📋 task #%d for %s: %s (close it with /%s done %d)", n, b.mention(p.ID), text, b.opts.Command, n)
}

func verbDone(ctx context.Context, b *Bot, r *Request) error {
	arg, extra := SplitFirst(r.Cmd.Rest)
	n, err := strconv.Atoi(strings.TrimPrefix(arg, "#"))
	if err != nil || extra != "" || n <= 0 {
		return b.usageErr("done", "a task number is needed, such as 1 or #1"+openTasksHint(r.Fault))
	}
	f := r.Fault
	t, ok := f.Task(n)
	if !ok {
		return Errorf(ENOTFOUND, "there is no task #%d%s", n, openTasksHint(f))
	}
	if t.Done() {
		return Errorf(EINVALID, "task #%d was done already, by %s at %s", n, b.mention(t.DoneBy), ClockTime(t.DoneAt, b.clock.Now()))
	}
	if t.Assignee != r.Actor.ID && !mayDirect(f, r.Actor.ID) {
		return Errorf(EFORBIDDEN, "task #%d is %s's; they, the commander or the handler can close it", n, b.mention(t.Assignee))
	}
	if err := b.record(ctx, f, Event{Type: EventTaskDone, Actor: r.Actor.ID, Task: n}); err != nil {
		return err
	}
	if t.Run != 0 {
		if err := b.doneManualStep(ctx, f, t, r.Actor.ID); err != nil {
			return err
		}
	}
	open := 0
	for _, t := range f.Tasks {
		if !t.Done() {
			open++
		}
	}
	return b.say(ctx, r, "☑️ task #%d done: %s — %d open", n, t.Text, open)
}

func openTasksHint(f *Fault) string {
	var open []string
	for _, t := range f.Tasks {
		if !t.Done() {
			open = append(open, fmt.Sprintf("#%d", t.Num))
		}
	}
	if len(open) == 0 {
		return "; no task is open"
	}
	return "; open tasks: " + strings.Join(open, ", ")
}

func verbUpdate(ctx context.Context, b *Bot, r *Request) error {
	if r.Cmd.Rest == "" {
		return b.usageErr("update", "the update's text is needed")
	}
	f := r.Fault
	if err := b.record(ctx, f, Event{Type: EventUpdate, Actor: r.Actor.ID, Text: r.Cmd.Rest}); err != nil {
		return err
	}
	b.say(ctx, r, "📣 update #%d from %s: %s", f.Updates, b.mention(r.Actor.ID), r.Cmd.Rest)
	b.notify(ctx, f, "update from "+b.mention(r.Actor.ID)+": "+r.Cmd.Rest)
	return nil
}

func verbMitigated(ctx context.Context, b *Bot, r *Request) error {
	f := r.Fault
	if f.Status == StatusMitigated {
		return Errorf(EINVALID, "%s was marked mitigated already, at %s; /%s resolve closes it", f.Ref(), ClockTime(f.MitigatedAt, b.clock.Now()), b.opts.Command)
	}
	if err := b.record(ctx, f, Event{Type: EventMitigated, Actor: r.Actor.ID, Text: r.Cmd.Rest}); err != nil {
		return err
	}
	b.setTopic(ctx, f)
	b.say(ctx, r, "🩹 %s mitigated after %s%s; /%s resolve when recovery is complete", f.Ref(), Dur(f.MitigatedAt.Sub(f.DeclaredAt)), notePart(r.Cmd.Rest), b.opts.Command)
	b.notify(ctx, f, "mitigated after "+Dur(f.MitigatedAt.Sub(f.DeclaredAt))+notePart(r.Cmd.Rest))
	return nil
}

func notePart(note string) string {
	if note == "" {
		return ""
	}
	return " (" + note + ")"
}

func verbResolve(ctx context.Context, b *Bot, r *Request) error {
	f := r.Fault
	if err := b.record(ctx, f, Event{Type: EventResolved, Actor: r.Actor.ID, Text: r.Cmd.Rest}); err != nil {
		return err
	}
	b.closeVoice(ctx, f)
	b.settleRuns(ctx, f)
	b.track(ctx, f, false)
	events, err := b.store.Events(ctx, f.ID)
	if err != nil {
		return err
	}
	b.setTopic(ctx, f)
	b.notify(ctx, f, "resolved after "+Dur(f.ResolvedAt.Sub(f.DeclaredAt))+notePart(r.Cmd.Rest))
	if _, err := b.adapter.Post(ctx, f.Channel, b.summary(f, events)); err != nil {
		return Errorf(EUNAVAILABLE, "%s is resolved, but the summary could not be posted: %v; /%s status shows it", f.Ref(), err, b.opts.Command)
	}
	if r.Channel != f.Channel {
		return b.say(ctx, r, "%s resolved", f.Ref())
	}
	return nil
}

func verbStatus(ctx context.Context, b *Bot, r *Request) error {
	f := r.Fault
	now := b.clock.Now()
	age := now.Sub(f.DeclaredAt)
	if !f.ResolvedAt.IsZero() {
		age = f.ResolvedAt.Sub(f.DeclaredAt)
	}
	lines := []string{
		fmt.Sprintf("%s %s: %s — %s for %s", f.Level, f.Ref(), f.Title, f.Status, Dur(age)),
		"Services: " + b.services(f),
		b.rolesText(f),
	}
	var open []string
	for _, t := range f.Tasks {
		if !t.Done() {
			open = append(open, fmt.Sprintf("#%d %s: %s", t.Num, b.mention(t.Assignee), t.Text))
		}
	}
	lines = append(lines, fmt.Sprintf("Tasks: %d open, %d done", len(open), len(f.Tasks)-len(open)))
	for _, o := range open {
		lines = append(lines, "  "+o)
	}
	if f.Updates > 0 {
		lines = append(lines, fmt.Sprintf("Last update (%s ago, %d in all): %s", Dur(now.Sub(f.LastUpdateAt)), f.Updates, f.LastUpdate))
	} else {
		lines = append(lines, fmt.Sprintf("No update yet: /%s update <text>", b.opts.Command))
	}
	return b.say(ctx, r, "%s", strings.Join(lines, "\n"))
}

func verbTimeline(ctx context.Context, b *Bot, r *Request) error {
	events, err := b.store.Events(ctx, r.Fault.ID)
	if err != nil {
		return err
	}
	lines := append([]string{fmt.Sprintf("Timeline of %s (%d events):", r.Fault.Ref(), len(events))}, b.timelineLines(r.Fault, events, 100)...)
	return b.say(ctx, r, "%s", strings.Join(lines, "\n"))
}

func verbHelp(ctx context.Context, b *Bot, r *Request) error {
	if r.Cmd.Rest != "" {
		verb, _ := SplitFirst(r.Cmd.Rest)
		s, err := b.verbs.HelpVerb(b.opts.Command, strings.ToLower(strings.TrimPrefix(verb, "/")))
		if err != nil {
			return err
		}
		return b.say(ctx, r, "%s", s)
	}
	return b.say(ctx, r, "%s", b.verbs.Help(b.opts.Command))
}
