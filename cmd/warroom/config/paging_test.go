package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/config"
)

const (
	testSID   = "AC0123456789abcdef0123456789abcdef"
	testPDKey = "R0123456789ABCDEF0123456789ABCDE" // 32 characters
)

// pagingEnv is an environment with every paging secret set.
func pagingEnv(k string) string {
	return map[string]string{
		"TWILIO_ACCOUNT_SID":     testSID,
		"TWILIO_AUTH_TOKEN":      "tw-token",
		"PAGERDUTY_ROUTING_KEY":  testPDKey,
		"WARROOM_WEBHOOK_SECRET": "0123456789abcdef0123",
		"HOOK_URL":               "https://hooks.example.com/x",
	}[k]
}

func TestPaging(t *testing.T) {
	t.Parallel()
	data := `paging:
  twilio:
    account_sid: "${TWILIO_ACCOUNT_SID}"
    auth_token: "${TWILIO_AUTH_TOKEN}"
    from: "+15550199"
    voice: true
    voice_url: https://twiml.example.com/page.xml
    api_url: http://127.0.0.1:9001
  pagerduty: {routing_key: "${PAGERDUTY_ROUTING_KEY}", levels: [P1, P2, P3], api_url: "https://events.eu.pagerduty.com"}
  webhook: {url: "${HOOK_URL}", secret: "${WARROOM_WEBHOOK_SECRET}"}
`
	cfg, err := config.Parse([]byte(data), "t.yaml", pagingEnv)
	require.NoError(t, err)
	assert.Equal(t, config.Paging{
		Twilio:    &config.Twilio{AccountSID: testSID, AuthToken: "tw-token", From: "+15550199", Voice: true, VoiceURL: "https://twiml.example.com/page.xml", APIURL: "http://127.0.0.1:9001"},
		PagerDuty: &config.PagerDuty{RoutingKey: testPDKey, Levels: []bot.Level{bot.P1, bot.P2, bot.P3}, APIURL: "https://events.eu.pagerduty.com"},
		Webhook:   &config.Webhook{URL: "https://hooks.example.com/x", Secret: "0123456789abcdef0123"},
	}, cfg.Paging)
}

func TestPagingDefaults(t *testing.T) {
	t.Parallel()
	data := `paging:
  twilio: {account_sid: ` + testSID + `, auth_token: "${TWILIO_AUTH_TOKEN}", from: "+15550199"}
  pagerduty: {routing_key: "${PAGERDUTY_ROUTING_KEY}", levels: }
  webhook:
`
	cfg, err := config.Parse([]byte(data), "t.yaml", pagingEnv)
	require.NoError(t, err)
	assert.Equal(t, &config.Twilio{AccountSID: testSID, AuthToken: "tw-token", From: "+15550199"}, cfg.Paging.Twilio, "voice is off by default")
	assert.Equal(t, &config.PagerDuty{RoutingKey: testPDKey, Levels: []bot.Level{bot.P1, bot.P2}}, cfg.Paging.PagerDuty)
	assert.Nil(t, cfg.Paging.Webhook, "a section with nothing under it is not configured")

	cfg, err = config.Parse([]byte("paging:\n"), "t.yaml", noenv)
	require.NoError(t, err)
	assert.Equal(t, config.Paging{}, cfg.Paging)
}

