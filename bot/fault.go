package bot

import (
	"fmt"
	"strings"
	"time"
)

// Level grades a fault, P1 (worst) to P4.
type Level string

// Levels, worst first.
const (
	P1 Level = "P1"
	P2 Level = "P2"
	P3 Level = "P3"
	P4 Level = "P4"
)

// Levels lists every level, worst first.
var Levels = []Level{P1, P2, P3, P4}

// ParseLevel reads "P2" or "p2".
func ParseLevel(s string) (Level, error) {
	l := Level(strings.ToUpper(strings.TrimSpace(s)))
	for _, v := range Levels {
		if l == v {
			return l, nil
		}
	}
	return "", Errorf(EINVALID, "unknown level %q: use P1, P2, P3 or P4 (P1 is the worst)", s)
}

// Status is where a fault is in its life.
type Status string

// Statuses.
const (
	StatusOpen      Status = "open"
	StatusMitigated Status = "mitigated"
	StatusResolved  Status = "resolved"
)

// Role is a war-room role.
type Role string

// Roles.
const (
	RoleCommander Role = "commander"
	RoleHandler   Role = "handler"
	RoleResponder Role = "responder"
)

// Roles lists every role.
var Roles = []Role{RoleCommander, RoleHandler, RoleResponder}

// ParseRole reads a role name, suggesting the closest on a typo.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	for _, v := range Roles {
		if r == v {
			return r, nil
		}
	}
	names := []string{"commander", "handler", "responder"}
	return "", Errorf(EINVALID, "unknown role %q%s", s, suggest(s, names))
}

// Participant is someone in the war room: invited, and maybe checked in.
type Participant struct {
	Person      string    `json:"person"`
	Reason      string    `json:"reason,omitempty"` // why invited: "contact of checkout"
	InvitedAt   time.Time `json:"invited_at"`
	CheckedInAt time.Time `json:"checked_in_at,omitzero"`
	CheckinVia  string    `json:"checkin_via,omitempty"` // "reaction" or "command"
	// Chased counts the chase stages done (DM, page, commander) while they
	// had not checked in; Missed is why a stage did not reach them.
	Chased int               `json:"chased,omitempty"`
	Missed map[string]string `json:"missed,omitempty"`
}

// CheckedIn reports whether the participant has checked in.
func (p Participant) CheckedIn() bool { return !p.CheckedInAt.IsZero() }

// Task is work the commander handed out in the war room.
type Task struct {
	Num       int       `json:"num"`
	Assignee  string    `json:"assignee"`
	Text      string    `json:"text"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	DoneBy    string    `json:"done_by,omitempty"`
	DoneAt    time.Time `json:"done_at,omitzero"`
	// Run and Step are set on a plan's manual step: closing the task
	// completes the step and lets the run go on.
	Run  int `json:"run,omitempty"`
	Step int `json:"step,omitempty"`
}

// Done reports whether the task is done.
func (t Task) Done() bool { return !t.DoneAt.IsZero() }

// Fault is the state of one fault, folded from its timeline by Apply.
type Fault struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
	Level Level  `json:"level"`
	// Levels are every level the fault has been at, in order: whoever heard
	// of it under one keeps hearing until it is resolved.
	Levels []Level `json:"levels,omitempty"`
	// Broken is the timed jobs of the fault that panicked, and how: job ->
	// the panic, so that a panic recurring each tick is recorded once.
	Broken map[string]string `json:"broken,omitempty"`
	// Paged are those a page of this fault reached.
	Paged  []string `json:"paged,omitempty"`
	Status Status   `json:"status"`

	Service string `json:"service,omitempty"` // the affected service
	Cause   string `json:"cause,omitempty"`   // the suspected-cause service
	Kind    string `json:"kind,omitempty"`

	Channel     string `json:"channel,omitempty"`      // the adapter's channel id
	ChannelName string `json:"channel_name,omitempty"` // as people see it
	Kickoff     string `json:"kickoff,omitempty"`      // the kickoff message id
	// Bridge is the conference link; VoiceChannel the platform's voice
	// channel behind it, while it exists.
	Bridge       string `json:"bridge,omitempty"`
	VoiceChannel string `json:"voice_channel,omitempty"`

	DeclaredBy  string    `json:"declared_by"`
	DeclaredAt  time.Time `json:"declared_at"`
	StartedAt   time.Time `json:"started_at,omitzero"` // when the fault began, if known
	MitigatedAt time.Time `json:"mitigated_at,omitzero"`
	ResolvedAt  time.Time `json:"resolved_at,omitzero"`

	Commander string `json:"commander,omitempty"`
	// CommanderByHand is set when someone assigned the commander with
	// `role`: a level change then keeps them instead of re-applying policy.
	CommanderByHand bool     `json:"commander_by_hand,omitempty"`
	Handler         string   `json:"handler,omitempty"`
	Responders      []string `json:"responders,omitempty"`

	Participants []Participant `json:"participants"`
	Tasks        []Task        `json:"tasks"`
	Updates      int           `json:"updates"`
	LastUpdate   string        `json:"last_update,omitempty"`
	LastUpdateAt time.Time     `json:"last_update_at,omitzero"`
	LastRemindAt time.Time     `json:"last_remind_at,omitzero"`
	Reminders    int           `json:"reminders"`
	Escalations  int           `json:"escalations"`
	LastDigestAt time.Time     `json:"last_digest_at,omitzero"`
	Runs         []Run         `json:"runs"`
	// Alerts are the monitoring alerts that declared or joined the fault,
	// in the order they first fired; AlertsToldAt is when the war room
	// last heard of them.
	Alerts       []FaultAlert `json:"alerts,omitempty"`
	AlertsToldAt time.Time    `json:"alerts_told_at,omitzero"`

	// Seq is the sequence number of the last event applied.
	Seq int `json:"seq"`
	// levelSeq and alertsTold are the Seq of the events that last set the
	// level and told the war room of its alerts.
	levelSeq, alertsTold int
}

// Open reports whether the fault is not yet resolved.
func (f *Fault) Open() bool { return f.Status != StatusResolved }

// Participant returns the participant record of a person.
func (f *Fault) Participant(person string) (Participant, bool) {
	for _, p := range f.Participants {
		if p.Person == person {
			return p, true
		}
	}
	return Participant{}, false
}

// Invited reports whether the person was invited to the war room.
func (f *Fault) Invited(person string) bool {
	_, ok := f.Participant(person)
	return ok
}

// CheckedIn counts the participants who have checked in.
func (f *Fault) CheckedIn() int {
	n := 0
	for _, p := range f.Participants {
		if p.CheckedIn() {
			n++
		}
	}
	return n
}

// Task returns task n.
func (f *Fault) Task(n int) (Task, bool) {
	for _, t := range f.Tasks {
		if t.Num == n {
			return t, true
		}
	}
	return Task{}, false
}

// HasRole reports whether person holds role r.
func (f *Fault) HasRole(person string, r Role) bool {
	switch r {
	case RoleCommander:
		return f.Commander == person
	case RoleHandler:
		return f.Handler == person
	case RoleResponder:
		for _, p := range f.Responders {
			if p == person {
				return true
			}
		}
	}
	return false
}

// Ref is how the fault is named in messages: "fault 3".
func (f *Fault) Ref() string { return fmt.Sprintf("fault %d", f.ID) }

// Rank orders levels: 1 for P1 (the worst) to 4 for P4; 5 for anything else.
func (l Level) Rank() int {
	for i, v := range Levels {
		if l == v {
			return i + 1
		}
	}
	return len(Levels) + 1
}
