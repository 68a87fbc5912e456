package bot

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Monitoring declares faults by itself (PRODUCT.md, "Alerts"): a firing
// alert whose key has no open fault declares one, through Declare like a
// person would; the same key again joins that fault; a more severe alert
// re-grades it up, through Regrade; when every alert has resolved the war
// room is told (and, with AlertPolicy.AutoMitigate, Mitigate marks it
// mitigated); a key firing again after its fault was resolved opens a new
// fault that names the earlier one.
//
// An alert is no person, so the permissions table (which names roles and
// people) does not speak of it: Actor{Via: ViaAlert} may do exactly what the
// spec gives monitoring — record its alerts, re-grade up and mark
// mitigated — and nothing else, whatever `permissions:` says (see enter).

// Alert statuses.
const (
	AlertFiring   = "firing"
	AlertResolved = "resolved"
)

// AlertNewsEvery is how often, at most, a war room hears what changed in
// its alerts. Changes in between are told together when the minute is up
// (by the next delivery, or by Tick).
const AlertNewsEvery = time.Minute

// Alert is one monitoring alert, as the hooks normalise it from
// Alertmanager, Grafana or the generic JSON. Its JSON is what the inbox
// keeps until the alert is acted on.
type Alert struct {
	// Key is the dedup key: the alert group's (Alertmanager's groupKey) or,
	// with `group: alert`, the alert's own fingerprint. One key, one open
	// fault.
	Key string `json:"key"`
	// Fingerprint tells the alerts of one key apart; "" is the Key.
	Fingerprint string `json:"fingerprint,omitempty"`
	Status      string `json:"status"`          // AlertFiring or AlertResolved
	Level       Level  `json:"level,omitempty"` // mapped from its level label; required when firing
	// Title is what the alert says is wrong: its summary annotation, else
	// its name and service.
	Title   string            `json:"title,omitempty"`
	Service string            `json:"service,omitempty"` // the affected service, from a label; the catalog may not know it
	Cause   string            `json:"cause,omitempty"`   // the suspected-cause service, from a label
	Kind    string            `json:"kind,omitempty"`    // the kind of fault, from a label (alertname)
	Labels  map[string]string `json:"labels,omitempty"`
	// Details is more for the war room: a description, a runbook, a link.
	Details  string    `json:"details,omitempty"`
	StartsAt time.Time `json:"starts_at,omitzero"`
	EndsAt   time.Time `json:"ends_at,omitzero"`
}

// AlertBatch is one delivery from a monitoring source.
type AlertBatch struct {
	// Source is the sender (alertmanager, grafana, generic): the actor of
	// what its alerts do, and the namespace of their keys.
	Source string `json:"source"`
	// Group orders the work: one group's deliveries are acted on in the
	// order they came (Alertmanager's groupKey; the generic key).
	Group  string  `json:"group"`
	Alerts []Alert `json:"alerts"`
	// Resolved says the whole group has resolved, alerts the delivery left
	// out included (Alertmanager's status, in group mode: it stands for
	// the alerts max_alerts cut, which are never listed).
	Resolved bool `json:"resolved,omitempty"`
	// Truncated counts the alerts the source left out (truncatedAlerts).
	Truncated int `json:"truncated,omitempty"`
}

// Limits on what a delivery may hold; the hooks stay well inside them.
const (
	maxAlertKey    = 4096
	maxAlertTitle  = 300 // as a declared title
	maxAlertDetail = 1000
)

var sourceRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// Validate checks a batch as the core will act on it: a source name, and
// alerts each with a key and a status, firing ones with a level.
func (batch AlertBatch) Validate() error {
	if !sourceRe.MatchString(batch.Source) {
		return Errorf(EINVALID, "alert source %q is not a name (a-z, 0-9, _ and -)", batch.Source)
	}
	if len(batch.Alerts) == 0 {
		return Errorf(EINVALID, "the delivery has no alerts")
	}
	if batch.Truncated < 0 {
		return Errorf(EINVALID, "truncated alerts %d: not a count", batch.Truncated)
	}
	for i, a := range batch.Alerts {
		switch {
		case strings.TrimSpace(a.Key) == "":
			return Errorf(EINVALID, "alert %d has no key", i+1)
		case len(a.Key) > maxAlertKey || len(a.Fingerprint) > maxAlertKey:
			return Errorf(EINVALID, "alert %d: the key is over %d bytes", i+1, maxAlertKey)
		case a.Status != AlertFiring && a.Status != AlertResolved:
			return Errorf(EINVALID, "alert %d: status %q: use firing or resolved", i+1, a.Status)
		}
		if a.Status == AlertFiring || a.Level != "" {
			if _, err := ParseLevel(string(a.Level)); err != nil {
				return Errorf(EINVALID, "alert %d: %s", i+1, ErrorMessage(err))
			}
		}
	}
	return nil
}

