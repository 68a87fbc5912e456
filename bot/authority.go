package bot

import (
	"context"
	"fmt"
	"strings"
)

// Actor is who runs a use case, and through what: the rules are the same
// for every caller, but chat alone checks an invitee in by their presence.
type Actor struct {
	Person Person
	Via    string // ViaChat, ViaAPI, ViaWeb, ViaAlert
}

// Where a use case is called from.
const (
	ViaChat  = "chat"
	ViaAPI   = "api"
	ViaWeb   = "web"
	ViaAlert = "alert"
)

// Result is what a use case did, for its caller to render. Text is what the
// war room was told (or was to be told, when the post failed: the error
// says so); chat has shown it already, HTTP returns it.
type Result struct {
	Fault *Fault
	Text  string
}

// ask is one command to authorise: its row in the permissions table, and
// what the row's special cases need to know.
type ask struct {
	command string
	task    int    // done: whose assignee may
	role    Role   // role: the role given...
	target  string // ...and to whom, for "anyone may take a role nobody holds"
}

// act runs a use case on one fault: lock, load, refuse a resolved fault,
// check in an invitee who is evidently there, authorise, then do. A refusal,
// by the table or by do (a plan's approval rule), is recorded as an audit
// event.
func (b *Bot) act(ctx context.Context, a Actor, id int64, q ask, do func(f *Fault) (string, error)) (Result, error) {
	if err := b.vouch(ctx, a.Person.ID); err != nil {
		return Result{}, err
	}
	defer b.lock(id)()
	f, err := b.load(ctx, id)
	if err != nil {
		return Result{}, err
	}
	if !f.Open() {
		return Result{Fault: f}, Errorf(ECONFLICT, "%s was resolved at %s; only status, timeline and help work in its war room now",
			f.Ref(), ClockTime(f.ResolvedAt, b.clock.Now()))
	}
	if err := b.enter(ctx, f, a, q); err != nil {
		return Result{Fault: f}, err
	}
	text, err := do(f)
	if ErrorCode(err) == EFORBIDDEN {
		err = b.refuse(ctx, f, a, q.command, err)
	}
	return Result{Fault: f, Text: text}, err
}

// view loads a fault for a read command, under the same rules.
func (b *Bot) view(ctx context.Context, a Actor, id int64, command string) (*Fault, func(), error) {
	unlock := b.lock(id)
	f, err := b.load(ctx, id)
	if err == nil && f.Open() {
		err = b.enter(ctx, f, a, ask{command: command})
	} else if err == nil {
		err = b.authorize(f, a.Person.ID, ask{command: command})
	}
	if err != nil {
		unlock()
		return nil, nil, err
	}
	return f, unlock, nil
}

// enter is what every command on an open fault goes through: presence
// check-in, then the permissions table.
func (b *Bot) enter(ctx context.Context, f *Fault, a Actor, q ask) error {
	if a.Via == ViaAlert {
		// An alert is no person, and the table names roles and people: it
		// may do what the spec gives monitoring (alertMay: record its
		// alerts, re-grade up, mark mitigated), and nothing else.
		if alertMay[q.command] {
			return nil
		}
		return b.refuse(ctx, f, a, q.command, Errorf(EFORBIDDEN, "an alert may not /%s %s: alerts record themselves, re-grade up and mark mitigated, nothing else", b.opts.Command, q.command))
	}
	if a.Via == ViaChat && q.command != "checkin" {
		if err := b.presence(ctx, f, a.Person, q.command); err != nil {
			return err
		}
	}
	if err := b.authorize(f, a.Person.ID, q); err != nil {
		return b.refuse(ctx, f, a, q.command, err)
	}
	return nil
}

// presence checks in an invitee who types a command in the war room: they
// are evidently there. It is recorded, not announced: the command's own
// answer shows they are here.
func (b *Bot) presence(ctx context.Context, f *Fault, p Person, command string) error {
	pt, ok := f.Participant(p.ID)
	if !ok || pt.CheckedIn() {
		return nil
	}
	evs := b.checkinEvents(f, p, CheckinPresence)
	evs[len(evs)-1].Text = "/" + b.opts.Command + " " + command
	return b.record(ctx, f, evs...)
}

