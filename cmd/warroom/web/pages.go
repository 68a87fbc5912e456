package web

import (
	"net/http"
	"slices"
	"time"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/httpapi"
)

// Listing bounds: the front page reads at most this many of the newest
// faults, which covers 90 days of any team's faults; older ones are the
// API's to list.
const (
	maxListed = 1000
	maxRecent = 20
)

// Windows are the MTTA/MTTR periods of the front page, in days.
var Windows = []int{7, 30, 90}

type faultRow struct {
	ID          int64
	Title       string
	Level       bot.Level
	Status      bot.Status
	Age         time.Duration // since declared, or how long it lasted
	Commander   string
	Invited     int
	CheckedIn   int
	CheckinRate float64
}

// levelStat is one level's figures over a window: the mean time to first
// check-in (over faults someone other than the declarer checked in to) and
// to resolve (over resolved faults).
type levelStat struct {
	Level      bot.Level
	Faults     int
	MTTA, MTTR time.Duration
	NA, NR     int
}

type window struct {
	Days   int
	Levels []levelStat
}

type indexData struct {
	Open, Recent []faultRow
	Windows      []window
}

func row(f *bot.Fault, now time.Time) faultRow {
	end := now
	if !f.ResolvedAt.IsZero() {
		end = f.ResolvedAt
	}
	r := faultRow{ID: f.ID, Title: f.Title, Level: f.Level, Status: f.Status, Age: end.Sub(f.DeclaredAt),
		Commander: f.Commander, Invited: len(f.Participants), CheckedIn: f.CheckedIn()}
	if r.Invited > 0 {
		r.CheckinRate = float64(r.CheckedIn) / float64(r.Invited)
	}
	return r
}

func (s *Server) index(w http.ResponseWriter, r *http.Request, v *view) (string, int, error) {
	faults, err := s.store().Faults(r.Context(), bot.FaultFilter{Limit: maxListed})
	if err != nil {
		return "", 0, err
	}
	d := indexData{}
	for _, f := range faults {
		if f.Open() {
			d.Open = append(d.Open, row(f, v.Now))
		} else if len(d.Recent) < maxRecent {
			d.Recent = append(d.Recent, row(f, v.Now))
		}
	}
	// The worst first, then the oldest: what needs people most.
	slices.SortStableFunc(d.Open, func(a, b faultRow) int {
		if a.Level != b.Level {
			return levelRank(a.Level) - levelRank(b.Level)
		}
		return int(b.Age - a.Age)
	})
	d.Windows = windows(faults, v.Now)
	v.Title, v.Data = "Faults", d
	return "index", http.StatusOK, nil
}

func levelRank(l bot.Level) int {
	if i := slices.Index(bot.Levels, l); i >= 0 {
		return i
	}
	return len(bot.Levels)
}

// windows computes MTTA and MTTR by level over each window, by when the
// fault was declared.
func windows(faults []*bot.Fault, now time.Time) []window {
	out := make([]window, 0, len(Windows))
	for _, days := range Windows {
		since := now.Add(-time.Duration(days) * 24 * time.Hour)
		w := window{Days: days}
		for _, lvl := range bot.Levels {
			st := levelStat{Level: lvl}
			var sumA, sumR time.Duration
			for _, f := range faults {
				if f.Level != lvl || f.DeclaredAt.Before(since) {
					continue
				}
				st.Faults++
				m := bot.FaultMetrics(f)
				if m.TimeToFirstCheckin != nil {
					sumA += time.Duration(*m.TimeToFirstCheckin)
					st.NA++
				}
				if m.TimeToResolve != nil {
					sumR += time.Duration(*m.TimeToResolve)
					st.NR++
				}
			}
			if st.NA > 0 {
				st.MTTA = sumA / time.Duration(st.NA)
			}
			if st.NR > 0 {
				st.MTTR = sumR / time.Duration(st.NR)
			}
			w.Levels = append(w.Levels, st)
		}
		out = append(out, w)
	}
	return out
}

// incidentData is the war-room page: the API's view of the fault, and what
// the page adds.
type incidentData struct {
	httpapi.Incident
	Fault     *bot.Fault
	Open      bool
	Chart     bool
	PollEvery time.Duration
}