// fingerprint is the alert's identity within its key.
func (a Alert) fingerprint() string {
	if a.Fingerprint != "" {
		return a.Fingerprint
	}
	return a.Key
}

// AlertPolicy is what the config's `alerts:` asks of the core.
type AlertPolicy struct {
	// AutoMitigate marks a fault mitigated when every one of its alerts has
	// resolved.
	AutoMitigate bool
}

// UseAlertPolicy sets how alerts act on their faults.
func (b *Bot) UseAlertPolicy(p AlertPolicy) { b.alerts.policy = p }

// AlertCount is what one source's alerts did since the process started, for
// the metrics endpoint to export.
type AlertCount struct {
	Processed    int64 `json:"processed"`    // alerts acted on
	Declared     int64 `json:"declared"`     // faults they declared
	Deduplicated int64 `json:"deduplicated"` // alerts that found their key's fault open, and joined it
	Ignored      int64 `json:"ignored"`      // resolved alerts with no open fault to tell
}

// AlertCounts returns the counts by source.
func (b *Bot) AlertCounts() map[string]AlertCount {
	b.alerts.mu.Lock()
	defer b.alerts.mu.Unlock()
	return maps.Clone(b.alerts.counts)
}

func (b *Bot) countAlerts(source string, fn func(c *AlertCount)) {
	b.alerts.mu.Lock()
	defer b.alerts.mu.Unlock()
	if b.alerts.counts == nil {
		b.alerts.counts = map[string]AlertCount{}
	}
	c := b.alerts.counts[source]
	fn(&c)
	b.alerts.counts[source] = c
}

// alertState is the Bot's alert machinery: policy, counters, the per-key
// locks and the intake's queue.
type alertState struct {
	policy AlertPolicy
	mu     sync.Mutex
	counts map[string]AlertCount
	// keys serialise the deliveries of one key in this process, so that
	// they do not race each other to declare; the store's
	// CreateAlertFault settles races with other processes.
	keys   keyLocks[alertKey]
	intake alertIntake
}

// alertKey is one source's alert key.
type alertKey struct{ source, key string }

func (b *Bot) alertLock(source, key string) func() {
	return b.alerts.keys.lock(alertKey{source, key})
}

// AlertResult is what one key's alerts of a batch did.
type AlertResult struct {
	Key      string `json:"key"`
	Fault    int64  `json:"fault,omitempty"`    // the fault they declared or joined; 0: none
	Declared bool   `json:"declared,omitempty"` // they declared it
	Earlier  int64  `json:"earlier,omitempty"`  // the key's resolved fault that a new one follows
	Firing   int    `json:"firing"`             // alerts that began firing
	Resolved int    `json:"resolved"`           // alerts that resolved
	Repeats  int    `json:"repeats"`            // alerts that said nothing new
}

// Alerts acts on a batch of alerts, key by key: declare, join, re-grade up,
// tell, mitigate. It is the use case behind the hooks (through the intake,
// TakeAlerts); it may be called directly, and is safe for concurrent use.
func (b *Bot) Alerts(ctx context.Context, batch AlertBatch) ([]AlertResult, error) {
	if err := batch.Validate(); err != nil {
		return nil, err
	}
	ak, ok := b.store.(AlertKeys)
	if !ok {
		return nil, Errorf(EUNAVAILABLE, "this store keeps no alert index, so alerts cannot find their faults")
	}
	var (
		keys []string
		by   = map[string][]Alert{}
	)
	for _, a := range batch.Alerts {
		if _, ok := by[a.Key]; !ok {
			keys = append(keys, a.Key)
		}
		by[a.Key] = append(by[a.Key], a)
	}
	var out []AlertResult
	for _, key := range keys {
		res, err := b.alertKey(ctx, ak, batch, key, by[key])
		if err != nil {
			return out, err
		}
		out = append(out, res)
	}
	return out, nil
}