// refuse records a refusal on the timeline (an audit row, told to no
// stakeholder) and returns it as the answer.
func (b *Bot) refuse(ctx context.Context, f *Fault, a Actor, command string, refusal error) error {
	ev := Event{Type: EventRefused, Actor: a.Person.ID, Via: command, Text: ErrorMessage(refusal), Origin: a.Via}
	if err := b.record(ctx, f, ev); err != nil {
		b.log.Error("recording a refusal", "fault", f.ID, "command", command, "err", err)
	}
	return refusal
}

func (b *Bot) row(command string) []string {
	if b.opts.Permissions != nil {
		if r, ok := b.opts.Permissions[command]; ok {
			return r
		}
	}
	if r, ok := defaultPermissions[command]; ok {
		return r
	}
	return []string{WhoAnyone} // a capability's verb the table does not name
}

// authorize decides whether actor may run q on f (nil: no fault yet). It is
// the one place the table is read, whoever calls.
func (b *Bot) authorize(f *Fault, actor string, q ask) error {
	row := b.row(q.command)
	for _, who := range row {
		if permits(f, who, actor, q) {
			return nil
		}
	}
	if q.command == "role" && f != nil && q.target == actor && vacant(f, q.role) {
		return nil // anyone may take a role nobody holds
	}
	return Errorf(EFORBIDDEN, "%s", b.refusal(f, row, q))
}

// permits reports whether one entry of a row covers actor.
func permits(f *Fault, who, actor string, q ask) bool {
	who = strings.TrimPrefix(who, "@")
	switch who {
	case WhoAnyone:
		return true
	case WhoParticipant:
		return f != nil && f.Invited(actor)
	case string(RoleCommander), string(RoleHandler), string(RoleResponder):
		return f != nil && actor != "" && f.HasRole(actor, Role(who))
	case WhoAssignee:
		if f == nil {
			return false
		}
		t, ok := f.Task(q.task)
		return ok && t.Assignee == actor
	}
	return who == actor
}

// vacant reports whether nobody holds a role.
func vacant(f *Fault, r Role) bool {
	switch r {
	case RoleCommander:
		return f.Commander == ""
	case RoleHandler:
		return f.Handler == ""
	case RoleResponder:
		return len(f.Responders) == 0
	}
	return false
}

// refusal says, in one line, who may run the command instead.
func (b *Bot) refusal(f *Fault, row []string, q ask) string {
	var who []string
	for _, w := range row {
		who = append(who, b.describeWho(f, strings.TrimPrefix(w, "@"), q))
	}
	s := fmt.Sprintf("you may not /%s %s: only %s may", b.opts.Command, q.command, joinOr(who))
	if q.command == "role" && f != nil {
		s += fmt.Sprintf("; anyone may take a role nobody holds, and %s is %s's", q.role, b.holders(f, q.role))
	}
	return s + "; ask one of them"
}

func (b *Bot) describeWho(f *Fault, who string, q ask) string {
	switch who {
	case WhoParticipant:
		return fmt.Sprintf("participants (invited, or checked in with /%s checkin)", b.opts.Command)
	case string(RoleCommander), string(RoleHandler):
		if f == nil {
			return "the " + who
		}
		return fmt.Sprintf("the %s (%s)", who, b.holders(f, Role(who)))
	case string(RoleResponder):
		return "a responder"
	case WhoAssignee:
		if t, ok := f.Task(q.task); ok {
			return fmt.Sprintf("the task's assignee (%s)", b.mention(t.Assignee))
		}
		return "the task's assignee"
	}
	return b.mention(who)
}

func (b *Bot) holders(f *Fault, r Role) string {
	switch r {
	case RoleCommander:
		return b.mention(f.Commander)
	case RoleHandler:
		return b.mention(f.Handler)
	}
	return b.mentions(f.Responders)
}

func joinOr(s []string) string {
	switch len(s) {
	case 0:
		return "nobody"
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
