package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	_ "github.com/warroom/warroom/adapters/console" // the platforms the configs name register themselves
	_ "github.com/warroom/warroom/adapters/dingtalk"
	"github.com/warroom/warroom/adapters/discord"
	_ "github.com/warroom/warroom/adapters/lark"
	_ "github.com/warroom/warroom/adapters/matrix"
	"github.com/warroom/warroom/adapters/slack"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/config"
)

// people is a prelude defining two people on lines 1-3, so a case's own
// lines start at line 4.
const people = "people:\n  alice: {}\n  bob: {}\n"

func noenv(string) string { return "" }

func TestDefault(t *testing.T) {
	t.Parallel()
	cfg := config.Default()
	require.NotNil(t, cfg)
	_, err := config.Parse(config.Example, "example.yaml", noenv)
	require.NoError(t, err, "the demo starts with an empty environment")
	assert.Equal(t, "fault", cfg.Command)
	assert.Equal(t, "console", cfg.Adapter)
	assert.Equal(t, "warroom.db", cfg.Database)
	assert.Equal(t, "127.0.0.1:8080", cfg.HTTP)
	assert.Equal(t, "white_check_mark", cfg.CheckinEmoji)
	assert.Equal(t, "plans/", cfg.Plans)
	assert.Equal(t, "https://meet.jit.si/acme-fault-{id}", cfg.Bridge)
	assert.True(t, cfg.Platforms["slack"].(slack.Settings).Private)
	assert.Equal(t, "123456789012345678", cfg.Platforms["discord"].(discord.Settings).Guild)

	c := cfg.Catalog
	require.NotNil(t, c)
	for _, id := range []string{"alice", "bob", "carol", "dave", "erin"} {
		assert.Contains(t, c.People, id)
		assert.Equal(t, id, c.People[id].ID)
	}
	assert.Equal(t, bot.Person{ID: "alice", Name: "Alice Chen", Email: "alice@example.com", Phone: "+15550100", Accounts: map[string]string{"slack": "U01ALICE"}}, c.People["alice"])
	assert.Equal(t, "81234567890123456", c.People["bob"].Account("discord"))
	assert.Equal(t, bot.Service{Name: "checkout", Contacts: []string{"alice", "bob"}, Stability: "bob"}, c.Services["checkout"])
	assert.Equal(t, bot.Service{Name: "payments-db", Contacts: []string{"carol"}, Stability: "carol"}, c.Services["payments-db"])
	assert.Contains(t, c.Services, "web")
	assert.Equal(t, bot.Weekly, c.Duty.Rotation)
	assert.Equal(t, time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC), c.Duty.Start)
	assert.Equal(t, []string{"dave", "erin"}, c.Duty.People)

	require.Len(t, c.Levels, 4)
	for _, l := range bot.Levels {
		assert.NotEmpty(t, c.Levels[l].Commander, l)
		assertValidLevel(t, c, l)
	}
	assert.Equal(t, bot.LevelPolicy{Commander: "duty", CheckinWithin: 5 * time.Minute, Remind: "*/10 * * * *", Notify: []bot.Recipient{{Kind: bot.RecipientChannel, Name: "status"}}, Page: []string{"dave"}, Digest: 30 * time.Minute}, c.Levels[bot.P1])
	assert.Equal(t, bot.LevelPolicy{Commander: "duty", CheckinWithin: 10 * time.Minute, Remind: "*/15 * * * *", Notify: []bot.Recipient{{Kind: bot.RecipientChannel, Name: "status"}}, Digest: time.Hour}, c.Levels[bot.P2])
	assert.Equal(t, bot.LevelPolicy{Commander: "stability", CheckinWithin: 30 * time.Minute, Remind: "0 * * * *"}, c.Levels[bot.P3])
	assert.Equal(t, bot.LevelPolicy{Commander: "stability", CheckinWithin: 2 * time.Hour, Remind: "0 */4 * * *"}, c.Levels[bot.P4])
	// The example's levels are the defaults, plus notify and page.
	for l, def := range config.DefaultLevels() {
		got := c.Levels[l]
		assert.Equal(t, def.Commander, got.Commander, l)
		assert.Equal(t, def.CheckinWithin, got.CheckinWithin, l)
		assert.Equal(t, def.Remind, got.Remind, l)
		assert.Equal(t, def.Digest, got.Digest, l)
	}
	// The example documents paging but leaves it off: the demo needs no
	// environment.
	assert.Equal(t, config.Paging{}, cfg.Paging)
	assert.Equal(t, "bob", c.Commander(bot.P3, "checkout", time.Now()))
}

func TestExampleCommentsEveryKey(t *testing.T) {
	t.Parallel()
	lines := strings.Split(string(config.Example), "\n")
	for i, line := range lines {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") || strings.HasPrefix(line, "  ") {
			continue // comments and catalog entries (their section is commented)
		}
		next := ""
		if i+1 < len(lines) {
			next = strings.TrimSpace(lines[i+1])
		}
		assert.True(t, strings.Contains(line, " # ") || strings.HasPrefix(next, "# "), "top-level key without a comment: %s", line)
	}
}

