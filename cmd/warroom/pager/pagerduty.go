package pager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/warroom/warroom/bot"
)

// PagerDutyAPI is PagerDuty's Events API (EU accounts:
// https://events.eu.pagerduty.com).
const PagerDutyAPI = "https://events.pagerduty.com"

// PagerDuty's limits on an event's fields.
const (
	maxSummary = 1024
	maxDedup   = 255
)

// PagerDutyConfig is a PagerDuty Events API v2 integration's settings.
type PagerDutyConfig struct {
	RoutingKey string      // the integration key of an Events API v2 integration
	Levels     []bot.Level // the levels that trigger alerts; nil = P1 and P2
	APIURL     string      // "" = PagerDutyAPI; a test server
}

// DefaultPagerDutyLevels are the levels PagerDuty hears of by default.
var DefaultPagerDutyLevels = []bot.Level{bot.P1, bot.P2}

// PagerDuty sends faults to PagerDuty as alerts, one per fault (see the
// package documentation).
type PagerDuty struct {
	cfg  PagerDutyConfig
	opts Options
}

var (
	_ Provider         = (*PagerDuty)(nil)
	_ bot.FaultTracker = (*PagerDuty)(nil)
)

// NewPagerDuty returns a PagerDuty provider.
func NewPagerDuty(cfg PagerDutyConfig, opts Options) (*PagerDuty, error) {
	if cfg.RoutingKey == "" {
		return nil, errors.New("pagerduty: no routing key")
	}
	if cfg.Levels == nil {
		cfg.Levels = DefaultPagerDutyLevels
	}
	if cfg.APIURL == "" {
		cfg.APIURL = PagerDutyAPI
	}
	cfg.APIURL = strings.TrimRight(cfg.APIURL, "/")
	return &PagerDuty{cfg: cfg, opts: opts.withDefaults()}, nil
}

// Name is "pagerduty".
func (d *PagerDuty) Name() string { return "pagerduty" }

// CanPage takes real pages of the configured levels.
func (d *PagerDuty) CanPage(p bot.Page) error {
	if p.Notify {
		return errors.New("pagerduty: stakeholder notifications are not sent to PagerDuty")
	}
	if !slices.Contains(d.cfg.Levels, p.Level) {
		return fmt.Errorf("pagerduty: %s faults are not sent to PagerDuty (levels %s)", levelName(p.Level), joinLevels(d.cfg.Levels))
	}
	return nil
}

// Page triggers the fault's alert, naming the person in its details.
func (d *PagerDuty) Page(ctx context.Context, p bot.Page) error {
	if err := d.CanPage(p); err != nil {
		return err
	}
	return d.send(ctx, "trigger", p)
}

// Opened triggers the fault's alert, for the configured levels.
func (d *PagerDuty) Opened(ctx context.Context, p bot.Page) error {
	if !slices.Contains(d.cfg.Levels, p.Level) {
		return nil
	}
	return d.send(ctx, "trigger", p)
}

// Closed resolves the fault's alert, whatever its level now: PagerDuty
// drops a resolve for an alert it does not have.
func (d *PagerDuty) Closed(ctx context.Context, p bot.Page) error {
	return d.send(ctx, "resolve", p)
}

// pdEvent is an Events API v2 event.
type pdEvent struct {
	RoutingKey  string     `json:"routing_key"`
	EventAction string     `json:"event_action"`
	DedupKey    string     `json:"dedup_key"`
	Payload     *pdPayload `json:"payload,omitempty"`
}

type pdPayload struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      string         `json:"severity"`
	Timestamp     string         `json:"timestamp,omitempty"`
	CustomDetails map[string]any `json:"custom_details,omitempty"`
}

// Severity is the PagerDuty severity of a level.
func Severity(l bot.Level) string {
	switch l {
	case bot.P1:
		return "critical"
	case bot.P2:
		return "error"
	case bot.P3:
		return "warning"
	case bot.P4:
		return "info"
	}
	return "error"
}

func (d *PagerDuty) send(ctx context.Context, action string, p bot.Page) error {
	ev := pdEvent{RoutingKey: d.cfg.RoutingKey, EventAction: action, DedupKey: dedup(p)}
	if action == "trigger" {
		details := map[string]any{"fault": p.FaultID, "level": string(p.Level)}
		if p.Person.ID != "" {
			details["person"] = p.Person.ID
			if p.Person.Name != "" {
				details["name"] = p.Person.Name
			}
		}
		summary := p.Text
		if summary == "" {
			summary = fmt.Sprintf("warroom %s fault %d", p.Level, p.FaultID)
		}
		ev.Payload = &pdPayload{
			Summary:       truncate(summary, maxSummary),
			Source:        "warroom",
			Severity:      Severity(p.Level),
			Timestamp:     d.opts.Clock.Now().UTC().Format(time.RFC3339),
			CustomDetails: details,
		}
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("pagerduty: %w", err)
	}
	ctx, cancel := d.opts.bound(ctx)
	defer cancel()
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
	if err := d.opts.send(ctx, request{
		provider: "pagerduty",
		what:     action,
		method:   http.MethodPost,
		url:      d.cfg.APIURL + "/v2/enqueue",
		body:     body,
		header:   h,
		describe: describePagerDuty,
	}); err != nil {
		return fmt.Errorf("pagerduty: %w", err)
	}
	return nil
}

// dedup is the page's dedup key, or the fault's own when the page has none.
func dedup(p bot.Page) string {
	if p.Dedup != "" {
		return truncate(p.Dedup, maxDedup)
	}
	return fmt.Sprintf("warroom-fault-%d", p.FaultID)
}

// describePagerDuty reads the Events API's error document:
// {"status": "invalid event", "message": "Event object is invalid", "errors": ["..."]}.
func describePagerDuty(status int, body []byte) string {
	var e struct {
		Message string   `json:"message"`
		Errors  []string `json:"errors"`
	}
	if json.Unmarshal(body, &e) != nil || e.Message == "" && len(e.Errors) == 0 {
		return snippet(body)
	}
	msg := e.Message
	if len(e.Errors) > 0 {
		if msg != "" {
			msg += ": "
		}
		msg += strings.Join(e.Errors, "; ")
	}
	return msg
}

func levelName(l bot.Level) string {
	if l == "" {
		return "unlevelled"
	}
	return string(l)
}

func joinLevels(ls []bot.Level) string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = string(l)
	}
	return strings.Join(s, ", ")
}
