package bot

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Plan is a contingency plan: steps prepared in advance for a kind of fault,
// run from a war room once authorised people approve. Plans are files (the
// plans package reads them); the core only uses them.
type Plan struct {
	Name     string   `json:"name"`
	Title    string   `json:"title"`
	Faults   []string `json:"faults,omitempty"`   // kinds of fault it fits
	Services []string `json:"services,omitempty"` // services it fits
	// Impact is the worst disruption the plan itself may cause. A plan more
	// severe than the fault's level needs the commander's override.
	Impact   Level    `json:"impact"`
	Approval Approval `json:"approval"`
	Params   []Param  `json:"params,omitempty"`
	Steps    []Step   `json:"steps"`
	// Rollback runs when a step fails and stops the run.
	Rollback []Step `json:"rollback,omitempty"`
	// OnRestart is what a restarted warroom does with the processes of a
	// script step that was running when it stopped and still are:
	// OnRestartLeave (the default) names them in the war room and leaves
	// them; OnRestartKill also stops them.
	OnRestart string `json:"on_restart,omitempty"`

	File string `json:"file"` // where it was read from
	Dir  string `json:"-"`    // its directory: scripts run there and must lie inside it
	// Version is the content hash of the file and of every script it
	// runs: what a run records it ran.
	Version string `json:"version"`
	Source  []byte `json:"-"` // the file's bytes, kept per version in the store
	// Scripts maps each script the steps run, as the plan names it, to the
	// hash of its content when the plan was loaded ("sha256:<hex>"): what
	// the version covers besides the file, and what a run checks the
	// script against before it runs it.
	Scripts map[string]string `json:"scripts,omitempty"`
	// Missing says, one line per step, what keeps a step from running here
	// ("step restore-data (${JOBS_URL} not set in warroom's environment)");
	// the plans loader sets it, and the approval card warns of it.
	Missing []string `json:"missing,omitempty"`
}

// Approval is who must approve a run of a plan before it starts.
type Approval struct {
	Roles   []Role        `json:"roles"`   // holders of any of these roles may approve
	Count   int           `json:"count"`   // this many different approvers (at least 1)
	Self    bool          `json:"self"`    // whether the requester's own approval counts
	Expires time.Duration `json:"expires"` // the request lapses after this long
}

// Param is a parameter a run is requested with (`key=value`).
type Param struct {
	Name     string   `json:"name"`
	Pattern  string   `json:"pattern,omitempty"` // the whole value must match
	Required bool     `json:"required,omitempty"`
	Enum     []string `json:"enum,omitempty"`
	Default  string   `json:"default,omitempty"`
	Help     string   `json:"help,omitempty"`
	// Re is Pattern compiled to match the whole value; set by the loader.
	Re *regexp.Regexp `json:"-"`
}

// What a restarted warroom does with a step's processes that outlived it
// (Plan.OnRestart).
const (
	OnRestartLeave = "leave"
	OnRestartKill  = "kill"
)

// Step kinds.
const (
	StepScript = "script"
	StepJob    = "job"
	StepManual = "manual"
)

// Step is one step of a plan: exactly one of Script, Job and Manual is set.
type Step struct {
	Name      string        `json:"name"`
	Script    []string      `json:"script,omitempty"` // argv; "{{param}}" only as a whole argument
	Job       *Job          `json:"job,omitempty"`
	Manual    string        `json:"manual,omitempty"` // a checklist item for a person
	Timeout   time.Duration `json:"timeout,omitempty"`
	OnFailure string        `json:"on_failure,omitempty"` // "stop" (default) or "continue"
}

// Kind says which kind of step it is.
func (s Step) Kind() string {
	switch {
	case len(s.Script) > 0:
		return StepScript
	case s.Job != nil:
		return StepJob
	default:
		return StepManual
	}
}

// Describe is the step in one line, as written in the plan.
func (s Step) Describe() string { return s.Name + ": " + stepAction(s, nil) }

// Job is an HTTP call to a job runner (Rundeck, AWX, Jenkins...).
type Job struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"` // ${VAR} comes from the environment
	Body    string            `json:"body,omitempty"`    // "{{param}}" substituted
}

// Bind checks the parameters a run is requested with against the plan and
// returns them with defaults filled in. Every value must match its pattern
// in whole and be one of its enum; an unknown key is refused, so a typo is
// never silently ignored.
func (p *Plan) Bind(args map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(p.Params))
	known := map[string]bool{}
	for _, prm := range p.Params {
		known[prm.Name] = true
		v, ok := args[prm.Name]
		if !ok || v == "" {
			if prm.Default != "" {
				out[prm.Name] = prm.Default
				continue
			}
			if prm.Required {
				return nil, Errorf(EINVALID, "plan %s needs %s=<value>%s", p.Name, prm.Name, prm.hint())
			}
			continue
		}
		if err := prm.Check(v); err != nil {
			return nil, Errorf(EINVALID, "plan %s: %v", p.Name, err)
		}
		out[prm.Name] = v
	}
	var unknown []string
	for k := range args {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		var names []string
		for _, prm := range p.Params {
			names = append(names, prm.Name)
		}
		want := "it takes no parameters"
		if len(names) > 0 {
			want = "it takes " + strings.Join(names, ", ")
		}
		return nil, Errorf(EINVALID, "plan %s has no parameter %s; %s", p.Name, strings.Join(unknown, ", "), want)
	}
	return out, nil
}

