package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/bot/yamlnode"
)

// Limits of the paging settings.
const (
	minDigest        = time.Minute
	pdKeyLength      = 32 // PagerDuty's integration keys
	minWebhookSecret = 16
)

// digest reads a level's digest: a duration of at least a minute, or off.
func (p *parser) digest(path string, n *yaml.Node, s string, def time.Duration) time.Duration {
	if strings.EqualFold(s, "off") {
		return 0
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		p.errorf(n, "%s: %q is not a duration (e.g. 30m, 1h) or off", path, yamlnode.Clip(s))
	case d < minDigest:
		p.errorf(n, "%s: %q is too often; at least 1m, or off", path, yamlnode.Clip(s))
	default:
		return d
	}
	return def
}

// section is a provider's mapping under paging: its keys as given, so that
// a required key can be told missing from empty.
type section struct {
	path  string
	key   *yaml.Node // the provider's own key, where a missing key is reported
	lines map[string]*yaml.Node
	bad   map[string]bool // keys with a problem reported already
}

func newSection(path string, k *yaml.Node) section {
	return section{path: path, key: k, lines: map[string]*yaml.Node{}, bad: map[string]bool{}}
}

// keys walks a section's keys: each key's line is noted, and whether
// reading it reported a problem, for need to tell missing from bad.
func (p *parser) keys(s section, k, v *yaml.Node, known []string, read func(kp string, g field)) {
	for _, g := range p.Mapping(s.path, k, v, known) {
		s.lines[g.Key] = g.K
		before := len(p.Problems)
		read(yamlnode.Join(s.path, g.Key), g)
		s.bad[g.Key] = s.bad[g.Key] || len(p.Problems) > before
	}
}

// need reports a required setting that is missing or empty. envVar names
// the variable it comes from, if any; example is how to write it.
func (p *parser) need(s section, key, val, envVar, example string) bool {
	if val != "" {
		return true
	}
	path := yamlnode.Join(s.path, key)
	n, present := s.lines[key]
	switch {
	case s.bad[key]:
		// already reported
	case present && envVar != "":
		p.errorf(n, "%s: empty; set %s in the environment", path, envVar)
	case present:
		p.errorf(n, "%s: empty; %s", path, example)
	case envVar != "":
		p.errorf(s.key, "%s: missing; add %s: \"${%s}\" under %s and set %s in the environment", path, key, envVar, s.path, envVar)
	default:
		p.errorf(s.key, "%s: missing; %s", path, example)
	}
	return false
}

// fromEnv reads a value that may come from the environment, with the name
// of the variable it came from ("" when none).
func (p *parser) fromEnv(path string, k, v *yaml.Node) (val, envVar string) {
	raw, ok := p.Scalar(path, k, v)
	if !ok {
		return "", ""
	}
	s, vars, ok := p.expand(path, yamlnode.LineOf(k, v), raw)
	if !ok {
		return "", ""
	}
	if len(vars) > 0 {
		envVar = vars[0]
	}
	return s, envVar
}

func (p *parser) pagingSection(f field) Paging {
	var out Paging
	for _, g := range p.Mapping("paging", f.K, f.V, pagingKeys) {
		if yamlnode.IsNull(g.V) {
			continue // `twilio:` with nothing under it: not configured
		}
		path := yamlnode.Join("paging", g.Key)
		if n := yamlnode.Deref(g.V); n.Kind != yaml.MappingNode {
			p.errorf(g.K, "%s: expected a mapping of settings (key: value), got %s", path, yamlnode.KindName(n))
			continue
		}
		switch g.Key {
		case "twilio":
			out.Twilio = p.twilio(path, g)
		case "pagerduty":
			out.PagerDuty = p.pagerDuty(path, g)
		case "webhook":
			out.Webhook = p.webhook(path, g)
		}
	}
	return out
}

func (p *parser) twilio(path string, f field) *Twilio {
	t := &Twilio{}
	s := newSection(path, f.K)
	sidVar, tokenVar, fromVar := "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", ""
	p.keys(s, f.K, f.V, twilioKeys, func(kp string, g field) {
		switch g.Key {
		case "account_sid":
			var v string
			v, sidVar = p.fromEnv(kp, g.K, g.V)
			if sidVar == "" {
				sidVar = "TWILIO_ACCOUNT_SID"
			}
			if v != "" && !twSIDRe.MatchString(v) {
				p.errorf(g.K, "%s: %q is not a Twilio Account SID (AC and 32 hex digits, on the Twilio console's dashboard)", kp, yamlnode.Clip(v))
				break
			}
			t.AccountSID = v
		case "auth_token":
			t.AuthToken, tokenVar = p.secret(kp, g.K, g.V, tokenVar)
		case "from":
			var v string
			if v, fromVar = p.fromEnv(kp, g.K, g.V); v != "" {
				if !phoneRe.MatchString(v) {
					msg := fmt.Sprintf("%s: %q is not an E.164 phone number (+ then digits, e.g. +15550199): the Twilio number texts and calls come from", kp, yamlnode.Clip(v))
					if d := strings.Map(keepPhone, v); phoneRe.MatchString(d) {
						msg += "; did you mean " + d + "?"
					}
					p.errorf(g.K, "%s", msg)
					break
				}
				t.From = v
			}
		case "voice":
			t.Voice, _ = p.boolean(kp, g.K, g.V)
		case "voice_url":
			t.VoiceURL = p.apiURL(kp, g.K, g.V)
		case "api_url":
			t.APIURL = p.apiURL(kp, g.K, g.V)
		}
	})
	ok := p.need(s, "account_sid", t.AccountSID, sidVar, `account_sid: "${TWILIO_ACCOUNT_SID}" (AC and 32 hex digits)`)
	ok = p.need(s, "auth_token", t.AuthToken, tokenVar, "") && ok
	ok = p.need(s, "from", t.From, fromVar, `the Twilio number texts and calls come from, e.g. from: "+15550199"`) && ok
	if t.VoiceURL != "" && !t.Voice && !s.bad["voice"] {
		p.errorf(s.lines["voice_url"], "%s.voice_url: set, but voice is off, so there is no call to use it; add voice: true", path)
		ok = false
	}
	if !ok {
		return nil
	}
	return t
}

