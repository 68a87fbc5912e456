package config

import (
	"bytes"
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
	p := &parser{getenv: getenv, data: data}
	cfg := p.config(p.document())
	if len(p.probs) > 0 {
		return nil, &Error{File: name, Problems: p.sorted()}
	}
	return cfg, nil
}

var (
	topKeys     = []string{"command", "adapter", "database", "http", "checkin_emoji", "plans", "bridge", "slack", "discord", "paging", "permissions", "api_tokens", "people", "services", "duty", "levels"}
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
	getenv func(string) string
	data   []byte
	probs  []Problem

	// person ids under people:, valid or not, so that references to a
	// misspelt definition are not reported twice.
	people   map[string]bool
	noPeople bool // people: was not a mapping; skip reference checks
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	msg := fmt.Sprintf(format, args...)
	msg = strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(msg) // one problem, one line
	p.probs = append(p.probs, Problem{Line: line, Message: msg})
}

func (p *parser) sorted() []Problem {
	sort.SliceStable(p.probs, func(i, j int) bool { return p.probs[i].Line < p.probs[j].Line })
	return slices.Compact(p.probs)
}

// document decodes the single YAML document in the data. It returns nil for
// an empty file.
func (p *parser) document() (root *yaml.Node) {
	defer func() {
		if r := recover(); r != nil { // yaml.v3 must not take the bot down
			p.probs = append(p.probs, Problem{Message: fmt.Sprintf("not valid YAML: %v", r)})
			root = nil
		}
	}()
	root, second, err := yamlnode.Decode(p.data)
	if err != nil {
		p.yamlError(err)
	}
	if second != nil {
		p.errorf(second, "a second YAML document (after ---): put all the settings in one document")
	}
	return root
}

func (p *parser) yamlError(err error) {
	line, msg := yamlnode.SplitError(err)
	switch {
	case yamlnode.IsParserError(msg):
		// yaml.v3 reports the parser's marks 0-based (and line 0 not at
		// all), the scanner's 1-based; the mark of the end of the stream
		// can be one past the last line.
		line = min(line+1, p.lines())
	case line == 0 && isScannerError(msg):
		line = 1 // yaml.v3 leaves out line 1
	case strings.HasPrefix(msg, "unknown anchor '"):
		name, _, _ := strings.Cut(strings.TrimPrefix(msg, "unknown anchor '"), "'")
		for i := 1; i <= p.lines(); i++ {
			if strings.Contains(p.line(i), "*"+name) {
				line = i
				break
			}
		}
	}
	text := "not valid YAML: " + msg
	if src := p.line(line); strings.Contains(src, "[#") || strings.Contains(src, ", #") {
		text += ` (a # starts a comment in YAML: quote channel names, "#status")`
	}
	p.probs = append(p.probs, Problem{Line: line, Message: text})
}

// isScannerError tells the scanner's errors, which have a position, from the
// reader's (bad bytes, bad UTF-8) and the decoder's, which have none.
func isScannerError(msg string) bool {
	for _, s := range []string{"control characters", "UTF-8", "UTF-16", "Unicode character", "exceeded max depth", "anchor", "document contains excessive aliasing"} {
		if strings.Contains(msg, s) {
			return false
		}
	}
	return true
}

// lines counts the lines of the data.
func (p *parser) lines() int {
	n := bytes.Count(p.data, []byte("\n"))
	if len(p.data) > 0 && p.data[len(p.data)-1] != '\n' {
		n++
	}
	return max(n, 1)
}

// line returns line n (1-based) of the data, or "".
func (p *parser) line(n int) string {
	lines := bytes.Split(p.data, []byte("\n"))
	if n < 1 || n > len(lines) {
		return ""
	}
	return string(lines[n-1])
}

// at prefixes a message with its key path.
func at(path, msg string) string {
	if path == "" {
		return msg
	}
	return path + ": " + msg
}

// field is one key: value pair of a mapping.
type field struct {
	key  string
	k, v *yaml.Node
}

