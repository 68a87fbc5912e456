package bot

import "time"

// FaultMetrics are the figures that a fault's state alone gives: check-ins,
// time to first check-in, to mitigate and to resolve. A listing of many
// faults (the web front page's MTTA and MTTR) computes them without reading
// each timeline again; ComputeMetrics adds what needs the events.
func FaultMetrics(f *Fault) Metrics {
	m := Metrics{DeclaredAt: f.DeclaredAt, Commander: f.Commander, Handler: f.Handler, Responders: f.Responders,
		Reminders: f.Reminders, Escalations: f.Escalations, Chased: []Chase{}}
	since := func(t time.Time) *Seconds { s := Seconds(t.Sub(f.DeclaredAt)); return &s }
	if !f.StartedAt.IsZero() {
		s := Seconds(f.DeclaredAt.Sub(f.StartedAt))
		m.TimeToDeclare = &s
	}
	var first time.Time
	for _, p := range f.Participants {
		c := CheckinTime{Person: p.Person, InvitedAt: p.InvitedAt, At: p.CheckedInAt, Via: p.CheckinVia}
		if p.CheckedIn() {
			c.AfterDeclare = Seconds(p.CheckedInAt.Sub(f.DeclaredAt))
			c.AfterInvite = Seconds(p.CheckedInAt.Sub(p.InvitedAt))
			m.CheckedIn++
			// The declarer is there by declaring; the figure measures how
			// soon anyone else answered.
			if p.CheckinVia != CheckinDeclared && (first.IsZero() || p.CheckedInAt.Before(first)) {
				first, m.FirstCheckin = p.CheckedInAt, p.Person
			}
		}
		m.Checkins = append(m.Checkins, c)
	}
	m.Invited = len(f.Participants)
	if m.Invited > 0 {
		m.CheckinRate = float64(m.CheckedIn) / float64(m.Invited)
	}
	if !first.IsZero() {
		m.TimeToFirstCheckin = since(first)
	}
	if !f.MitigatedAt.IsZero() {
		m.TimeToMitigate = since(f.MitigatedAt)
	}
	if !f.ResolvedAt.IsZero() {
		m.TimeToResolve = since(f.ResolvedAt)
	}
	return m
}
