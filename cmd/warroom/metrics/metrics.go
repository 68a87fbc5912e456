// Package metrics serves GET /metrics: warroom's figures in Prometheus's
// text format, on a registry of its own (nothing registers on the global
// one, and no go_ or process_ collector is added: the spec names warroom_*
// only, and a scrape describes the war rooms, not the Go runtime).
//
// The core, the adapters and the pager know nothing of Prometheus: each
// has a small observer port (bot.Observer, adapters.CallObserver,
// pager.Observer) that Metrics implements. What the store and the alert
// hooks already keep (open faults, alert counts) is read at scrape time.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/warroom/warroom/adapters"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/alerts"
	"github.com/warroom/warroom/cmd/warroom/pager"
)

// Options are where the scrape-time figures come from.
type Options struct {
	// Store is counted for warroom_faults_open at each scrape; nil: the
	// gauge is not served.
	Store bot.Store
	// Alerts are the alert hooks' counts by source; nil (the hooks are
	// off): no alert figures.
	Alerts func() map[string]alerts.Counts
	// Log hears a scrape that failed in part (the store down); nil: none.
	Log *slog.Logger
}

// ScrapeTimeout bounds the store's count in one scrape.
const ScrapeTimeout = 5 * time.Second

// Buckets of the time histograms, in seconds: from a quick check-in (15 s)
// to a fault that ran for days.
var (
	CheckinBuckets = []float64{15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200}
	RecoverBuckets = []float64{60, 300, 600, 1800, 3600, 7200, 14400, 28800, 86400, 259200}
)

// Metrics is the registry and what feeds it. It is safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry
	log *slog.Logger

	declared     *prometheus.CounterVec   // source, level
	firstCheckin *prometheus.HistogramVec // level
	mitigate     *prometheus.HistogramVec // level
	resolve      *prometheus.HistogramVec // level
	reminders    *prometheus.CounterVec   // level
	escalations  *prometheus.CounterVec   // level
	runs         *prometheus.CounterVec   // plan, outcome
	pages        *prometheus.CounterVec   // provider, kind, outcome
	calls        *prometheus.CounterVec   // platform, status
	limited      *prometheus.CounterVec   // platform
}

var (
	_ bot.Observer          = (*Metrics)(nil)
	_ adapters.CallObserver = (*Metrics)(nil)
	_ pager.Observer        = (*Metrics)(nil)
	_ prometheus.Collector  = (*faultsCollector)(nil)
	_ prometheus.Collector  = (*alertsCollector)(nil)
)

// New returns the metrics, registered on a new private registry.
func New(o Options) *Metrics {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "warroom", Name: name, Help: help}, labels)
	}
	histogram := func(name, help string, buckets []float64) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "warroom", Name: name, Help: help, Buckets: buckets}, []string{"level"})
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		log: o.Log,
		declared: counter("faults_declared_total",
			"Faults declared, by where the declaration came from (chat, api, web, alert) and level.", "source", "level"),
		firstCheckin: histogram("time_to_first_checkin_seconds",
			"From a fault's declaration to its first check-in other than the declarer's own, by level then.", CheckinBuckets),
		mitigate: histogram("time_to_mitigate_seconds",
			"From a fault's declaration to its mitigation (a resolve without one counts), by level then.", RecoverBuckets),
		resolve: histogram("time_to_resolve_seconds",
			"From a fault's declaration to its resolution, by level then.", RecoverBuckets),
		reminders: counter("reminders_total",
			"Handlers reminded to post an update, by the fault's level.", "level"),
		escalations: counter("escalations_total",
			"Missed updates escalated to the commander, by the fault's level.", "level"),
		runs: counter("plan_runs_total",
			"Plan runs ended, by plan and outcome (succeeded, failed, cancelled, interrupted, denied, expired).", "plan", "outcome"),
		pages: counter("pages_total",
			"Pages by provider, kind (page, notify, opened, closed) and outcome (sent, failed, skipped).", "provider", "kind", "outcome"),
		calls: counter("chat_api_calls_total",
			"Calls to the chat platform's API, by platform and HTTP status (\"error\": no answer).", "platform", "status"),
		limited: counter("chat_api_rate_limited_total",
			"Calls to the chat platform's API answered 429 Too Many Requests, by platform.", "platform"),
	}
	m.reg.MustRegister(m.declared, m.firstCheckin, m.mitigate, m.resolve, m.reminders, m.escalations,
		m.runs, m.pages, m.calls, m.limited)
	if o.Store != nil {
		m.reg.MustRegister(newFaultsCollector(o.Store))
	}
	if o.Alerts != nil {
		m.reg.MustRegister(newAlertsCollector(o.Alerts))
	}
	return m
}

// Registry is the private registry, for tests and for adding collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// CountAlerts serves the alert hooks' counts, which exist only once the
// hooks are built (after the core that the metrics hear).
func (m *Metrics) CountAlerts(counts func() map[string]alerts.Counts) {
	m.reg.MustRegister(newAlertsCollector(counts))
}

// Handler serves the registry. A collector that fails (the store down)
// leaves its figures out and is logged; the rest are served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      slogErrors{m.log},
		ErrorHandling: promhttp.ContinueOnError,
	})
}

