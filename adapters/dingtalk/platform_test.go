package dingtalk_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/adapters/dingtalk"
	"github.com/warroom/warroom/cmd/warroom/config"
)

func env(k string) string {
	if k == "DINGTALK_CLIENT_SECRET" || k == "DINGTALK_SECRET" {
		return "s3cret"
	}
	return ""
}

// product is the DingTalk section exactly as PRODUCT.md gives it: what a
// new user writes. It needs no template, card template or owner.
const product = `adapter: dingtalk
dingtalk: {client_id: ding123, client_secret: "${DINGTALK_SECRET}", robot_code: ding123}  # also api_url
people:
  alice: {name: Alice Chen, dingtalk: "alice01"}
`

func TestConfigProductSection(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse([]byte(product), "t.yaml", env)
	require.NoError(t, err)
	assert.Equal(t, dingtalk.Settings{ClientID: "ding123", ClientSecret: "s3cret", RobotCode: "ding123"}, cfg.Platforms["dingtalk"])
	cfg, err = config.Parse([]byte(strings.Replace(product, "robot_code: ding123}", "api_url: \"http://127.0.0.1:9000\"}", 1)), "t.yaml", env)
	require.NoError(t, err, "api_url, the section's other key")
	assert.Equal(t, dingtalk.Settings{ClientID: "ding123", ClientSecret: "s3cret", APIURL: "http://127.0.0.1:9000"}, cfg.Platforms["dingtalk"])
}

const full = `adapter: dingtalk
dingtalk:
  client_id: dingabc123
  client_secret: "${DINGTALK_CLIENT_SECRET}"
  template_id: tpl-1
  card_template_id: card-1.schema
  owner: manager4220
  api_url: http://127.0.0.1:9000
  oapi_url: http://127.0.0.1:9001
people:
  alice: {dingtalk: "alice01"}
levels:
  P1: {notify: ["#cidAbC123==", alice]}
`

func TestConfig(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse([]byte(full), "t.yaml", env)
	require.NoError(t, err)
	assert.Equal(t, dingtalk.Settings{ClientID: "dingabc123", ClientSecret: "s3cret", TemplateID: "tpl-1", CardTemplateID: "card-1.schema",
		Owner: "manager4220", APIURL: "http://127.0.0.1:9000", OAPIURL: "http://127.0.0.1:9001"}, cfg.Platforms["dingtalk"])
	assert.Equal(t, "alice01", cfg.Catalog.People["alice"].Account("dingtalk"))
	assert.Equal(t, "cidAbC123==", cfg.Catalog.Levels["P1"].Notify[0].Name, "a group's open conversation id as a notify channel")
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, yaml, want string }{
		{"literal secret", "dingtalk: {client_secret: abc}\n",
			`t.yaml:1: dingtalk.client_secret: put the secret in the environment and write "${DINGTALK_CLIENT_SECRET}"`},
		{"secret absent", "adapter: dingtalk\ndingtalk: {client_id: a, template_id: t, card_template_id: c, owner: o}\n",
			`t.yaml:2: dingtalk.client_secret: adapter is dingtalk but no client secret is configured; add client_secret: "${DINGTALK_CLIENT_SECRET}" under dingtalk and set DINGTALK_CLIENT_SECRET in the environment`},
		{"client_id absent", "adapter: dingtalk\ndingtalk: {client_secret: \"${DINGTALK_CLIENT_SECRET}\", template_id: t, card_template_id: c, owner: o}\n",
			`t.yaml:2: dingtalk.client_id: adapter is dingtalk but no client_id is configured; the app's Client ID (AppKey), e.g. client_id: dingabcdef0123456789`},
		{"bad owner", "dingtalk:\n  owner: \"Alice Chen\"\n",
			`t.yaml:2: dingtalk.owner: "Alice Chen" is not a DingTalk userid (letters, digits, _ and -, like manager4220)`},
		{"bad api_url", "dingtalk:\n  api_url: api.dingtalk.com\n",
			`t.yaml:2: dingtalk.api_url: "api.dingtalk.com" is not an http(s) URL with a host, such as https://api.dingtalk.com`},
		{"oapi_url with query", "dingtalk:\n  oapi_url: \"https://oapi.dingtalk.com?x=1\"\n",
			`t.yaml:2: dingtalk.oapi_url: "https://oapi.dingtalk.com?x=1": give the base URL only, such as https://api.dingtalk.com`},
		{"bad userid", "people:\n  alice: {dingtalk: \"alice chen\"}\n",
			`t.yaml:2: people.alice.dingtalk: "alice chen" is not a DingTalk userid (letters, digits, _ and -, like manager4220: Admin console, Contacts, the member's UserID)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Parse([]byte(c.yaml), "t.yaml", env)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}
