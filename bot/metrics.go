package bot

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Seconds is a duration that marshals as seconds in JSON.
type Seconds time.Duration

// MarshalJSON writes whole seconds.
func (s Seconds) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, "%d", int64(time.Duration(s).Round(time.Second)/time.Second)), nil
}

// CheckinTime is one invitee's check-in.
type CheckinTime struct {
	Person    string    `json:"person"`
	InvitedAt time.Time `json:"invited_at"`
	At        time.Time `json:"checked_in_at,omitzero"`
	// AfterDeclare is from the declaration; AfterInvite from their own
	// invitation (they differ for people invited later).
	AfterDeclare Seconds `json:"after_declare_s"`
	AfterInvite  Seconds `json:"after_invite_s"`
	Via          string  `json:"via,omitempty"`
}

// CheckedIn reports whether they checked in.
func (c CheckinTime) CheckedIn() bool { return !c.At.IsZero() }

// Metrics are the recovery figures of a fault, computed from its timeline.
// Durations are nil until the moment they measure has happened.
type Metrics struct {
	DeclaredAt time.Time `json:"declared_at"`
	// TimeToDeclare runs from when the fault began, when that is known.
	TimeToDeclare      *Seconds      `json:"time_to_declare_s,omitempty"`
	TimeToFirstCheckin *Seconds      `json:"time_to_first_checkin_s,omitempty"` // the declarer's own check-in aside
	FirstCheckin       string        `json:"first_checkin,omitempty"`
	Checkins           []CheckinTime `json:"checkins"`
	Invited            int           `json:"invited"`
	CheckedIn          int           `json:"checked_in"`
	CheckinRate        float64       `json:"checkin_rate"`
	TimeToMitigate     *Seconds      `json:"time_to_mitigate_s,omitempty"`
	TimeToResolve      *Seconds      `json:"time_to_resolve_s,omitempty"`
	Updates            int           `json:"updates"`
	// MeanUpdateGap is the mean time between the declaration and the
	// updates, i.e. the update cadence actually kept.
	MeanUpdateGap *Seconds `json:"mean_update_gap_s,omitempty"`
	Commander     string   `json:"commander,omitempty"`
	Handler       string   `json:"handler,omitempty"`
	Responders    []string `json:"responders,omitempty"`
	Reminders     int      `json:"reminders"`
	Escalations   int      `json:"escalations"`
	// Chased is who was chased for not checking in, how and when.
	Chased       []Chase `json:"chased"`
	TasksDone    int     `json:"tasks_done"`
	TasksOpen    int     `json:"tasks_open"`
	LevelChanges int     `json:"level_changes"`
	// Runs are the plan runs asked for, with how each ended and how long
	// it ran.
	Runs []RunMetric `json:"runs"`
}

// RunMetric is one plan run's outcome.
type RunMetric struct {
	Num       int       `json:"num"`
	Plan      string    `json:"plan"`
	Version   string    `json:"version"`
	Status    RunStatus `json:"status"`
	Detail    string    `json:"detail,omitempty"`
	Approvers []string  `json:"approvers,omitempty"`
	Duration  *Seconds  `json:"duration_s,omitempty"` // from start to end, if it started
	StepsOK   int       `json:"steps_ok"`
	Steps     int       `json:"steps"`
}

// Chase is one step of chasing someone who had not checked in.
type Chase struct {
	Person string    `json:"person"`
	Via    string    `json:"via"` // dm, page, commander
	At     time.Time `json:"at"`
	Failed string    `json:"failed,omitempty"`
}

// ComputeMetrics derives the recovery metrics from a timeline. It is a pure
// function of the events: the same timeline always gives the same figures.
func ComputeMetrics(events []Event) Metrics {
	f := Replay(events)
	m := FaultMetrics(f)
	var lastUpdate time.Time
	for _, e := range events {
		switch e.Type {
		case EventUpdate:
			m.Updates++
			lastUpdate = e.At
		case EventLevelChanged:
			m.LevelChanges++
		case EventChased:
			m.Chased = append(m.Chased, Chase{Person: e.Person, Via: e.Via, At: e.At, Failed: e.Text})
		}
	}
	if m.Updates > 0 {
		gap := Seconds(lastUpdate.Sub(f.DeclaredAt) / time.Duration(m.Updates))
		m.MeanUpdateGap = &gap
	}
	for _, t := range f.Tasks {
		if t.Done() {
			m.TasksDone++
		} else {
			m.TasksOpen++
		}
	}
	m.Runs = []RunMetric{}
	for _, r := range f.Runs {
		rm := RunMetric{Num: r.Num, Plan: r.Plan, Version: r.Version, Status: r.Status, Detail: r.Detail, Approvers: r.Approvers, Steps: len(r.Steps)}
		if !r.StartedAt.IsZero() && !r.EndedAt.IsZero() {
			d := Seconds(r.EndedAt.Sub(r.StartedAt))
			rm.Duration = &d
		}
		for _, st := range r.Steps {
			if st.Status == StepOK {
				rm.StepsOK++
			}
		}
		m.Runs = append(m.Runs, rm)
	}
	return m
}

func (s *Seconds) String() string {
	if s == nil {
		return "—"
	}
	return Dur(time.Duration(*s))
}

