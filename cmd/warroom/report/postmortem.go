package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/httpapi"
)

// Options shape the postmortem draft.
type Options struct {
	// BaseURL is where warroom's pages are served (config base_url), for
	// links to the war-room page and to the steps' whole output; "" leaves
	// the links out.
	BaseURL string
	// Catalog names people ("Alice Chen (@alice)") and holds the levels'
	// check-in windows; nil shows ids only.
	Catalog *bot.Catalog
	// Now is when the draft is written, for a fault still open; zero (or
	// a time before the last event) takes the last event's time.
	Now time.Time
}

// Postmortem writes a Markdown postmortem draft of the fault: summary,
// impact, timeline, metrics, check-ins, plan runs, tasks and the open
// follow-ups, with prompts where only people can say (the root cause). The
// figures are those of the JSON view (httpapi.BuildIncident); every text
// people typed is escaped, so a title with | or * cannot break a table.
func Postmortem(w io.Writer, events []bot.Event, opts Options) error {
	if len(events) == 0 {
		return errors.New("postmortem: the fault has no events")
	}
	inc := httpapi.BuildIncident(events)
	f := bot.Replay(events)
	now := opts.Now
	if last := events[len(events)-1].At; now.Before(last) { // zero, or a clock behind the store's
		now = last
	}
	pm := &writer{w: bufio.NewWriter(w), f: f, inc: inc, opts: opts, now: now, base: strings.TrimRight(opts.BaseURL, "/")}
	pm.header()
	pm.summary()
	pm.impact()
	pm.timeline()
	pm.metrics()
	pm.checkins()
	pm.runs()
	pm.tasks()
	pm.followUps()
	return pm.w.Flush()
}

type writer struct {
	w    *bufio.Writer
	f    *bot.Fault
	inc  httpapi.Incident
	opts Options
	now  time.Time
	base string
}

func (pm *writer) line(format string, args ...any) {
	fmt.Fprintf(pm.w, format, args...)
	pm.w.WriteByte('\n')
}

// section starts a "## name" section.
func (pm *writer) section(name string) {
	pm.line("")
	pm.line("## %s", name)
	pm.line("")
}