// Recorded counts what the core recorded (bot.Observer).
func (m *Metrics) Recorded(r bot.Recorded) {
	f := r.Fault
	for _, e := range r.Events {
		switch e.Type {
		case bot.EventDeclared:
			m.declared.WithLabelValues(orUnknown(r.Via), string(e.Level)).Inc()
		case bot.EventReminded:
			m.reminders.WithLabelValues(string(f.Level)).Inc()
		case bot.EventEscalated:
			m.escalations.WithLabelValues(string(f.Level)).Inc()
		case bot.EventRunEnded:
			m.runs.WithLabelValues(planOf(f, e.Run), orUnknown(e.Via)).Inc()
		case bot.EventRunDenied:
			m.runs.WithLabelValues(planOf(f, e.Run), string(bot.RunDenied)).Inc()
		case bot.EventRunExpired:
			m.runs.WithLabelValues(planOf(f, e.Run), string(bot.RunExpired)).Inc()
		}
	}
	for _, ms := range r.Milestones {
		var h *prometheus.HistogramVec
		switch ms.Kind {
		case bot.MilestoneFirstCheckin:
			h = m.firstCheckin
		case bot.MilestoneMitigated:
			h = m.mitigate
		case bot.MilestoneResolved:
			h = m.resolve
		default:
			continue
		}
		// A sender's clock behind ours cannot make a negative time.
		h.WithLabelValues(string(ms.Level)).Observe(max(0, ms.After.Seconds()))
	}
}

// ObserveCall counts a call to a chat platform's API
// (adapters.CallObserver).
func (m *Metrics) ObserveCall(platform string, status int, err error) {
	code := "error"
	if err == nil {
		code = strconv.Itoa(status)
	}
	m.calls.WithLabelValues(platform, code).Inc()
	if status == http.StatusTooManyRequests {
		m.limited.WithLabelValues(platform).Inc()
	}
}

// Paged counts one provider's outcome for a page (pager.Observer).
func (m *Metrics) Paged(provider, kind, outcome string) {
	m.pages.WithLabelValues(provider, kind, outcome).Inc()
}

func planOf(f *bot.Fault, num int) string {
	if f != nil {
		if r, ok := f.Run(num); ok {
			return r.Plan
		}
	}
	return "unknown"
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// slogErrors is promhttp's error log on slog.
type slogErrors struct{ log *slog.Logger }

func (l slogErrors) Println(v ...any) {
	l.log.Warn("metrics scrape", "err", v)
}

// faultsCollector counts the store's open faults at each scrape, so that
// the gauge is what the store holds (whoever wrote it, since whenever)
// rather than a tally this process kept since it started.
type faultsCollector struct {
	store bot.Store
	desc  *prometheus.Desc
}

func newFaultsCollector(s bot.Store) *faultsCollector {
	return &faultsCollector{store: s, desc: prometheus.NewDesc("warroom_faults_open",
		"Faults not resolved, by level and status (open, mitigated), as the store holds them at the scrape.",
		[]string{"level", "status"}, nil)}
}

func (c *faultsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *faultsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), ScrapeTimeout)
	defer cancel()
	open := []bot.Status{bot.StatusOpen, bot.StatusMitigated}
	counts, err := bot.CountFaults(ctx, c.store, open...)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	type key struct {
		l bot.Level
		s bot.Status
	}
	n := map[key]int{}
	for _, fc := range counts {
		n[key{fc.Level, fc.Status}] += fc.N
	}
	// Every level and status, zeros too, so that a series does not vanish
	// when its last fault resolves.
	for _, l := range bot.Levels {
		for _, s := range open {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n[key{l, s}]), string(l), string(s))
			delete(n, key{l, s})
		}
	}
	for k, v := range n { // a level the store holds that Levels does not name
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(v), string(k.l), string(k.s))
	}
}

// alertsCollector reads the alert hooks' counts at each scrape: the hooks
// and the core count already (for their own logs and answers), and this
// does not count twice.
type alertsCollector struct {
	counts                               func() map[string]alerts.Counts
	received, dedup, deliveries, refused *prometheus.Desc
}

func newAlertsCollector(counts func() map[string]alerts.Counts) *alertsCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("warroom_"+name, help, labels, nil)
	}
	return &alertsCollector{counts: counts,
		received:   d("alerts_received_total", "Alerts in the deliveries the hooks took, by source.", "source"),
		dedup:      d("alerts_deduplicated_total", "Alerts that found their key's fault open and joined it, by source.", "source"),
		deliveries: d("alert_deliveries_total", "Deliveries the hooks took (2xx), by source.", "source"),
		refused:    d("alert_deliveries_refused_total", "Deliveries the hooks refused, by source and HTTP status.", "source", "status"),
	}
}

func (c *alertsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.received
	ch <- c.dedup
	ch <- c.deliveries
	ch <- c.refused
}

func (c *alertsCollector) Collect(ch chan<- prometheus.Metric) {
	for source, n := range c.counts() {
		ch <- prometheus.MustNewConstMetric(c.received, prometheus.CounterValue, float64(n.Received), source)
		ch <- prometheus.MustNewConstMetric(c.dedup, prometheus.CounterValue, float64(n.Deduplicated), source)
		ch <- prometheus.MustNewConstMetric(c.deliveries, prometheus.CounterValue, float64(n.Requests), source)
		for status, v := range n.Rejected {
			ch <- prometheus.MustNewConstMetric(c.refused, prometheus.CounterValue, float64(v), source, strconv.Itoa(status))
		}
	}
}