func TestEmptyFileIsDefaults(t *testing.T) {
	t.Parallel()
	for _, data := range []string{"", "# nothing here\n", "---\n", "~\n", "levels:\npeople:\n"} {
		cfg, err := config.Parse([]byte(data), "t.yaml", noenv)
		require.NoError(t, err, "%q", data)
		assert.Equal(t, "fault", cfg.Command)
		assert.Equal(t, "console", cfg.Adapter)
		assert.Equal(t, "warroom.db", cfg.Database)
		assert.Equal(t, "127.0.0.1:8080", cfg.HTTP)
		assert.Equal(t, "white_check_mark", cfg.CheckinEmoji)
		assert.Equal(t, "plans/", cfg.Plans)
		assert.Empty(t, cfg.Bridge)
		require.NotNil(t, cfg.Catalog)
		assert.NotNil(t, cfg.Catalog.People)
		assert.Empty(t, cfg.Catalog.People)
		assert.NotNil(t, cfg.Catalog.Services)
		assert.Equal(t, bot.Weekly, cfg.Catalog.Duty.Rotation)
		assert.Equal(t, config.DefaultLevels(), cfg.Catalog.Levels)
	}
}

func TestMissingLevelKeysTakeDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse([]byte(people+"levels:\n  P2: {checkin_within: 20m, page: [bob]}\n  P4: {remind: off, commander: \"@alice\"}\n"), "t.yaml", noenv)
	require.NoError(t, err)
	l := cfg.Catalog.Levels
	assert.Equal(t, bot.LevelPolicy{Commander: "duty", CheckinWithin: 20 * time.Minute, Remind: "*/15 * * * *", Page: []string{"bob"}, Digest: time.Hour}, l[bot.P2])
	assert.Equal(t, bot.LevelPolicy{Commander: "alice", CheckinWithin: 2 * time.Hour}, l[bot.P4])
	assert.Equal(t, config.DefaultLevels()[bot.P1], l[bot.P1])
	assert.Equal(t, config.DefaultLevels()[bot.P3], l[bot.P3])
}

func TestValues(t *testing.T) {
	t.Parallel()
	data := people + `command: incident
adapter: discord
http: off
checkin_emoji: ":eyes:"
discord: {token: "${DISCORD_TOKEN}", guild: 123456789012345678, api_url: "http://127.0.0.1:9000/api"}
services:
  web: {contacts: ["@alice", bob], stability: "@bob"}
duty: {rotation: daily, start: "2026-01-05T09:00:00+01:00", people: [bob, alice, bob]}
levels:
  P1: {notify: ["#status", "@alice", bob, "+15550100"], page: [alice]}
`
	cfg, err := config.Parse([]byte(data), "t.yaml", func(k string) string { return map[string]string{"DISCORD_TOKEN": "tok"}[k] })
	require.NoError(t, err)
	assert.Equal(t, "incident", cfg.Command)
	assert.Equal(t, "discord", cfg.Adapter)
	assert.Empty(t, cfg.HTTP, "http: off disables the server")
	assert.Equal(t, "eyes", cfg.CheckinEmoji)
	assert.Equal(t, discord.Settings{Token: "tok", Guild: "123456789012345678", APIURL: "http://127.0.0.1:9000/api"}, cfg.Platforms["discord"])
	assert.Equal(t, bot.Service{Name: "web", Contacts: []string{"alice", "bob"}, Stability: "bob"}, cfg.Catalog.Services["web"])
	assert.Equal(t, bot.Daily, cfg.Catalog.Duty.Rotation)
	assert.Equal(t, []string{"bob", "alice", "bob"}, cfg.Catalog.Duty.People)
	assert.True(t, cfg.Catalog.Duty.Start.Equal(time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)))
	assert.Equal(t, []bot.Recipient{
		{Kind: bot.RecipientChannel, Name: "status"},
		{Kind: bot.RecipientPerson, Name: "alice"},
		{Kind: bot.RecipientPerson, Name: "bob"},
		{Kind: bot.RecipientPhone, Name: "+15550100"},
	}, cfg.Catalog.Levels[bot.P1].Notify)
	assert.Equal(t, []string{"alice"}, cfg.Catalog.Levels[bot.P1].Page)
}

