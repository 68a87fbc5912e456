package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/config"
)

func TestPermissions(t *testing.T) {
	t.Parallel()
	// people: after permissions: still counts.
	data := `permissions:
  resolve: [commander]
  level: [commander, handler, responder]
  done: [assignee, "@alice"]
  declare: [anyone, bob]
  update: [participant, alice]
people:
  alice: {}
  bob: {}
`
	cfg, err := config.Parse([]byte(data), "t.yaml", noenv)
	require.NoError(t, err)
	want := bot.DefaultPermissions()
	want["resolve"] = []string{"commander"}
	want["level"] = []string{"commander", "handler", "responder"}
	want["done"] = []string{"assignee", "alice"}
	want["declare"] = []string{"anyone", "bob"}
	want["update"] = []string{"participant", "alice"}
	assert.Equal(t, want, cfg.Permissions)

	// No key, or nothing under it: the default table.
	for _, data := range []string{"", "permissions:\n", "permissions: {}\n"} {
		cfg, err := config.Parse([]byte(data), "t.yaml", noenv)
		require.NoError(t, err, "%q", data)
		assert.Equal(t, bot.DefaultPermissions(), cfg.Permissions, "%q", data)
	}
}

func TestBadPermissions(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, data, want string }{
		{"unknown command", people + "permissions:\n  reslove: [commander]\n",
			`t.yaml:5: permissions: unknown command "reslove"; did you mean resolve?`},
		{"approve", people + "permissions:\n  approve: [commander]\n",
			`t.yaml:5: permissions: who may approve a run is each plan's approval rule (approval: {roles: [...]} in the plan file), not permissions`},
		{"deny", people + "permissions:\n  deny: [commander]\n",
			`t.yaml:5: permissions: who may deny a run is each plan's approval rule (approval: {roles: [...]} in the plan file), not permissions`},
		{"bad who", people + "permissions:\n  resolve:\n    - commander\n    - alise\n",
			`t.yaml:7: permissions.resolve[2]: "alise" is neither a role (commander, handler, responder), participant, anyone nor a person id in people:; known: anyone, participant, commander, handler, responder`},
		{"role typo", people + "permissions:\n  level: [comander]\n",
			`t.yaml:5: permissions.level[1]: "comander" is neither a role (commander, handler, responder), participant, anyone nor a person id in people:; did you mean commander?`},
		{"assignee outside done", people + "permissions:\n  task: [commander, assignee]\n",
			`t.yaml:5: permissions.task[2]: assignee is only for done (a task's assignee); use a role, participant, anyone or a person id`},
		{"role on declare", people + "permissions:\n  declare: [commander]\n",
			`t.yaml:5: permissions.declare[1]: "commander": declare acts on no fault yet, so only anyone or person ids may be named`},
		{"empty list", people + "permissions:\n  resolve: []\n",
			`t.yaml:5: permissions.resolve: nobody could run resolve; write [commander] or remove the row`},
		{"null row", people + "permissions:\n  resolve:\n",
			`t.yaml:5: permissions.resolve: nobody could run resolve; write [commander] or remove the row`},
		{"empty list on declare", people + "permissions:\n  declare: []\n",
			`t.yaml:5: permissions.declare: nobody could run declare; write [anyone] or remove the row`},
		{"not a list", people + "permissions:\n  resolve: commander\n",
			`t.yaml:5: permissions.resolve: expected a list like [a, b], got "commander" (write [commander])`},
		{"not a mapping", people + "permissions: [resolve]\n",
			`t.yaml:4: permissions: expected a mapping (key: value), got a list`},
		{"listed twice", people + "permissions:\n  resolve: [commander, \"@commander\"]\n",
			`t.yaml:5: permissions.resolve[2]: commander is listed twice`},
		{"empty item", people + "permissions:\n  resolve:\n    - commander\n    -\n",
			`t.yaml:7: permissions.resolve[2]: empty item`},
		{"unset variable", people + "permissions:\n  resolve: [\"${WHO}\"]\n",
			`t.yaml:5: permissions.resolve[1]: ${WHO} is not set: set WHO in the environment, or write ${WHO:-default} if it is optional`},
		{"empty optional variable", people + "permissions:\n  resolve: [\"${WHO:-}\"]\n",
			`t.yaml:5: permissions.resolve[1]: "${WHO:-}" is empty; set WHO in the environment`},
		{"people after permissions", "permissions:\n  mitigated: [alice, carol]\npeople:\n  alice: {}\n  bob: {}\n",
			`t.yaml:2: permissions.mitigated[2]: "carol" is neither a role (commander, handler, responder), participant, anyone nor a person id in people:; known: anyone, participant, commander, handler, responder`},
		{"broken person does not cascade", "people:\n  Alice: {}\npermissions:\n  resolve: [Alice]\n",
			`t.yaml:2: people: "Alice" is not a person id (a-z, 0-9, . _ -); did you mean alice?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.Parse([]byte(tt.data), "t.yaml", noenv)
			assert.Nil(t, cfg)
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
			var cerr *config.Error
			require.ErrorAs(t, err, &cerr)
			assert.Len(t, cerr.Problems, 1)
		})
	}
}

// tokenEnv is an environment with a few API tokens set.
func tokenEnv(k string) string {
	return map[string]string{
		"WARROOM_CI_TOKEN": "ci-0123456789abcdef",
		"DEPLOY_TOKEN":     "deploy-0123456789abcdef",
		"SAME_AS_CI":       "ci-0123456789abcdef",
		"SPACED":           "ci-0123456789abcdef\n",
	}[k]
}

func TestAPITokens(t *testing.T) {
	t.Parallel()
	// people: after api_tokens: still counts; the result is sorted by name.
	data := `api_tokens:
  zz-deploy: {token: "${DEPLOY_TOKEN}", person: "@bob"}
  ci:
    token: "${WARROOM_CI_TOKEN}"
    person: alice
people:
  alice: {}
  bob: {}
`
	cfg, err := config.Parse([]byte(data), "t.yaml", tokenEnv)
	require.NoError(t, err)
	assert.Equal(t, []bot.APIToken{
		{Name: "ci", Token: "ci-0123456789abcdef", Person: "alice"},
		{Name: "zz-deploy", Token: "deploy-0123456789abcdef", Person: "bob"},
	}, cfg.APITokens)

	for _, data := range []string{"", "api_tokens:\n", "api_tokens: {}\n"} {
		cfg, err := config.Parse([]byte(data), "t.yaml", tokenEnv)
		require.NoError(t, err, "%q", data)
		assert.Empty(t, cfg.APITokens, "%q", data)
	}
}

func TestBadAPITokens(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, data, want string }{
		{"missing env var", people + "api_tokens:\n  ci: {token: \"${NO_SUCH_TOKEN}\", person: alice}\n",
			`t.yaml:5: api_tokens.ci.token: ${NO_SUCH_TOKEN} is not set: set NO_SUCH_TOKEN in the environment, or write ${NO_SUCH_TOKEN:-} if it is optional`},
		{"empty optional env var", people + "api_tokens:\n  ci: {token: \"${NO_SUCH_TOKEN:-}\", person: alice}\n",
			`t.yaml:5: api_tokens.ci.token: empty; set NO_SUCH_TOKEN in the environment`},
		{"secret with a default", people + "api_tokens:\n  ci: {token: \"${NO_SUCH_TOKEN:-hunter2}\", person: alice}\n",
			`t.yaml:5: api_tokens.ci.token: a secret cannot have a default in the file; write "${NO_SUCH_TOKEN}", or "${NO_SUCH_TOKEN:-}" to leave it empty when NO_SUCH_TOKEN is unset`},
		{"literal token", people + "api_tokens:\n  ci: {token: hunter2hunter2, person: alice}\n",
			`t.yaml:5: api_tokens.ci.token: put the secret in the environment and write "${WARROOM_CI_TOKEN}"`},
		{"empty token", people + "api_tokens:\n  ci: {token: \"\", person: alice}\n",
			`t.yaml:5: api_tokens.ci.token: empty; set WARROOM_CI_TOKEN in the environment`},
		{"missing token", people + "api_tokens:\n  ci-bot: {person: alice}\n",
			`t.yaml:5: api_tokens.ci-bot.token: missing; add token: "${WARROOM_CI_BOT_TOKEN}" under api_tokens.ci-bot and set WARROOM_CI_BOT_TOKEN in the environment`},
		{"token with a line break", people + "api_tokens:\n  ci: {token: \"${SPACED}\", person: alice}\n",
			`t.yaml:5: api_tokens.ci.token: the token in SPACED has a space or a line break in it; a bearer token is one word (e.g. openssl rand -hex 32)`},
		{"unknown person", people + "api_tokens:\n  ci: {token: \"${WARROOM_CI_TOKEN}\", person: alise}\n",
			`t.yaml:5: api_tokens.ci.person: unknown person "alise"; did you mean alice?`},
		{"unknown person, no people", "api_tokens:\n  ci: {token: \"${WARROOM_CI_TOKEN}\", person: alice}\n",
			`t.yaml:2: api_tokens.ci.person: unknown person "alice"; people: lists no one`},
		{"missing person", people + "api_tokens:\n  ci: {token: \"${WARROOM_CI_TOKEN}\"}\n",
			`t.yaml:5: api_tokens.ci.person: missing; the person (in people:) the token acts as, e.g. person: alice`},
		{"duplicate token", people + "api_tokens:\n  ci: {token: \"${WARROOM_CI_TOKEN}\", person: alice}\n  deploy: {token: \"${SAME_AS_CI}\", person: bob}\n",
			`t.yaml:6: api_tokens.deploy.token: the same token as api_tokens.ci; give each its own`},
		{"unknown key", people + "api_tokens:\n  ci: {token: \"${WARROOM_CI_TOKEN}\", person: alice, persn: bob}\n",
			`t.yaml:5: api_tokens.ci: unknown key "persn"; did you mean person?`},
		{"not a mapping", people + "api_tokens:\n  ci: \"${WARROOM_CI_TOKEN}\"\n",
			`t.yaml:5: api_tokens.ci: expected a mapping like {token: "${WARROOM_CI_TOKEN}", person: alice}, got "${WARROOM_CI_TOKEN}"`},
		{"bad name", people + "api_tokens:\n  CI: {token: \"${WARROOM_CI_TOKEN}\", person: alice}\n",
			`t.yaml:5: api_tokens: "CI" is not a token name (a-z, 0-9, . _ -); did you mean ci?`},
		{"section not a mapping", people + "api_tokens: [ci]\n",
			`t.yaml:4: api_tokens: expected a mapping (key: value), got a list`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.Parse([]byte(tt.data), "t.yaml", tokenEnv)
			assert.Nil(t, cfg)
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
			var cerr *config.Error
			require.ErrorAs(t, err, &cerr)
			assert.Len(t, cerr.Problems, 1)
			for _, secret := range []string{"0123456789abcdef", "hunter2"} {
				assert.NotContains(t, err.Error(), secret, "tokens never appear in errors")
			}
		})
	}
}

// The api_tokens block the example documents, uncommented, is a valid
// config; the live permissions row is the default.
func TestExampleAccess(t *testing.T) {
	t.Parallel()
	assert.Equal(t, bot.DefaultPermissions(), config.Default().Permissions, "the demo runs on the default table")
	assert.Empty(t, config.Default().APITokens, "the demo needs no environment")

	var block []string
	in := false
	for _, line := range strings.Split(string(config.Example), "\n") {
		switch {
		case strings.HasPrefix(line, "# api_tokens:"):
			in = true
		case in && !strings.HasPrefix(line, "#   "):
			in = false
		}
		if in {
			block = append(block, strings.TrimPrefix(line, "# "))
		}
	}
	require.NotEmpty(t, block, "the example documents api_tokens")
	data := people + strings.Join(block, "\n") + "\n"
	cfg, err := config.Parse([]byte(data), "example-tokens.yaml", tokenEnv)
	require.NoError(t, err, "%s", data)
	assert.Equal(t, []bot.APIToken{{Name: "ci", Token: "ci-0123456789abcdef", Person: "alice"}}, cfg.APITokens)

	_, err = config.Parse([]byte(data), "example-tokens.yaml", noenv)
	assert.ErrorContains(t, err, "set WARROOM_CI_TOKEN in the environment")
}

func TestLoadReadsRelativePathsFromTheConfigFolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "warroom.yaml")
	require.NoError(t, os.WriteFile(path, []byte("plans: runbooks/\ndatabase: data/w.db\n"), 0o600))
	cfg, err := config.Load(path)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "runbooks"), cfg.Plans)
	assert.Equal(t, filepath.Join(dir, "data/w.db"), cfg.Database)

	require.NoError(t, os.WriteFile(path, []byte("plans: /srv/plans\n"), 0o600))
	cfg, err = config.Load(path)
	require.NoError(t, err)
	assert.Equal(t, "/srv/plans", cfg.Plans, "absolute paths stay")
	assert.Equal(t, filepath.Join(dir, config.DefaultDatabase), cfg.Database, "the default database sits beside the config too")
}
