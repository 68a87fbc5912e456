package config_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/config"
)

func alertsEnv(k string) string {
	return map[string]string{"WARROOM_ALERT_TOKEN": "alert-token-7c1e", "GRAFANA_HMAC_SECRET": "grafana-secret", "SPACED": "two words"}[k]
}

func TestAlerts(t *testing.T) {
	t.Parallel()
	data := `alerts:
  token: "${WARROOM_ALERT_TOKEN}"
  grafana: {secret: "${GRAFANA_HMAC_SECRET}", header: X-Grafana-Alert-Signature,
            timestamp_header: X-Grafana-Alerting-Timestamp}
  group: alert
  level: {label: priority, map: {page: P1, ticket: P4}, default: P2}
  service: app
  cause: upstream
  kind: rule
  auto_mitigate: true
`
	cfg, err := config.Parse([]byte(data), "t.yaml", alertsEnv)
	require.NoError(t, err)
	assert.Equal(t, &config.Alerts{
		Token:        "alert-token-7c1e",
		Grafana:      config.Grafana{Secret: "grafana-secret", Header: "X-Grafana-Alert-Signature", TimestampHeader: "X-Grafana-Alerting-Timestamp", TimestampSet: true},
		Group:        "alert",
		Level:        config.AlertLevels{Label: "priority", Map: map[string]bot.Level{"page": bot.P1, "ticket": bot.P4}, Default: bot.P2},
		Service:      "app",
		Cause:        "upstream",
		Kind:         "rule",
		AutoMitigate: true,
	}, cfg.Alerts)
}

func TestAlertsDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse([]byte("http: 127.0.0.1:8080\n"), "t.yaml", alertsEnv)
	require.NoError(t, err)
	assert.Nil(t, cfg.Alerts, "no section: the hooks are off")

	for _, data := range []string{
		"alerts: {token: \"${WARROOM_ALERT_TOKEN}\"}\n",
		"alerts:\n  token: \"${WARROOM_ALERT_TOKEN}\"\n  grafana:\n  level:\n  group:\n  service:\n  kind:\n  auto_mitigate:\n",
		"alerts:\n  token: \"${WARROOM_ALERT_TOKEN}\"\n  level: {map: }\n",
	} {
		cfg, err := config.Parse([]byte(data), "t.yaml", alertsEnv)
		require.NoError(t, err, data)
		assert.Equal(t, &config.Alerts{
			Token:   "alert-token-7c1e",
			Grafana: config.Grafana{TimestampHeader: "X-Grafana-Alerting-Timestamp"},
			Group:   "group",
			Level:   config.AlertLevels{Label: "severity", Map: map[string]bot.Level{"critical": bot.P1, "error": bot.P2, "warning": bot.P3, "info": bot.P4}, Default: bot.P3},
			Service: "service", Cause: "cause", Kind: "alertname",
		}, cfg.Alerts, data)
	}
	cfg, err = config.Parse([]byte("alerts: {token: \"${WARROOM_ALERT_TOKEN}\", cause: \"\"}\n"), "t.yaml", alertsEnv)
	require.NoError(t, err)
	assert.Empty(t, cfg.Alerts.Cause, `cause: "" turns the cause label off`)
}

