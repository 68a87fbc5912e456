package config

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"

	"github.com/warroom/warroom/adapters"
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
	// topKeys are the settings of the file, besides each platform's section.
	topKeys     = []string{"command", "adapter", "database", "http", "checkin_emoji", "plans", "bridge", "paging", "permissions", "api_tokens", "people", "services", "duty", "levels"}
	personKeys  = []string{"name", "email", "phone"} // and an account per platform
	serviceKeys = []string{"contacts", "stability"}
	dutyKeys    = []string{"rotation", "start", "people"}
	levelKeys   = []string{"commander", "checkin_within", "remind", "notify", "page", "digest"}
	pagingKeys  = []string{"twilio", "pagerduty", "webhook"}
	twilioKeys  = []string{"account_sid", "auth_token", "from", "voice", "voice_url", "api_url"}
	pdKeys      = []string{"routing_key", "levels", "api_url"}
	webhookKeys = []string{"url", "secret"}
	rotations   = []string{string(bot.Daily), string(bot.Weekly)}

	commandRe = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)
	idRe      = regexp.MustCompile(`^[a-z0-9._-]+$`)
	envNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	phoneRe   = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
	emailRe   = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
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
// empty only because its optional variables (${VAR:-}) are unset counts as
// absent (set false); an unset ${VAR} is a problem (expand).
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

// envRef is one ${VAR} or ${VAR:-default} in a value.
type envRef struct {
	name       string
	def        string // after :-
	hasDefault bool
	start, end int // s[start:end] is the whole reference
}

// envRefs finds the ${...} references in s. A $ not followed by { is
// literal.
func envRefs(s string) ([]envRef, error) {
	var refs []envRef
	for off := 0; ; {
		i := strings.Index(s[off:], "${")
		if i < 0 {
			return refs, nil
		}
		i += off
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("%q has a ${ without its closing }", yamlnode.Clip(s))
		}
		r := envRef{name: s[i+2 : i+j], start: i, end: i + j + 1}
		if k := strings.Index(r.name, ":-"); k >= 0 {
			r.name, r.def, r.hasDefault = r.name[:k], r.name[k+2:], true
			if strings.Contains(r.def, "${") {
				return nil, fmt.Errorf("%q: a default cannot hold another ${...}", yamlnode.Clip(s[i:]))
			}
		}
		if !envNameRe.MatchString(r.name) {
			if k := strings.IndexAny(r.name, ":-=?+"); k > 0 && envNameRe.MatchString(r.name[:k]) {
				return nil, fmt.Errorf("%q: write ${%s} (required) or ${%s:-default} (optional)", yamlnode.Clip(s[i:r.end]), r.name[:k], r.name[:k])
			}
			return nil, fmt.Errorf("%q is not an environment variable name (letters, digits, _)", yamlnode.Clip(r.name))
		}
		refs = append(refs, r)
		off = r.end
	}
}

// expand replaces each ${VAR} in s by the environment variable VAR, and
// each ${VAR:-default} by VAR or, when VAR is unset or empty, by default.
// A ${VAR} without a default whose variable is unset (or empty) is a
// problem naming the key, its line and VAR. vars are the names it used.
func (p *parser) expand(path string, n *yaml.Node, s string) (out string, vars []string, ok bool) {
	return p.expandAs(path, n, s, "default")
}

// expandAs is expand; def is the default its message suggests for an
// optional variable ("" for a secret, which cannot have one).
func (p *parser) expandAs(path string, n *yaml.Node, s, def string) (out string, vars []string, ok bool) {
	refs, err := envRefs(s)
	if err != nil {
		p.errorf(n, "%s: %v", path, err)
		return "", nil, false
	}
	if len(refs) == 0 {
		return s, nil, true
	}
	var (
		b       strings.Builder
		missing []string
		last    int
	)
	for _, r := range refs {
		b.WriteString(s[last:r.start])
		last = r.end
		vars = append(vars, r.name)
		v := p.getenv(r.name)
		switch {
		case v != "":
			b.WriteString(v)
		case r.hasDefault:
			b.WriteString(r.def)
		case !slices.Contains(missing, r.name):
			missing = append(missing, r.name)
		}
	}
	b.WriteString(s[last:])
	if len(missing) > 0 {
		p.errorf(n, "%s: %s: set %s in the environment, or write %s if it is optional",
			path, notSet(missing), strings.Join(missing, ", "), "${"+missing[0]+":-"+def+"}")
		return "", vars, false
	}
	return b.String(), vars, true
}

