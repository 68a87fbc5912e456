package alerts

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/warroom/warroom/bot"
)

// Message is the body Alertmanager's webhook posts (notify/webhook Message,
// version "4"), and the one Grafana's contact point posts (version "1",
// the same with a few fields more). Fields neither needs are left out:
// decoding ignores them, and whatever later versions add.
type Message struct {
	Version           string  `json:"version"`
	GroupKey          string  `json:"groupKey"`
	TruncatedAlerts   int     `json:"truncatedAlerts"`
	Status            string  `json:"status"`
	Receiver          string  `json:"receiver"`
	GroupLabels       Labels  `json:"groupLabels"`
	CommonLabels      Labels  `json:"commonLabels"`
	CommonAnnotations Labels  `json:"commonAnnotations"`
	ExternalURL       string  `json:"externalURL"`
	Alerts            []Entry `json:"alerts"`
	// Grafana's.
	Title   string `json:"title"`
	State   string `json:"state"`
	Message string `json:"message"`
}

// Entry is one alert of a Message.
type Entry struct {
	Status       string `json:"status"`
	Labels       Labels `json:"labels"`
	Annotations  Labels `json:"annotations"`
	StartsAt     string `json:"startsAt"`
	EndsAt       string `json:"endsAt"`
	GeneratorURL string `json:"generatorURL"`
	Fingerprint  string `json:"fingerprint"`
	// Grafana's.
	DashboardURL string `json:"dashboardURL"`
	PanelURL     string `json:"panelURL"`
}

// Labels are label (or annotation) names to values. Decoding is lenient: a
// number or boolean value is kept as its text; null and "" are absent, as
// an empty label is in Prometheus.
type Labels map[string]string

// UnmarshalJSON reads an object of scalars.
func (l *Labels) UnmarshalJSON(data []byte) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		*l = nil
		return nil
	}
	var plain map[string]string // what senders send: strings only
	if err := json.Unmarshal(data, &plain); err == nil {
		for k, v := range plain {
			if v == "" {
				delete(plain, k)
			}
		}
		*l = plain
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	out := make(Labels, len(raw))
	for k, v := range raw {
		v = bytes.TrimSpace(v)
		switch {
		case len(v) == 0 || bytes.Equal(v, []byte("null")):
		case v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return err
			}
			if s != "" {
				out[k] = s
			}
		case v[0] == '{' || v[0] == '[':
			return fmt.Errorf("label %q: expected a string, got %s", bot.Clip(k, 40), map[byte]string{'{': "an object", '[': "a list"}[v[0]])
		default: // a number, true, false
			out[k] = string(v)
		}
	}
	*l = out
	return nil
}

// decodeJSON reads one JSON object, and nothing after it.
func decodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return refuse(http.StatusBadRequest, "malformed JSON: %s", bot.Clip(jsonProblem(err), 200))
	}
	if dec.More() {
		return refuse(http.StatusBadRequest, "malformed JSON: more after the object")
	}
	return nil
}

func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			return fmt.Sprintf("expected an object, got %s", te.Value)
		}
		return fmt.Sprintf("%s: expected %s, got %s", field, te.Type, te.Value)
	}
	return err.Error()
}

// ParseMessage reads an Alertmanager (version "4") or Grafana (version
// "1") body. It checks the version, the groupKey and each alert's status;
// the rest is taken as it comes.
func ParseMessage(body []byte, source string) (*Message, error) {
	var m Message
	if err := decodeJSON(body, &m); err != nil {
		return nil, err
	}
	want := map[string]string{SourceAlertmanager: "4", SourceGrafana: "1"}[source]
	if m.Version != want {
		hint := "Alertmanager's webhook_configs"
		if source == SourceGrafana {
			hint = "a Grafana Alerting webhook contact point (legacy dashboard alerts are not supported)"
		}
		return nil, refuse(http.StatusBadRequest, "unsupported version %q: this hook takes version %s, as %s sends", bot.Clip(m.Version, 20), want, hint)
	}
	if strings.TrimSpace(m.GroupKey) == "" {
		return nil, refuse(http.StatusBadRequest, "no groupKey: the alert group is how alerts are deduplicated")
	}
	for i, a := range m.Alerts {
		if a.Status != bot.AlertFiring && a.Status != bot.AlertResolved {
			return nil, refuse(http.StatusBadRequest, "alerts[%d].status %q: expected firing or resolved", i, bot.Clip(a.Status, 20))
		}
	}
	return &m, nil
}

// Batch maps a parsed Message to the core's batch, with the config's label
// mapping.
func (c Config) Batch(m *Message, source string) bot.AlertBatch {
	group := shortKey(m.GroupKey)
	b := bot.AlertBatch{Source: source, Group: group, Truncated: max(0, m.TruncatedAlerts)}
	if !c.PerAlert {
		// The group's status stands for all its alerts, those max_alerts
		// left out included.
		b.Resolved = m.Status == bot.AlertResolved
	}
	for _, e := range m.Alerts {
		fp := e.Fingerprint
		if fp == "" {
			fp = labelsFingerprint(e.Labels)
		}
		fp = shortKey(fp)
		key := group
		if c.PerAlert {
			key = fp
		}
		a := bot.Alert{
			Key: key, Fingerprint: fp, Status: e.Status,
			Level:    c.level(e.Labels[c.Levels.Label]),
			Service:  e.Labels[c.ServiceLabel],
			Kind:     e.Labels[c.KindLabel],
			Labels:   map[string]string(e.Labels),
			StartsAt: parseTime(e.StartsAt), EndsAt: parseTime(e.EndsAt),
		}
		if c.CauseLabel != "" {
			a.Cause = e.Labels[c.CauseLabel]
		}
		a.Title = firstLine(bot.Or(e.Annotations["summary"], m.CommonAnnotations["summary"]))
		if a.Title == "" && e.Labels["alertname"] != "" {
			a.Title = e.Labels["alertname"]
			if a.Service != "" {
				a.Title += " on " + a.Service
			}
		}
		var details []string
		if d := bot.Or(e.Annotations["description"], e.Annotations["message"]); d != "" {
			details = append(details, d)
		}
		if rb := e.Annotations["runbook_url"]; rb != "" {
			details = append(details, "runbook: "+rb)
		}
		if u := bot.Or(e.DashboardURL, e.GeneratorURL); u != "" {
			details = append(details, "source: "+u)
		}
		a.Details = strings.Join(details, " · ")
		b.Alerts = append(b.Alerts, a)
	}
	return b
}