func TestBadAlerts(t *testing.T) {
	t.Parallel()
	const tok = "alerts:\n  token: \"${WARROOM_ALERT_TOKEN}\"\n"
	tests := []struct{ name, data, want string }{
		{"not a mapping", "alerts: on\n",
			`t.yaml:1: alerts: expected a mapping (key: value), got "on"`},
		{"no token", "alerts:\n  group: group\n",
			`t.yaml:1: alerts.token: missing; add token: "${WARROOM_ALERT_TOKEN}" under alerts and set WARROOM_ALERT_TOKEN in the environment`},
		{"empty section", "alerts:\n",
			`t.yaml:1: alerts.token: missing; add token: "${WARROOM_ALERT_TOKEN}" under alerts and set WARROOM_ALERT_TOKEN in the environment`},
		{"literal token", "alerts:\n  token: hunter2\n",
			`t.yaml:2: alerts.token: put the secret in the environment and write "${WARROOM_ALERT_TOKEN}"`},
		{"unset token", "alerts:\n  token: \"${MY_ALERT_TOKEN}\"\n",
			`t.yaml:2: alerts.token: ${MY_ALERT_TOKEN} is not set: set MY_ALERT_TOKEN in the environment, or write ${MY_ALERT_TOKEN:-} if it is optional`},
		{"empty token", "alerts:\n  token: \"${MY_ALERT_TOKEN:-}\"\n",
			`t.yaml:2: alerts.token: empty; set MY_ALERT_TOKEN in the environment`},
		{"token with a space", "alerts:\n  token: \"${SPACED}\"\n",
			`t.yaml:2: alerts.token: the token in SPACED has a space or a line break in it; a bearer token is one word (e.g. openssl rand -hex 32)`},
		{"unknown key", tok + "  groop: alert\n",
			`t.yaml:3: alerts: unknown key "groop"; did you mean group?`},
		{"bad group", tok + "  group: alerts\n",
			`t.yaml:3: alerts.group: "alerts" is not group (one fault per alert group) or alert (one per alert); did you mean alert?`},
		{"bad label", tok + "  service: app-name\n",
			`t.yaml:3: alerts.service: "app-name" is not a label name (letters, digits and _, not starting with a digit)`},
		{"bad level label", tok + "  level: {label: 1sev}\n",
			`t.yaml:3: alerts.level.label: "1sev" is not a label name (letters, digits and _, not starting with a digit)`},
		{"bad mapped level", tok + "  level:\n    map: {critical: P0}\n",
			`t.yaml:4: alerts.level.map.critical: "P0" is not a level: use P1, P2, P3 or P4 (P1 is the worst)`},
		{"lower-case default", tok + "  level: {default: p2}\n",
			`t.yaml:3: alerts.level.default: "p2" is not a level; did you mean P2?`},
		{"empty map", tok + "  level: {map: {}}\n",
			`t.yaml:3: alerts.level.map: map no value; e.g. {critical: P1, warning: P3}, or leave map out for the default`},
		{"map not a mapping", tok + "  level: {map: [P1]}\n",
			`t.yaml:3: alerts.level.map: expected a mapping (key: value), got a list`},
		{"level not a mapping", tok + "  level: P2\n",
			`t.yaml:3: alerts.level: expected a mapping like {label: severity, map: {critical: P1}, default: P3}, got "P2"`},
		{"unknown level key", tok + "  level: {lable: sev}\n",
			`t.yaml:3: alerts.level: unknown key "lable"; did you mean label?`},
		{"literal grafana secret", tok + "  grafana: {secret: s3cret}\n",
			`t.yaml:3: alerts.grafana.secret: put the secret in the environment and write "${GRAFANA_HMAC_SECRET}"`},
		{"header without secret", tok + "  grafana: {header: X-Sig}\n",
			`t.yaml:3: alerts.grafana: header and timestamp_header name where Grafana's signature is, but there is no secret to check it with; add secret: "${GRAFANA_HMAC_SECRET}"`},
		{"unset grafana secret", tok + "  grafana: {secret: \"${NOPE}\", timestamp_header: X-Ts}\n",
			`t.yaml:3: alerts.grafana.secret: ${NOPE} is not set: set NOPE in the environment, or write ${NOPE:-} if it is optional`},
		{"empty grafana secret", tok + "  grafana: {secret: \"${NOPE:-}\", timestamp_header: X-Ts}\n",
			`t.yaml:3: alerts.grafana.secret: empty; set NOPE in the environment (header and timestamp_header need it)`},
		{"bad header", tok + "  grafana: {secret: \"${GRAFANA_HMAC_SECRET}\", header: \"X Sig\"}\n",
			`t.yaml:3: alerts.grafana.header: "X Sig" is not an HTTP header name, e.g. X-Grafana-Alerting-Signature`},
		{"grafana not a mapping", tok + "  grafana: yes\n",
			`t.yaml:3: alerts.grafana: expected a mapping like {secret: "${GRAFANA_HMAC_SECRET}"}, got "yes"`},
		{"auto_mitigate not a bool", tok + "  auto_mitigate: sometimes\n",
			`t.yaml:3: alerts.auto_mitigate: "sometimes" is not true or false`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.Parse([]byte(tc.data), "t.yaml", alertsEnv)
			require.Error(t, err)
			assert.Nil(t, cfg)
			assert.Equal(t, tc.want, err.Error())
		})
	}
}

// The alerts block the example documents, uncommented, is a valid config
// once its secrets are set, and names them when they are not.
func TestExampleAlertsBlock(t *testing.T) {
	t.Parallel()
	var block []string
	in := false
	for _, line := range strings.Split(string(config.Example), "\n") {
		switch {
		case strings.HasPrefix(line, "# alerts:"):
			in = true
		case in && !strings.HasPrefix(line, "#   "):
			in = false
		}
		if in && !strings.HasPrefix(line, "#         #") {
			block = append(block, strings.TrimPrefix(line, "# "))
		}
	}
	require.NotEmpty(t, block)
	data := strings.Join(block, "\n") + "\n"
	cfg, err := config.Parse([]byte(data), "example-alerts.yaml", alertsEnv)
	require.NoError(t, err, data)
	require.NotNil(t, cfg.Alerts)
	assert.Equal(t, "grafana-secret", cfg.Alerts.Grafana.Secret)
	assert.Equal(t, config.DefaultAlertLevelMap(), cfg.Alerts.Level.Map)

	_, err = config.Parse([]byte(data), "example-alerts.yaml", noenv)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "set WARROOM_ALERT_TOKEN in the environment")
}
