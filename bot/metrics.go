package bot

import (
	"fmt"
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

// summary renders the recovery-metrics summary posted at resolve: the
// headline figures in a few lines, and a link to the war-room page, which
// has the rest (timeline, chart, check-ins, the postmortem draft).
func (b *Bot) summary(f *Fault, events []Event) Message {
	m := ComputeMetrics(events)
	var l []string
	add := func(format string, args ...any) { l = append(l, fmt.Sprintf(format, args...)) }
	level := string(f.Level)
	if len(f.Levels) > 1 {
		var ls []string
		for _, lv := range f.Levels {
			ls = append(ls, string(lv))
		}
		level += ", graded " + strings.Join(ls, " → ")
	}
	add("✅ %s resolved: %s (%s) after %s, declared by %s", f.Ref(), f.Title, level, Dur(f.ResolvedAt.Sub(f.DeclaredAt)), b.declarer(f))
	first := m.TimeToFirstCheckin.String()
	if m.FirstCheckin != "" {
		first += " (" + b.mention(m.FirstCheckin) + ")"
	}
	times := fmt.Sprintf("Time to first check-in: %s · to mitigate: %s · to resolve: %s", first, m.TimeToMitigate, m.TimeToResolve)
	if m.TimeToDeclare != nil {
		times = fmt.Sprintf("Time to declare: %s · t%s", m.TimeToDeclare, times[1:])
	}
	add("%s", times)
	chased := map[string][]string{}
	for _, c := range m.Chased {
		chased[c.Person] = append(chased[c.Person], c.Via)
	}
	var missing []string
	for _, c := range m.Checkins {
		if !c.CheckedIn() {
			s := b.mention(c.Person)
			if vias := chased[c.Person]; len(vias) > 0 {
				s += " (chased: " + strings.Join(vias, ", ") + ")"
			}
			missing = append(missing, s)
		}
	}
	checkins := fmt.Sprintf("Check-in rate: %d/%d (%.0f%%)", m.CheckedIn, m.Invited, 100*m.CheckinRate)
	if len(missing) > 0 {
		checkins += " · not checked in: " + strings.Join(capList(missing, 5), ", ")
		if len(missing) > 5 {
			checkins += fmt.Sprintf(" and %d more", len(missing)-5)
		}
	}
	add("%s", checkins)
	updates := fmt.Sprintf("Updates: %d", m.Updates)
	if m.Reminders > 0 || m.Escalations > 0 {
		updates += fmt.Sprintf(", reminders %d, escalations %d", m.Reminders, m.Escalations)
	}
	add("%s · tasks: %d done, %d open · plans run: %s", updates, m.TasksDone, m.TasksOpen, runsLine(m.Runs))
	add("%s", b.pageLine(f))
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

// pageLine links to the fault's war-room page, or, without base_url, says
// how to get a link.
func (b *Bot) pageLine(f *Fault) string {
	if b.opts.BaseURL != "" {
		return fmt.Sprintf("War-room page, with the timeline and the postmortem draft: %s", b.pageURL(f.ID))
	}
	return fmt.Sprintf("/%s timeline shows the whole timeline; set base_url in the config (e.g. base_url: https://warroom.example.com) for a link to the war-room page", b.opts.Command)
}

// pageURL is the fault's war-room page under base_url.
func (b *Bot) pageURL(id int64) string {
	return fmt.Sprintf("%s/incidents/%d", strings.TrimRight(b.opts.BaseURL, "/"), id)
}

// capList is the first n of xs.
func capList(xs []string, n int) []string {
	if len(xs) > n {
		return xs[:n]
	}
	return xs
}

// runsLine is the plan runs in one line: "none", or each with how it ended
// (the first three, then a count).
func runsLine(runs []RunMetric) string {
	if len(runs) == 0 {
		return "none"
	}
	var parts []string
	for i, r := range runs {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("%d more", len(runs)-3))
			break
		}
		s := fmt.Sprintf("#%d %s %s", r.Num, r.Plan, r.Status)
		if r.Duration != nil {
			s += " in " + r.Duration.String()
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// timelineLines renders the last max events: `+2m10s 11:02:10 @bob checked in`.
func (b *Bot) timelineLines(f *Fault, events []Event, max int) []string {
	var out []string
	skip := 0
	if len(events) > max {
		skip = len(events) - max
		where := fmt.Sprintf("/api/incidents/%d", f.ID)
		if b.opts.BaseURL != "" {
			where = b.pageURL(f.ID)
		}
		out = append(out, fmt.Sprintf("(%d earlier events; the whole timeline is at %s)", skip, where))
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
