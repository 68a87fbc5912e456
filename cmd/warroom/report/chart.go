// Package report renders a fault's timeline for people outside chat: an SVG
// chart of it (the war-room page shows it) and a Markdown postmortem draft
// (GET /incidents/{id}/postmortem.md, `warroom export ID -format md`).
// Both are pure functions of the timeline: the same events give the same
// bytes, so both are golden-file tested.
package report

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/warroom/warroom/bot"
)

// A lane is one row of the chart: a kind of event.
type lane struct {
	name  string
	color color.RGBA
	shape draw.GlyphDrawer
}

// The lanes, top to bottom.
var lanes = []lane{
	{"status", color.RGBA{R: 0xcf, G: 0x22, B: 0x2e, A: 0xff}, draw.CircleGlyph{}},
	{"level", color.RGBA{R: 0x82, G: 0x50, B: 0xdf, A: 0xff}, draw.BoxGlyph{}},
	{"check-ins", color.RGBA{R: 0x1a, G: 0x7f, B: 0x37, A: 0xff}, draw.CircleGlyph{}},
	{"updates", color.RGBA{R: 0x09, G: 0x69, B: 0xda, A: 0xff}, draw.PyramidGlyph{}},
	{"tasks", color.RGBA{R: 0x9a, G: 0x67, B: 0x00, A: 0xff}, draw.BoxGlyph{}},
	{"plans", color.RGBA{R: 0x57, G: 0x60, B: 0x6a, A: 0xff}, draw.CircleGlyph{}},
}

// mark is one event drawn: its lane (an index into lanes), time and label.
type mark struct {
	lane  int
	at    time.Time
	label string
}

// marks picks the events worth a mark. Invitations, reminders and the bot's
// own bookkeeping are left out: the chart is for the moments that changed
// the fault's course.
func marks(events []bot.Event) []mark {
	var out []mark
	add := func(l int, e bot.Event, label string) { out = append(out, mark{l, e.At, label}) }
	updates := 0
	for _, e := range events {
		switch e.Type {
		case bot.EventDeclared:
			add(0, e, "declared "+string(e.Level))
		case bot.EventMitigated:
			add(0, e, "mitigated")
		case bot.EventResolved:
			add(0, e, "resolved")
		case bot.EventLevelChanged:
			add(1, e, fmt.Sprintf("%s to %s", e.From, e.Level))
		case bot.EventCheckedIn:
			if e.Via != bot.CheckinDeclared { // the declarer is there by declaring
				add(2, e, "@"+e.Person)
			}
		case bot.EventUpdate:
			updates++
			add(3, e, fmt.Sprintf("#%d", updates))
		case bot.EventTaskAdded:
			add(4, e, fmt.Sprintf("#%d", e.Task))
		case bot.EventTaskDone:
			add(4, e, fmt.Sprintf("#%d done", e.Task))
		case bot.EventRunRequested:
			add(5, e, fmt.Sprintf("#%d %s", e.Run, e.Plan))
		case bot.EventRunEnded:
			add(5, e, fmt.Sprintf("#%d %s", e.Run, e.Via))
		}
	}
	return out
}

