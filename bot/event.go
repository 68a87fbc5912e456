package bot

import (
	"fmt"
	"slices"
	"time"
)

// EventType names a state change on a fault's timeline.
type EventType string

// Event types. The timeline is append-only: a fault's state is the fold of
// its events (Replay), so these are the only ways a fault changes.
const (
	EventDeclared       EventType = "declared"        // Level, Text=title, Service, Cause, Kind, Started
	EventChannelCreated EventType = "channel_created" // Channel, Text=name
	EventChannelFailed  EventType = "channel_failed"  // Text=why
	EventInvited        EventType = "invited"         // Person, Text=reason
	EventInviteFailed   EventType = "invite_failed"   // Person, Text=why
	EventKickoffPosted  EventType = "kickoff_posted"  // Message
	EventCheckedIn      EventType = "checked_in"      // Person, Via
	EventRoleAssigned   EventType = "role_assigned"   // Role, Person, Text=how ("policy" or "")
	EventCauseSet       EventType = "cause_set"       // Service
	EventLevelChanged   EventType = "level_changed"   // Level, From
	EventTaskAdded      EventType = "task_added"      // Task, Person, Text
	EventTaskDone       EventType = "task_done"       // Task
	EventUpdate         EventType = "update"          // Text
	EventMitigated      EventType = "mitigated"       // Text
	EventResolved       EventType = "resolved"        // Text
	EventBridgeOpened   EventType = "bridge_opened"   // Text=join URL, Channel=voice channel id (if any)
	EventBridgeClosed   EventType = "bridge_closed"   // Channel
	EventReminded       EventType = "reminded"        // Person=who was asked for an update
	EventEscalated      EventType = "escalated"       // Person=commander, Text=why
	EventChased         EventType = "chased"          // Person, Via=dm|page|commander, Text=failure if any
	EventNotifyFailed   EventType = "notify_failed"   // Person=recipient (#channel, person, +phone), Text=why
	EventPaged          EventType = "paged"           // Person, Via=why ("level" or "no chat account"), Text=failure if any
	EventDigestSent     EventType = "digest_sent"     // a status digest went to the level's notify recipients
	// EventRefused is an audit row: a command the rules refused. It changes
	// nothing and is told to no stakeholder.
	EventRefused EventType = "refused" // Via=command, Text=reason, Origin=chat|api|web
	// EventJobPanicked is a timed job of the fault that hit a bug (a panic,
	// recovered): recorded once per job and panic, the rest went on.
	EventJobPanicked EventType = "job_panicked" // Via=job (expiry|reminder|digest|chase|restart), Text=the panic

	// A plan run's life: requested, approved (by one or more people) or
	// denied or expired, started, its steps, ended (or interrupted by a
	// restart). Run is the run's number within the fault.
	EventRunRequested EventType = "run_requested" // Run, Plan, Version, Params, Approval (as applied), Until=expiry, Text=override reason
	EventRunApproved  EventType = "run_approved"  // Run
	EventRunDenied    EventType = "run_denied"    // Run, Text=reason
	EventRunExpired   EventType = "run_expired"   // Run
	EventRunStarted   EventType = "run_started"   // Run
	EventStepStarted  EventType = "step_started"  // Run, Step (1-based; rollback steps follow the plan's), Text=name, Task=manual step's task
	EventStepEnded    EventType = "step_ended"    // Run, Step, Via=ok|failed|timeout|interrupted, Text=detail
	// EventStepProcess: a script step's process group, as it started, so
	// that a restarted warroom can find what the step left running.
	EventStepProcess EventType = "step_process" // Run, Step, PID=process group id, Text=the runner's identity of it, Via=the plan's on_restart
	EventRunEnded    EventType = "run_ended"    // Run, Via=outcome (succeeded|failed|cancelled|interrupted), Text=detail
)

// Event is one entry on a fault's timeline. Which fields are set depends on
// Type (see the constants).
type Event struct {
	FaultID int64     `json:"fault_id"`
	Seq     int       `json:"seq"`
	At      time.Time `json:"at"`
	Type    EventType `json:"type"`
	Actor   string    `json:"actor"` // a person id, or "warroom"

	Person  string `json:"person,omitempty"`
	Role    Role   `json:"role,omitempty"`
	Level   Level  `json:"level,omitempty"`
	From    Level  `json:"from,omitempty"`
	Service string `json:"service,omitempty"`
	Cause   string `json:"cause,omitempty"`
	Kind    string `json:"kind,omitempty"`
	Channel string `json:"channel,omitempty"`
	Message string `json:"message,omitempty"`
	Task    int    `json:"task,omitempty"`
	Via     string `json:"via,omitempty"`
	Text    string `json:"text,omitempty"`
	// Origin is where a command came from (chat, api, web, alert), for the
	// audit rows that need it.
	Origin string `json:"origin,omitempty"`

	// Owner is the process that runs a plan run from here (run_started,
	// step_started), when several share the store (Liveness).
	Owner    string            `json:"owner,omitempty"`
	Run      int               `json:"run,omitempty"`
	Step     int               `json:"step,omitempty"`
	PID      int               `json:"pid,omitempty"` // a process group id (step_process)
	Plan     string            `json:"plan,omitempty"`
	Version  string            `json:"version,omitempty"`
	Params   map[string]string `json:"params,omitempty"`
	Approval *Approval         `json:"approval,omitempty"`
	Until    time.Time         `json:"until,omitzero"`
	// Started is when the fault began, when known (declared: an alert's
	// startsAt, or started= on declare): the time to declare runs from it.
	Started time.Time `json:"started,omitzero"`
}