// at is an absolute time; clock a time of day (with the date when not the
// declaration's day).
func at(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") + " UTC" }

func (pm *writer) clock(t time.Time) string { return bot.ClockTime(t, pm.f.DeclaredAt) }

// after is t's distance from the declaration.
func (pm *writer) after(t time.Time) string { return "+" + bot.Dur(t.Sub(pm.f.DeclaredAt)) }

// who is a person: @id, with the name the catalog gives.
func (pm *writer) who(id string) string {
	if id == "" {
		return "nobody"
	}
	if id == bot.ActorBot {
		return "warroom"
	}
	if c := pm.opts.Catalog; c != nil {
		if p, ok := c.People[id]; ok && p.Name != "" {
			return Escape(p.Name) + " (@" + Escape(id) + ")"
		}
	}
	return "@" + Escape(id)
}

func (pm *writer) whos(ids []string) string {
	if len(ids) == 0 {
		return "nobody"
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = pm.who(id)
	}
	return strings.Join(out, ", ")
}

func (pm *writer) header() {
	f := pm.f
	pm.line("# Postmortem draft: fault %d — %s", f.ID, Escape(f.Title))
	pm.line("")
	pm.line("*Drafted by warroom from the fault's timeline on %s. The figures are recorded; the sections marked **To fill in** are for the people who were there.*", at(pm.now))
	if pm.base != "" {
		pm.line("")
		pm.line("War room: <%s/incidents/%d> · timeline as JSON: <%s/api/incidents/%d>", pm.base, f.ID, pm.base, f.ID)
	}
}

// duration is how long the fault lasted, or has lasted so far.
func (pm *writer) duration() string {
	f := pm.f
	if !f.ResolvedAt.IsZero() {
		return bot.Dur(f.ResolvedAt.Sub(f.DeclaredAt))
	}
	return fmt.Sprintf("%s so far (still %s on %s)", bot.Dur(pm.now.Sub(f.DeclaredAt)), f.Status, at(pm.now))
}

// levels is the level, with the ones it was graded before.
func (pm *writer) levels() string {
	f := pm.f
	if len(f.Levels) <= 1 {
		return string(f.Level)
	}
	var ls []string
	for _, l := range f.Levels {
		ls = append(ls, string(l))
	}
	return fmt.Sprintf("%s (graded %s)", f.Level, strings.Join(ls, " → "))
}

func (pm *writer) summary() {
	f, m := pm.f, pm.inc.Metrics
	pm.section("Summary")
	pm.line("- **Level:** %s", pm.levels())
	pm.line("- **Status:** %s", f.Status)
	declared := fmt.Sprintf("- **Declared:** %s by %s", at(f.DeclaredAt), pm.who(f.DeclaredBy))
	if m.TimeToDeclare != nil {
		declared += fmt.Sprintf(", %s after it began (%s)", m.TimeToDeclare, pm.clock(f.StartedAt))
	}
	pm.line("%s", declared)
	if !f.MitigatedAt.IsZero() {
		pm.line("- **Mitigated:** %s (%s)", pm.clock(f.MitigatedAt), pm.after(f.MitigatedAt))
	}
	if !f.ResolvedAt.IsZero() {
		pm.line("- **Resolved:** %s (%s)", pm.clock(f.ResolvedAt), pm.after(f.ResolvedAt))
	}
	pm.line("- **Duration:** %s", pm.duration())
	pm.line("- **Commander:** %s · **Handler:** %s · **Responders:** %s", pm.who(f.Commander), pm.who(f.Handler), pm.whos(f.Responders))
	if f.ChannelName != "" {
		pm.line("- **War-room channel:** #%s", Escape(f.ChannelName))
	}
	if f.LastUpdate != "" {
		pm.line("- **Last update** (%s): %s", pm.clock(f.LastUpdateAt), Escape(f.LastUpdate))
	}
	pm.line("")
	pm.line("**To fill in:** what happened, in two or three sentences, for someone who was not there.")
}

func (pm *writer) impact() {
	f := pm.f
	pm.section("Impact")
	pm.line("| | |")
	pm.line("|---|---|")
	pm.line("| Affected service | %s |", orDash(Escape(f.Service)))
	pm.line("| Suspected cause | %s |", orDash(Escape(f.Cause)))
	if f.Kind != "" {
		pm.line("| Kind | %s |", Escape(f.Kind))
	}
	pm.line("| Level | %s |", pm.levels())
	pm.line("| Duration | %s |", pm.duration())
	pm.line("")
	pm.line("**To fill in:** who and what was affected (customers, requests, money), how badly, and for how long.")
	pm.section("Root cause")
	cause := "no suspected cause was recorded"
	if f.Cause != "" {
		cause = "the suspected cause recorded was " + Escape(f.Cause)
	}
	pm.line("**To fill in:** why it happened, and why then (%s).", cause)
}

// skipped are events of the bot's own bookkeeping, not the fault's story.
var skipped = map[bot.EventType]bool{bot.EventStepProcess: true, bot.EventKickoffPosted: true}

func (pm *writer) timeline() {
	pm.section("Timeline")
	pm.line("| Time (UTC) | Since declare | Event |")
	pm.line("|---|---|---|")
	for _, e := range pm.inc.Timeline {
		if skipped[e.Type] {
			continue
		}
		pm.line("| %s | %s | %s |", pm.clock(e.At), pm.after(e.At), Escape(e.Description))
	}
}

func (pm *writer) metrics() {
	m := pm.inc.Metrics
	pm.section("Metrics")
	pm.line("| Metric | Value |")
	pm.line("|---|---|")
	if m.TimeToDeclare != nil {
		pm.line("| Time to declare | %s |", m.TimeToDeclare)
	}
	first := m.TimeToFirstCheckin.String()
	if m.FirstCheckin != "" {
		first += " (" + pm.who(m.FirstCheckin) + ")"
	}
	if c := pm.opts.Catalog; c != nil && m.TimeToFirstCheckin != nil {
		if within := c.Levels[pm.f.Level].CheckinWithin; within > 0 && time.Duration(*m.TimeToFirstCheckin) > within {
			first += fmt.Sprintf(", over the %s check-in window of %s", pm.f.Level, bot.Dur(within))
		}
	}
	pm.line("| Time to first check-in (MTTA) | %s |", first)
	pm.line("| Time to mitigate (MTTM) | %s |", m.TimeToMitigate)
	pm.line("| Time to resolve (MTTR) | %s |", m.TimeToResolve)
	pm.line("| Check-in rate | %d/%d (%.0f%%) |", m.CheckedIn, m.Invited, 100*m.CheckinRate)
	updates := fmt.Sprint(m.Updates)
	if m.MeanUpdateGap != nil {
		updates += ", one every " + m.MeanUpdateGap.String() + " on average"
	}
	pm.line("| Updates | %s |", updates)
	pm.line("| Reminders · escalations | %d · %d |", m.Reminders, m.Escalations)
	pm.line("| Tasks | %d done, %d open |", m.TasksDone, m.TasksOpen)
	pm.line("| Re-graded | %s |", bot.Plural(m.LevelChanges, "time"))
	pm.line("| Plan runs | %d |", len(m.Runs))
}

func (pm *writer) checkins() {
	m := pm.inc.Metrics
	pm.section("Check-ins")
	if len(m.Checkins) == 0 {
		pm.line("Nobody was invited.")
		return
	}
	reasons := map[string]string{}
	for _, p := range pm.inc.Participants {
		reasons[p.Person] = p.Reason
	}
	chased := map[string][]string{}
	for _, c := range m.Chased {
		s := c.Via + " at " + pm.clock(c.At)
		if c.Failed != "" {
			s += " (failed: " + c.Failed + ")"
		}
		chased[c.Person] = append(chased[c.Person], s)
	}
	cs := append([]bot.CheckinTime(nil), m.Checkins...)
	sort.SliceStable(cs, func(i, j int) bool { // checked in first, by time; then the rest
		if cs[i].CheckedIn() != cs[j].CheckedIn() {
			return cs[i].CheckedIn()
		}
		return cs[i].CheckedIn() && cs[i].At.Before(cs[j].At)
	})
	pm.line("| Person | Invited | Checked in | How | Chased |")
	pm.line("|---|---|---|---|---|")
	for _, c := range cs {
		invited := pm.after(c.InvitedAt)
		if r := reasons[c.Person]; r != "" {
			invited += " (" + Escape(r) + ")"
		}
		in, via := "**not checked in**", "—"
		if c.CheckedIn() {
			in, via = fmt.Sprintf("%s (%s)", pm.clock(c.At), pm.after(c.At)), Escape(c.Via)
		}
		pm.line("| %s | %s | %s | %s | %s |", pm.who(c.Person), invited, in, via, orDash(Escape(strings.Join(chased[c.Person], ", "))))
	}
}

func (pm *writer) runs() {
	pm.section("Plan runs")
	if len(pm.inc.Runs) == 0 {
		pm.line("No plan was run.")
		return
	}
	for i, r := range pm.inc.Runs {
		if i > 0 {
			pm.line("")
		}
		pm.line("### Run #%d: %s (%s): %s", r.Num, Escape(r.Plan), Escape(r.Version), r.Status)
		pm.line("")
		req := fmt.Sprintf("- Requested by %s at %s", pm.who(r.RequestedBy), pm.clock(r.RequestedAt))
		if len(r.Params) > 0 {
			keys := make([]string, 0, len(r.Params))
			for k := range r.Params {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var ps []string
			for _, k := range keys {
				ps = append(ps, Escape(k+"="+r.Params[k]))
			}
			req += " with " + strings.Join(ps, " ")
		}
		pm.line("%s", req)
		if r.Override != "" {
			pm.line("- Override: %s", Escape(r.Override))
		}
		if len(r.Approvers) > 0 {
			pm.line("- Approved by %s", pm.whos(r.Approvers))
		}
		if r.DeniedBy != "" {
			pm.line("- Denied by %s", pm.who(r.DeniedBy))
		}
		if !r.StartedAt.IsZero() {
			ran := "- Started " + pm.clock(r.StartedAt)
			if !r.EndedAt.IsZero() {
				ran += fmt.Sprintf(", ended %s (%s)", pm.clock(r.EndedAt), bot.Dur(r.EndedAt.Sub(r.StartedAt)))
			}
			pm.line("%s", ran)
		}
		if r.Detail != "" {
			pm.line("- %s", Escape(r.Detail))
		}
		if len(r.Steps) == 0 {
			continue
		}
		pm.line("")
		pm.line("| Step | Outcome | Took | Detail |")
		pm.line("|---|---|---|---|")
		for _, st := range r.Steps {
			outcome, took := string(st.Status), "—"
			if st.Running() {
				outcome = "running"
			} else {
				took = bot.Dur(st.EndedAt.Sub(st.StartedAt))
			}
			detail := Escape(st.Detail)
			if pm.base != "" && st.Task == 0 {
				detail = strings.TrimSpace(fmt.Sprintf("%s [whole output](%s/api/incidents/%d/runs/%d/steps/%d/output)", detail, pm.base, pm.f.ID, r.Num, st.Num))
			}
			pm.line("| %d %s | %s | %s | %s |", st.Num, Escape(st.Name), orDash(outcome), took, orDash(detail))
		}
	}
}

func (pm *writer) tasks() {
	pm.section("Tasks")
	if len(pm.inc.Tasks) == 0 {
		pm.line("No task was given.")
		return
	}
	pm.line("| # | Task | Assignee | Given | Done |")
	pm.line("|---|---|---|---|---|")
	for _, t := range pm.inc.Tasks {
		done := "**open**"
		if t.Done() {
			done = fmt.Sprintf("%s by %s", pm.clock(t.DoneAt), pm.who(t.DoneBy))
		}
		pm.line("| %d | %s | %s | %s by %s | %s |", t.Num, Escape(t.Text), pm.who(t.Assignee), pm.clock(t.CreatedAt), pm.who(t.CreatedBy), done)
	}
}

func (pm *writer) followUps() {
	f, m := pm.f, pm.inc.Metrics
	pm.section("Open follow-ups")
	if f.Status != bot.StatusResolved {
		pm.line("- [ ] The fault is still %s: finish this draft once it is resolved.", f.Status)
	}
	for _, t := range pm.inc.Tasks {
		if !t.Done() {
			pm.line("- [ ] Task #%d for %s is still open: %s", t.Num, pm.who(t.Assignee), Escape(t.Text))
		}
	}
	for _, c := range m.Checkins {
		if !c.CheckedIn() {
			pm.line("- [ ] %s never checked in: were they the right contact, and could they be reached?", pm.who(c.Person))
		}
	}
	for _, r := range m.Runs {
		switch r.Status {
		case bot.RunFailed, bot.RunInterrupted, bot.RunExpired:
			pm.line("- [ ] Run #%d of %s %s: does the plan need fixing?", r.Num, Escape(r.Plan), r.Status)
		}
	}
	pm.line("- [ ] Fill in the root cause and the impact above.")
	pm.line("- [ ] What went well, what went badly, and where were we lucky?")
	pm.line("- [ ] The actions that stop it happening again, each with an owner and a date.")
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// mdSpecial are the characters Markdown (CommonMark and GitHub's tables)
// may read as syntax inside a line; people's text never starts a line
// here, so those that matter only there (# - + 1.) stay as typed.
const mdSpecial = "\\`*_[]<>|~&"

// Escape makes people's text literal in Markdown: its syntax characters are
// backslash-escaped and its line breaks folded into spaces, so that it stays
// inside its table cell or list item.
func Escape(s string) string {
	var b strings.Builder
	for _, line := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		for _, r := range strings.TrimSpace(line) {
			if strings.ContainsRune(mdSpecial, r) {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}
