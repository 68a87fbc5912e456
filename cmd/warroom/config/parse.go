package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/bot/yamlnode"
)

// Parse parses a config file's contents. name is how problems refer to the
// file ("warroom.yaml"); getenv supplies the ${VAR}s (nil: all empty). On any
// problem it returns a nil *Config and an *Error listing them all.
func Parse(data []byte, name string, getenv func(string) string) (*Config, error) {
	if name == "" {
		name = "config"
	}
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	p := &parser{getenv: getenv, Decoder: yamlnode.Decoder{
		Data: data, Top: "a mapping of settings (key: value)", Second: "put all the settings in one document", Hint: channelHint,
	}}
	cfg := p.config(p.Document())
	if len(p.Problems) > 0 {
		var probs []Problem
		for _, pr := range p.Sorted() {
			probs = append(probs, Problem{Line: pr.Line, Message: at(pr.Field, pr.Message)})
		}
		return nil, &Error{File: name, Problems: probs}
	}
	return cfg, nil
}

// channelHint explains the usual YAML error in a config: an unquoted
// channel name, which YAML reads as a comment.
func channelHint(line string) string {
	if strings.Contains(line, "[#") || strings.Contains(line, ", #") {
		return ` (a # starts a comment in YAML: quote channel names, "#status")`
	}
	return ""
}

var (
	topKeys     = []string{"command", "adapter", "database", "http", "checkin_emoji", "plans", "bridge", "slack", "discord", "paging", "permissions", "api_tokens", "people", "services", "duty", "levels", "alerts"}
	slackKeys   = []string{"bot_token", "app_token", "signing_secret", "private", "api_url"}
	discordKeys = []string{"token", "guild", "api_url"}
	personKeys  = []string{"name", "email", "phone", "slack", "discord"}
	serviceKeys = []string{"contacts", "stability"}
	dutyKeys    = []string{"rotation", "start", "people"}
	levelKeys   = []string{"commander", "checkin_within", "remind", "notify", "page", "digest"}
	pagingKeys  = []string{"twilio", "pagerduty", "webhook"}
	twilioKeys  = []string{"account_sid", "auth_token", "from", "voice", "voice_url", "api_url"}
	pdKeys      = []string{"routing_key", "levels", "api_url"}
	webhookKeys = []string{"url", "secret"}
	adapters    = []string{"console", "slack", "discord"}
	rotations   = []string{string(bot.Daily), string(bot.Weekly)}

	commandRe = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)
	idRe      = regexp.MustCompile(`^[a-z0-9._-]+$`)
	envNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	phoneRe   = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
	emailRe   = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	slackIDRe = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	snowRe    = regexp.MustCompile(`^[0-9]{15,21}$`)
	channelRe = regexp.MustCompile(`^#[^\s#@,]+$`)
	twSIDRe   = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
)

type parser struct {
	yamlnode.Decoder
	getenv func(string) string

	// person ids under people:, valid or not, so that references to a
	// misspelt definition are not reported twice.
	people   map[string]bool
	noPeople bool // people: was not a mapping; skip reference checks
}

// errorf records a problem whose message names its key path itself.
func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	p.Errorf(n, "", format, args...)
}

// at prefixes a message with its key path.
func at(path, msg string) string {
	if path == "" {
		return msg
	}
	return path + ": " + msg
}

// field is one key: value pair of a mapping.
type field = yamlnode.Field

// str returns a single value with its ${VAR}s expanded. A value that is
// empty only because its variables are unset counts as absent (set false).
func (p *parser) str(path string, k, v *yaml.Node) (string, bool) {
	raw, ok := p.Scalar(path, k, v)
	if !ok {
		return "", false
	}
	s, _, ok := p.expand(path, yamlnode.LineOf(k, v), raw)
	if !ok || s == "" && raw != "" {
		return "", false
	}
	return s, true
}