// alertKey acts on one key's alerts.
func (b *Bot) alertKey(ctx context.Context, ak AlertKeys, batch AlertBatch, key string, alerts []Alert) (AlertResult, error) {
	defer b.alertLock(batch.Source, key)()
	b.countAlerts(batch.Source, func(c *AlertCount) { c.Processed += int64(len(alerts)) })
	actor := Actor{Person: Person{ID: batch.Source}, Via: ViaAlert}
	for range 3 {
		var earlier *Fault
		id, err := ak.AlertFault(ctx, batch.Source, key)
		switch {
		case err == nil:
			res, resolved, retry, err := b.joinAlerts(ctx, actor, id, batch, alerts)
			if retry {
				continue // changed meanwhile: look again
			}
			if resolved == nil {
				res.Key = key
				if err == nil {
					b.countAlerts(batch.Source, func(c *AlertCount) { c.Deduplicated += int64(len(alerts)) })
				}
				return res, err
			}
			earlier = resolved
		case ErrorCode(err) != ENOTFOUND:
			return AlertResult{Key: key}, err
		}
		var firing []Alert
		for _, a := range alerts {
			if a.Status == AlertFiring {
				firing = append(firing, a)
			}
		}
		if len(firing) == 0 {
			// Resolved, with nothing open to tell: it resolved before we
			// heard of it, or after a person closed its fault.
			b.countAlerts(batch.Source, func(c *AlertCount) { c.Ignored += int64(len(alerts)) })
			return AlertResult{Key: key, Repeats: len(alerts)}, nil
		}
		res, created, err := b.declareAlerts(ctx, batch, key, firing, earlier)
		if err != nil || created {
			return res, err
		}
		// Another delivery (another process) declared it first: join it.
	}
	return AlertResult{Key: key}, Errorf(ECONFLICT, "the fault of alert key %q kept changing; the alerts will be acted on again", Clip(key, 80))
}

// declareAlerts declares a fault for a key's firing alerts: the most severe
// one gives its level, title, services and kind. Its alert events and what
// the war room is first told of them are recorded with the declaration.
func (b *Bot) declareAlerts(ctx context.Context, batch AlertBatch, key string, firing []Alert, earlier *Fault) (AlertResult, bool, error) {
	res := AlertResult{Key: key}
	lead := firing[0]
	for _, a := range firing[1:] {
		if a.Level.Rank() < lead.Level.Rank() {
			lead = a
		}
	}
	service, cause, kind := lead.Service, lead.Cause, lead.Kind
	for _, a := range firing {
		service, cause, kind = Or(service, a.Service), Or(cause, a.Cause), Or(kind, a.Kind)
	}
	title := strings.Join(strings.Fields(lead.Title), " ")
	if title == "" {
		title = strings.TrimSpace(Or(kind, "alert") + " on " + Or(service, "an unknown service"))
	}
	title = Clip(title, maxAlertTitle)

	now := b.clock.Now()
	scratch := &Fault{Level: lead.Level}
	evs := alertEvents(scratch, batch.Source, firing, false, now)
	for _, e := range evs {
		Apply(scratch, e)
	}
	res.Firing = len(evs)
	res.Repeats = len(firing) - len(evs)

	var lines []string
	lines = append(lines, fmt.Sprintf("🔔 declared by %s: %s", batch.Source, alertList(alertNames(scratch, scratch.Alerts), "firing")))
	if d := strings.TrimSpace(lead.Details); d != "" {
		lines = append(lines, "Details: "+Clip(strings.Join(strings.Fields(d), " "), maxAlertDetail))
	}
	if batch.Truncated > 0 {
		lines = append(lines, fmt.Sprintf("(%s left %d more alerts of this group out of its message)", batch.Source, batch.Truncated))
	}
	if earlier != nil {
		res.Earlier = earlier.ID
		lines = append(lines, fmt.Sprintf("↩ these alerts fired before: %s (%s), resolved at %s; this is a new fault", earlier.Ref(), earlier.Title, ClockTime(earlier.ResolvedAt, now)))
	}
	for _, s := range []struct{ what, name string }{{"service", service}, {"cause", cause}} {
		if s.name == "" {
			continue
		}
		if _, err := b.catalog.Service(s.name); err != nil {
			lines = append(lines, fmt.Sprintf("⚠️ the alert's %s %q is not in the catalog, so nobody was invited as its contact: add it under services: in the config, or /%s invite @person", s.what, s.name, b.opts.Command))
		}
	}
	lines = append(lines, fmt.Sprintf("Nobody handles it yet: the first to check in (/%s checkin) becomes the handler", b.opts.Command))
	told := strings.Join(lines, "\n")
	evs = append(evs, Event{Type: EventAlertsTold, At: now, Actor: ActorBot, Text: told})

	f, created, err := b.declare(ctx, DeclareRequest{
		Actor: batch.Source, Via: ViaAlert, Level: lead.Level, Title: title,
		Service: service, Cause: cause, Kind: kind,
		alertKey: key, unlisted: true, events: evs, after: told,
	})
	switch {
	case f == nil:
		return res, false, err
	case !created:
		return res, false, nil
	}
	res.Fault, res.Declared = f.ID, true
	b.countAlerts(batch.Source, func(c *AlertCount) { c.Declared++ })
	if err != nil && ErrorCode(err) == EUNAVAILABLE {
		// Declared, but the platform failed (channel, kickoff): that is
		// recorded and logged; the alerts are acted on.
		b.log.Warn("alert declared a fault, but the chat platform failed", "fault", f.ID, "err", err)
		err = nil
	}
	return res, true, err
}