func TestEnvExpansion(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-1", "MY_APP_TOKEN": "xapp-2", "DATA": "/var/lib/warroom",
		"ONCALL": "bob", "ROOM": "acme",
	}
	getenv := func(k string) string { return env[k] }
	data := people + `adapter: slack
database: ${DATA}/warroom.db
bridge: https://meet.example.com/${ROOM}-{id}${UNSET:-}
plans: ${PLANS_DIR:-/etc/warroom/plans}
slack: {bot_token: "${SLACK_BOT_TOKEN}", app_token: "${MY_APP_TOKEN}", signing_secret: "${UNSET:-}", private: "${UNSET_BOOL:-}", api_url: "${UNSET:-}"}
services:
  web: {contacts: ["${ONCALL}"]}
`
	cfg, err := config.Parse([]byte(data), "t.yaml", getenv)
	require.NoError(t, err)
	assert.Equal(t, "/var/lib/warroom/warroom.db", cfg.Database)
	assert.Equal(t, "https://meet.example.com/acme-{id}", cfg.Bridge)
	assert.Equal(t, "/etc/warroom/plans", cfg.Plans, "an unset optional variable takes its default")
	assert.Equal(t, slack.Settings{BotToken: "xoxb-1", AppToken: "xapp-2"}, cfg.Platforms["slack"])
	assert.Equal(t, []string{"bob"}, cfg.Catalog.Services["web"].Contacts)

	// A nil getenv reads nothing; a lone $ is literal.
	cfg, err = config.Parse([]byte("bridge: https://x.example/$id/{id}\nplans: ${NOPE:-}p/\ndatabase: ${NOPE:-}\n"), "t.yaml", nil)
	require.NoError(t, err)
	assert.Equal(t, "https://x.example/$id/{id}", cfg.Bridge)
	assert.Equal(t, "p/", cfg.Plans)
	assert.Equal(t, config.DefaultDatabase, cfg.Database, "empty only because an optional variable is unset: absent")

	// A set variable wins over its default.
	cfg, err = config.Parse([]byte("database: ${DATA:-/tmp}/w.db\n"), "t.yaml", getenv)
	require.NoError(t, err)
	assert.Equal(t, "/var/lib/warroom/w.db", cfg.Database)

	// The env var named in the file is the one the error names.
	_, err = config.Parse([]byte("adapter: slack\nslack: {bot_token: \"${MY_BOT:-}\", app_token: \"${MY_APP_TOKEN}\"}\n"), "t.yaml", getenv)
	assert.EqualError(t, err, "t.yaml:2: slack.bot_token: adapter is slack but the bot token is empty; set MY_BOT in the environment")
	_, err = config.Parse([]byte("adapter: slack\nslack: {bot_token: \"${MY_BOT}\", app_token: \"${MY_APP_TOKEN}\"}\n"), "t.yaml", getenv)
	assert.EqualError(t, err, "t.yaml:2: slack.bot_token: ${MY_BOT} is not set: set MY_BOT in the environment, or write ${MY_BOT:-} if it is optional",
		"said once: the platform does not say it is empty as well")

	// An unused platform's section is read too: an unset variable there
	// is still a problem, unless it is optional.
	_, err = config.Parse([]byte("adapter: console\ndiscord: {token: \"${NOPE}\", guild: \"123456789012345678\"}\n"), "t.yaml", getenv)
	assert.EqualError(t, err, "t.yaml:2: discord.token: ${NOPE} is not set: set NOPE in the environment, or write ${NOPE:-} if it is optional")
	_, err = config.Parse([]byte("adapter: console\ndiscord: {token: \"${NOPE:-}\", guild: \"123456789012345678\"}\n"), "t.yaml", getenv)
	assert.NoError(t, err)

	// Secrets never appear in errors.
	_, err = config.Parse([]byte("adapter: slack\nslack: {bot_token: xoxb-very-secret, app_token: \"${MY_APP_TOKEN}\"}\n"), "t.yaml", getenv)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "very-secret")
}