// item returns a list item with its ${VAR}s expanded; an empty item is a
// problem. hint is added to the message for a null item.
func (p *parser) item(path string, n *yaml.Node, hint string) (string, bool) {
	raw, ok := p.Scalar(path, n, n)
	if !ok {
		if yamlnode.IsNull(n) {
			p.errorf(n, "%s: empty item%s", path, hint)
		}
		return "", false
	}
	s, vars, ok := p.expand(path, n, raw)
	switch {
	case !ok:
		return "", false
	case s == "" && len(vars) > 0:
		p.errorf(n, "%s: %q is empty; set %s in the environment", path, yamlnode.Clip(raw), strings.Join(vars, ", "))
		return "", false
	case s == "":
		p.errorf(n, "%s: empty item", path)
		return "", false
	}
	return s, true
}

// expand replaces each ${VAR} in s by the environment variable VAR. vars are
// the names it used.
func (p *parser) expand(path string, n *yaml.Node, s string) (out string, vars []string, ok bool) {
	if !strings.Contains(s, "${") {
		return s, nil, true
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), vars, true
		}
		b.WriteString(s[:i])
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			p.errorf(n, "%s: %q has a ${ without its closing }", path, yamlnode.Clip(s))
			return "", nil, false
		}
		name := s[i+2 : i+j]
		if !envNameRe.MatchString(name) {
			p.errorf(n, "%s: %q is not an environment variable name (letters, digits, _)", path, yamlnode.Clip(name))
			return "", nil, false
		}
		vars = append(vars, name)
		b.WriteString(p.getenv(name))
		s = s[i+j+1:]
	}
}

// secret reads a token key: its value must come from the environment.
// envVar is the variable it names (def when it names none).
func (p *parser) secret(path string, k, v *yaml.Node, def string) (val, envVar string) {
	envVar = def
	raw, ok := p.Scalar(path, k, v)
	if !ok || raw == "" {
		return "", envVar
	}
	if !strings.Contains(raw, "${") {
		p.errorf(yamlnode.LineOf(k, v), "%s: put the secret in the environment and write \"${%s}\"", path, def)
		return "", envVar
	}
	s, vars, ok := p.expand(path, yamlnode.LineOf(k, v), raw)
	if !ok {
		return "", envVar
	}
	if len(vars) > 0 {
		envVar = vars[0]
	}
	return s, envVar
}

func (p *parser) boolean(path string, k, v *yaml.Node) (bool, bool) {
	s, ok := p.str(path, k, v)
	if !ok {
		return false, false
	}
	return p.Bool(path, yamlnode.LineOf(k, v), s)
}

func (p *parser) apiURL(path string, k, v *yaml.Node) string {
	s, ok := p.str(path, k, v)
	if !ok || s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.errorf(yamlnode.LineOf(k, v), "%s: %q is not an http(s) URL", path, yamlnode.Clip(s))
		return ""
	}
	return s
}

// discordAPIURL is apiURL plus what the Discord adapter needs of its base
// URL (adapters/discord apiBase, which New checks again): no query, fragment
// or user info, and a path that stops at the host, at /api or at /api/vN
// (a proxy's own prefix before it is fine), so discordgo's /api/v9/... is
// not put under another /api/vN.
func (p *parser) discordAPIURL(path string, k, v *yaml.Node) string {
	s := p.apiURL(path, k, v)
	if s == "" {
		return ""
	}
	u, _ := url.Parse(s) // apiURL parsed it
	bad := ""
	switch {
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		bad = "has a query or fragment"
	case u.User != nil:
		bad = "has a user name or password"
	case !discordAPIPath(u.Path):
		bad = "has a path past /api/vN"
	}
	if bad != "" {
		p.errorf(yamlnode.LineOf(k, v), "%s: %q %s; give the base URL only, such as http://proxy:8080 or http://proxy:8080/api/v10", path, yamlnode.Clip(s), bad)
		return ""
	}
	return s
}

// discordAPIPath: after a final /api or /api/vN is dropped, no "api"
// segment followed by a "v..." one is left (/api/v10/users, /api/vten).
func discordAPIPath(p string) bool {
	segs := strings.FieldsFunc(p, func(r rune) bool { return r == '/' })
	if n := len(segs); n >= 2 && segs[n-2] == "api" && versionRe.MatchString(segs[n-1]) {
		segs = segs[:n-2]
	}
	for i := 0; i+1 < len(segs); i++ {
		if segs[i] == "api" && strings.HasPrefix(segs[i+1], "v") {
			return false
		}
	}
	return true
}