// summary renders the recovery-metrics summary posted at resolve.
func (b *Bot) summary(f *Fault, events []Event) Message {
	m := ComputeMetrics(events)
	var l []string
	add := func(format string, args ...any) { l = append(l, fmt.Sprintf(format, args...)) }
	add("✅ %s resolved: %s (%s)", f.Ref(), f.Title, f.Level)
	add("Declared %s UTC by %s · services: %s", f.DeclaredAt.Format("2006-01-02 15:04:05"), b.declarer(f), b.services(f))
	if m.TimeToDeclare != nil {
		add("Time to declare: %s (it began at %s)", m.TimeToDeclare.String(), ClockTime(f.StartedAt, f.DeclaredAt))
	}
	first := m.TimeToFirstCheckin.String()
	if m.FirstCheckin != "" {
		first += " (" + b.mention(m.FirstCheckin) + ")"
	}
	add("Time to first check-in: %s", first)
	add("Check-in rate: %d/%d (%.0f%%)", m.CheckedIn, m.Invited, 100*m.CheckinRate)
	cs := append([]CheckinTime(nil), m.Checkins...)
	sort.SliceStable(cs, func(i, j int) bool { // checked in first, by time; then the rest
		if cs[i].CheckedIn() != cs[j].CheckedIn() {
			return cs[i].CheckedIn()
		}
		return cs[i].CheckedIn() && cs[i].At.Before(cs[j].At)
	})
	for _, c := range cs {
		if !c.CheckedIn() {
			add("  %s did not check in", b.mention(c.Person))
			continue
		}
		s := fmt.Sprintf("  %s checked in at %s, %s after declare", b.mention(c.Person), ClockTime(c.At, f.DeclaredAt), Dur(time.Duration(c.AfterDeclare)))
		if c.InvitedAt.Sub(f.DeclaredAt) >= time.Second { // invited later, not in the declare batch
			s += fmt.Sprintf(" (%s after their invitation)", Dur(time.Duration(c.AfterInvite)))
		}
		add("%s, by %s", s, c.Via)
	}
	add("Time to mitigate: %s · time to resolve: %s", m.TimeToMitigate, m.TimeToResolve)
	cadence := ""
	if m.MeanUpdateGap != nil {
		cadence = ", one every " + m.MeanUpdateGap.String() + " on average"
	}
	if spec := b.catalog.Levels[f.Level].Remind; spec != "" {
		cadence += " (asked for " + CronWords(spec) + ")"
	}
	add("Updates posted: %d%s; reminders %d, escalations %d", m.Updates, cadence, m.Reminders, m.Escalations)
	if len(m.Chased) > 0 {
		var parts []string
		for _, c := range m.Chased {
			s := fmt.Sprintf("%s %s at %s", b.mention(c.Person), c.Via, ClockTime(c.At, f.DeclaredAt))
			if c.Failed != "" {
				s += " (failed)"
			}
			parts = append(parts, s)
		}
		add("Chased for check-in: %s", strings.Join(parts, ", "))
	}
	add("Commander: %s · Handler: %s · Responders: %s", b.mention(m.Commander), b.mention(m.Handler), b.mentions(m.Responders))
	add("Tasks: %d done, %d open", m.TasksDone, m.TasksOpen)
	if m.LevelChanges > 0 {
		add("Re-graded %s", Plural(m.LevelChanges, "time"))
	}
	if len(m.Runs) > 0 {
		add("Plans run: %d", len(m.Runs))
		for _, r := range m.Runs {
			s := fmt.Sprintf("  #%d %s (%s): %s", r.Num, r.Plan, r.Version, r.Status)
			if r.Duration != nil {
				s += fmt.Sprintf(" in %s, %d of %s ok", r.Duration, r.StepsOK, Plural(r.Steps, "step"))
			}
			if len(r.Approvers) > 0 {
				s += ", approved by " + b.mentions(r.Approvers)
			}
			if r.Detail != "" {
				s += " — " + r.Detail
			}
			add("%s", s)
		}
	}
	add("Timeline:")
	for _, line := range b.timelineLines(f, events, 40) {
		add("  %s", line)
	}
	return Message{
		Kind:  KindSummary,
		Title: fmt.Sprintf("%s resolved: %s", f.Ref(), f.Title),
		Text:  strings.Join(l, "\n"),
		Fields: []Field{
			{"Time to first check-in", m.TimeToFirstCheckin.String()},
			{"Check-in rate", fmt.Sprintf("%d/%d", m.CheckedIn, m.Invited)},
			{"Time to mitigate", m.TimeToMitigate.String()},
			{"Time to resolve", m.TimeToResolve.String()},
			{"Updates", fmt.Sprint(m.Updates)},
			{"Tasks", fmt.Sprintf("%d done, %d open", m.TasksDone, m.TasksOpen)},
			{"Plans run", runsField(m.Runs)},
		},
	}
}

// timelineLines renders the last max events: `+2m10s 11:02:10 @bob checked in`.
func (b *Bot) timelineLines(f *Fault, events []Event, max int) []string {
	var out []string
	skip := 0
	if len(events) > max {
		skip = len(events) - max
		out = append(out, fmt.Sprintf("(%d earlier events; the whole timeline is at /api/incidents/%d)", skip, f.ID))
	}
	for _, e := range events[skip:] {
		out = append(out, fmt.Sprintf("%s +%s %s", ClockTime(e.At, f.DeclaredAt), Dur(e.At.Sub(f.DeclaredAt)), e.Describe()))
	}
	return out
}

func runsField(runs []RunMetric) string {
	if len(runs) == 0 {
		return "none"
	}
	var parts []string
	for _, r := range runs {
		s := fmt.Sprintf("#%d %s: %s", r.Num, r.Plan, r.Status)
		if r.Duration != nil {
			s += " in " + r.Duration.String()
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "\n")
}