// Chart draws the fault's timeline as an SVG: one lane per kind of event
// (status, level, check-ins, updates, tasks, plans) on a UTC time axis, with
// dashed lines at mitigate and resolve. Marks too close to tell apart are
// labelled together, so a burst of check-ins in one second stays legible.
func Chart(events []bot.Event) ([]byte, error) {
	if len(events) == 0 {
		return nil, errors.New("chart: the fault has no events")
	}
	f := bot.Replay(events)
	ms := marks(events)
	start, end := events[0].At, events[len(events)-1].At
	for _, m := range ms {
		if m.at.After(end) {
			end = m.at
		}
	}
	span := end.Sub(start)
	if span < time.Minute { // a one-event fault still gets an axis
		span = time.Minute
		end = start.Add(span)
	}
	pad := span / 20

	p := plot.New()
	p.Title.Text = fmt.Sprintf("Fault %d (%s): %s", f.ID, f.Level, clip(oneLine(f.Title), 70))
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = "UTC"
	p.X.Min = unix(start.Add(-pad))
	p.X.Max = unix(end.Add(pad))
	p.X.Tick.Marker = timeTicks{}

	// Only the lanes with marks, and status always: the declaration is one.
	var shown []int
	for li := range lanes {
		if li == 0 || slices.ContainsFunc(ms, func(m mark) bool { return m.lane == li }) {
			shown = append(shown, li)
		}
	}
	names := make([]string, len(shown))
	for i, li := range shown {
		names[len(shown)-1-i] = lanes[li].name
	}
	p.NominalY(names...)
	p.Y.Min, p.Y.Max = -0.6, float64(len(shown))-0.4
	p.Add(plotter.NewGrid())

	// Dashed lines across every lane at mitigate and resolve.
	for _, t := range []time.Time{f.MitigatedAt, f.ResolvedAt} {
		if t.IsZero() {
			continue
		}
		line, err := plotter.NewLine(plotter.XYs{{X: unix(t), Y: p.Y.Min}, {X: unix(t), Y: p.Y.Max}})
		if err != nil {
			return nil, fmt.Errorf("chart: %w", err)
		}
		line.Color = lanes[0].color
		line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(line)
	}

	lay := layout{min: p.X.Min, max: p.X.Max, perPoint: (p.X.Max - p.X.Min) / (width - 100).Points(), near: 0.015 * (p.X.Max - p.X.Min)}
	for i, li := range shown {
		l := lanes[li]
		y := float64(len(shown) - 1 - i)
		var pts plotter.XYs
		var laneMarks []mark
		for _, m := range ms {
			if m.lane == li {
				pts = append(pts, plotter.XY{X: unix(m.at), Y: y})
				laneMarks = append(laneMarks, m)
			}
		}
		if len(pts) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, fmt.Errorf("chart: %w", err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: l.color, Radius: vg.Points(3.5), Shape: l.shape}
		p.Add(sc)

		// Row 0 above the lane, row 1 below it, a few points off the marks.
		var rows [2]plotter.XYLabels
		var styles [2][]text.Style
		sty := text.Style{Color: l.color, Font: font.From(plotter.DefaultFont, vg.Points(8)), Handler: p.Title.TextStyle.Handler}
		for _, c := range lay.clusters(laneMarks, l.name, sty) {
			rows[c.row].XYs = append(rows[c.row].XYs, plotter.XY{X: c.x, Y: y})
			rows[c.row].Labels = append(rows[c.row].Labels, c.label)
			s := sty
			if c.right {
				s.XAlign = text.XRight
			}
			styles[c.row] = append(styles[c.row], s)
		}
		for r, dy := range []vg.Length{5, -13} {
			if len(rows[r].Labels) == 0 {
				continue
			}
			lb, err := plotter.NewLabels(rows[r])
			if err != nil {
				return nil, fmt.Errorf("chart: %w", err)
			}
			lb.TextStyle, lb.Offset = styles[r], vg.Point{Y: dy}
			p.Add(lb)
		}
	}

	c := vgsvg.New(width, 3.6*vg.Inch)
	// A margin for browsers that draw the text in a wider font.
	p.Draw(draw.Crop(draw.New(c), 14, -8, 0, -4))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	// Arial and Helvetica share Liberation Sans's metrics, which the
	// layout was measured with; a browser without Liberation uses them.
	return bytes.ReplaceAll(buf.Bytes(), []byte("font-family:Liberation Sans;"), []byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;")), nil
}

// width is the chart's.
const width = 9 * vg.Inch

// layout places the labels of a lane's marks on two rows, above and below
// the lane, so that none overlaps another: a mark whose label has no room
// joins its neighbour's label ("@ben, @dee", "@p00 +39 more check-ins").
type layout struct {
	min, max float64 // the x axis, in Unix seconds
	perPoint float64 // seconds per point of width
	near     float64 // marks nearer than this share a label
}

// cluster is one label and the marks it names.
type cluster struct {
	marks []mark
	x     float64 // where the label is anchored
	row   int
	right bool // the label ends at x (near the right edge)
	label string
	// before is where its row ended before it, to place it again when it
	// grows.
	before float64
}

func (lay layout) clusters(ms []mark, what string, sty text.Style) []*cluster {
	var out []*cluster
	rowEnd := [2]float64{math.Inf(-1), math.Inf(-1)}
	gap := 10 * lay.perPoint
	// place sets c's label and extent on row, unless the row has no room
	// for it and force is false.
	place := func(c *cluster, row int, force bool) bool {
		label := clusterLabel(c.marks, what)
		w := sty.Width(label).Points() * lay.perPoint
		x := unix(c.marks[0].at)
		from, right := x, false
		if x+w > lay.max {
			from, right = x-w, true
		}
		if rowEnd[row]+gap > from && !force {
			return false
		}
		c.x, c.row, c.right, c.label, c.before = x, row, right, label, rowEnd[row]
		rowEnd[row] = from + w
		return true
	}
	join := func(c *cluster, m mark) {
		c.marks = append(c.marks, m)
		rowEnd[c.row] = c.before
		place(c, c.row, true)
	}
	for _, m := range ms {
		if n := len(out); n > 0 {
			last := out[n-1]
			if unix(m.at)-unix(last.marks[len(last.marks)-1].at) < lay.near {
				join(last, m)
				continue
			}
		}
		c := &cluster{marks: []mark{m}}
		first := 0
		if n := len(out); n > 0 && out[n-1].row == 0 {
			first = 1 // alternate, so neighbours sit apart
		}
		if place(c, first, false) || place(c, 1-first, false) {
			out = append(out, c)
			continue
		}
		join(out[len(out)-1], m) // no room on either row
	}
	return out
}

// clusterLabel names up to three marks, or counts them.
func clusterLabel(c []mark, what string) string {
	if len(c) <= 3 {
		parts := make([]string, len(c))
		for i, m := range c {
			parts[i] = m.label
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprintf("%s +%d more %s", c[0].label, len(c)-1, what)
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// timeTicks puts ticks on round UTC times (every 1m, 5m ... 1 day), about
// six of them, labelled with the clock time, and the date once the axis
// spans days.
type timeTicks struct{}

var tickSteps = []time.Duration{
	10 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute,
	15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour,
	12 * time.Hour, 24 * time.Hour, 48 * time.Hour, 7 * 24 * time.Hour,
}

func (timeTicks) Ticks(min, max float64) []plot.Tick {
	span := time.Duration((max - min) * 1e9)
	step := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		if span/s <= 7 {
			step = s
			break
		}
	}
	format := "15:04"
	switch {
	case step >= 24*time.Hour:
		format = "Jan 2"
	case span >= 36*time.Hour:
		format = "Jan 2 15:04"
	case step < time.Minute:
		format = "15:04:05"
	}
	first := math.Ceil(min/step.Seconds()) * step.Seconds()
	var ticks []plot.Tick
	for v := first; v <= max; v += step.Seconds() {
		ticks = append(ticks, plot.Tick{Value: v, Label: time.Unix(int64(v), 0).UTC().Format(format)})
	}
	return ticks
}

// oneLine folds a text's line breaks and tabs into spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// clip shortens s to n runes, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