func TestBadConfigs(t *testing.T) {
	t.Parallel()
	slackEnv := func(k string) string { return map[string]string{"SLACK_APP_TOKEN": "xapp-1"}[k] }
	tests := []struct {
		name   string
		data   string
		getenv func(string) string
		want   string
	}{
		{"unknown key", "command: fault\nadaptor: slack\n", nil,
			`t.yaml:2: unknown key "adaptor"; did you mean adapter?`},
		{"unknown nested key", people + "services:\n  web: {contacts: [alice], stabilty: bob}\n", nil,
			`t.yaml:5: services.web: unknown key "stabilty"; did you mean stability?`},
		{"unknown person key", "people:\n  alice:\n    mail: a@example.com\n", nil,
			`t.yaml:3: people.alice: unknown key "mail"; did you mean email?`},
		{"bad duration", people + "levels:\n  P2:\n    commander: duty\n    checkin_within: 10 minuets\n", nil,
			`t.yaml:7: levels.P2.checkin_within: "10 minuets" is not a duration (e.g. 10m, 1h30m)`},
		{"zero duration", "levels: {P3: {checkin_within: 0s}}\n", nil,
			`t.yaml:1: levels.P3.checkin_within: "0s" must be more than zero`},
		{"bad cron", "levels:\n  P1: {remind: \"*/10 * * *\"}\n", nil,
			`t.yaml:2: levels.P1.remind: "*/10 * * *" is not a cron schedule (minute hour day-of-month month day-of-week, e.g. "*/15 * * * *"): expected exactly 5 fields, found 4: [*/10 * * *]`},
		{"cron time zone without schedule", "levels:\n  P1: {remind: \"CRON_TZ=UTC\"}\n", nil,
			`t.yaml:2: levels.P1.remind: "CRON_TZ=UTC" is not a cron schedule (minute hour day-of-month month day-of-week, e.g. "*/15 * * * *"): a time zone but no schedule`},
		{"level P5", "levels:\n  P1: {}\n  P5: {commander: duty}\n", nil,
			`t.yaml:3: levels: unknown level "P5": use P1, P2, P3 or P4 (P1 is the worst)`},
		{"level lower case", "levels:\n  p2: {commander: duty}\n", nil,
			`t.yaml:2: levels: unknown level "p2"; did you mean P2?`},
		{"bad commander", people + "levels:\n  P1: {commander: alise}\n", nil,
			`t.yaml:5: levels.P1.commander: "alise" is not duty, stability or a known person; did you mean alice?`},
		{"unknown contact", people + "services:\n  checkout:\n    contacts:\n      - bob\n      - alise\n", nil,
			`t.yaml:8: services.checkout.contacts: unknown person "alise"; did you mean alice?`},
		{"no contacts", people + "services:\n  checkout: {contacts: []}\n", nil,
			`t.yaml:5: services.checkout.contacts: list at least one person`},
		{"missing contacts", people + "services:\n  checkout: {stability: bob}\n", nil,
			`t.yaml:5: services.checkout.contacts: missing; list at least one person, e.g. contacts: [alice]`},
		{"service without settings", people + "services:\n  checkout:\n", nil,
			`t.yaml:5: services.checkout.contacts: missing; list at least one person, e.g. contacts: [alice]`},
		{"unknown stability", people + "services:\n  checkout: {contacts: [bob], stability: bobby}\n", nil,
			`t.yaml:5: services.checkout.stability: unknown person "bobby"; did you mean bob?`},
		{"unknown duty person", people + "duty:\n  start: 2026-01-05T09:00:00Z\n  people: [alice, erin]\n", nil,
			`t.yaml:6: duty.people: unknown person "erin"; known: alice, bob`},
		{"unknown page", people + "levels:\n  P1: {page: [bob, dave]}\n", nil,
			`t.yaml:5: levels.P1.page: unknown person "dave"; known: alice, bob`},
		{"unknown notify", people + "levels:\n  P1:\n    notify: [\"#status\", alicia]\n", nil,
			`t.yaml:6: levels.P1.notify: "alicia" is not a #channel, a known person or a +phone number; did you mean alice?`},
		{"notify channel without #", people + "levels:\n  P1: {notify: [status]}\n", nil,
			`t.yaml:5: levels.P1.notify: "status" is not a #channel, a known person or a +phone number; for a channel write "#status" (quoted)`},
		{"notify bad channel name", people + "levels:\n  P1:\n    notify: [\"#ops team\"]\n", nil,
			`t.yaml:6: levels.P1.notify: "#ops team" is not a channel name`},
		{"notify bare #", people + "levels:\n  P1:\n    notify:\n      - \"#status\"\n      - \"#\"\n", nil,
			`t.yaml:8: levels.P1.notify: "#" is not a channel name`},
		{"notify listed twice", people + "levels:\n  P1:\n    notify: [\"#status\", alice, \"@alice\"]\n", nil,
			`t.yaml:6: levels.P1.notify: alice is listed twice`},
		{"notify unquoted #", "levels:\n  P1:\n    notify:\n      - #status\n", nil,
			`t.yaml:4: levels.P1.notify: empty item (a # starts a comment in YAML: quote channel names, "#status")`},
		{"notify unquoted # in flow list", "levels:\n  P1: {notify: [#status]}\n", nil,
			`t.yaml:2: not valid YAML: did not find expected node content (a # starts a comment in YAML: quote channel names, "#status")`},
		{"bad rotation", people + "duty:\n  rotation: weekley\n", nil,
			`t.yaml:5: duty.rotation: "weekley" is not daily or weekly; did you mean weekly?`},
		{"bad start", people + "duty:\n  start: 2026-01-05 09:00\n  people: [bob]\n", nil,
			`t.yaml:5: duty.start: "2026-01-05 09:00" is not an RFC 3339 time (e.g. 2026-01-05T09:00:00Z)`},
		{"missing start", people + "duty:\n  people: [bob]\n", nil,
			`t.yaml:4: duty.start: missing; when the first shift starts, e.g. start: 2026-01-05T09:00:00Z`},
		{"literal slack secret", "slack:\n  bot_token: xoxb-123-456\n", nil,
			`t.yaml:2: slack.bot_token: put the secret in the environment and write "${SLACK_BOT_TOKEN}"`},
		{"literal discord secret", "discord: {token: abc.def}\n", nil,
			`t.yaml:1: discord.token: put the secret in the environment and write "${DISCORD_TOKEN}"`},
		{"slack token unset", "adapter: slack\nslack: {bot_token: \"${SLACK_BOT_TOKEN}\", app_token: \"${SLACK_APP_TOKEN}\"}\n", slackEnv,
			`t.yaml:2: slack.bot_token: ${SLACK_BOT_TOKEN} is not set: set SLACK_BOT_TOKEN in the environment, or write ${SLACK_BOT_TOKEN:-} if it is optional`},
		{"slack token empty", "adapter: slack\nslack: {bot_token: \"${SLACK_BOT_TOKEN:-}\", app_token: \"${SLACK_APP_TOKEN}\"}\n", slackEnv,
			`t.yaml:2: slack.bot_token: adapter is slack but the bot token is empty; set SLACK_BOT_TOKEN in the environment`},
		{"slack token absent", "adapter: slack\nslack: {app_token: \"${SLACK_APP_TOKEN}\"}\n", slackEnv,
			`t.yaml:2: slack.bot_token: adapter is slack but no bot token is configured; add bot_token: "${SLACK_BOT_TOKEN}" under slack and set SLACK_BOT_TOKEN in the environment`},
		{"discord token absent", "adapter: discord\ndiscord: {guild: \"123456789012345678\"}\n", nil,
			`t.yaml:2: discord.token: adapter is discord but no token is configured; add token: "${DISCORD_TOKEN}" under discord and set DISCORD_TOKEN in the environment`},
		{"slack without a way to receive events", "adapter: slack\nslack: {bot_token: \"${SLACK_APP_TOKEN}\"}\n", slackEnv,
			`t.yaml:2: slack: adapter is slack but neither app_token (Socket Mode) nor signing_secret (Events API over HTTP) is configured; add app_token: "${SLACK_APP_TOKEN}" under slack`},
		{"slack events API without http", "adapter: slack\nhttp: off\nslack:\n  bot_token: \"${SLACK_APP_TOKEN}\"\n  signing_secret: \"${SLACK_APP_TOKEN}\"\n", slackEnv,
			`t.yaml:5: slack.signing_secret: Slack's Events API posts over HTTP, but http is off; set http: or use app_token (Socket Mode)`},
		{"discord guild absent", "adapter: discord\ndiscord: {token: \"${SLACK_APP_TOKEN}\"}\n", slackEnv,
			`t.yaml:2: discord.guild: adapter is discord but no guild is configured; the server id the bot works in, e.g. guild: "123456789012345678"`},
		{"discord api_url without scheme", "discord:\n  api_url: proxy:8080\n", nil,
			`t.yaml:2: discord.api_url: "proxy:8080" is not an http(s) URL with a host, such as http://proxy:8080`},
		{"discord api_url not http", "discord:\n  api_url: ws://proxy:8080\n", nil,
			`t.yaml:2: discord.api_url: "ws://proxy:8080" is not an http(s) URL with a host, such as http://proxy:8080`},
		{"discord api_url without host", "discord:\n  api_url: http:///api/v10\n", nil,
			`t.yaml:2: discord.api_url: "http:///api/v10" is not an http(s) URL with a host, such as http://proxy:8080`},
		{"discord api_url with query", "discord:\n  api_url: \"http://proxy:8080/api?v=10\"\n", nil,
			`t.yaml:2: discord.api_url: "http://proxy:8080/api?v=10" has a query or fragment; give the base URL only, such as http://proxy:8080 or http://proxy:8080/api/v10`},
		{"discord api_url with user", "discord: {api_url: \"http://me:pw@proxy:8080\"}\n", nil,
			`t.yaml:1: discord.api_url: "http://me:pw@proxy:8080" has a user name or password, which Discord's REST API does not take; give the base URL only`},
		{"discord api_url past the version", "discord:\n  api_url: http://proxy:8080/api/v10/users/@me\n", nil,
			`t.yaml:2: discord.api_url: "http://proxy:8080/api/v10/users/@me": the path should end at /api or /api/vN (the base URL, such as http://proxy:8080/api/v10), not go past it`},
		{"discord api_url bad version", "discord:\n  api_url: http://proxy:8080/api/vten\n", nil,
			`t.yaml:2: discord.api_url: "http://proxy:8080/api/vten": the path should end at /api or /api/vN (the base URL, such as http://proxy:8080/api/v10), not go past it`},
		{"bad adapter", "adapter: Slack\n", nil,
			`t.yaml:1: adapter: "Slack" is not console, dingtalk, discord, lark, matrix or slack; did you mean slack?`},
		{"command with slash", "command: /fault\n", nil,
			`t.yaml:1: command: "/fault": write the word without the slash: fault`},
		{"command two words", "command: war room\n", nil,
			`t.yaml:1: command: "war room" is not a single word of a-z, 0-9, _ and - (at most 32), e.g. fault`},
		{"bad person id", "people:\n  Alice: {}\n", nil,
			`t.yaml:2: people: "Alice" is not a person id (a-z, 0-9, . _ -); did you mean alice?`},
		{"bad phone", "people:\n  alice: {phone: 555-0100}\n", nil,
			`t.yaml:2: people.alice.phone: "555-0100" is not an E.164 phone number (+ then digits, e.g. +15550100)`},
		{"phone with spaces", "people:\n  alice:\n    phone: +1 555 0100\n", nil,
			`t.yaml:3: people.alice.phone: "+1 555 0100" is not an E.164 phone number (+ then digits, e.g. +15550100); did you mean +15550100?`},
		{"bad http", "http: 8080\n", nil,
			`t.yaml:1: http: "8080" is not a host:port address (e.g. 127.0.0.1:8080, or :8080 for every interface); write off to disable`},
		{"bad bridge placeholder", "bridge: https://meet.example.com/{ID}\n", nil,
			`t.yaml:1: bridge: unknown placeholder "{ID}"; the only one is {id}, the fault's number`},
		{"bad env reference", "database: ${DB\n", nil,
			`t.yaml:1: database: "${DB" has a ${ without its closing }`},
		{"wrong kind: list for mapping", people + "services:\n  - checkout\n", nil,
			`t.yaml:4: services: expected a mapping (key: value), got a list`},
		{"wrong kind: value for list", people + "services:\n  web: {contacts: alice}\n", nil,
			`t.yaml:5: services.web.contacts: expected a list like [a, b], got "alice" (write [alice])`},
		{"wrong kind: mapping for value", "adapter: {name: slack}\n", nil,
			`t.yaml:1: adapter: expected a single value, got a mapping`},
		{"wrong kind: level", "levels:\n  P1: [duty, 5m]\n", nil,
			`t.yaml:2: levels.P1: expected a mapping like {commander: duty, checkin_within: 10m}, got a list`},
		{"wrong kind: top level", "- adapter: slack\n", nil,
			`t.yaml:1: expected a mapping of settings (key: value), got a list`},
		{"duplicate key", "adapter: console\ndatabase: a.db\nadapter: slack\n", nil,
			`t.yaml:3: adapter: duplicate key (first on line 1)`},
		{"duplicate nested key", people + "levels:\n  P1:\n    commander: duty\n    commander: alice\n", nil,
			`t.yaml:7: levels.P1.commander: duplicate key (first on line 6)`},
		{"duplicate person", "people:\n  alice: {}\n  alice: {name: Alice}\n", nil,
			`t.yaml:3: people.alice: duplicate key (first on line 2)`},
		{"duplicate slack id", "people:\n  alice: {slack: U01A}\n  bob: {slack: U01A}\n", nil,
			`t.yaml:3: people.bob.slack: U01A is also alice's Slack id`},
		{"reserved person id", "people:\n  duty: {}\n", nil,
			`t.yaml:2: people: "duty" is reserved (a level's commander rule); pick another id`},
		{"merge key", "levels:\n  P1: &p {checkin_within: 5m}\n  P2:\n    <<: *p\n", nil,
			`t.yaml:4: levels.P2: merge keys (<<) are not supported; write the keys out`},
		{"not YAML", "adapter: \"console\nhttp: [\n", nil,
			`t.yaml:3: not valid YAML: found unexpected end of stream`},
		{"not YAML: bad indentation", "levels:\n  P1: {commander: duty}\n P2: {}\n", nil,
			`t.yaml:3: not valid YAML: did not find expected key`},
		{"not a mapping at all", "just some words\n", nil,
			`t.yaml:1: expected a mapping of settings (key: value), got "just some words"`},
		{"null contacts", people + "services:\n  checkout: {contacts: }\n", nil,
			`t.yaml:5: services.checkout.contacts: list at least one person`},
		{"unset variable in a list", people + "services:\n  checkout:\n    contacts: [\"${ONCALL}\"]\n", nil,
			`t.yaml:6: services.checkout.contacts: ${ONCALL} is not set: set ONCALL in the environment, or write ${ONCALL:-default} if it is optional`},
		{"empty variable in a list", people + "services:\n  checkout:\n    contacts: [\"${ONCALL:-}\"]\n", nil,
			`t.yaml:6: services.checkout.contacts: "${ONCALL:-}" is empty; set ONCALL in the environment`},
		{"unset bridge variable", "bridge: \"${BRIDGE_URL}/room-{id}\"\n", nil,
			`t.yaml:1: bridge: ${BRIDGE_URL} is not set: set BRIDGE_URL in the environment, or write ${BRIDGE_URL:-default} if it is optional`},
		{"unknown database URL", "database: mysql://db/warroom\n", nil,
			`t.yaml:1: database: mysql:// is not a database warroom knows: name a SQLite file (warroom.db) or a PostgreSQL URL (postgres://user@host:5432/warroom)`},
		{"unset database variable", "database: ${DB_PATH}\n", nil,
			`t.yaml:1: database: ${DB_PATH} is not set: set DB_PATH in the environment, or write ${DB_PATH:-default} if it is optional`},
		{"two unset variables", "bridge: \"${HOST}/${ROOM}/{id}\"\n", nil,
			`t.yaml:1: bridge: ${HOST}, ${ROOM} are not set: set HOST, ROOM in the environment, or write ${HOST:-default} if it is optional`},
		{"shell's other forms", "database: \"${DB-x.db}\"\n", nil,
			`t.yaml:1: database: "${DB-x.db}": write ${DB} (required) or ${DB:-default} (optional)`},
		{"nested default", "database: \"${DB:-${HOME}/x.db}\"\n", nil,
			`t.yaml:1: database: "${DB:-${HOME}/x.db}": a default cannot hold another ${...}`},
		{"not YAML: first line", "\tadapter: slack\n", nil,
			`t.yaml:1: not valid YAML: found character that cannot start any token`},
		{"not YAML: unknown alias", "adapter: console\nhttp: *addr\n", nil,
			`t.yaml:2: not valid YAML: unknown anchor 'addr' referenced`},
		{"two documents", "adapter: console\n---\nadapter: slack\n", nil,
			`t.yaml:3: a second YAML document (after ---): put all the settings in one document`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			getenv := tt.getenv
			if getenv == nil {
				getenv = noenv
			}
			cfg, err := config.Parse([]byte(tt.data), "t.yaml", getenv)
			assert.Nil(t, cfg)
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
			var cerr *config.Error
			require.ErrorAs(t, err, &cerr)
			assert.Equal(t, "t.yaml", cerr.File)
			assert.Len(t, cerr.Problems, 1)
		})
	}
}

