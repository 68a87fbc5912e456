package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/bot/yamlnode"
)

// Alerts is the alerts: section: the hooks monitoring declares faults
// through (PRODUCT.md, "Alerts"). Without the section the hooks are off.
//
//	alerts:
//	  token: "${WARROOM_ALERT_TOKEN}"   # required, from the environment, one word
//	  grafana: {secret: "${GRAFANA_HMAC_SECRET}", header: X-Grafana-Alerting-Signature,
//	            timestamp_header: X-Grafana-Alerting-Timestamp}
//	  group: group                      # group (default) | alert
//	  level: {label: severity, map: {critical: P1, error: P2, warning: P3, info: P4}, default: P3}
//	  service: service                  # label names; cause: "" turns the cause off
//	  cause: cause
//	  kind: alertname
//	  auto_mitigate: false
//
// grafana.secret is from the environment too; header and timestamp_header
// need it. A level.map given replaces the default map whole.
type Alerts struct {
	Token   string // the bearer token of every /hooks/* endpoint
	Grafana Grafana
	// Group is "group" (one fault per alert group, Alertmanager's
	// groupKey) or "alert" (one per fingerprint).
	Group        string
	Level        AlertLevels
	Service      string // the label naming the affected service
	Cause        string // the label naming the suspected-cause service; "" = none
	Kind         string // the label giving the fault's kind
	AutoMitigate bool   // mark a fault mitigated when all its alerts resolve
}

// Grafana is how /hooks/grafana checks Grafana's HMAC signature.
type Grafana struct {
	Secret string // "" = no signature is checked (the token still is)
	// Header is where the signature is; "" accepts both names Grafana has
	// used (X-Grafana-Alerting-Signature and X-Grafana-Alert-Signature).
	Header string
	// TimestampHeader carries the signed timestamp. TimestampSet is true
	// when the config named it: a request without it is then refused.
	TimestampHeader string
	TimestampSet    bool
}

// AlertLevels maps a label's values to levels.
type AlertLevels struct {
	Label   string               // default severity
	Map     map[string]bot.Level // label value -> level; default critical P1, error P2, warning P3, info P4
	Default bot.Level            // a value the map does not know, or no label; default P3
}

// Defaults of the alerts section.
const (
	DefaultAlertGroup             = "group"
	DefaultAlertLevelLabel        = "severity"
	DefaultAlertLevel             = bot.P3
	DefaultGrafanaTimestampHeader = "X-Grafana-Alerting-Timestamp"
)

// DefaultAlertLevelMap is level.map when the config gives none.
func DefaultAlertLevelMap() map[string]bot.Level {
	return map[string]bot.Level{"critical": bot.P1, "error": bot.P2, "warning": bot.P3, "info": bot.P4}
}

var (
	alertsKeys      = []string{"token", "grafana", "group", "level", "service", "cause", "kind", "auto_mitigate"}
	grafanaKeys     = []string{"secret", "header", "timestamp_header"}
	alertLevelKeys  = []string{"label", "map", "default"}
	alertGroupModes = []string{"group", "alert"}

	labelRe  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)           // a Prometheus label name
	headerRe = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$") // an HTTP header name (RFC 9110 token)
)

// alertsSection reads `alerts:`.
func (p *parser) alertsSection(f field) *Alerts {
	a := &Alerts{
		Group:   DefaultAlertGroup,
		Level:   AlertLevels{Label: DefaultAlertLevelLabel, Map: DefaultAlertLevelMap(), Default: DefaultAlertLevel},
		Service: "service", Cause: "cause", Kind: "alertname",
		Grafana: Grafana{TimestampHeader: DefaultGrafanaTimestampHeader},
	}
	if v := yamlnode.Deref(f.V); !yamlnode.IsNull(v) && v.Kind != yaml.MappingNode {
		p.Mapping("alerts", f.K, f.V, alertsKeys) // reports it
		return nil
	}
	s := newSection("alerts", f.K)
	tokenVar := "WARROOM_ALERT_TOKEN"
	before := len(p.Problems)
	p.keys(s, f.K, f.V, alertsKeys, func(kp string, g field) {
		switch g.Key {
		case "token":
			a.Token, tokenVar = p.bearerToken(kp, g, tokenVar)
		case "grafana":
			p.grafana(kp, g, &a.Grafana)
		case "group":
			if v, ok := p.str(kp, g.K, g.V); ok && v != "" {
				if !slices.Contains(alertGroupModes, v) {
					p.errorf(g.K, "%s: %q is not group (one fault per alert group) or alert (one per alert)%s", kp, yamlnode.Clip(v), yamlnode.Suggest(v, alertGroupModes, 12))
				} else {
					a.Group = v
				}
			}
		case "level":
			p.alertLevels(kp, g, &a.Level)
		case "service", "cause", "kind":
			v, ok := p.str(kp, g.K, g.V)
			if !ok {
				return // null: the default
			}
			if v == "" && g.Key == "cause" {
				a.Cause = "" // off
				return
			}
			if !labelRe.MatchString(v) {
				p.errorf(g.K, "%s: %q is not a label name (letters, digits and _, not starting with a digit)", kp, yamlnode.Clip(v))
				return
			}
			switch g.Key {
			case "service":
				a.Service = v
			case "cause":
				a.Cause = v
			case "kind":
				a.Kind = v
			}
		case "auto_mitigate":
			a.AutoMitigate, _ = p.boolean(kp, g.K, g.V)
		}
	})
	ok := p.need(s, "token", a.Token, tokenVar, "")
	if !ok || len(p.Problems) > before {
		return nil
	}
	return a
}