// mapping checks that v (the value of the key k at path) is a mapping and
// returns its pairs, reporting duplicate keys and, when known is not nil,
// unknown keys. A null value is an empty mapping.
func (p *parser) mapping(path string, k, v *yaml.Node, known []string) []field {
	n := yamlnode.Deref(v)
	if yamlnode.IsNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		what := "expected a mapping (key: value)"
		if path == "" {
			what = "expected a mapping of settings (key: value)"
		}
		p.errorf(yamlnode.LineOf(k, v), "%s", at(path, what+", got "+yamlnode.KindName(n)))
		return nil
	}
	seen := map[string]int{}
	var out []field
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		kd := yamlnode.Deref(kn)
		if kd == nil || kd.Kind != yaml.ScalarNode {
			p.errorf(kn, "%s", at(path, "a key must be a plain word, got "+yamlnode.KindName(kd)))
			continue
		}
		if kd.ShortTag() == "!!merge" {
			p.errorf(kn, "%s", at(path, "merge keys (<<) are not supported; write the keys out"))
			continue
		}
		key := kd.Value
		if first, dup := seen[key]; dup {
			p.errorf(kn, "%s: duplicate key (first on line %d)", yamlnode.Join(path, yamlnode.KeyName(key)), first)
			continue
		}
		seen[key] = kn.Line
		if known != nil && !slices.Contains(known, key) {
			p.errorf(kn, "%s", at(path, fmt.Sprintf("unknown key %q%s", yamlnode.Clip(key), yamlnode.Suggest(key, known, 12))))
			continue
		}
		out = append(out, field{key: key, k: kn, v: vn})
	}
	return out
}

// list checks that v is a list and returns its items. Null is empty.
func (p *parser) list(path string, k, v *yaml.Node) []*yaml.Node {
	n := yamlnode.Deref(v)
	if yamlnode.IsNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		hint := ""
		if n.Kind == yaml.ScalarNode && yamlnode.PlainKey.MatchString(n.Value) {
			hint = fmt.Sprintf(" (write [%s])", n.Value)
		}
		p.errorf(yamlnode.LineOf(k, v), "%s: expected a list like [a, b], got %s%s", path, yamlnode.KindName(n), hint)
		return nil
	}
	return n.Content
}

// scalar returns the raw text of a single value, before ${VAR} expansion. set
// is false for null and after a problem (which it reports).
func (p *parser) scalar(path string, k, v *yaml.Node) (raw string, set bool) {
	n := yamlnode.Deref(v)
	if yamlnode.IsNull(n) {
		return "", false
	}
	if n.Kind != yaml.ScalarNode {
		p.errorf(yamlnode.LineOf(k, v), "%s: expected a single value, got %s", path, yamlnode.KindName(n))
		return "", false
	}
	return n.Value, true
}