// TestDiscordAPIURLForms: api_url is taken with or without Discord's
// /api/vN path, and under a proxy's prefix; it is kept as written (the
// adapter reads the base out of it).
func TestDiscordAPIURLForms(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"http://proxy:8080", "http://proxy:8080/", "http://proxy:8080/api", "https://proxy:8080/api/v9",
		"http://proxy:8080/api/v10", "http://proxy:8080/api/v10/", "http://gw.example.com/discord/api/v10"} {
		cfg, err := config.Parse([]byte("discord: {api_url: \""+u+"\"}\n"), "t.yaml", noenv)
		require.NoError(t, err, u)
		assert.Equal(t, u, cfg.Platforms["discord"].(discord.Settings).APIURL)
	}
}

func TestAllProblemsSortedByLine(t *testing.T) {
	t.Parallel()
	data := `levels:
  P2: {checkin_within: 10 minuets}
  P5: {}
adaptor: console
people:
  alice: {phone: "555"}
services:
  checkout: {contacts: [alise]}
command: fault
command: fault
`
	_, err := config.Parse([]byte(data), "warroom.yaml", noenv)
	require.Error(t, err)
	assert.Equal(t, `warroom.yaml:2: levels.P2.checkin_within: "10 minuets" is not a duration (e.g. 10m, 1h30m)
warroom.yaml:3: levels: unknown level "P5": use P1, P2, P3 or P4 (P1 is the worst)
warroom.yaml:4: unknown key "adaptor"; did you mean adapter?
warroom.yaml:6: people.alice.phone: "555" is not an E.164 phone number (+ then digits, e.g. +15550100)
warroom.yaml:8: services.checkout.contacts: unknown person "alise"; did you mean alice?
warroom.yaml:10: command: duplicate key (first on line 9)`, err.Error())
	var cerr *config.Error
	require.True(t, errors.As(err, &cerr))
	lines := []int{}
	for _, p := range cerr.Problems {
		lines = append(lines, p.Line)
	}
	assert.Equal(t, []int{2, 3, 4, 6, 8, 10}, lines)
}