// The paging block the example documents, uncommented, is a valid config.
func TestExamplePagingBlock(t *testing.T) {
	t.Parallel()
	var block []string
	in := false
	for _, line := range strings.Split(string(config.Example), "\n") {
		switch {
		case strings.HasPrefix(line, "# paging:"):
			in = true
		case in && !strings.HasPrefix(line, "#   "):
			in = false
		}
		if in {
			block = append(block, strings.TrimPrefix(line, "# "))
		}
	}
	require.NotEmpty(t, block, "the example documents paging")
	data := strings.Join(block, "\n") + "\n"
	cfg, err := config.Parse([]byte(data), "example-paging.yaml", pagingEnv)
	require.NoError(t, err, "%s", data)
	require.NotNil(t, cfg.Paging.Twilio)
	assert.Equal(t, "+15550199", cfg.Paging.Twilio.From)
	assert.True(t, cfg.Paging.Twilio.Voice)
	require.NotNil(t, cfg.Paging.PagerDuty)
	assert.Equal(t, []bot.Level{bot.P1, bot.P2}, cfg.Paging.PagerDuty.Levels)
	require.NotNil(t, cfg.Paging.Webhook)
	assert.Equal(t, "https://hooks.example.com/warroom", cfg.Paging.Webhook.URL)

	// Without the environment it names each variable to set.
	_, err = config.Parse([]byte(data), "example-paging.yaml", noenv)
	require.Error(t, err)
	for _, v := range []string{"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "PAGERDUTY_ROUTING_KEY", "WARROOM_WEBHOOK_SECRET"} {
		assert.Contains(t, err.Error(), "set "+v+" in the environment")
	}
}

