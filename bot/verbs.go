package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// coreVerbs are the war-room commands. A verb only parses and replies: what
// it does is a use case on the Bot (usecases.go), shared with the HTTP API.
func coreVerbs() []Verb {
	person := Arg{Name: "person", Kind: ArgPerson, Required: true}
	note := Arg{Name: "note", Kind: ArgText, Desc: "A note for the timeline"}
	return []Verb{
		{Name: "declare", Args: declareArgs, Summary: "open a war room for a new fault", Scope: AnyChannel, Run: verbDeclare},
		{Name: "checkin", Aliases: []string{"ack"}, Summary: "say you are here (or react with the check-in emoji to the kickoff)", Scope: WarRoom, Run: verbCheckin},
		{Name: "role", Args: []Arg{
			{Name: "role", Kind: ArgRole, Required: true, Desc: "The role"},
			with(person, "Who gets it"),
		}, Summary: "give someone a role", Scope: WarRoom, Run: verbRole},
		{Name: "roles", Summary: "who holds what; who has and has not checked in", Scope: WarRoom, WhenResolved: true, Run: verbRoles},
		{Name: "invite", Args: []Arg{
			{Name: "person", Kind: ArgPerson, Many: true, Desc: "Who to invite"},
			{Name: "name", Key: "service", Kind: ArgWord, Or: true, Desc: "Invite this service's contacts"},
		}, Summary: "bring people (or a service's contacts) into the war room", Scope: WarRoom, Run: verbInvite},
		{Name: "cause", Args: []Arg{{Name: "service", Kind: ArgWord, Required: true, Desc: "The suspected-cause service"}},
			Summary: "set the suspected cause; invites its contacts", Scope: WarRoom, Run: verbCause},
		{Name: "level", Args: []Arg{{Name: "level", Kind: ArgLevel, Required: true, Desc: "P1 (worst) to P4"}},
			Summary: "re-grade; re-applies the level's policy", Scope: WarRoom, Run: verbLevel},
		{Name: "task", Args: []Arg{
			with(person, "Who does it"),
			{Name: "text", Kind: ArgText, Required: true, Desc: "What to do"},
		}, Summary: "the commander assigns a task", Scope: WarRoom, Run: verbTask},
		{Name: "done", Args: []Arg{{Name: "task", Kind: ArgNumber, Required: true, Desc: "The task number"}},
			Summary: "mark a task done", Scope: WarRoom, Run: verbDone},
		{Name: "tasks", Summary: "this fault's tasks, open and done", Scope: WarRoom, WhenResolved: true, Run: verbTasks},
		{Name: "update", Args: []Arg{{Name: "text", Kind: ArgText, Required: true, Desc: "The update, for stakeholders"}},
			Summary: "post a progress update for stakeholders", Scope: WarRoom, Run: verbUpdate},
		{Name: "call", Aliases: []string{"bridge"}, Summary: "the conference bridge for this fault", Scope: WarRoom, Run: verbCall},
		{Name: "mitigated", Args: []Arg{note}, Summary: "the impact is stopped; recovery goes on", Scope: WarRoom, Run: verbMitigated},
		{Name: "resolve", Args: []Arg{note}, Summary: "close the fault and post the recovery-metrics summary", Scope: WarRoom, Run: verbResolve},
		{Name: "status", Summary: "where the fault stands", Scope: WarRoom, WhenResolved: true, Run: verbStatus},
		{Name: "timeline", Summary: "every event so far", Scope: WarRoom, WhenResolved: true, Run: verbTimeline},
		{Name: "list", Summary: "open faults, newest first", Scope: AnyChannel, Run: verbList},
		{Name: "help", Args: []Arg{{Name: "command", Kind: ArgWord, Desc: "A command"}},
			Summary: "this list, or one command's usage", Scope: AnyChannel, Run: verbHelp},
	}
}

// with is a copy of a with its description.
func with(a Arg, desc string) Arg {
	a.Desc = desc
	return a
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
	return Errorf(EINVALID, "%s Type: %s", sentence(problem), v.usage(b.opts.Command))
}

// sentence ends a clause with a full stop unless it ends with one already
// (or with a question mark).
func sentence(s string) string {
	if strings.HasSuffix(s, ".") || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "!") {
		return s
	}
	return s + "."
}

// usage is the full usage line of a registered verb: `/fault invite ...`.
func (b *Bot) usage(verb string) string {
	v, err := b.verbs.Lookup(b.opts.Command, verb)
	if err != nil {
		return "/" + b.opts.Command + " " + verb
	}
	return v.usage(b.opts.Command)
}

// read runs a read-only verb: the fault loaded under its lock and the
// command authorised, then rendered into the channel.
func (b *Bot) read(ctx context.Context, r *Request, render func(f *Fault) (string, error)) error {
	f, unlock, err := b.view(ctx, r.as(), r.FaultID, r.verb)
	if err != nil {
		return err
	}
	defer unlock()
	text, err := render(f)
	if err != nil {
		return err
	}
	return b.say(ctx, r, "%s", text)
}

func verbCheckin(ctx context.Context, b *Bot, r *Request) error {
	_, err := b.CheckIn(ctx, r.as(), r.FaultID)
	return err
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
	_, err = b.AssignRole(ctx, r.as(), r.FaultID, role, p.ID)
	return err
}