func (p *parser) grafana(path string, f field, g *Grafana) {
	if v := yamlnode.Deref(f.V); !yamlnode.IsNull(v) && v.Kind != yaml.MappingNode {
		p.errorf(f.K, "%s: expected a mapping like {secret: \"${GRAFANA_HMAC_SECRET}\"}, got %s", path, yamlnode.KindName(v))
		return
	}
	s := newSection(path, f.K)
	secretVar := "GRAFANA_HMAC_SECRET"
	p.keys(s, f.K, f.V, grafanaKeys, func(kp string, h field) {
		switch h.Key {
		case "secret":
			g.Secret, secretVar = p.secret(kp, h.K, h.V, secretVar)
		case "header", "timestamp_header":
			v, ok := p.str(kp, h.K, h.V)
			if !ok || v == "" {
				return
			}
			if !headerRe.MatchString(v) {
				p.errorf(h.K, "%s: %q is not an HTTP header name, e.g. X-Grafana-Alerting-Signature", kp, yamlnode.Clip(v))
				return
			}
			if h.Key == "header" {
				g.Header = v
			} else {
				g.TimestampHeader, g.TimestampSet = v, true
			}
		}
	})
	if g.Secret == "" && (g.Header != "" || g.TimestampSet) {
		n := s.lines["secret"]
		if n == nil {
			n = f.K
		}
		if s.bad["secret"] {
			// said already: its ${VAR} is not set
		} else if s.lines["secret"] != nil {
			p.errorf(n, "%s.secret: empty; set %s in the environment (header and timestamp_header need it)", path, secretVar)
		} else {
			p.errorf(n, "%s: header and timestamp_header name where Grafana's signature is, but there is no secret to check it with; add secret: \"${%s}\"", path, secretVar)
		}
	}
}

func (p *parser) alertLevels(path string, f field, l *AlertLevels) {
	if v := yamlnode.Deref(f.V); !yamlnode.IsNull(v) && v.Kind != yaml.MappingNode {
		p.errorf(f.K, "%s: expected a mapping like {label: severity, map: {critical: P1}, default: P3}, got %s", path, yamlnode.KindName(v))
		return
	}
	for _, g := range p.Mapping(path, f.K, f.V, alertLevelKeys) {
		kp := yamlnode.Join(path, g.Key)
		switch g.Key {
		case "label":
			if v, ok := p.str(kp, g.K, g.V); ok && v != "" {
				if labelRe.MatchString(v) {
					l.Label = v
				} else {
					p.errorf(g.K, "%s: %q is not a label name (letters, digits and _, not starting with a digit)", kp, yamlnode.Clip(v))
				}
			}
		case "default":
			if v, ok := p.str(kp, g.K, g.V); ok && v != "" {
				if lvl, ok := p.alertLevel(kp, g.K, v); ok {
					l.Default = lvl
				}
			}
		case "map":
			if yamlnode.IsNull(g.V) {
				continue // the default map
			}
			m := map[string]bot.Level{}
			fields := p.Mapping(kp, g.K, g.V, nil)
			if yamlnode.Deref(g.V).Kind != yaml.MappingNode {
				continue // reported
			}
			for _, h := range fields {
				vp := yamlnode.Join(kp, h.Key)
				v, ok := p.str(vp, h.K, h.V)
				if !ok || v == "" {
					p.errorf(h.K, "%s: empty; a level, P1 to P4", vp)
					continue
				}
				if lvl, ok := p.alertLevel(vp, h.K, v); ok {
					m[h.Key] = lvl
				}
			}
			if len(fields) == 0 {
				p.errorf(g.K, "%s: map no value; e.g. {critical: P1, warning: P3}, or leave map out for the default", kp)
				continue
			}
			l.Map = m
		}
	}
}

// alertLevel reads a level of the alerts section.
func (p *parser) alertLevel(path string, n *yaml.Node, s string) (bot.Level, bool) {
	l := bot.Level(s)
	if slices.Contains(bot.Levels, l) {
		return l, true
	}
	msg := fmt.Sprintf("%s: %q is not a level", path, yamlnode.Clip(s))
	if u := bot.Level(strings.ToUpper(s)); slices.Contains(bot.Levels, u) {
		msg += "; did you mean " + string(u) + "?"
	} else {
		msg += ": use P1, P2, P3 or P4 (P1 is the worst)"
	}
	p.errorf(n, "%s", msg)
	return "", false
}