func TestBadPaging(t *testing.T) {
	t.Parallel()
	tw := `paging:
  twilio:
    account_sid: ` + testSID + `
    auth_token: "${TWILIO_AUTH_TOKEN}"
`
	tests := []struct{ name, data, want string }{
		{"unknown provider", "paging:\n  pagerdooty: {}\n",
			`t.yaml:2: paging: unknown key "pagerdooty"; did you mean pagerduty?`},
		{"unknown twilio key", tw + "    from: \"+15550199\"\n    voise: true\n",
			`t.yaml:6: paging.twilio: unknown key "voise"; did you mean voice?`},
		{"paging not a mapping", "paging: twilio\n",
			`t.yaml:1: paging: expected a mapping (key: value), got "twilio"`},
		{"provider not a mapping", "paging:\n  webhook: https://hooks.example.com\n",
			`t.yaml:2: paging.webhook: expected a mapping of settings (key: value), got "https://hooks.example.com"`},
		{"literal auth token", "paging:\n  twilio: {account_sid: " + testSID + ", auth_token: abc123, from: \"+15550199\"}\n",
			`t.yaml:2: paging.twilio.auth_token: put the secret in the environment and write "${TWILIO_AUTH_TOKEN}"`},
		{"literal routing key", "paging:\n  pagerduty: {routing_key: " + testPDKey + "}\n",
			`t.yaml:2: paging.pagerduty.routing_key: put the secret in the environment and write "${PAGERDUTY_ROUTING_KEY}"`},
		{"literal webhook secret", "paging:\n  webhook: {url: \"https://h.example.com\", secret: hunter2hunter2hunter2}\n",
			`t.yaml:2: paging.webhook.secret: put the secret in the environment and write "${WARROOM_WEBHOOK_SECRET}"`},
		{"missing from", tw,
			`t.yaml:2: paging.twilio.from: missing; the Twilio number texts and calls come from, e.g. from: "+15550199"`},
		{"missing auth token", "paging:\n  twilio: {account_sid: " + testSID + ", from: \"+15550199\"}\n",
			`t.yaml:2: paging.twilio.auth_token: missing; add auth_token: "${TWILIO_AUTH_TOKEN}" under paging.twilio and set TWILIO_AUTH_TOKEN in the environment`},
		{"unset auth token", "paging:\n  twilio: {account_sid: " + testSID + ", auth_token: \"${MY_TOKEN}\", from: \"+15550199\"}\n",
			`t.yaml:2: paging.twilio.auth_token: ${MY_TOKEN} is not set: set MY_TOKEN in the environment, or write ${MY_TOKEN:-} if it is optional`},
		{"empty auth token", "paging:\n  twilio: {account_sid: " + testSID + ", auth_token: \"${MY_TOKEN:-}\", from: \"+15550199\"}\n",
			`t.yaml:2: paging.twilio.auth_token: empty; set MY_TOKEN in the environment`},
		{"bad account sid", "paging:\n  twilio: {account_sid: AC123, auth_token: \"${TWILIO_AUTH_TOKEN}\", from: \"+15550199\"}\n",
			`t.yaml:2: paging.twilio.account_sid: "AC123" is not a Twilio Account SID (AC and 32 hex digits, on the Twilio console's dashboard)`},
		{"from not E.164", tw + "    from: 555-0199\n",
			`t.yaml:5: paging.twilio.from: "555-0199" is not an E.164 phone number (+ then digits, e.g. +15550199): the Twilio number texts and calls come from`},
		{"from with spaces", tw + "    from: +1 555 0199\n",
			`t.yaml:5: paging.twilio.from: "+1 555 0199" is not an E.164 phone number (+ then digits, e.g. +15550199): the Twilio number texts and calls come from; did you mean +15550199?`},
		{"voice not a bool", tw + "    from: \"+15550199\"\n    voice: sometimes\n",
			`t.yaml:6: paging.twilio.voice: "sometimes" is not true or false`},
		{"voice_url without voice", tw + "    from: \"+15550199\"\n    voice_url: https://twiml.example.com/x\n",
			`t.yaml:6: paging.twilio.voice_url: set, but voice is off, so there is no call to use it; add voice: true`},
		{"bad twilio api_url", tw + "    from: \"+15550199\"\n    api_url: api.twilio.com\n",
			`t.yaml:6: paging.twilio.api_url: "api.twilio.com" is not an http(s) URL`},
		{"missing routing key", "paging:\n  pagerduty: {levels: [P1]}\n",
			`t.yaml:2: paging.pagerduty.routing_key: missing; add routing_key: "${PAGERDUTY_ROUTING_KEY}" under paging.pagerduty and set PAGERDUTY_ROUTING_KEY in the environment`},
		{"short routing key", "paging:\n  pagerduty: {routing_key: \"${SHORT}\"}\n",
			`t.yaml:2: paging.pagerduty.routing_key: the integration key in SHORT is 5 characters; PagerDuty's are 32 (the service's Integrations tab, Events API v2)`},
		{"bad level", "paging:\n  pagerduty:\n    routing_key: \"${PAGERDUTY_ROUTING_KEY}\"\n    levels: [P1, P5]\n",
			`t.yaml:4: paging.pagerduty.levels: "P5" is not a level: use P1, P2, P3 or P4 (P1 is the worst)`},
		{"lower-case level", "paging:\n  pagerduty:\n    routing_key: \"${PAGERDUTY_ROUTING_KEY}\"\n    levels: [p1]\n",
			`t.yaml:4: paging.pagerduty.levels: "p1" is not a level; did you mean P1?`},
		{"level twice", "paging:\n  pagerduty:\n    routing_key: \"${PAGERDUTY_ROUTING_KEY}\"\n    levels: [P1, P1]\n",
			`t.yaml:4: paging.pagerduty.levels: P1 is listed twice`},
		{"no levels", "paging:\n  pagerduty:\n    routing_key: \"${PAGERDUTY_ROUTING_KEY}\"\n    levels: []\n",
			`t.yaml:4: paging.pagerduty.levels: list at least one level, e.g. [P1, P2]`},
		{"levels not a list", "paging:\n  pagerduty:\n    routing_key: \"${PAGERDUTY_ROUTING_KEY}\"\n    levels: P1\n",
			`t.yaml:4: paging.pagerduty.levels: expected a list like [a, b], got "P1" (write [P1])`},
		{"webhook without url", "paging:\n  webhook: {secret: \"${WARROOM_WEBHOOK_SECRET}\"}\n",
			`t.yaml:2: paging.webhook.url: missing; where the events are POSTed, e.g. url: "https://hooks.example.com/warroom"`},
		{"webhook url unset", "paging:\n  webhook: {url: \"${NO_HOOK}\", secret: \"${WARROOM_WEBHOOK_SECRET}\"}\n",
			`t.yaml:2: paging.webhook.url: ${NO_HOOK} is not set: set NO_HOOK in the environment, or write ${NO_HOOK:-default} if it is optional`},
		{"webhook url empty", "paging:\n  webhook: {url: \"${NO_HOOK:-}\", secret: \"${WARROOM_WEBHOOK_SECRET}\"}\n",
			`t.yaml:2: paging.webhook.url: empty; set NO_HOOK in the environment`},
		{"webhook url not http", "paging:\n  webhook: {url: \"ftp://hooks.example.com\", secret: \"${WARROOM_WEBHOOK_SECRET}\"}\n",
			`t.yaml:2: paging.webhook.url: "ftp://hooks.example.com" is not an http(s) URL`},
		{"webhook without secret", "paging:\n  webhook:\n    url: https://hooks.example.com\n",
			`t.yaml:2: paging.webhook.secret: missing; add secret: "${WARROOM_WEBHOOK_SECRET}" under paging.webhook and set WARROOM_WEBHOOK_SECRET in the environment`},
		{"short webhook secret", "paging:\n  webhook: {url: \"https://hooks.example.com\", secret: \"${SHORT}\"}\n",
			`t.yaml:2: paging.webhook.secret: the secret in SHORT is 5 bytes; use at least 16 (e.g. openssl rand -hex 32)`},
	}
	env := func(k string) string {
		if k == "SHORT" {
			return "short"
		}
		return pagingEnv(k)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.Parse([]byte(tt.data), "t.yaml", env)
			assert.Nil(t, cfg)
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
			var cerr *config.Error
			require.ErrorAs(t, err, &cerr)
			assert.Len(t, cerr.Problems, 1)
			for _, secret := range []string{"tw-token", testPDKey, "0123456789abcdef0123", "short", "abc123", "hunter2"} {
				assert.NotContains(t, err.Error(), secret, "secrets never appear in errors")
			}
		})
	}
}