func TestBrokenPeopleDoNotCascade(t *testing.T) {
	t.Parallel()
	// One problem for the broken definition, none for every use of it.
	data := "people:\n  Alice: {}\n  bob: {}\nservices:\n  web: {contacts: [Alice, bob], stability: Alice}\n"
	_, err := config.Parse([]byte(data), "t.yaml", noenv)
	assert.EqualError(t, err, `t.yaml:2: people: "Alice" is not a person id (a-z, 0-9, . _ -); did you mean alice?`)

	data = "people: [alice]\nservices:\n  web: {contacts: [alice]}\nlevels: {P1: {commander: alice, notify: [alice]}}\n"
	_, err = config.Parse([]byte(data), "t.yaml", noenv)
	assert.EqualError(t, err, `t.yaml:1: people: expected a mapping (key: value), got a list`)
}

func TestLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "warroom.yaml")
	require.NoError(t, os.WriteFile(path, config.Example, 0o600))
	cfg, err := config.Load(path)
	require.NoError(t, err)
	assert.Equal(t, config.Default().Catalog.People, cfg.Catalog.People)

	require.NoError(t, os.WriteFile(path, []byte("adaptor: console\n"), 0o600))
	_, err = config.Load(path)
	assert.EqualError(t, err, path+`:1: unknown key "adaptor"; did you mean adapter?`)

	_, err = config.Load(filepath.Join(dir, "missing.yaml"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func FuzzParse(f *testing.F) {
	f.Add(config.Example)
	f.Add([]byte(""))
	f.Add([]byte(people + "levels:\n  P1: {commander: alice, notify: [\"#x\", \"@bob\", \"+15550100\"], page: [bob], remind: \"CRON_TZ=UTC 0 * * * *\"}\n"))
	f.Add([]byte("adapter: slack\nslack: {bot_token: \"${A}\", app_token: \"${B}\"}\nhttp: off\n"))
	f.Add([]byte("a: &x {b: *x}\n"))
	f.Add([]byte("levels: {P1: {remind: \"TZ=\"}}\n"))
	f.Add([]byte("duty: {people: [a], start: 2026-01-05T09:00:00Z}\npeople: {a: {phone: \"+1\"}}\n"))
	f.Add([]byte("paging:\n  twilio: {account_sid: AC0123456789abcdef0123456789abcdef, auth_token: \"${T}\", from: \"+15550199\", voice: true}\n  pagerduty: {routing_key: \"${ROUTING_KEY_32_CHARACTERS_LONG}\", levels: [P1, p2]}\n  webhook: {url: \"${E}\", secret: \"${S}\"}\nlevels: {P1: {digest: 30m}, P2: {digest: off}, P3: {digest: 1s}}\n"))
	getenv := func(k string) string {
		if strings.HasPrefix(k, "E") {
			return ""
		}
		return "v-" + strings.ToLower(k)
	}
	line := regexp.MustCompile(`^f\.yaml(:[0-9]+)?: `)
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := config.Parse(data, "f.yaml", getenv)
		if err != nil {
			require.Nil(t, cfg)
			var cerr *config.Error
			require.ErrorAs(t, err, &cerr)
			require.NotEmpty(t, cerr.Problems)
			for _, l := range strings.Split(err.Error(), "\n") {
				require.Regexp(t, line, l)
			}
			return
		}
		require.NotNil(t, cfg)
		c := cfg.Catalog
		require.NotNil(t, c)
		require.NotNil(t, c.People)
		require.NotNil(t, c.Services)
		require.Contains(t, []string{"console", "slack", "discord"}, cfg.Adapter)
		require.Regexp(t, `^[a-z0-9_-]+$`, cfg.Command)
		require.Len(t, c.Levels, 4)
		for _, l := range bot.Levels {
			assertValidLevel(t, c, l)
		}
		for name, s := range c.Services {
			require.Equal(t, name, s.Name)
			require.NotEmpty(t, s.Contacts)
			for _, id := range append(s.Contacts, s.Stability) {
				require.True(t, id == "" || c.People[id].ID == id, "unknown person %q", id)
			}
		}
		for _, id := range c.Duty.People {
			require.Contains(t, c.People, id)
		}
		if len(c.Duty.People) > 0 {
			require.False(t, c.Duty.Start.IsZero())
		}
		assertValidPaging(t, cfg.Paging)
		assertValidAccess(t, cfg)
	})
}