func verbRoles(ctx context.Context, b *Bot, r *Request) error {
	return b.read(ctx, r, func(f *Fault) (string, error) { return b.rolesText(f), nil })
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
	if err := a.CheckOptions(b.usage("invite"), "service"); err != nil {
		return err
	}
	var people []string
	for _, w := range a.Words {
		p, err := b.resolvePerson(ctx, w)
		if err != nil {
			return b.usageErr("invite", ErrorMessage(err))
		}
		people = append(people, p.ID)
	}
	_, err = b.Invite(ctx, r.as(), r.FaultID, people, a.Options["service"])
	return err
}

func verbCause(ctx context.Context, b *Bot, r *Request) error {
	a, err := Tokenize(r.Cmd.Rest)
	if err != nil || len(a.Words) != 1 || len(a.Options) > 0 {
		return b.usageErr("cause", "one service is needed")
	}
	_, err = b.SetCause(ctx, r.as(), r.FaultID, a.Words[0])
	return err
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
	_, err = b.Regrade(ctx, r.as(), r.FaultID, lvl)
	return err
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

func verbTask(ctx context.Context, b *Bot, r *Request) error {
	who, text := SplitFirst(r.Cmd.Rest)
	if who == "" || text == "" {
		return b.usageErr("task", "a person and the task are needed")
	}
	p, err := b.resolvePerson(ctx, who)
	if err != nil {
		return b.usageErr("task", ErrorMessage(err))
	}
	_, err = b.AddTask(ctx, r.as(), r.FaultID, p.ID, text)
	return err
}

func verbDone(ctx context.Context, b *Bot, r *Request) error {
	arg, extra := SplitFirst(r.Cmd.Rest)
	n, err := strconv.Atoi(strings.TrimPrefix(arg, "#"))
	if err != nil || extra != "" || n <= 0 {
		return b.usageErr("done", "a task number is needed, such as 1 or #1"+openTasksHint(b.peek(ctx, r.FaultID)))
	}
	_, err = b.CloseTask(ctx, r.as(), r.FaultID, n)
	return err
}

func verbTasks(ctx context.Context, b *Bot, r *Request) error {
	return b.read(ctx, r, func(f *Fault) (string, error) {
		if len(f.Tasks) == 0 {
			return fmt.Sprintf("%s has no tasks; the commander or the handler assigns one with /%s task @person <text>", f.Ref(), b.opts.Command), nil
		}
		lines := []string{fmt.Sprintf("Tasks of %s:", f.Ref())}
		for _, t := range f.Tasks {
			state := "open"
			if t.Done() {
				state = fmt.Sprintf("done by %s at %s", b.mention(t.DoneBy), ClockTime(t.DoneAt, b.clock.Now()))
			}
			lines = append(lines, fmt.Sprintf("  #%d %s: %s — %s", t.Num, b.mention(t.Assignee), t.Text, state))
		}
		return strings.Join(lines, "\n"), nil
	})
}

func openTasksHint(f *Fault) string {
	if f == nil {
		return ""
	}
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
	_, err := b.Update(ctx, r.as(), r.FaultID, r.Cmd.Rest)
	return err
}

func verbMitigated(ctx context.Context, b *Bot, r *Request) error {
	_, err := b.Mitigate(ctx, r.as(), r.FaultID, r.Cmd.Rest)
	return err
}

func notePart(note string) string {
	if note == "" {
		return ""
	}
	return " (" + note + ")"
}

func verbResolve(ctx context.Context, b *Bot, r *Request) error {
	_, err := b.Resolve(ctx, r.as(), r.FaultID, r.Cmd.Rest)
	return err
}

func verbStatus(ctx context.Context, b *Bot, r *Request) error {
	return b.read(ctx, r, func(f *Fault) (string, error) { return b.statusText(f), nil })
}

func (b *Bot) statusText(f *Fault) string {
	now := b.clock.Now()
	age := now.Sub(f.DeclaredAt)
	if !f.ResolvedAt.IsZero() {
		age = f.ResolvedAt.Sub(f.DeclaredAt)
	}
	lines := []string{
		fmt.Sprintf("%s %s: %s — %s", f.Level, f.Ref(), f.Title, statusAge(f.Status, Dur(age))),
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
	return strings.Join(lines, "\n")
}

// statusAge says how long a fault has been in its state, or took to end.
func statusAge(s Status, age string) string {
	if s == StatusResolved {
		return "resolved in " + age
	}
	return fmt.Sprintf("%s for %s", s, age)
}

func verbTimeline(ctx context.Context, b *Bot, r *Request) error {
	return b.read(ctx, r, func(f *Fault) (string, error) {
		events, err := b.store.Events(ctx, f.ID)
		if err != nil {
			return "", err
		}
		lines := append([]string{fmt.Sprintf("Timeline of %s (%d events):", f.Ref(), len(events))}, b.timelineLines(f, events, 100)...)
		return strings.Join(lines, "\n"), nil
	})
}

func verbList(ctx context.Context, b *Bot, r *Request) error {
	if r.Cmd.Rest != "" {
		return b.usageErr("list", "list takes no arguments")
	}
	open, err := b.List(ctx, r.as(), FaultFilter{Status: []Status{StatusOpen, StatusMitigated}, Limit: 20})
	if err != nil {
		return err
	}
	if len(open) == 0 {
		return b.say(ctx, r, "no fault is open; declare one with %s", b.usage("declare"))
	}
	lines := []string{fmt.Sprintf("Open faults (%d, newest first):", len(open))}
	for _, f := range open {
		lines = append(lines, fmt.Sprintf("  %s %s: %s — %s for %s, commander %s, war room #%s",
			f.Level, f.Ref(), f.Title, f.Status, Dur(b.clock.Now().Sub(f.DeclaredAt)), b.mention(f.Commander), f.ChannelName))
	}
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