// joinAlerts adds a key's alerts to its fault, when it is open. resolved is
// the fault when it is not (a person resolved it: the alerts declare a new
// one); retry says it changed meanwhile: look the key up again.
func (b *Bot) joinAlerts(ctx context.Context, actor Actor, id int64, batch AlertBatch, alerts []Alert) (res AlertResult, resolved *Fault, retry bool, err error) {
	var (
		up       Level
		mitigate bool
	)
	r, err := b.act(ctx, actor, id, ask{command: alertCommand}, func(f *Fault) (string, error) {
		now := b.clock.Now()
		evs := alertEvents(f, batch.Source, alerts, batch.Resolved, now)
		if err := b.record(ctx, f, evs...); err != nil {
			return "", err
		}
		for _, e := range evs {
			if e.Type == EventAlertFiring {
				res.Firing++
			} else {
				res.Resolved++
			}
		}
		res.Fault, res.Repeats = f.ID, max(0, len(alerts)-len(evs))
		up = f.alertLevel()
		mitigate = b.alerts.policy.AutoMitigate && f.Status == StatusOpen && len(f.Alerts) > 0 && f.FiringAlerts() == 0
		return "", b.tellAlerts(ctx, f, now)
	})
	if r.Fault != nil && !r.Fault.Open() {
		return res, r.Fault, false, nil
	}
	if err != nil {
		return res, nil, ErrorCode(err) == ECONFLICT, err
	}
	if up != "" {
		if _, err := b.Regrade(ctx, actor, id, up); err != nil {
			b.log.Warn("alert re-grade", "fault", id, "level", up, "err", err)
		}
	}
	if mitigate {
		if _, err := b.Mitigate(ctx, actor, id, "every alert has resolved; alerts.auto_mitigate is on"); err != nil && ErrorCode(err) != EINVALID {
			b.log.Warn("alert auto-mitigate", "fault", id, "err", err)
		}
	}
	return res, nil, false, nil
}

// Alert events. Actor is the source (alertmanager, grafana, generic); Via
// is the alert's fingerprint.
const (
	// EventAlertFiring: an alert of the fault's key began firing (or was
	// firing when it declared the fault). Text=title, Level, Service,
	// Cause, Kind as the alert's labels give them, Params=its labels.
	EventAlertFiring EventType = "alert_firing"
	// EventAlertResolved: a firing alert of the fault resolved. Text=title.
	EventAlertResolved EventType = "alert_resolved"
	// EventAlertsTold: the war room was told what changed in its alerts
	// (at most once every AlertNewsEvery). Actor=warroom, Text=what it was
	// told.
	EventAlertsTold EventType = "alerts_told"
)

// alertCommand is the row an alert's own events are authorised under.
const alertCommand = "alert"

// alertMay are the commands an alert may run on a fault (see enter).
var alertMay = map[string]bool{alertCommand: true, "level": true, "mitigated": true}

