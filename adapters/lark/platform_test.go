package lark_test

import (
	"log/slog"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/adapters"
	"github.com/warroom/warroom/adapters/lark"
	"github.com/warroom/warroom/adapters/lark/larkfake"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/config"
)

const people = "people:\n  alice: {lark: ou_7d8a6e6df7621556ce0d21922b676706}\n  bob: {}\n"

func env(k string) string {
	return map[string]string{"LARK_APP_SECRET": "s3cret"}[k]
}

func TestConfig(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse([]byte(people+"adapter: lark\nlark: {app_id: cli_a1b2c3d4e5f60718, app_secret: \"${LARK_APP_SECRET}\", api_url: \"https://open.larksuite.com/open-apis/\"}\n"), "t.yaml", env)
	require.NoError(t, err)
	assert.Equal(t, lark.Settings{AppID: "cli_a1b2c3d4e5f60718", AppSecret: "s3cret", APIURL: "https://open.larksuite.com/open-apis/"}, cfg.Platforms["lark"])
	assert.Equal(t, "ou_7d8a6e6df7621556ce0d21922b676706", cfg.Catalog.People["alice"].Account("lark"))

	cfg, err = config.Parse([]byte("adapter: lark\nlark: {app_id: cli_a1b2c3d4e5f60718, app_secret: \"${LARK_APP_SECRET}\"}\n"), "t.yaml", env)
	require.NoError(t, err)
	assert.Empty(t, cfg.Platforms["lark"].(lark.Settings).APIURL, "no api_url: Feishu, the adapter's default")
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, yaml, want string }{
		{"no app_id", "adapter: lark\nlark: {app_secret: \"${LARK_APP_SECRET}\"}\n",
			`t.yaml:2: lark.app_id: adapter is lark but no app_id is configured; the app's id from the developer console, e.g. app_id: "cli_a1b2c3d4e5f60718"`},
		{"bad app_id", "lark: {app_id: 12345}\n",
			`t.yaml:1: lark.app_id: "12345" is not a Lark/Feishu app id (like cli_a1b2c3d4e5f60718: the developer console, Credentials & Basic Info)`},
		{"no secret", "adapter: lark\nlark: {app_id: cli_a1b2c3d4e5f60718}\n",
			`t.yaml:2: lark.app_secret: adapter is lark but no app secret is configured; add app_secret: "${LARK_APP_SECRET}" under lark and set LARK_APP_SECRET in the environment`},
		{"literal secret", "lark: {app_secret: abc}\n",
			`t.yaml:1: lark.app_secret: put the secret in the environment and write "${LARK_APP_SECRET}"`},
		{"api_url not http", "lark: {api_url: \"ws://open.feishu.cn\"}\n",
			`t.yaml:1: lark.api_url: "ws://open.feishu.cn" is not an http(s) URL with a host, such as https://open.feishu.cn or https://open.larksuite.com`},
		{"api_url with query", "lark: {api_url: \"https://open.feishu.cn/?x=1\"}\n",
			`t.yaml:1: lark.api_url: "https://open.feishu.cn/?x=1" has a query, fragment or user; give the host only, such as https://open.larksuite.com`},
		{"not an open_id", "people:\n  alice: {lark: alice@example.com}\n",
			`t.yaml:2: people.alice.lark: "alice@example.com" is not a Lark/Feishu open_id (like ou_7d8a6e6df7621556ce0d21922b676706: the admin console's member page, or the API explorer's contact lookup)`},
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

type calls struct {
	mu sync.Mutex
	n  map[int]int // status → count
}

func (c *calls) ObserveCall(platform string, status int, _ error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if platform == "lark" {
		c.n[status]++
	}
}

// TestOpen: the registered platform opens an adapter that checked its
// credentials, holds the event connection (leader only), and whose calls
// the metrics hear; a wrong secret stops it.
func TestOpen(t *testing.T) {
	t.Parallel()
	f := larkfake.New(t)
	pl, ok := adapters.Lookup("lark")
	require.True(t, ok)
	obs := &calls{n: map[int]int{}}
	env := adapters.Env{Command: "fault", Clock: bot.SystemClock{}, Log: slog.New(slog.DiscardHandler), Calls: obs}
	a, err := pl.Open(t.Context(), lark.Settings{AppID: f.AppID, AppSecret: f.AppSecret, APIURL: f.URL}, env)
	require.NoError(t, err)
	assert.Equal(t, f.BotID, a.(*lark.Adapter).BotID())
	ec, ok := a.(interface{ HoldsEventConnection() bool })
	require.True(t, ok)
	assert.True(t, ec.HoldsEventConnection())
	obs.mu.Lock()
	assert.Equal(t, 2, obs.n[200], "the token and bot/v3/info")
	obs.mu.Unlock()

	_, err = pl.Open(t.Context(), lark.Settings{AppID: f.AppID, AppSecret: "wrong", APIURL: f.URL}, env)
	assert.ErrorContains(t, err, "lark.app_id or lark.app_secret was rejected")
}