var versionRe = regexp.MustCompile(`^v[0-9]+$`)

// config builds the Config from the document's root node (nil: empty file).
func (p *parser) config(root *yaml.Node) *Config {
	cfg := &Config{
		Command:      DefaultCommand,
		Adapter:      DefaultAdapter,
		Database:     DefaultDatabase,
		HTTP:         DefaultHTTP,
		CheckinEmoji: DefaultCheckinEmoji,
		Plans:        DefaultPlans,
		Permissions:  bot.DefaultPermissions(),
		Catalog: &bot.Catalog{
			People:   map[string]bot.Person{},
			Services: map[string]bot.Service{},
			Duty:     bot.Duty{Rotation: bot.Weekly},
			Levels:   DefaultLevels(),
		},
	}
	p.people = map[string]bool{}
	fields := map[string]field{}
	for _, f := range p.Mapping("", nil, root, topKeys) {
		fields[f.Key] = f
	}
	// People first: everything else refers to them.
	if f, ok := fields["people"]; ok {
		p.peopleSection(cfg.Catalog, f)
	}
	if f, ok := fields["services"]; ok {
		p.servicesSection(cfg.Catalog, f)
	}
	if f, ok := fields["duty"]; ok {
		p.dutySection(cfg.Catalog, f)
	}
	if f, ok := fields["levels"]; ok {
		p.levelsSection(cfg.Catalog, f)
	}
	if f, ok := fields["permissions"]; ok {
		cfg.Permissions = cfg.Permissions.With(p.permissionsSection(cfg.Catalog, f))
	}
	if f, ok := fields["api_tokens"]; ok {
		cfg.APITokens = p.apiTokensSection(cfg.Catalog, f)
	}
	if f, ok := fields["command"]; ok {
		if s, ok := p.str(f.Key, f.K, f.V); ok {
			switch {
			case strings.HasPrefix(s, "/") && commandRe.MatchString(s[1:]):
				p.errorf(f.K, "command: %q: write the word without the slash: %s", yamlnode.Clip(s), s[1:])
			case !commandRe.MatchString(s):
				p.errorf(f.K, "command: %q is not a single word of a-z, 0-9, _ and - (at most 32), e.g. fault", yamlnode.Clip(s))
			default:
				cfg.Command = s
			}
		}
	}
	if f, ok := fields["adapter"]; ok {
		if s, ok := p.str(f.Key, f.K, f.V); ok {
			if slices.Contains(adapters, s) {
				cfg.Adapter = s
			} else {
				p.errorf(f.K, "adapter: %q is not console, slack or discord%s", yamlnode.Clip(s), yamlnode.Suggest(s, adapters, 12))
			}
		}
	}
	if f, ok := fields["database"]; ok {
		if s, ok := p.str(f.Key, f.K, f.V); ok {
			if s == "" {
				p.errorf(f.K, "database: empty; the SQLite file warroom keeps its state in, e.g. warroom.db")
			} else {
				cfg.Database = s
			}
		}
	}
	if f, ok := fields["http"]; ok {
		if s, ok := p.str(f.Key, f.K, f.V); ok {
			cfg.HTTP = p.httpAddr(f, s)
		}
	}
	if f, ok := fields["checkin_emoji"]; ok {
		if s, ok := p.str(f.Key, f.K, f.V); ok {
			s = strings.Trim(s, ":")
			if s == "" || strings.ContainsFunc(s, isSpace) {
				p.errorf(f.K, "checkin_emoji: %q is not an emoji name, e.g. white_check_mark", yamlnode.Clip(s))
			} else {
				cfg.CheckinEmoji = s
			}
		}
	}
	if f, ok := fields["plans"]; ok {
		if s, ok := p.str(f.Key, f.K, f.V); ok {
			if s == "" {
				p.errorf(f.K, "plans: empty; the directory of plan files, e.g. plans/")
			} else {
				cfg.Plans = s
			}
		}
	}
	if f, ok := fields["bridge"]; ok {
		if s, ok := p.str(f.Key, f.K, f.V); ok {
			cfg.Bridge = s
			for _, ph := range placeholderRe.FindAllString(s, -1) {
				if ph != "{id}" {
					p.errorf(f.K, "bridge: unknown placeholder %q; the only one is {id}, the fault's number", yamlnode.Clip(ph))
				}
			}
		}
	}
	slackVars := map[string]string{"bot_token": "SLACK_BOT_TOKEN", "app_token": "SLACK_APP_TOKEN", "signing_secret": "SLACK_SIGNING_SECRET"}
	slackLines := map[string]*yaml.Node{}
	if f, ok := fields["slack"]; ok {
		for _, g := range p.Mapping("slack", f.K, f.V, slackKeys) {
			path := yamlnode.Join("slack", g.Key)
			slackLines[g.Key] = g.K
			switch g.Key {
			case "bot_token":
				cfg.Slack.BotToken, slackVars[g.Key] = p.secret(path, g.K, g.V, slackVars[g.Key])
			case "app_token":
				cfg.Slack.AppToken, slackVars[g.Key] = p.secret(path, g.K, g.V, slackVars[g.Key])
			case "signing_secret":
				cfg.Slack.SigningSecret, slackVars[g.Key] = p.secret(path, g.K, g.V, slackVars[g.Key])
			case "private":
				cfg.Slack.Private, _ = p.boolean(path, g.K, g.V)
			case "api_url":
				cfg.Slack.APIURL = p.apiURL(path, g.K, g.V)
			}
		}
	}
	discordVar := "DISCORD_TOKEN"
	discordLines := map[string]*yaml.Node{}
	if f, ok := fields["discord"]; ok {
		for _, g := range p.Mapping("discord", f.K, f.V, discordKeys) {
			path := yamlnode.Join("discord", g.Key)
			discordLines[g.Key] = g.K
			switch g.Key {
			case "token":
				cfg.Discord.Token, discordVar = p.secret(path, g.K, g.V, discordVar)
			case "guild":
				if s, ok := p.str(path, g.K, g.V); ok && s != "" {
					if snowRe.MatchString(s) {
						cfg.Discord.Guild = s
					} else {
						p.errorf(g.K, "%s: %q is not a Discord server id (a number like 123456789012345678: Developer Mode, then Copy Server ID)", path, yamlnode.Clip(s))
					}
				}
			case "api_url":
				cfg.Discord.APIURL = p.discordAPIURL(path, g.K, g.V)
			}
		}
	}

	if f, ok := fields["paging"]; ok {
		cfg.Paging = p.pagingSection(f)
	}
	if f, ok := fields["alerts"]; ok {
		cfg.Alerts = p.alertsSection(f)
	}

	// What the chosen adapter needs.
	adapterNode := fields["adapter"].K
	where := func(lines map[string]*yaml.Node, key, section string) *yaml.Node {
		if n := lines[key]; n != nil {
			return n
		}
		if f, ok := fields[section]; ok {
			return f.K
		}
		return adapterNode
	}
	switch cfg.Adapter {
	case "slack":
		p.needToken("slack", "bot_token", "bot token", cfg.Slack.BotToken, slackVars["bot_token"], where(slackLines, "bot_token", "slack"), slackLines["bot_token"] != nil)
		if cfg.Slack.AppToken == "" && cfg.Slack.SigningSecret == "" && slackLines["app_token"] == nil && slackLines["signing_secret"] == nil {
			p.errorf(where(slackLines, "app_token", "slack"), "slack: adapter is slack but neither app_token (Socket Mode) nor signing_secret (Events API over HTTP) is configured; add app_token: \"${SLACK_APP_TOKEN}\" under slack")
		} else if cfg.Slack.AppToken == "" && cfg.Slack.SigningSecret == "" {
			vars := slackVars["app_token"]
			if slackLines["app_token"] == nil {
				vars = slackVars["signing_secret"]
			} else if slackLines["signing_secret"] != nil {
				vars += " or " + slackVars["signing_secret"]
			}
			p.errorf(where(slackLines, "app_token", "slack"), "slack: adapter is slack but app_token and signing_secret are both empty; set %s in the environment", vars)
		} else if cfg.Slack.AppToken == "" && cfg.HTTP == "" {
			p.errorf(where(slackLines, "signing_secret", "slack"), "slack.signing_secret: Slack's Events API posts over HTTP, but http is off; set http: or use app_token (Socket Mode)")
		}
	case "discord":
		p.needToken("discord", "token", "token", cfg.Discord.Token, discordVar, where(discordLines, "token", "discord"), discordLines["token"] != nil)
		if cfg.Discord.Guild == "" && discordLines["guild"] == nil {
			p.errorf(where(discordLines, "guild", "discord"), "discord.guild: adapter is discord but no guild is configured; the server id the bot works in, e.g. guild: \"123456789012345678\"")
		} else if cfg.Discord.Guild == "" && !p.hasProblemAt(discordLines["guild"]) {
			p.errorf(discordLines["guild"], "discord.guild: adapter is discord but guild is empty")
		}
	}
	return cfg
}