// Generic is the body of /hooks/generic: one alert.
type Generic struct {
	Key     string          `json:"key"`
	Status  string          `json:"status"`
	Level   string          `json:"level"`
	Title   string          `json:"title"`
	Service string          `json:"service"`
	Cause   string          `json:"cause"`
	Kind    string          `json:"kind"`
	Details json.RawMessage `json:"details"` // text, or any JSON
}

// ParseGeneric reads a generic body: a key and a status are required, and
// a level, if given, is P1..P4 or a value the level map knows.
func (c Config) ParseGeneric(body []byte) (bot.AlertBatch, error) {
	var g Generic
	if err := decodeJSON(body, &g); err != nil {
		return bot.AlertBatch{}, err
	}
	g.Key = strings.TrimSpace(g.Key)
	if g.Key == "" {
		return bot.AlertBatch{}, refuse(http.StatusBadRequest, `no "key": the key deduplicates the alert (the same key joins its open fault)`)
	}
	if g.Status != bot.AlertFiring && g.Status != bot.AlertResolved {
		return bot.AlertBatch{}, refuse(http.StatusBadRequest, `"status" %q: expected firing or resolved`, bot.Clip(g.Status, 20))
	}
	lvl := c.defaultLevel()
	if g.Level != "" {
		var ok bool
		if lvl, ok = c.knownLevel(g.Level); !ok {
			return bot.AlertBatch{}, refuse(http.StatusBadRequest, `"level" %q: expected P1, P2, P3, P4%s`, bot.Clip(g.Level, 20), c.mapValues())
		}
	}
	key := shortKey(g.Key)
	a := bot.Alert{
		Key: key, Fingerprint: key, Status: g.Status, Level: lvl,
		Title: firstLine(bot.Or(g.Title, g.Key)), Service: strings.TrimSpace(g.Service),
		Cause: strings.TrimSpace(g.Cause), Kind: strings.TrimSpace(g.Kind),
	}
	if d := bytes.TrimSpace(g.Details); len(d) > 0 && !bytes.Equal(d, []byte("null")) {
		var s string
		if json.Unmarshal(d, &s) == nil {
			a.Details = s
		} else {
			var buf bytes.Buffer
			if json.Compact(&buf, d) == nil {
				a.Details = buf.String()
			}
		}
	}
	return bot.AlertBatch{Source: SourceGeneric, Group: key, Alerts: []bot.Alert{a}}, nil
}

func (h *Hooks) alertmanager(_ *http.Request, body []byte) (bot.AlertBatch, error) {
	m, err := ParseMessage(body, SourceAlertmanager)
	if err != nil {
		return bot.AlertBatch{}, err
	}
	return h.cfg.Batch(m, SourceAlertmanager), nil
}

func (h *Hooks) grafana(_ *http.Request, body []byte) (bot.AlertBatch, error) {
	m, err := ParseMessage(body, SourceGrafana)
	if err != nil {
		return bot.AlertBatch{}, err
	}
	return h.cfg.Batch(m, SourceGrafana), nil
}

func (h *Hooks) generic(_ *http.Request, body []byte) (bot.AlertBatch, error) {
	return h.cfg.ParseGeneric(body)
}

// level maps a label value: the map's (exactly, then ignoring case), a
// level itself (P1..P4), else the default.
func (c Config) level(v string) bot.Level {
	if l, ok := c.knownLevel(v); ok {
		return l
	}
	return c.defaultLevel()
}

func (c Config) defaultLevel() bot.Level {
	if c.Levels.Default == "" {
		return bot.P3
	}
	return c.Levels.Default
}

func (c Config) knownLevel(v string) (bot.Level, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", false
	}
	if l, ok := c.Levels.Map[v]; ok {
		return l, true
	}
	for k, l := range c.Levels.Map {
		if strings.EqualFold(k, v) {
			return l, true
		}
	}
	if l, err := bot.ParseLevel(v); err == nil {
		return l, true
	}
	return "", false
}

func (c Config) mapValues() string {
	if len(c.Levels.Map) == 0 {
		return ""
	}
	keys := make([]string, 0, len(c.Levels.Map))
	for k := range c.Levels.Map {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return " or one of the level map's values (" + strings.Join(keys, ", ") + ")"
}

// shortKey keeps a key as it is up to 512 bytes, and hashes a longer one:
// the core takes keys of any content, but not of any length.
func shortKey(k string) string {
	if len(k) <= 512 {
		return k
	}
	sum := sha256.Sum256([]byte(k))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// labelsFingerprint identifies an alert that came without a fingerprint by
// its labels, as Alertmanager does (a hash of the sorted label set).
func labelsFingerprint(l Labels) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(strconv.Quote(k) + "=" + strconv.Quote(l[k]) + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// parseTime reads an RFC 3339 time; anything else, and Alertmanager's
// zero time (0001-01-01), is no time.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 1 {
		return time.Time{}
	}
	return t.UTC()
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	return s
}
