package config

import (
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"

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
	topKeys     = []string{"command", "adapter", "database", "http", "checkin_emoji", "plans", "bridge", "base_url", "paging", "permissions", "api_tokens", "people", "services", "duty", "levels", "alerts"}
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
	p.nonEmpty(fields, "database", "the SQLite file warroom keeps its state in, e.g. warroom.db, or a postgres:// URL", &cfg.Database)
	if f, ok := fields["database"]; ok && strings.Contains(cfg.Database, "://") &&
		!strings.HasPrefix(cfg.Database, "postgres://") && !strings.HasPrefix(cfg.Database, "postgresql://") {
		scheme, _, _ := strings.Cut(cfg.Database, "://")
		p.errorf(f.K, "database: %s:// is not a database warroom knows: name a SQLite file (warroom.db) or a PostgreSQL URL (postgres://user@host:5432/warroom)", yamlnode.Clip(scheme))
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
	if f, ok := fields["base_url"]; ok {
		cfg.BaseURL = p.baseURL(f)
	}
	if f, ok := fields["paging"]; ok {
		cfg.Paging = p.pagingSection(f)
	}
	if f, ok := fields["alerts"]; ok {
		cfg.Alerts = p.alertsSection(f)
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