// notSet is "${A} is not set" or "${A}, ${B} are not set".
func notSet(names []string) string {
	refs := make([]string, len(names))
	for i, n := range names {
		refs[i] = "${" + n + "}"
	}
	if len(refs) == 1 {
		return refs[0] + " is not set"
	}
	return strings.Join(refs, ", ") + " are not set"
}

// secret reads a token key: its value must come from the environment, as
// ${VAR} (required) or ${VAR:-} (optional: empty when unset). envVar is
// the variable it names (def when it names none).
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
	if refs, err := envRefs(raw); err == nil {
		for _, r := range refs {
			if r.def != "" {
				// The default would be the secret, written in the file.
				p.errorf(yamlnode.LineOf(k, v), "%s: a secret cannot have a default in the file; write \"${%s}\", or \"${%s:-}\" to leave it empty when %s is unset", path, r.name, r.name, r.name)
				return "", r.name
			}
		}
	}
	s, vars, ok := p.expandAs(path, yamlnode.LineOf(k, v), raw, "")
	if len(vars) > 0 {
		envVar = vars[0]
	}
	if !ok {
		return "", envVar
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
	fields := p.Fields("", nil, root, append(slices.Clone(topKeys), sectionKeys()...))
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
			if names := adapters.Names(); slices.Contains(names, s) {
				cfg.Adapter = s
			} else {
				p.errorf(f.K, "adapter: %q is not %s%s", yamlnode.Clip(s), orList(names), yamlnode.Suggest(s, names, 12))
			}
		}
	}
	p.nonEmpty(fields, "database", "the SQLite file warroom keeps its state in, e.g. warroom.db", &cfg.Database)
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
	p.nonEmpty(fields, "plans", "the directory of plan files, e.g. plans/", &cfg.Plans)
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
	if f, ok := fields["paging"]; ok {
		cfg.Paging = p.pagingSection(f)
	}

	// Each platform reads its own section, and says what it needs when
	// it is the one the config runs.
	p.platformSections(cfg, fields)
	return cfg
}

// nonEmpty sets *dst to a top-level key's value; an empty one is a problem
// saying what the key is for.
func (p *parser) nonEmpty(fields map[string]field, key, what string, dst *string) {
	f, ok := fields[key]
	if !ok {
		return
	}
	if s, ok := p.str(f.Key, f.K, f.V); ok && s == "" {
		p.errorf(f.K, "%s: empty; %s", key, what)
	} else if ok {
		*dst = s
	}
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
	accounts := map[string]map[string]string{} // platform -> account -> person
	keys := append(slices.Clone(personKeys), adapters.Names()...)
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
		for _, h := range p.Mapping(path, g.K, g.V, keys) {
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
			default: // an account on a platform
				p.account(&person, accounts, kp, h, s)
			}
		}
		c.People[id] = person
	}
}

// account records a person's account on the platform named by h.Key,
// checked by the platform and unique among people.
func (p *parser) account(person *bot.Person, seen map[string]map[string]string, path string, h field, id string) {
	pl, _ := adapters.Lookup(h.Key)
	if pl.Account != nil {
		if want := pl.Account(id); want != "" {
			p.errorf(h.K, "%s: %q is not %s", path, yamlnode.Clip(id), want)
			return
		}
	}
	if seen[h.Key] == nil {
		seen[h.Key] = map[string]string{}
	}
	if other, dup := seen[h.Key][id]; dup {
		title := pl.Title
		if title == "" {
			title = pl.Name
		}
		p.errorf(h.K, "%s: %s is also %s's %s id", path, id, other, title)
		return
	}
	seen[h.Key][id] = person.ID
	if person.Accounts == nil {
		person.Accounts = map[string]string{}
	}
	person.Accounts[h.Key] = id
}

// orList is "a, b or c".
func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
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
	return yamlnode.Suggest(id, slices.Sorted(maps.Keys(c.People)), 12)
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
		cands := append([]string{bot.CommanderDuty, bot.CommanderStability}, slices.Sorted(maps.Keys(c.People))...)
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
			if best := bot.Closest(id, slices.Sorted(maps.Keys(c.People))); best != "" {
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