// ActorBot is the actor of the events warroom causes by itself.
const ActorBot = "warroom"

// Replay folds a timeline into the fault it describes.
func Replay(events []Event) *Fault {
	f := &Fault{}
	for _, e := range events {
		Apply(f, e)
	}
	return f
}

// Apply changes f by one event. It never fails: decisions are made before an
// event is recorded, so whatever is on the timeline is history to be applied.
func Apply(f *Fault, e Event) {
	f.Seq = e.Seq
	switch e.Type {
	case EventDeclared:
		f.ID = e.FaultID
		f.Title, f.Level, f.Status = e.Text, e.Level, StatusOpen
		f.Service, f.Cause, f.Kind = e.Service, e.Cause, e.Kind
		f.DeclaredBy, f.DeclaredAt, f.StartedAt = e.Actor, e.At, e.Started
		f.Levels = []Level{e.Level}
		f.levelSeq = e.Seq
	case EventChannelCreated:
		f.Channel, f.ChannelName = e.Channel, e.Text
	case EventInvited:
		if !f.Invited(e.Person) {
			f.Participants = append(f.Participants, Participant{Person: e.Person, Reason: e.Text, InvitedAt: e.At})
		}
	case EventKickoffPosted:
		f.Kickoff = e.Message
	case EventCheckedIn:
		for i := range f.Participants {
			if f.Participants[i].Person == e.Person && !f.Participants[i].CheckedIn() {
				f.Participants[i].CheckedInAt, f.Participants[i].CheckinVia = e.At, e.Via
			}
		}
	case EventRoleAssigned:
		switch e.Role {
		case RoleCommander:
			f.Commander, f.CommanderByHand = e.Person, e.Text != "policy"
		case RoleHandler:
			f.Handler = e.Person
		case RoleResponder:
			if !f.HasRole(e.Person, RoleResponder) {
				f.Responders = append(f.Responders, e.Person)
			}
		}
	case EventCauseSet:
		f.Cause = e.Service
	case EventLevelChanged:
		f.Level, f.levelSeq = e.Level, e.Seq
		if !slices.Contains(f.Levels, e.Level) {
			f.Levels = append(f.Levels, e.Level)
		}
	case EventTaskAdded:
		f.Tasks = append(f.Tasks, Task{Num: e.Task, Assignee: e.Person, Text: e.Text, CreatedBy: e.Actor, CreatedAt: e.At, Run: e.Run, Step: e.Step})
	case EventTaskDone:
		for i := range f.Tasks {
			if f.Tasks[i].Num == e.Task {
				f.Tasks[i].DoneAt, f.Tasks[i].DoneBy = e.At, e.Actor
			}
		}
	case EventUpdate:
		f.Updates++
		f.LastUpdate, f.LastUpdateAt = e.Text, e.At
	case EventMitigated:
		f.Status, f.MitigatedAt = StatusMitigated, e.At
	case EventResolved:
		f.Status, f.ResolvedAt = StatusResolved, e.At
		if f.MitigatedAt.IsZero() {
			f.MitigatedAt = e.At // resolved implies mitigated
		}
	case EventBridgeOpened:
		f.Bridge, f.VoiceChannel = e.Text, e.Channel
	case EventBridgeClosed:
		f.VoiceChannel = ""
	case EventDigestSent:
		f.LastDigestAt = e.At
	case EventReminded:
		f.LastRemindAt = e.At
		f.Reminders++
	case EventEscalated:
		f.Escalations++
	case EventRunRequested, EventRunApproved, EventRunDenied, EventRunExpired, EventRunStarted,
		EventStepStarted, EventStepEnded, EventStepProcess, EventRunEnded:
		applyRun(f, e)
	case EventJobPanicked:
		if f.Broken == nil {
			f.Broken = map[string]string{}
		}
		f.Broken[e.Via] = e.Text
	case EventPaged:
		if e.Text == "" && !slices.Contains(f.Paged, e.Person) {
			f.Paged = append(f.Paged, e.Person)
		}
	case EventAlertFiring, EventAlertResolved, EventAlertsTold:
		applyAlert(f, e)
	case EventChased:
		for i := range f.Participants {
			if p := &f.Participants[i]; p.Person == e.Person {
				p.Chased++
				if e.Text != "" {
					if p.Missed == nil {
						p.Missed = map[string]string{}
					}
					p.Missed[e.Via] = e.Text
				}
			}
		}
	}
}