// str returns a single value with its ${VAR}s expanded. A value that is
// empty only because its variables are unset counts as absent (set false).
func (p *parser) str(path string, k, v *yaml.Node) (string, bool) {
	raw, ok := p.scalar(path, k, v)
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
	raw, ok := p.scalar(path, n, n)
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
	raw, ok := p.scalar(path, k, v)
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
	switch strings.ToLower(s) {
	case "true", "yes", "on":
		return true, true
	case "false", "no", "off":
		return false, true
	}
	p.errorf(yamlnode.LineOf(k, v), "%s: %q is not true or false", path, yamlnode.Clip(s))
	return false, false
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
	for _, f := range p.mapping("", nil, root, topKeys) {
		fields[f.key] = f
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
		if s, ok := p.str(f.key, f.k, f.v); ok {
			switch {
			case strings.HasPrefix(s, "/") && commandRe.MatchString(s[1:]):
				p.errorf(f.k, "command: %q: write the word without the slash: %s", yamlnode.Clip(s), s[1:])
			case !commandRe.MatchString(s):
				p.errorf(f.k, "command: %q is not a single word of a-z, 0-9, _ and - (at most 32), e.g. fault", yamlnode.Clip(s))
			default:
				cfg.Command = s
			}
		}
	}
	if f, ok := fields["adapter"]; ok {
		if s, ok := p.str(f.key, f.k, f.v); ok {
			if slices.Contains(adapters, s) {
				cfg.Adapter = s
			} else {
				p.errorf(f.k, "adapter: %q is not console, slack or discord%s", yamlnode.Clip(s), yamlnode.Suggest(s, adapters, 12))
			}
		}
	}
	if f, ok := fields["database"]; ok {
		if s, ok := p.str(f.key, f.k, f.v); ok {
			if s == "" {
				p.errorf(f.k, "database: empty; the SQLite file warroom keeps its state in, e.g. warroom.db")
			} else {
				cfg.Database = s
			}
		}
	}
	if f, ok := fields["http"]; ok {
		if s, ok := p.str(f.key, f.k, f.v); ok {
			cfg.HTTP = p.httpAddr(f, s)
		}
	}
	if f, ok := fields["checkin_emoji"]; ok {
		if s, ok := p.str(f.key, f.k, f.v); ok {
			s = strings.Trim(s, ":")
			if s == "" || strings.ContainsFunc(s, isSpace) {
				p.errorf(f.k, "checkin_emoji: %q is not an emoji name, e.g. white_check_mark", yamlnode.Clip(s))
			} else {
				cfg.CheckinEmoji = s
			}
		}
	}
	if f, ok := fields["plans"]; ok {
		if s, ok := p.str(f.key, f.k, f.v); ok {
			if s == "" {
				p.errorf(f.k, "plans: empty; the directory of plan files, e.g. plans/")
			} else {
				cfg.Plans = s
			}
		}
	}
	if f, ok := fields["bridge"]; ok {
		if s, ok := p.str(f.key, f.k, f.v); ok {
			cfg.Bridge = s
			for _, ph := range placeholderRe.FindAllString(s, -1) {
				if ph != "{id}" {
					p.errorf(f.k, "bridge: unknown placeholder %q; the only one is {id}, the fault's number", yamlnode.Clip(ph))
				}
			}
		}
	}
	slackVars := map[string]string{"bot_token": "SLACK_BOT_TOKEN", "app_token": "SLACK_APP_TOKEN", "signing_secret": "SLACK_SIGNING_SECRET"}
	slackLines := map[string]*yaml.Node{}
	if f, ok := fields["slack"]; ok {
		for _, g := range p.mapping("slack", f.k, f.v, slackKeys) {
			path := yamlnode.Join("slack", g.key)
			slackLines[g.key] = g.k
			switch g.key {
			case "bot_token":
				cfg.Slack.BotToken, slackVars[g.key] = p.secret(path, g.k, g.v, slackVars[g.key])
			case "app_token":
				cfg.Slack.AppToken, slackVars[g.key] = p.secret(path, g.k, g.v, slackVars[g.key])
			case "signing_secret":
				cfg.Slack.SigningSecret, slackVars[g.key] = p.secret(path, g.k, g.v, slackVars[g.key])
			case "private":
				cfg.Slack.Private, _ = p.boolean(path, g.k, g.v)
			case "api_url":
				cfg.Slack.APIURL = p.apiURL(path, g.k, g.v)
			}
		}
	}
	discordVar := "DISCORD_TOKEN"
	discordLines := map[string]*yaml.Node{}
	if f, ok := fields["discord"]; ok {
		for _, g := range p.mapping("discord", f.k, f.v, discordKeys) {
			path := yamlnode.Join("discord", g.key)
			discordLines[g.key] = g.k
			switch g.key {
			case "token":
				cfg.Discord.Token, discordVar = p.secret(path, g.k, g.v, discordVar)
			case "guild":
				if s, ok := p.str(path, g.k, g.v); ok && s != "" {
					if snowRe.MatchString(s) {
						cfg.Discord.Guild = s
					} else {
						p.errorf(g.k, "%s: %q is not a Discord server id (a number like 123456789012345678: Developer Mode, then Copy Server ID)", path, yamlnode.Clip(s))
					}
				}
			case "api_url":
				cfg.Discord.APIURL = p.discordAPIURL(path, g.k, g.v)
			}
		}
	}

	if f, ok := fields["paging"]; ok {
		cfg.Paging = p.pagingSection(f)
	}

	// What the chosen adapter needs.
	adapterNode := fields["adapter"].k
	where := func(lines map[string]*yaml.Node, key, section string) *yaml.Node {
		if n := lines[key]; n != nil {
			return n
		}
		if f, ok := fields[section]; ok {
			return f.k
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
	for _, pr := range p.probs {
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
		p.errorf(f.k, "http: %q is not a host:port address (e.g. 127.0.0.1:8080, or :8080 for every interface); write off to disable", yamlnode.Clip(s))
		return DefaultHTTP
	}
	return s
}

func (p *parser) peopleSection(c *bot.Catalog, f field) {
	n := yamlnode.Deref(f.v)
	if !yamlnode.IsNull(n) && n.Kind != yaml.MappingNode {
		p.noPeople = true
	}
	slackIDs, discordIDs := map[string]string{}, map[string]string{}
	for _, g := range p.mapping("people", f.k, f.v, nil) {
		id := g.key
		p.people[id] = true
		path := yamlnode.Join("people", id)
		switch {
		case id == bot.CommanderDuty || id == bot.CommanderStability:
			p.errorf(g.k, "people: %q is reserved (a level's commander rule); pick another id", id)
			continue
		case !idRe.MatchString(id):
			msg := fmt.Sprintf("people: %q is not a person id (a-z, 0-9, . _ -)", yamlnode.Clip(id))
			if l := strings.ToLower(id); idRe.MatchString(l) {
				msg += "; did you mean " + l + "?"
			}
			p.errorf(g.k, "%s", msg)
			continue
		}
		person := bot.Person{ID: id}
		if v := yamlnode.Deref(g.v); v != nil && v.Kind != yaml.MappingNode && !yamlnode.IsNull(v) {
			p.errorf(g.k, "%s: expected a mapping like {name: Alice Chen, email: alice@example.com}, got %s", path, yamlnode.KindName(v))
			continue
		}
		for _, h := range p.mapping(path, g.k, g.v, personKeys) {
			kp := yamlnode.Join(path, h.key)
			s, ok := p.str(kp, h.k, h.v)
			if !ok || s == "" {
				continue
			}
			switch h.key {
			case "name":
				person.Name = s
			case "email":
				if !emailRe.MatchString(s) {
					p.errorf(h.k, "%s: %q is not an email address", kp, yamlnode.Clip(s))
				}
				person.Email = s
			case "phone":
				if !phoneRe.MatchString(s) {
					msg := fmt.Sprintf("%s: %q is not an E.164 phone number (+ then digits, e.g. +15550100)", kp, yamlnode.Clip(s))
					if d := strings.Map(keepPhone, s); phoneRe.MatchString(d) {
						msg += "; did you mean " + d + "?"
					}
					p.errorf(h.k, "%s", msg)
				}
				person.Phone = s
			case "slack":
				if !slackIDRe.MatchString(s) {
					p.errorf(h.k, "%s: %q is not a Slack member id (like U01ALICE: the profile's ⋮ menu, Copy member ID)", kp, yamlnode.Clip(s))
				} else if other, dup := slackIDs[s]; dup {
					p.errorf(h.k, "%s: %s is also %s's Slack id", kp, s, other)
				}
				slackIDs[s] = id
				person.Slack = s
			case "discord":
				if !snowRe.MatchString(s) {
					p.errorf(h.k, "%s: %q is not a Discord user id (a number like 81234567890123456: Developer Mode, then Copy User ID)", kp, yamlnode.Clip(s))
				} else if other, dup := discordIDs[s]; dup {
					p.errorf(h.k, "%s: %s is also %s's Discord id", kp, s, other)
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
	items := p.list(path, k, v)
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
	if idRe.MatchString(g.key) {
		return true
	}
	msg := fmt.Sprintf("%s: %q is not a %s name (a-z, 0-9, . _ -)", section, yamlnode.Clip(g.key), what)
	if l := strings.ToLower(g.key); idRe.MatchString(l) {
		msg += "; did you mean " + l + "?"
	}
	p.errorf(g.k, "%s", msg)
	return false
}

func (p *parser) servicesSection(c *bot.Catalog, f field) {
	for _, g := range p.mapping("services", f.k, f.v, nil) {
		name := g.key
		path := yamlnode.Join("services", name)
		if !p.id("services", "service", g) {
			continue
		}
		svc := bot.Service{Name: name}
		var hasContacts bool
		if v := yamlnode.Deref(g.v); !yamlnode.IsNull(v) && v.Kind != yaml.MappingNode {
			p.errorf(g.k, "%s: expected a mapping like {contacts: [alice, bob], stability: bob}, got %s", path, yamlnode.KindName(v))
			continue
		}
		for _, h := range p.mapping(path, g.k, g.v, serviceKeys) {
			kp := yamlnode.Join(path, h.key)
			switch h.key {
			case "contacts":
				hasContacts = true
				var n int
				svc.Contacts, n = p.peopleList(c, kp, h.k, h.v, true)
				if n == 0 && (yamlnode.IsNull(h.v) || yamlnode.Deref(h.v).Kind == yaml.SequenceNode) {
					p.errorf(h.k, "%s: list at least one person", kp)
				}
			case "stability":
				if s, ok := p.str(kp, h.k, h.v); ok && s != "" {
					svc.Stability, _ = p.person(c, kp, h.k, s)
				}
			}
		}
		if !hasContacts {
			p.errorf(g.k, "%s.contacts: missing; list at least one person, e.g. contacts: [alice]", path)
		}
		c.Services[name] = svc
	}
}

func (p *parser) dutySection(c *bot.Catalog, f field) {
	var startSet bool
	for _, g := range p.mapping("duty", f.k, f.v, dutyKeys) {
		path := yamlnode.Join("duty", g.key)
		switch g.key {
		case "rotation":
			if s, ok := p.str(path, g.k, g.v); ok {
				if slices.Contains(rotations, s) {
					c.Duty.Rotation = bot.Rotation(s)
				} else {
					p.errorf(g.k, "%s: %q is not daily or weekly%s", path, yamlnode.Clip(s), yamlnode.Suggest(s, rotations, 12))
				}
			}
		case "start":
			if s, ok := p.str(path, g.k, g.v); ok {
				t, err := time.Parse(time.RFC3339, s)
				if err != nil {
					p.errorf(g.k, "%s: %q is not an RFC 3339 time (e.g. 2026-01-05T09:00:00Z)", path, yamlnode.Clip(s))
				} else {
					c.Duty.Start = t
				}
				startSet = true
			}
		case "people":
			c.Duty.People, _ = p.peopleList(c, path, g.k, g.v, false)
		}
	}
	if len(c.Duty.People) > 0 && !startSet {
		p.errorf(f.k, "duty.start: missing; when the first shift starts, e.g. start: 2026-01-05T09:00:00Z")
	}
}

func (p *parser) levelsSection(c *bot.Catalog, f field) {
	for _, g := range p.mapping("levels", f.k, f.v, nil) {
		l := bot.Level(g.key)
		if !slices.Contains(bot.Levels, l) {
			msg := fmt.Sprintf("levels: unknown level %q", yamlnode.Clip(g.key))
			norm := strings.ToUpper(strings.Map(func(r rune) rune {
				if r == ' ' || r == '-' || r == '_' {
					return -1
				}
				return r
			}, g.key))
			if slices.Contains(bot.Levels, bot.Level(norm)) {
				msg += "; did you mean " + norm + "?"
			} else {
				msg += ": use P1, P2, P3 or P4 (P1 is the worst)"
			}
			p.errorf(g.k, "%s", msg)
			continue
		}
		path := yamlnode.Join("levels", g.key)
		if v := yamlnode.Deref(g.v); v == nil || v.Kind != yaml.MappingNode {
			if !yamlnode.IsNull(v) {
				p.errorf(g.k, "%s: expected a mapping like {commander: duty, checkin_within: 10m}, got %s", path, yamlnode.KindName(v))
			}
			continue
		}
		pol := c.Levels[l]
		for _, h := range p.mapping(path, g.k, g.v, levelKeys) {
			kp := yamlnode.Join(path, h.key)
			switch h.key {
			case "commander":
				if s, ok := p.str(kp, h.k, h.v); ok {
					pol.Commander = p.commander(c, kp, h.k, s, pol.Commander)
				}
			case "checkin_within":
				if s, ok := p.str(kp, h.k, h.v); ok {
					d, err := time.ParseDuration(s)
					switch {
					case err != nil:
						p.errorf(h.k, "%s: %q is not a duration (e.g. 10m, 1h30m)", kp, yamlnode.Clip(s))
					case d <= 0:
						p.errorf(h.k, "%s: %q must be more than zero", kp, yamlnode.Clip(s))
					default:
						pol.CheckinWithin = d
					}
				}
			case "remind":
				if s, ok := p.str(kp, h.k, h.v); ok {
					if strings.EqualFold(s, "off") {
						pol.Remind = ""
					} else if err := checkCron(s); err != nil {
						p.errorf(h.k, "%s: %q is not a cron schedule (minute hour day-of-month month day-of-week, e.g. \"*/15 * * * *\"): %v", kp, yamlnode.Clip(s), err)
					} else {
						pol.Remind = s
					}
				}
			case "notify":
				pol.Notify = p.notify(c, kp, h.k, h.v)
			case "page":
				pol.Page, _ = p.peopleList(c, kp, h.k, h.v, true)
			case "digest":
				if s, ok := p.str(kp, h.k, h.v); ok {
					pol.Digest = p.digest(kp, h.k, s, pol.Digest)
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
	for _, item := range p.list(path, k, v) {
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