var placeholderRe = regexp.MustCompile(`\{[^{}]*\}`)

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

func (p *parser) hasProblemAt(n *yaml.Node) bool {
	for _, pr := range p.Problems {
		if n != nil && pr.Line == n.Line {
			return true
		}
	}
	return false
}

// needToken reports a token the adapter needs that is empty.
func (p *parser) needToken(section, key, what, val, envVar string, n *yaml.Node, present bool) {
	if val != "" || (present && p.hasProblemAt(n)) {
		return
	}
	path := yamlnode.Join(section, key)
	if present {
		p.errorf(n, "%s: adapter is %s but the %s is empty; set %s in the environment", path, section, what, envVar)
		return
	}
	p.errorf(n, "%s: adapter is %s but no %s is configured; add %s: \"${%s}\" under %s and set %s in the environment", path, section, what, key, envVar, section, envVar)
}

func (p *parser) httpAddr(f field, s string) string {
	if s == "" || strings.EqualFold(s, "off") {
		return ""
	}
	host, port, err := net.SplitHostPort(s)
	n, perr := strconv.Atoi(port)
	if err != nil || perr != nil || n < 1 || n > 65535 || strings.ContainsFunc(host, isSpace) {
		p.errorf(f.K, "http: %q is not a host:port address (e.g. 127.0.0.1:8080, or :8080 for every interface); write off to disable", yamlnode.Clip(s))
		return DefaultHTTP
	}
	return s
}