// assertValidAccess checks what every parsed permissions table and token
// list must satisfy.
func assertValidAccess(t testing.TB, cfg *config.Config) {
	t.Helper()
	require.NotNil(t, cfg.Permissions)
	def := bot.DefaultPermissions()
	require.Len(t, cfg.Permissions, len(def), "permissions: rows are replaced, never added")
	isPerson := func(id string) bool { _, ok := cfg.Catalog.People[id]; return ok }
	for cmd, who := range cfg.Permissions {
		require.NoError(t, bot.CheckPermissionCommand(cmd))
		require.NotEmpty(t, who, "nobody could run %s", cmd)
		for _, w := range who {
			require.NoError(t, bot.CheckPermissionWho(cmd, w, isPerson), "%s: %s", cmd, w)
		}
	}
	seen := map[string]bool{}
	for i, tok := range cfg.APITokens {
		if i > 0 {
			require.Less(t, cfg.APITokens[i-1].Name, tok.Name, "sorted by name")
		}
		require.NotEmpty(t, tok.Token)
		require.False(t, seen[tok.Token], "token of %s twice", tok.Name)
		seen[tok.Token] = true
		require.Contains(t, cfg.Catalog.People, tok.Person)
	}
}

// assertValidLevel checks what every parsed level must satisfy.
func assertValidLevel(t testing.TB, c *bot.Catalog, l bot.Level) {
	t.Helper()
	pol, ok := c.Levels[l]
	require.True(t, ok, "level %s missing", l)
	if pol.Commander != bot.CommanderDuty && pol.Commander != bot.CommanderStability {
		require.Contains(t, c.People, pol.Commander, "%s commander", l)
	}
	require.Positive(t, pol.CheckinWithin, "%s checkin_within", l)
	require.True(t, pol.Digest == 0 || pol.Digest >= time.Minute, "%s digest %s", l, pol.Digest)
	if pol.Remind != "" {
		_, err := cron.ParseStandard(pol.Remind)
		require.NoError(t, err, "%s remind", l)
	}
	for _, n := range pol.Notify {
		switch n.Kind {
		case bot.RecipientChannel, bot.RecipientPhone:
			require.NotEmpty(t, n.Name, "%s notify", l)
		case bot.RecipientPerson:
			require.Contains(t, c.People, n.Name, "%s notify", l)
		default:
			t.Fatalf("%s notify %+v has no kind", l, n)
		}
	}
	for _, id := range pol.Page {
		require.Contains(t, c.People, id, "%s page", l)
	}
}

// assertValidPaging checks what every parsed paging section must satisfy:
// a configured provider has everything it needs.
func assertValidPaging(t testing.TB, p config.Paging) {
	t.Helper()
	if tw := p.Twilio; tw != nil {
		require.Regexp(t, `^AC[0-9a-fA-F]{32}$`, tw.AccountSID)
		require.NotEmpty(t, tw.AuthToken)
		require.Regexp(t, `^\+[1-9][0-9]{1,14}$`, tw.From)
		require.True(t, tw.VoiceURL == "" || tw.Voice, "voice_url without voice")
	}
	if pd := p.PagerDuty; pd != nil {
		require.Len(t, pd.RoutingKey, 32)
		require.NotEmpty(t, pd.Levels)
		seen := map[bot.Level]bool{}
		for _, l := range pd.Levels {
			require.Contains(t, bot.Levels, l)
			require.False(t, seen[l], "level %s twice", l)
			seen[l] = true
		}
	}
	if wh := p.Webhook; wh != nil {
		require.Regexp(t, `^https?://`, wh.URL)
		require.GreaterOrEqual(t, len(wh.Secret), 16)
	}
}