func (p *parser) pagerDuty(path string, f field) *PagerDuty {
	d := &PagerDuty{Levels: []bot.Level{bot.P1, bot.P2}}
	s := newSection(path, f.K)
	keyVar := "PAGERDUTY_ROUTING_KEY"
	ok := true
	p.keys(s, f.K, f.V, pdKeys, func(kp string, g field) {
		switch g.Key {
		case "routing_key":
			d.RoutingKey, keyVar = p.secret(kp, g.K, g.V, keyVar)
			if n := utf8.RuneCountInString(d.RoutingKey); n > 0 && n != pdKeyLength {
				// The key itself never goes in a message.
				p.errorf(g.K, "%s: the integration key in %s is %d characters; PagerDuty's are %d (the service's Integrations tab, Events API v2)", kp, keyVar, n, pdKeyLength)
				d.RoutingKey = ""
				ok = false
			}
		case "levels":
			if yamlnode.IsNull(g.V) {
				return // the default
			}
			var good bool
			d.Levels, good = p.levelList(kp, g.K, g.V)
			ok = ok && good
		case "api_url":
			d.APIURL = p.apiURL(kp, g.K, g.V)
		}
	})
	if !p.need(s, "routing_key", d.RoutingKey, keyVar, "") || !ok {
		return nil
	}
	return d
}

// levelList reads a list of levels: at least one, each once.
func (p *parser) levelList(path string, k, v *yaml.Node) ([]bot.Level, bool) {
	items := p.List(path, k, v, "[a, b]")
	if yamlnode.Deref(v).Kind != yaml.SequenceNode {
		return nil, false // not a list: reported
	}
	var out []bot.Level
	ok := true
	for _, item := range items {
		s, good := p.item(path, item, "")
		if !good {
			ok = false
			continue
		}
		l := bot.Level(s)
		if !slices.Contains(bot.Levels, l) {
			msg := fmt.Sprintf("%s: %q is not a level", path, yamlnode.Clip(s))
			if u := bot.Level(strings.ToUpper(s)); slices.Contains(bot.Levels, u) {
				msg += "; did you mean " + string(u) + "?"
			} else {
				msg += ": use P1, P2, P3 or P4 (P1 is the worst)"
			}
			p.errorf(item, "%s", msg)
			ok = false
			continue
		}
		if slices.Contains(out, l) {
			p.errorf(item, "%s: %s is listed twice", path, l)
			ok = false
			continue
		}
		out = append(out, l)
	}
	if len(items) == 0 {
		p.errorf(k, "%s: list at least one level, e.g. [P1, P2]", path)
		return nil, false
	}
	return out, ok
}

func (p *parser) webhook(path string, f field) *Webhook {
	w := &Webhook{}
	s := newSection(path, f.K)
	secretVar, urlVar := "WARROOM_WEBHOOK_SECRET", ""
	ok := true
	p.keys(s, f.K, f.V, webhookKeys, func(kp string, g field) {
		switch g.Key {
		case "url":
			w.URL, urlVar = p.httpURL(kp, g.K, g.V)
		case "secret":
			w.Secret, secretVar = p.secret(kp, g.K, g.V, secretVar)
			if n := len(w.Secret); n > 0 && n < minWebhookSecret {
				p.errorf(g.K, "%s: the secret in %s is %d bytes; use at least %d (e.g. openssl rand -hex 32)", kp, secretVar, n, minWebhookSecret)
				w.Secret = ""
				ok = false
			}
		}
	})
	ok = p.need(s, "url", w.URL, urlVar, `where the events are POSTed, e.g. url: "https://hooks.example.com/warroom"`) && ok
	ok = p.need(s, "secret", w.Secret, secretVar, "") && ok
	if !ok {
		return nil
	}
	return w
}

// httpURL reads an http(s) URL that may come from the environment.
func (p *parser) httpURL(path string, k, v *yaml.Node) (val, envVar string) {
	s, envVar := p.fromEnv(path, k, v)
	if s == "" {
		return "", envVar
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.errorf(yamlnode.LineOf(k, v), "%s: %q is not an http(s) URL", path, yamlnode.Clip(s))
		return "", envVar
	}
	return s, envVar
}