func (p *parser) peopleSection(c *bot.Catalog, f field) {
	n := yamlnode.Deref(f.V)
	if !yamlnode.IsNull(n) && n.Kind != yaml.MappingNode {
		p.noPeople = true
	}
	slackIDs, discordIDs := map[string]string{}, map[string]string{}
	for _, g := range p.Mapping("people", f.K, f.V, nil) {
		id := g.Key
		p.people[id] = true
		path := yamlnode.Join("people", id)
		switch {
		case id == bot.CommanderDuty || id == bot.CommanderStability:
			p.errorf(g.K, "people: %q is reserved (a level's commander rule); pick another id", id)
			continue
		case !idRe.MatchString(id):
			msg := fmt.Sprintf("people: %q is not a person id (a-z, 0-9, . _ -)", yamlnode.Clip(id))
			if l := strings.ToLower(id); idRe.MatchString(l) {
				msg += "; did you mean " + l + "?"
			}
			p.errorf(g.K, "%s", msg)
			continue
		}
		person := bot.Person{ID: id}
		if v := yamlnode.Deref(g.V); v != nil && v.Kind != yaml.MappingNode && !yamlnode.IsNull(v) {
			p.errorf(g.K, "%s: expected a mapping like {name: Alice Chen, email: alice@example.com}, got %s", path, yamlnode.KindName(v))
			continue
		}
		for _, h := range p.Mapping(path, g.K, g.V, personKeys) {
			kp := yamlnode.Join(path, h.Key)
			s, ok := p.str(kp, h.K, h.V)
			if !ok || s == "" {
				continue
			}
			switch h.Key {
			case "name":
				person.Name = s
			case "email":
				if !emailRe.MatchString(s) {
					p.errorf(h.K, "%s: %q is not an email address", kp, yamlnode.Clip(s))
				}
				person.Email = s
			case "phone":
				if !phoneRe.MatchString(s) {
					msg := fmt.Sprintf("%s: %q is not an E.164 phone number (+ then digits, e.g. +15550100)", kp, yamlnode.Clip(s))
					if d := strings.Map(keepPhone, s); phoneRe.MatchString(d) {
						msg += "; did you mean " + d + "?"
					}
					p.errorf(h.K, "%s", msg)
				}
				person.Phone = s
			case "slack":
				if !slackIDRe.MatchString(s) {
					p.errorf(h.K, "%s: %q is not a Slack member id (like U01ALICE: the profile's ⋮ menu, Copy member ID)", kp, yamlnode.Clip(s))
				} else if other, dup := slackIDs[s]; dup {
					p.errorf(h.K, "%s: %s is also %s's Slack id", kp, s, other)
				}
				slackIDs[s] = id
				person.Slack = s
			case "discord":
				if !snowRe.MatchString(s) {
					p.errorf(h.K, "%s: %q is not a Discord user id (a number like 81234567890123456: Developer Mode, then Copy User ID)", kp, yamlnode.Clip(s))
				} else if other, dup := discordIDs[s]; dup {
					p.errorf(h.K, "%s: %s is also %s's Discord id", kp, s, other)
				}
				discordIDs[s] = id
				person.Discord = s
			}
		}
		c.People[id] = person
	}
}

