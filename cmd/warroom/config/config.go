// Package config reads warroom's YAML configuration file (PRODUCT.md,
// "Configuration") into a Config and its bot.Catalog.
//
// Parse walks the yaml.Node tree itself, so every problem names the file, the
// line and the key path:
//
//	warroom.yaml:12: levels.P2.checkin_within: "10 minuets" is not a duration (e.g. 10m, 1h30m)
//
// and it reports every problem it finds, one per line, sorted by line, rather
// than stopping at the first.
//
// Rules beyond the list of keys:
//   - A key that is absent or null (`key:` or `key: ~`) takes its default. An
//     empty file is a valid config: the defaults below and an empty catalog.
//   - `${VAR}` in any string value is replaced by the environment variable VAR
//     (a `$` on its own is literal); a VAR that is unset (or empty) is a
//     problem naming the key, the line and VAR. `${VAR:-default}` is the
//     optional form: default (which may be empty, `${VAR:-}`) when VAR is
//     unset or empty. The secret keys (the platforms'
//     tokens, such as slack.bot_token), paging.twilio.auth_token, paging.pagerduty.routing_key,
//     paging.webhook.secret and api_tokens.<name>.token must be written
//     with `${...}`: a literal value is an error, and so is a non-empty
//     default, so secrets never live in the file. A value that is empty only
//     because its optional variables are unset counts as absent and takes
//     its default (an empty list item is an error).
//   - Each chat platform registered with package adapters (adapters.Names)
//     reads and checks its own section, named after it (`slack:`), and says
//     what it needs when `adapter:` names it; a person's account on it is
//     the key of that name under people: (`slack: U01ALICE`), checked by
//     the platform. This package names no platform.
//   - `http: off` or `http: ""` turns the HTTP server off (Config.HTTP == "").
//   - A person may be referred to as `alice` or `"@alice"` (contacts,
//     stability, duty.people, commander, notify, page); it is stored as alice.
//   - A level's notify items ("#channel", a person, or a "+phone" number)
//     are stored as bot.Recipients of those kinds (channel names without
//     the "#"); the core looks a channel up by name on the platform.
//   - `remind: off` turns a level's progress reminders off (Remind == "");
//     `digest: off` its status digest (Digest == 0). A digest is at least 1m.
//   - checkin_emoji may be written with colons (`:white_check_mark:`); it is
//     stored without them.
//
// Levels absent from the file, and keys absent from a level, take these
// defaults (notify and page default to nobody):
//
//	P1: {commander: duty,      checkin_within: 5m,  remind: "*/10 * * * *", digest: 30m}
//	P2: {commander: duty,      checkin_within: 10m, remind: "*/15 * * * *", digest: 1h}
//	P3: {commander: stability, checkin_within: 30m, remind: "0 * * * *",    digest: off}
//	P4: {commander: stability, checkin_within: 2h,  remind: "0 */4 * * *",  digest: off}
//
// A missing duty.rotation is weekly.
//
// paging: configures the providers pages go through (cmd/warroom/pager). Each of
// its sections (twilio, pagerduty, webhook) turns its provider on by being
// there, and then needs its required keys: twilio account_sid, auth_token
// and from; pagerduty routing_key; webhook url and secret. The secret keys
// (twilio.auth_token, pagerduty.routing_key, webhook.secret) must be written
// with ${...} like the chat tokens, and must not be empty. With no paging
// section, pages are recorded as "no pager is configured".
//
// permissions: replaces whole rows of the table of who may run each command
// (bot.DefaultPermissions): command -> a non-empty list of roles
// (commander, handler, responder), participant, anyone, assignee (done only)
// or person ids; declare, list and help take only anyone or person ids, and
// approve and deny are each plan's approval rule, not a row.
//
// base_url: is an absolute http(s) URL with a host and no query, fragment
// or user; a trailing slash is dropped.
//
// api_tokens: is name -> {token, person}: a bearer token for the HTTP API and
// the web pages, acting as person (required, in people:). token is required,
// from the environment, one word, and no two names may share one. No
// message ever shows a token.
package config

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/warroom/warroom/bot"
)

// Example is the embedded example config: complete and commented. It is what
// warroom runs on when started with no config file (the console demo).
//
//go:embed example.yaml
var Example []byte