// alertEvents are the events that bring f's alerts to what a delivery says:
// an alert that begins firing, or resolves, is an event; one that says what
// the fault knows already is none. groupResolved resolves every firing
// alert, listed or not.
func alertEvents(f *Fault, source string, alerts []Alert, groupResolved bool, now time.Time) []Event {
	firing := map[string]bool{}
	for _, a := range f.Alerts {
		firing[a.Fingerprint] = a.Firing
	}
	var evs []Event
	for _, a := range alerts {
		fp := a.fingerprint()
		was, seen := firing[fp]
		switch {
		case a.Status == AlertFiring && !was:
			evs = append(evs, Event{Type: EventAlertFiring, At: now, Actor: source, Via: fp,
				Text: Clip(strings.Join(strings.Fields(a.Title), " "), maxAlertTitle), Level: a.Level,
				Service: a.Service, Cause: a.Cause, Kind: a.Kind, Params: maps.Clone(a.Labels)})
			firing[fp] = true
		case a.Status == AlertResolved && seen && was:
			evs = append(evs, Event{Type: EventAlertResolved, At: now, Actor: source, Via: fp, Text: Clip(strings.Join(strings.Fields(a.Title), " "), maxAlertTitle)})
			firing[fp] = false
		}
	}
	if groupResolved {
		for _, a := range f.Alerts {
			if firing[a.Fingerprint] {
				evs = append(evs, Event{Type: EventAlertResolved, At: now, Actor: source, Via: a.Fingerprint, Text: a.Title})
				firing[a.Fingerprint] = false
			}
		}
	}
	return evs
}