func (s *Server) incidentData(r *http.Request) (*incidentData, error) {
	id, err := faultID(r)
	if err != nil {
		return nil, err
	}
	events, err := s.store().Events(r.Context(), id)
	if err != nil {
		return nil, err
	}
	f := bot.Replay(events)
	return &incidentData{Incident: httpapi.BuildIncident(events), Fault: f, Open: f.Open(),
		Chart: s.Chart != nil, PollEvery: PollEvery}, nil
}

func (s *Server) incident(w http.ResponseWriter, r *http.Request, v *view) (string, int, error) {
	d, err := s.incidentData(r)
	if err != nil {
		return "", 0, err
	}
	v.Title, v.Data = d.Fault.Ref()+" "+d.Fault.Title, d
	return "incident", http.StatusOK, nil
}

// live serves the part of the page that changes, for htmx to swap in.
func (s *Server) live(w http.ResponseWriter, r *http.Request, v *view) (string, int, error) {
	d, err := s.incidentData(r)
	if err != nil {
		return "", 0, err
	}
	v.Data = d
	return "incident#live", http.StatusOK, nil
}

// chart serves the timeline chart as an image: an <img> of SVG runs no
// script, whatever text the chart carries.
func (s *Server) chart(w http.ResponseWriter, r *http.Request, v *view) (string, int, error) {
	if s.Chart == nil {
		return "", 0, bot.Errorf(bot.ENOTFOUND, "this warroom draws no charts")
	}
	id, err := faultID(r)
	if err != nil {
		return "", 0, err
	}
	events, err := s.store().Events(r.Context(), id)
	if err != nil {
		return "", 0, err
	}
	svg, err := s.Chart(events)
	if err != nil {
		return "", 0, err
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	_, _ = w.Write(svg)
	return "", 0, nil
}

// planRow is a plan with its history and runs.
type planRow struct {
	Plan     *bot.Plan
	Loaded   bool // the plan is loaded now (not only on record)
	Versions []bot.PlanVersion
	Runs     []planRun
}

type planRun struct {
	FaultID int64
	Title   string
	bot.Run
}

func (s *Server) planRows(r *http.Request, only string) ([]planRow, error) {
	var rows []planRow
	idx := map[string]int{}
	if s.Plans != nil {
		for _, p := range s.Plans() {
			if only == "" || p.Name == only {
				idx[p.Name] = len(rows)
				rows = append(rows, planRow{Plan: p, Loaded: true})
			}
		}
	}
	if ph, ok := s.store().(bot.PlanHistory); ok {
		vs, err := ph.PlanHistory(r.Context(), only)
		if err != nil {
			return nil, err
		}
		for _, pv := range vs {
			i, ok := idx[pv.Name]
			if !ok { // a plan no longer loaded: its versions and runs stay on record
				i, idx[pv.Name] = len(rows), len(rows)
				rows = append(rows, planRow{Plan: &bot.Plan{Name: pv.Name, File: pv.File}})
			}
			rows[i].Versions = append(rows[i].Versions, pv)
		}
	}
	faults, err := s.store().Faults(r.Context(), bot.FaultFilter{Limit: maxListed, WithEvent: bot.EventRunRequested})
	if err != nil {
		return nil, err
	}
	for _, f := range faults {
		for _, run := range f.Runs {
			if i, ok := idx[run.Plan]; ok {
				rows[i].Runs = append(rows[i].Runs, planRun{FaultID: f.ID, Title: f.Title, Run: run})
			}
		}
	}
	return rows, nil
}

func (s *Server) plans(w http.ResponseWriter, r *http.Request, v *view) (string, int, error) {
	rows, err := s.planRows(r, "")
	if err != nil {
		return "", 0, err
	}
	v.Title, v.Data = "Plans", rows
	return "plans", http.StatusOK, nil
}

func (s *Server) plan(w http.ResponseWriter, r *http.Request, v *view) (string, int, error) {
	name := r.PathValue("name")
	rows, err := s.planRows(r, name)
	if err != nil {
		return "", 0, err
	}
	if len(rows) == 0 {
		return "", 0, bot.Errorf(bot.ENOTFOUND, "there is no plan %q loaded or on record; /plans lists them", name)
	}
	v.Title, v.Data = "Plan "+name, rows[0]
	return "plan", http.StatusOK, nil
}