// keepPhone keeps the characters of a phone number written with spaces,
// dashes or parentheses.
func keepPhone(r rune) rune {
	if r == '+' || r >= '0' && r <= '9' {
		return r
	}
	return -1
}

// person resolves a reference to a catalog person ("alice" or "@alice").
func (p *parser) person(c *bot.Catalog, path string, n *yaml.Node, s string) (string, bool) {
	id := strings.TrimPrefix(s, "@")
	if _, ok := c.People[id]; ok {
		return id, true
	}
	if p.noPeople || p.people[id] {
		return "", false // the definition is already reported
	}
	p.errorf(n, "%s: unknown person %q%s", path, yamlnode.Clip(s), p.suggestPerson(c, id))
	return "", false
}

func (p *parser) suggestPerson(c *bot.Catalog, id string) string {
	if len(c.People) == 0 {
		return "; people: lists no one"
	}
	return yamlnode.Suggest(id, sortedKeys(c.People), 12)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// peopleList reads a list of person references. n counts its items, even
// those with problems.
func (p *parser) peopleList(c *bot.Catalog, path string, k, v *yaml.Node, unique bool) (out []string, n int) {
	items := p.List(path, k, v, "[a, b]")
	for _, item := range items {
		s, ok := p.item(path, item, "")
		if !ok {
			continue
		}
		id, ok := p.person(c, path, item, s)
		if !ok {
			continue
		}
		if unique && slices.Contains(out, id) {
			p.errorf(item, "%s: %s is listed twice", path, id)
			continue
		}
		out = append(out, id)
	}
	return out, len(items)
}

// id checks that a section's key is a plain name (a-z, 0-9, . _ -), saying
// the lowercase one when that is all that is wrong.
func (p *parser) id(section, what string, g field) bool {
	if idRe.MatchString(g.Key) {
		return true
	}
	msg := fmt.Sprintf("%s: %q is not a %s name (a-z, 0-9, . _ -)", section, yamlnode.Clip(g.Key), what)
	if l := strings.ToLower(g.Key); idRe.MatchString(l) {
		msg += "; did you mean " + l + "?"
	}
	p.errorf(g.K, "%s", msg)
	return false
}

func (p *parser) servicesSection(c *bot.Catalog, f field) {
	for _, g := range p.Mapping("services", f.K, f.V, nil) {
		name := g.Key
		path := yamlnode.Join("services", name)
		if !p.id("services", "service", g) {
			continue
		}
		svc := bot.Service{Name: name}
		var hasContacts bool
		if v := yamlnode.Deref(g.V); !yamlnode.IsNull(v) && v.Kind != yaml.MappingNode {
			p.errorf(g.K, "%s: expected a mapping like {contacts: [alice, bob], stability: bob}, got %s", path, yamlnode.KindName(v))
			continue
		}
		for _, h := range p.Mapping(path, g.K, g.V, serviceKeys) {
			kp := yamlnode.Join(path, h.Key)
			switch h.Key {
			case "contacts":
				hasContacts = true
				var n int
				svc.Contacts, n = p.peopleList(c, kp, h.K, h.V, true)
				if n == 0 && (yamlnode.IsNull(h.V) || yamlnode.Deref(h.V).Kind == yaml.SequenceNode) {
					p.errorf(h.K, "%s: list at least one person", kp)
				}
			case "stability":
				if s, ok := p.str(kp, h.K, h.V); ok && s != "" {
					svc.Stability, _ = p.person(c, kp, h.K, s)
				}
			}
		}
		if !hasContacts {
			p.errorf(g.K, "%s.contacts: missing; list at least one person, e.g. contacts: [alice]", path)
		}
		c.Services[name] = svc
	}
}

func (p *parser) dutySection(c *bot.Catalog, f field) {
	var startSet bool
	for _, g := range p.Mapping("duty", f.K, f.V, dutyKeys) {
		path := yamlnode.Join("duty", g.Key)
		switch g.Key {
		case "rotation":
			if s, ok := p.str(path, g.K, g.V); ok {
				if slices.Contains(rotations, s) {
					c.Duty.Rotation = bot.Rotation(s)
				} else {
					p.errorf(g.K, "%s: %q is not daily or weekly%s", path, yamlnode.Clip(s), yamlnode.Suggest(s, rotations, 12))
				}
			}
		case "start":
			if s, ok := p.str(path, g.K, g.V); ok {
				t, err := time.Parse(time.RFC3339, s)
				if err != nil {
					p.errorf(g.K, "%s: %q is not an RFC 3339 time (e.g. 2026-01-05T09:00:00Z)", path, yamlnode.Clip(s))
				} else {
					c.Duty.Start = t
				}
				startSet = true
			}
		case "people":
			c.Duty.People, _ = p.peopleList(c, path, g.K, g.V, false)
		}
	}
	if len(c.Duty.People) > 0 && !startSet {
		p.errorf(f.K, "duty.start: missing; when the first shift starts, e.g. start: 2026-01-05T09:00:00Z")
	}
}

func (p *parser) levelsSection(c *bot.Catalog, f field) {
	for _, g := range p.Mapping("levels", f.K, f.V, nil) {
		l := bot.Level(g.Key)
		if !slices.Contains(bot.Levels, l) {
			msg := fmt.Sprintf("levels: unknown level %q", yamlnode.Clip(g.Key))
			norm := strings.ToUpper(strings.Map(func(r rune) rune {
				if r == ' ' || r == '-' || r == '_' {
					return -1
				}
				return r
			}, g.Key))
			if slices.Contains(bot.Levels, bot.Level(norm)) {
				msg += "; did you mean " + norm + "?"
			} else {
				msg += ": use P1, P2, P3 or P4 (P1 is the worst)"
			}
			p.errorf(g.K, "%s", msg)
			continue
		}
		path := yamlnode.Join("levels", g.Key)
		if v := yamlnode.Deref(g.V); v == nil || v.Kind != yaml.MappingNode {
			if !yamlnode.IsNull(v) {
				p.errorf(g.K, "%s: expected a mapping like {commander: duty, checkin_within: 10m}, got %s", path, yamlnode.KindName(v))
			}
			continue
		}
		pol := c.Levels[l]
		for _, h := range p.Mapping(path, g.K, g.V, levelKeys) {
			kp := yamlnode.Join(path, h.Key)
			switch h.Key {
			case "commander":
				if s, ok := p.str(kp, h.K, h.V); ok {
					pol.Commander = p.commander(c, kp, h.K, s, pol.Commander)
				}
			case "checkin_within":
				if s, ok := p.str(kp, h.K, h.V); ok {
					d, err := time.ParseDuration(s)
					switch {
					case err != nil:
						p.errorf(h.K, "%s: %q is not a duration (e.g. 10m, 1h30m)", kp, yamlnode.Clip(s))
					case d <= 0:
						p.errorf(h.K, "%s: %q must be more than zero", kp, yamlnode.Clip(s))
					default:
						pol.CheckinWithin = d
					}
				}
			case "remind":
				if s, ok := p.str(kp, h.K, h.V); ok {
					if strings.EqualFold(s, "off") {
						pol.Remind = ""
					} else if err := checkCron(s); err != nil {
						p.errorf(h.K, "%s: %q is not a cron schedule (minute hour day-of-month month day-of-week, e.g. \"*/15 * * * *\"): %v", kp, yamlnode.Clip(s), err)
					} else {
						pol.Remind = s
					}
				}
			case "notify":
				pol.Notify = p.notify(c, kp, h.K, h.V)
			case "page":
				pol.Page, _ = p.peopleList(c, kp, h.K, h.V, true)
			case "digest":
				if s, ok := p.str(kp, h.K, h.V); ok {
					pol.Digest = p.digest(kp, h.K, s, pol.Digest)
				}
			}
		}
		c.Levels[l] = pol
	}
}

func (p *parser) commander(c *bot.Catalog, path string, n *yaml.Node, s, def string) string {
	if s == bot.CommanderDuty || s == bot.CommanderStability {
		return s
	}
	id := strings.TrimPrefix(s, "@")
	if _, ok := c.People[id]; ok {
		return id
	}
	if !p.noPeople && !p.people[id] {
		cands := append([]string{bot.CommanderDuty, bot.CommanderStability}, sortedKeys(c.People)...)
		p.errorf(n, "%s: %q is not duty, stability or a known person%s", path, yamlnode.Clip(s), yamlnode.Suggest(id, cands, 12))
	}
	return def
}

// checkCron validates a standard 5-field cron spec (descriptors such as
// @hourly and a CRON_TZ= prefix are accepted, as cron.ParseStandard does).
func checkCron(s string) (err error) {
	if (strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ=")) && !strings.Contains(s, " ") {
		return errors.New("a time zone but no schedule")
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	_, err = cron.ParseStandard(s)
	return err
}

// notify reads a level's notify list: "#channel", a person, or "+phone",
// each into a bot.Recipient of its kind.
func (p *parser) notify(c *bot.Catalog, path string, k, v *yaml.Node) []bot.Recipient {
	var out []bot.Recipient
	for _, item := range p.List(path, k, v, "[a, b]") {
		s, ok := p.item(path, item, ` (a # starts a comment in YAML: quote channel names, "#status")`)
		if !ok {
			continue
		}
		var val bot.Recipient
		switch {
		case strings.HasPrefix(s, "#"):
			if !channelRe.MatchString(s) {
				p.errorf(item, "%s: %q is not a channel name", path, yamlnode.Clip(s))
				continue
			}
			val = bot.Recipient{Kind: bot.RecipientChannel, Name: s[1:]}
		case strings.HasPrefix(s, "+"):
			if !phoneRe.MatchString(s) {
				p.errorf(item, "%s: %q is not an E.164 phone number (+ then digits, e.g. +15550100)", path, yamlnode.Clip(s))
				continue
			}
			val = bot.Recipient{Kind: bot.RecipientPhone, Name: s}
		default:
			id := strings.TrimPrefix(s, "@")
			if _, ok := c.People[id]; ok {
				val = bot.Recipient{Kind: bot.RecipientPerson, Name: id}
				break
			}
			if p.noPeople || p.people[id] {
				continue
			}
			msg := fmt.Sprintf("%s: %q is not a #channel, a known person or a +phone number", path, yamlnode.Clip(s))
			if best := bot.Closest(id, sortedKeys(c.People)); best != "" {
				msg += "; did you mean " + best + "?"
			} else if channelRe.MatchString("#" + s) {
				msg += fmt.Sprintf("; for a channel write \"#%s\" (quoted)", yamlnode.Clip(s))
			}
			p.errorf(item, "%s", msg)
			continue
		}
		if slices.Contains(out, val) {
			p.errorf(item, "%s: %s is listed twice", path, val)
			continue
		}
		out = append(out, val)
	}
	return out
}