func TestDigest(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse([]byte("levels:\n  P1: {digest: off}\n  P3: {digest: 2h}\n  P4: {digest: 1m}\n"), "t.yaml", noenv)
	require.NoError(t, err)
	l := cfg.Catalog.Levels
	assert.Zero(t, l[bot.P1].Digest, "off")
	assert.Equal(t, time.Hour, l[bot.P2].Digest, "the default")
	assert.Equal(t, 2*time.Hour, l[bot.P3].Digest)
	assert.Equal(t, time.Minute, l[bot.P4].Digest)

	for data, want := range map[string]string{
		"levels:\n  P2: {digest: hourly}\n": `t.yaml:2: levels.P2.digest: "hourly" is not a duration (e.g. 30m, 1h) or off`,
		"levels:\n  P2: {digest: 30s}\n":    `t.yaml:2: levels.P2.digest: "30s" is too often; at least 1m, or off`,
		"levels:\n  P2: {digest: -1h}\n":    `t.yaml:2: levels.P2.digest: "-1h" is too often; at least 1m, or off`,
		"levels:\n  P2: {digets: 1h}\n":     `t.yaml:2: levels.P2: unknown key "digets"; did you mean digest?`,
	} {
		_, err := config.Parse([]byte(data), "t.yaml", noenv)
		assert.EqualError(t, err, want)
	}
}

// An unknown recipient in a level's notify or page list stops the start-up,
// naming the key and the closest person.
func TestUnknownRecipients(t *testing.T) {
	t.Parallel()
	for data, want := range map[string]string{
		people + "levels:\n  P1: {page: [\"@alise\"]}\n":                   `t.yaml:5: levels.P1.page: unknown person "@alise"; did you mean alice?`,
		people + "levels:\n  P2:\n    page:\n      - bob\n      - carol\n": `t.yaml:8: levels.P2.page: unknown person "carol"; known: alice, bob`,
		people + "levels:\n  P3: {notify: [\"@bobb\"]}\n":                  `t.yaml:5: levels.P3.notify: "@bobb" is not a #channel, a known person or a +phone number; did you mean bob?`,
		people + "levels:\n  P4: {notify: [\"+1 555 0100\"]}\n":            `t.yaml:5: levels.P4.notify: "+1 555 0100" is not an E.164 phone number (+ then digits, e.g. +15550100)`,
		"levels:\n  P1: {page: [dave]}\n":                                  `t.yaml:2: levels.P1.page: unknown person "dave"; people: lists no one`,
	} {
		cfg, err := config.Parse([]byte(data), "t.yaml", noenv)
		assert.Nil(t, cfg)
		assert.EqualError(t, err, want)
	}
}