// FaultAlert is one monitoring alert of a fault, folded from its alert
// events.
type FaultAlert struct {
	Source      string            `json:"source"`
	Fingerprint string            `json:"fingerprint"`
	Title       string            `json:"title"`
	Level       Level             `json:"level,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Firing      bool              `json:"firing"`
	FiredAt     time.Time         `json:"fired_at"`
	ResolvedAt  time.Time         `json:"resolved_at,omitzero"`
	seq         int               // the event that last changed it
}

// FiringAlerts counts the fault's alerts that are firing.
func (f *Fault) FiringAlerts() int {
	n := 0
	for _, a := range f.Alerts {
		if a.Firing {
			n++
		}
	}
	return n
}

func applyAlert(f *Fault, e Event) {
	i := slices.IndexFunc(f.Alerts, func(a FaultAlert) bool { return a.Source == e.Actor && a.Fingerprint == e.Via })
	switch e.Type {
	case EventAlertFiring:
		if i < 0 {
			f.Alerts = append(f.Alerts, FaultAlert{Source: e.Actor, Fingerprint: e.Via})
			i = len(f.Alerts) - 1
		}
		a := &f.Alerts[i]
		a.Title, a.Level, a.Labels, a.Firing, a.FiredAt, a.ResolvedAt, a.seq = e.Text, e.Level, e.Params, true, e.At, time.Time{}, e.Seq
	case EventAlertResolved:
		if i >= 0 {
			a := &f.Alerts[i]
			a.Firing, a.ResolvedAt, a.seq = false, e.At, e.Seq
		}
	case EventAlertsTold:
		f.AlertsToldAt, f.alertsTold = e.At, e.Seq
	}
}

// alertLevel is the level an alert asks the fault to be re-graded to: the
// most severe of the alerts that began firing since the fault's level was
// last set, when it is more severe than that level; "" for none. A person's
// grading stands against the alerts they had seen; only a new, more severe
// alert re-grades up, never down.
func (f *Fault) alertLevel() Level {
	var up Level
	for _, a := range f.Alerts {
		if a.Firing && a.seq > f.levelSeq && a.Level.Rank() < f.Level.Rank() && (up == "" || a.Level.Rank() < up.Rank()) {
			up = a.Level
		}
	}
	return up
}

// alertNewsDue reports whether the war room has alert news it may hear now.
func (f *Fault) alertNewsDue(now time.Time) bool {
	t, ok := f.alertNewsAt()
	return ok && !now.Before(t)
}

// alertNewsAt is when the war room may next hear what changed in its
// alerts, and false when nothing has changed since it was last told.
func (f *Fault) alertNewsAt() (time.Time, bool) {
	if f.Channel == "" || !slices.ContainsFunc(f.Alerts, func(a FaultAlert) bool { return a.seq > f.alertsTold }) {
		return time.Time{}, false
	}
	if f.AlertsToldAt.IsZero() {
		return f.DeclaredAt, true // never told: due at once
	}
	return f.AlertsToldAt.Add(AlertNewsEvery), true
}

// tellAlerts tells the war room what changed in its alerts since it was
// last told, when it may hear it (at most once every AlertNewsEvery). A
// failed post is logged and told again later.
func (b *Bot) tellAlerts(ctx context.Context, f *Fault, now time.Time) error {
	if !f.alertNewsDue(now) {
		return nil
	}
	var fired, resolved []FaultAlert
	for _, a := range f.Alerts {
		switch {
		case a.seq <= f.alertsTold:
		case a.Firing:
			fired = append(fired, a)
		default:
			resolved = append(resolved, a)
		}
	}
	source := f.Alerts[0].Source
	firing, total := f.FiringAlerts(), len(f.Alerts)
	var text string
	if firing == 0 {
		text = fmt.Sprintf("✅ %s: every alert has resolved (%d of %d)", source, total, total)
		if len(resolved) > 0 {
			text += " — last " + alertList(alertNames(f, resolved), "resolved")
		}
		if f.Status == StatusOpen {
			text += fmt.Sprintf("; /%s resolve when recovery is complete", b.opts.Command)
		}
	} else {
		var parts []string
		if len(fired) > 0 {
			word := "began firing"
			if f.Status == StatusMitigated {
				word = "began firing, though the fault is marked mitigated"
			}
			parts = append(parts, alertList(alertNames(f, fired), word))
		}
		if len(resolved) > 0 {
			parts = append(parts, alertList(alertNames(f, resolved), "resolved"))
		}
		text = fmt.Sprintf("🔔 %s: %s — %d of %d firing now", source, strings.Join(parts, " · "), firing, total)
	}
	if _, err := b.adapter.Post(ctx, f.Channel, Message{Kind: KindNotice, Text: text}); err != nil {
		b.log.Warn("telling the war room of its alerts", "fault", f.ID, "err", err)
		return nil
	}
	return b.record(ctx, f, Event{Type: EventAlertsTold, Actor: ActorBot, Text: text})
}

// alertList renders alert names: "2 alerts firing: a; b", capped.
func alertList(names []string, word string) string {
	const show = 5
	n := len(names)
	noun := "alerts"
	if n == 1 {
		noun = "alert"
	}
	list := names
	more := ""
	if n > show {
		list, more = names[:show], fmt.Sprintf("; and %d more", n-show)
	}
	return fmt.Sprintf("%d %s %s: %s%s", n, noun, word, strings.Join(list, "; "), more)
}

// alertNames names alerts for the war room: each one's title, with the
// labels that tell it from the fault's other alerts (instance=web-1).
func alertNames(f *Fault, alerts []FaultAlert) []string {
	// A label distinguishes when the fault's alerts do not all share it.
	shared := map[string]string{}
	for i, a := range f.Alerts {
		if i == 0 {
			maps.Copy(shared, a.Labels)
			continue
		}
		for k, v := range shared {
			if a.Labels[k] != v {
				delete(shared, k)
			}
		}
	}
	out := make([]string, 0, len(alerts))
	for _, a := range alerts {
		name := Or(a.Title, a.Fingerprint)
		var keys []string
		for k := range a.Labels {
			if _, ok := shared[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		if len(keys) > 3 {
			keys = keys[:3]
		}
		var kv []string
		for _, k := range keys {
			kv = append(kv, k+"="+Clip(a.Labels[k], 60))
		}
		if a.Level != "" && a.Level != f.Level {
			kv = append(kv, string(a.Level))
		}
		if len(kv) > 0 {
			name += " (" + strings.Join(kv, ", ") + ")"
		}
		out = append(out, name)
	}
	return out
}

// declarer names who declared f: a person's mention, or the monitoring
// source that did ("an alert from alertmanager").
func (b *Bot) declarer(f *Fault) string {
	if len(f.Alerts) > 0 && f.Alerts[0].Source == f.DeclaredBy {
		return "an alert from " + f.DeclaredBy
	}
	return b.mention(f.DeclaredBy)
}

// describeAlert renders an alert event as a line of the timeline.
func describeAlert(e Event) string {
	switch e.Type {
	case EventAlertFiring:
		s := fmt.Sprintf("%s: alert firing: %s", e.Actor, Or(e.Text, e.Via))
		if e.Level != "" {
			s += " (" + string(e.Level) + ")"
		}
		return s
	case EventAlertResolved:
		return fmt.Sprintf("%s: alert resolved: %s", e.Actor, Or(e.Text, e.Via))
	}
	return "war room told of its alerts: " + strings.ReplaceAll(e.Text, "\n", " · ")
}