// Describe renders an event as a line of the timeline.
func (e Event) Describe() string {
	who := "@" + e.Actor
	if e.Actor == ActorBot {
		who = "warroom"
	}
	switch e.Type {
	case EventDeclared:
		s := fmt.Sprintf("%s declared %s %q", who, e.Level, e.Text)
		if e.Service != "" {
			s += " on " + e.Service
		}
		if e.Cause != "" {
			s += ", suspected cause " + e.Cause
		}
		return s
	case EventChannelCreated:
		return "war room #" + e.Text + " created"
	case EventChannelFailed:
		return "war room channel could not be created: " + e.Text
	case EventInvited:
		if e.Text != "" {
			return fmt.Sprintf("@%s invited (%s)", e.Person, e.Text)
		}
		return fmt.Sprintf("@%s invited by %s", e.Person, who)
	case EventInviteFailed:
		return fmt.Sprintf("@%s could not be invited: %s", e.Person, e.Text)
	case EventKickoffPosted:
		return "kickoff posted"
	case EventCheckedIn:
		return fmt.Sprintf("@%s checked in (%s)", e.Person, e.Via)
	case EventRoleAssigned:
		if e.Actor == ActorBot {
			why := e.Text
			if why == "policy" {
				why = "level policy"
			}
			return fmt.Sprintf("@%s is %s (%s)", e.Person, e.Role, why)
		}
		return fmt.Sprintf("%s made @%s %s", who, e.Person, e.Role)
	case EventCauseSet:
		return fmt.Sprintf("%s set the suspected cause to %s", who, e.Service)
	case EventLevelChanged:
		return fmt.Sprintf("%s re-graded %s → %s", who, e.From, e.Level)
	case EventTaskAdded:
		return fmt.Sprintf("%s assigned task #%d to @%s: %s", who, e.Task, e.Person, e.Text)
	case EventTaskDone:
		return fmt.Sprintf("%s marked task #%d done", who, e.Task)
	case EventUpdate:
		return fmt.Sprintf("%s posted an update: %s", who, e.Text)
	case EventMitigated:
		return withNote(who+" marked it mitigated", e.Text)
	case EventResolved:
		return withNote(who+" resolved it", e.Text)
	case EventBridgeOpened:
		if e.Channel != "" {
			return fmt.Sprintf("%s opened a voice channel: %s", who, e.Text)
		}
		return fmt.Sprintf("%s asked for the conference bridge: %s", who, e.Text)
	case EventBridgeClosed:
		return "voice channel removed"
	case EventPaged:
		s := fmt.Sprintf("@%s paged (%s)", e.Person, e.Via)
		if e.Text != "" {
			s += ": failed: " + e.Text
		}
		return s
	case EventNotifyFailed:
		return fmt.Sprintf("stakeholder %s not reached: %s", e.Person, e.Text)
	case EventReminded:
		return fmt.Sprintf("@%s reminded to post an update", e.Person)
	case EventEscalated:
		return fmt.Sprintf("escalated to @%s: %s", e.Person, e.Text)
	case EventDigestSent:
		return "status digest sent to stakeholders"
	case EventJobPanicked:
		return fmt.Sprintf("warroom's %s work failed (a bug): %s", e.Via, e.Text)
	case EventRefused:
		s := fmt.Sprintf("%s was refused %s", who, e.Via)
		if e.Origin != "" && e.Origin != ViaChat {
			s += " (over " + e.Origin + ")"
		}
		return s + ": " + e.Text
	case EventRunRequested, EventRunApproved, EventRunDenied, EventRunExpired, EventRunStarted,
		EventStepStarted, EventStepEnded, EventStepProcess, EventRunEnded:
		return describeRun(e, who)
	case EventAlertFiring, EventAlertResolved, EventAlertsTold:
		return describeAlert(e)
	case EventChased:
		what := map[string]string{ChaseDM: "sent a DM", ChasePage: "paged", ChaseCommander: "reported to the commander", ChaseHandler: "reported to the handler"}[e.Via]
		s := fmt.Sprintf("@%s not checked in: %s", e.Person, what)
		if e.Text != "" {
			s += " (failed: " + e.Text + ")"
		}
		return s
	}
	return fmt.Sprintf("%s: %s", e.Type, e.Text)
}

func withNote(s, note string) string {
	if note == "" {
		return s
	}
	return s + ": " + note
}
