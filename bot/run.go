package bot

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// RunStatus is where a plan run is in its life.
type RunStatus string

// Run statuses. Pending waits for approvals; running has started; the rest
// are ends.
const (
	RunPending     RunStatus = "pending"
	RunRunning     RunStatus = "running"
	RunSucceeded   RunStatus = "succeeded"
	RunFailed      RunStatus = "failed"
	RunDenied      RunStatus = "denied"
	RunExpired     RunStatus = "expired"
	RunCancelled   RunStatus = "cancelled"
	RunInterrupted RunStatus = "interrupted"
)

// RunStep is one step of a run as it went.
type RunStep struct {
	Num       int        `json:"num"` // 1-based; rollback steps follow the plan's
	Name      string     `json:"name"`
	Task      int        `json:"task,omitempty"` // a manual step's checklist task
	Status    StepStatus `json:"status,omitempty"`
	Detail    string     `json:"detail,omitempty"`
	StartedAt time.Time  `json:"started_at"`
	EndedAt   time.Time  `json:"ended_at,omitzero"`
	// Process is a script step's process group, once it started.
	Process *StepProcess `json:"process,omitempty"`
	// OnRestart is what the plan said, as the step started, to do with
	// its processes if warroom restarts while they run (OnRestartLeave,
	// OnRestartKill).
	OnRestart string `json:"on_restart,omitempty"`
}

// Running reports whether the step has started and not ended.
func (s RunStep) Running() bool { return s.EndedAt.IsZero() }

// Run is one execution of a plan in a war room: requested, approved or
// denied there, then run step by step. It is folded from the timeline.
type Run struct {
	Num         int               `json:"num"`
	Plan        string            `json:"plan"`
	Version     string            `json:"version"`
	Params      map[string]string `json:"params,omitempty"`
	RequestedBy string            `json:"requested_by"`
	RequestedAt time.Time         `json:"requested_at"`
	// Approval is the rule this request is held to, fixed when it was
	// made (an override raises Count to 2).
	Approval  Approval  `json:"approval"`
	ExpiresAt time.Time `json:"expires_at"`
	Override  string    `json:"override,omitempty"`
	Approvers []string  `json:"approvers,omitempty"`
	DeniedBy  string    `json:"denied_by,omitempty"`
	Status    RunStatus `json:"status"`
	Detail    string    `json:"detail,omitempty"` // why it ended so
	StartedAt time.Time `json:"started_at,omitzero"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
	Steps     []RunStep `json:"steps,omitempty"`
	// Owner is the process running it (Event.Owner), "" with one process.
	Owner string `json:"owner,omitempty"`
}

// Ended reports whether the run is over, one way or another.
func (r *Run) Ended() bool { return r.Status != RunPending && r.Status != RunRunning }

// Expired reports whether the run still waits for approval past its expiry.
func (r *Run) Expired(now time.Time) bool { return r.Status == RunPending && !now.Before(r.ExpiresAt) }

// Approved reports whether someone has approved the run.
func (r *Run) Approved(person string) bool {
	for _, a := range r.Approvers {
		if a == person {
			return true
		}
	}
	return false
}

// Current returns the step in flight, if any.
func (r *Run) Current() (*RunStep, bool) {
	if n := len(r.Steps); n > 0 && r.Steps[n-1].Running() {
		return &r.Steps[n-1], true
	}
	return nil, false
}

// Run returns run n of the fault.
func (f *Fault) Run(n int) (*Run, bool) {
	for i := range f.Runs {
		if f.Runs[i].Num == n {
			return &f.Runs[i], true
		}
	}
	return nil, false
}

func applyRun(f *Fault, e Event) {
	if e.Type == EventRunRequested {
		r := Run{Num: e.Run, Plan: e.Plan, Version: e.Version, Params: e.Params, RequestedBy: e.Actor,
			RequestedAt: e.At, ExpiresAt: e.Until, Override: e.Text, Status: RunPending}
		if e.Approval != nil {
			r.Approval = *e.Approval
		}
		f.Runs = append(f.Runs, r)
		return
	}
	r, ok := f.Run(e.Run)
	if !ok {
		return
	}
	switch e.Type {
	case EventRunApproved:
		if !r.Approved(e.Actor) {
			r.Approvers = append(r.Approvers, e.Actor)
		}
	case EventRunDenied:
		r.Status, r.DeniedBy, r.Detail, r.EndedAt = RunDenied, e.Actor, e.Text, e.At
	case EventRunExpired:
		r.Status, r.EndedAt = RunExpired, e.At
	case EventRunStarted:
		r.Status, r.StartedAt, r.Owner = RunRunning, e.At, e.Owner
	case EventStepStarted:
		r.Steps = append(r.Steps, RunStep{Num: e.Step, Name: e.Text, Task: e.Task, StartedAt: e.At})
		r.Owner = e.Owner
	case EventStepProcess:
		for i := range r.Steps {
			if r.Steps[i].Num == e.Step && r.Steps[i].Running() {
				r.Steps[i].Process, r.Steps[i].OnRestart = &StepProcess{PGID: e.PID, ID: e.Text}, e.Via
			}
		}
	case EventStepEnded:
		for i := range r.Steps {
			if r.Steps[i].Num == e.Step && r.Steps[i].Running() {
				r.Steps[i].Status, r.Steps[i].Detail, r.Steps[i].EndedAt = StepStatus(e.Via), e.Text, e.At
			}
		}
	case EventRunEnded:
		r.Status, r.Detail, r.EndedAt = RunStatus(e.Via), e.Text, e.At
	}
}

func describeRun(e Event, who string) string {
	switch e.Type {
	case EventRunRequested:
		s := fmt.Sprintf("%s requested run #%d of plan %s (%s)", who, e.Run, e.Plan, e.Version)
		if p := FormatParams(e.Params); p != "" {
			s += " with " + p
		}
		if e.Text != "" {
			s += "; override: " + e.Text
		}
		return s
	case EventRunApproved:
		return fmt.Sprintf("%s approved run #%d", who, e.Run)
	case EventRunDenied:
		return withNote(fmt.Sprintf("%s denied run #%d", who, e.Run), e.Text)
	case EventRunExpired:
		return fmt.Sprintf("run #%d expired unapproved", e.Run)
	case EventRunStarted:
		return fmt.Sprintf("run #%d started", e.Run)
	case EventStepStarted:
		return fmt.Sprintf("run #%d step %d (%s) started", e.Run, e.Step, e.Text)
	case EventStepEnded:
		return withNote(fmt.Sprintf("run #%d step %d %s", e.Run, e.Step, e.Via), e.Text)
	case EventStepProcess:
		return fmt.Sprintf("run #%d step %d runs as process group %d (on restart: %s)", e.Run, e.Step, e.PID, e.Via)
	case EventRunEnded:
		return withNote(fmt.Sprintf("run #%d %s", e.Run, e.Via), e.Text)
	}
	return string(e.Type)
}

// FormatParams renders parameters as `key=value` pairs in key order, quoting
// values that need it, so a card shows exactly what will run.
func FormatParams(params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		v := params[k]
		if v == "" || strings.ContainsAny(v, " \t\n\"'`$;") || !isPrintable(v) {
			v = fmt.Sprintf("%q", v)
		}
		parts[i] = k + "=" + v
	}
	return strings.Join(parts, " ")
}

func isPrintable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