// Config is warroom's configuration.
type Config struct {
	Command      string // the slash-command word; default "fault"
	Adapter      string // a registered platform (adapters.Names); default console
	Database     string // SQLite file, or a postgres:// URL (several warroom processes share it); default "warroom.db"
	HTTP         string // listen address; default "127.0.0.1:8080"; "" = no HTTP server
	CheckinEmoji string // reaction name that checks in; default "white_check_mark"
	Plans        string // directory of plan files; default "plans/"
	Bridge       string // conference URL template, may contain {id}; default none
	// BaseURL is where people reach the HTTP server (base_url), for the
	// links chat gives to the war-room pages: an absolute http(s) URL,
	// without a trailing slash; "" = none (the resolve summary says how to
	// set it).
	BaseURL string
	// Platforms are the chat platforms' settings, as each platform's own
	// section reader returned them (adapters.Platform.Section), by name.
	Platforms   map[string]any
	Paging      Paging
	Permissions bot.Permissions // who may run each command: the default table with permissions:'s rows; never nil
	APITokens   []bot.APIToken  // api_tokens:, sorted by name; tokens unique and from the environment
	Alerts      *Alerts         // alerts: (alerts.go); nil: the alert hooks are off
	Catalog     *bot.Catalog    // never nil; all four levels present
}

// Paging is the paging providers; a nil one is not configured.
type Paging struct {
	Twilio    *Twilio
	PagerDuty *PagerDuty
	Webhook   *Webhook
}

// Twilio is the Twilio account pages are texted (and called) through.
type Twilio struct {
	AccountSID string // AC + 32 hex digits; required
	AuthToken  string // required, from the environment
	From       string // the Twilio number, E.164; required
	Voice      bool   // a page is a call as well as a text; default false
	VoiceURL   string // TwiML URL for the call; "" = say the page's text
	APIURL     string // "" = Twilio's own; a test server
}

// PagerDuty is the Events API v2 integration faults are sent to.
type PagerDuty struct {
	RoutingKey string      // the integration key; required, from the environment
	Levels     []bot.Level // levels sent to PagerDuty; default P1, P2
	APIURL     string      // "" = PagerDuty's own (https://events.pagerduty.com); EU or a test server
}

// Webhook is a URL every page and fault event is POSTed to, signed.
type Webhook struct {
	URL    string // http(s); required
	Secret string // the HMAC key of X-Warroom-Signature; required, from the environment
}

// Defaults of the top-level settings.
const (
	DefaultCommand      = "fault"
	DefaultAdapter      = "console"
	DefaultDatabase     = "warroom.db"
	DefaultHTTP         = "127.0.0.1:8080"
	DefaultCheckinEmoji = "white_check_mark"
	DefaultPlans        = "plans/"
)

// DefaultLevels returns the policy of every level that a config leaves out.
func DefaultLevels() map[bot.Level]bot.LevelPolicy {
	return map[bot.Level]bot.LevelPolicy{
		bot.P1: {Commander: bot.CommanderDuty, CheckinWithin: 5 * time.Minute, Remind: "*/10 * * * *", Digest: 30 * time.Minute},
		bot.P2: {Commander: bot.CommanderDuty, CheckinWithin: 10 * time.Minute, Remind: "*/15 * * * *", Digest: time.Hour},
		bot.P3: {Commander: bot.CommanderStability, CheckinWithin: 30 * time.Minute, Remind: "0 * * * *"},
		bot.P4: {Commander: bot.CommanderStability, CheckinWithin: 2 * time.Hour, Remind: "0 */4 * * *"},
	}
}

// Load reads and parses the config file at path, taking ${VAR}s from the
// process environment. Relative paths in it (plans, database) are read from
// the file's folder, so that the binary may start from anywhere.
func Load(path string) (*Config, error) { return LoadWith(path, os.Getenv) }

// LoadWith is Load with the ${VAR}s from getenv.
func LoadWith(path string, getenv func(string) string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := Parse(data, path, getenv)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	cfg.Plans = besides(dir, cfg.Plans)
	if !strings.Contains(cfg.Database, "://") { // a URL is no path
		cfg.Database = besides(dir, cfg.Database)
	}
	return cfg, nil
}

// besides makes a relative path relative to dir.
func besides(dir, path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}

// Default returns the embedded example config, parsed, with ${VAR}s from the
// process environment. It panics only if the embedded file is broken, which a
// test guards against.
func Default() *Config {
	cfg, err := Parse(Example, "example.yaml", os.Getenv)
	if err != nil {
		panic("config: the embedded example.yaml is broken:\n" + err.Error())
	}
	return cfg
}

// Problem is one thing wrong in a config file.
type Problem struct {
	Line    int    // 1-based; 0 when the problem is with the file as a whole
	Message string // "levels.P2.checkin_within: ..."
}

// Error is every problem found in a config file, sorted by line.
type Error struct {
	File     string
	Problems []Problem
}

// maxShown caps how many problems Error prints; Problems keeps them all.
const maxShown = 100

// Error prints one problem per line: "file:line: message".
func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i == maxShown {
			fmt.Fprintf(&b, "\n%s: ... and %d more problems", e.File, len(e.Problems)-maxShown)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		if p.Line > 0 {
			fmt.Fprintf(&b, "%s:%d: %s", e.File, p.Line, p.Message)
		} else {
			fmt.Fprintf(&b, "%s: %s", e.File, p.Message)
		}
	}
	return b.String()
}