// Check reports whether v is an acceptable value of the parameter.
func (prm Param) Check(v string) error {
	if len(prm.Enum) > 0 {
		for _, e := range prm.Enum {
			if v == e {
				return nil
			}
		}
		return fmt.Errorf("%s=%q is not one of %s", prm.Name, v, strings.Join(prm.Enum, ", "))
	}
	re := prm.Re
	if re == nil && prm.Pattern != "" {
		var err error
		if re, err = regexp.Compile(`^(?:` + prm.Pattern + `)$`); err != nil {
			return fmt.Errorf("%s has a broken pattern: %v", prm.Name, err)
		}
	}
	if re != nil && !re.MatchString(v) {
		return fmt.Errorf("%s=%q does not match %s", prm.Name, v, prm.Pattern)
	}
	return nil
}

func (prm Param) hint() string {
	switch {
	case len(prm.Enum) > 0:
		return " (one of " + strings.Join(prm.Enum, ", ") + ")"
	case prm.Pattern != "":
		return " (matching " + prm.Pattern + ")"
	}
	return ""
}

// Fits scores how well the plan fits a fault: 2 for its kind, 1 for each of
// its services (affected or cause). 0 means it does not fit.
func (p *Plan) Fits(f *Fault) int {
	score := 0
	for _, k := range p.Faults {
		if f.Kind != "" && k == f.Kind {
			score += 2
		}
	}
	for _, s := range p.Services {
		if s == f.Service || (f.Cause != "" && s == f.Cause) {
			score++
		}
	}
	return score
}

// ByFit returns the plans best fit to f first (Plan.Fits), keeping their
// order otherwise.
func ByFit(plans []*Plan, f *Fault) []*Plan {
	out := append([]*Plan(nil), plans...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Fits(f) > out[j].Fits(f) })
	return out
}

// MoreSevere reports whether level a is worse than b (P1 is the worst).
func MoreSevere(a, b Level) bool { return a.Rank() < b.Rank() }

// StepStatus is how a step ended.
type StepStatus string

// Step outcomes.
const (
	StepOK      StepStatus = "ok"
	StepFailed  StepStatus = "failed"
	StepTimeout StepStatus = "timeout"
)

// StepRequest is one step to run with a run's bound parameters.
type StepRequest struct {
	Plan   *Plan
	Step   Step
	Params map[string]string
	// FaultID and Run identify the run, for logs and job bodies.
	FaultID int64
	Run     int
	// Started, if set, is called once a script step's process has
	// started, with its process group: the core records it, so that a
	// restarted warroom can find what the step left running.
	Started func(StepProcess)
}

// StepProcess is the process group a script step runs in.
type StepProcess struct {
	PGID int `json:"pgid"`
	// ID is the Runner's identity of the group (for the plans runner: the
	// boot, the leader's start time, the fault, run and step), so that a
	// later group reusing the number is not taken for it.
	ID string `json:"id,omitempty"`
}

// Survivor is a process a step started that is still running.
type Survivor struct {
	PID     int
	Command string
}

// ProcessFinder is a Runner that can find, after a restart, the processes
// a step's group left running (StepRequest.Started gave the group), and
// stop them. The core asks at Start for each step recorded as running.
type ProcessFinder interface {
	// Survivors lists the group's processes that are still the step's.
	Survivors(p StepProcess) ([]Survivor, error)
	// Stop sends them SIGTERM, then SIGKILL after a grace period, and
	// returns those still running after all.
	Stop(p StepProcess) ([]Survivor, error)
}

// StepResult is what running a step came to.
type StepResult struct {
	Status StepStatus
	// Detail says why in a few words: "exit status 3", "HTTP 500",
	// "killed after 2m0s".
	Detail string
	// Output is the step's output (stdout and stderr interleaved, or the
	// HTTP response body) up to the runner's cap, secrets redacted.
	Output string
	// Dropped counts the bytes beyond the cap that were not kept.
	Dropped int64
}

// Runner runs the script and job steps of plans. out receives the output
// as it comes, already redacted, in chunks of whole lines where possible;
// it may be nil. Run returns when the step has ended; it honours ctx and the
// step's timeout, killing whatever it started.
type Runner interface {
	Run(ctx context.Context, req StepRequest, out func(chunk string)) StepResult
}

// PlanChecker is a Runner that can tell whether the files a plan runs still
// have the content its version was made of (Plan.Scripts). The core asks it
// before a run is requested and before each approval, so that nobody asks
// for or approves a plan whose scripts changed since it was loaded.
type PlanChecker interface {
	CheckPlan(p *Plan) error
}

// PlanVersions is a Store that keeps every version of every plan it has
// seen, so that a run's recorded version can always be shown.
type PlanVersions interface {
	SavePlan(ctx context.Context, p *Plan) error
	PlanSource(ctx context.Context, name, version string) ([]byte, error)
}

// StepOutputs is a Store that keeps each step's whole output (up to the
// runner's cap) outside the timeline, which stays small to replay.
type StepOutputs interface {
	SaveOutput(ctx context.Context, faultID int64, run, step int, output string) error
	Output(ctx context.Context, faultID int64, run, step int) (string, error)
}
