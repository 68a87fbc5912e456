package matrix_test

import (
	"testing"

	"github.com/warroom/warroom/adapters/matrix"
	"github.com/warroom/warroom/cmd/warroom/config"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestConfig(t *testing.T) {
	t.Parallel()
	yaml := "adapter: matrix\n" +
		"matrix: {homeserver: \"https://matrix.example.org\", user: \"@warroom:example.org\", token: \"${MATRIX_TOKEN}\"}\n" +
		"people:\n  alice: {matrix: \"@alice:example.org\"}\n"
	cfg, err := config.Parse([]byte(yaml), "t.yaml", env(map[string]string{"MATRIX_TOKEN": "syt_abc"}))
	if err != nil {
		t.Fatal(err)
	}
	want := matrix.Settings{Homeserver: "https://matrix.example.org", User: "@warroom:example.org", Token: "syt_abc"}
	if got := cfg.Platforms["matrix"]; got != want {
		t.Fatalf("settings = %+v, want %+v", got, want)
	}
	if got := cfg.Catalog.People["alice"].Account("matrix"); got != "@alice:example.org" {
		t.Fatalf("alice's account = %q", got)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	tok := env(map[string]string{"MATRIX_TOKEN": "syt_abc"})
	cases := []struct {
		name, yaml string
		getenv     func(string) string
		want       string
	}{
		{"token absent", "adapter: matrix\nmatrix: {homeserver: \"https://m.example.org\", user: \"@w:example.org\"}\n", tok,
			`t.yaml:2: matrix.token: adapter is matrix but no access token is configured; add token: "${MATRIX_TOKEN}" under matrix and set MATRIX_TOKEN in the environment`},
		{"token literal", "adapter: matrix\nmatrix: {homeserver: \"https://m.example.org\", user: \"@w:example.org\", token: syt_abc}\n", tok,
			`t.yaml:2: matrix.token: put the secret in the environment and write "${MATRIX_TOKEN}"`},
		{"homeserver absent", "adapter: matrix\nmatrix: {user: \"@w:example.org\", token: \"${MATRIX_TOKEN}\"}\n", tok,
			`t.yaml:2: matrix.homeserver: adapter is matrix but no homeserver is configured; its client API URL, e.g. homeserver: https://matrix.example.org`},
		{"user not an id", "adapter: matrix\nmatrix: {homeserver: \"https://m.example.org\", user: warroom, token: \"${MATRIX_TOKEN}\"}\n", tok,
			`t.yaml:2: matrix.user: "warroom" is not a Matrix user id (like @alice:example.org: the name in Element's profile, with the server)`},
		{"user absent", "adapter: matrix\nmatrix: {homeserver: \"https://m.example.org\", token: \"${MATRIX_TOKEN}\"}\n", tok,
			`t.yaml:2: matrix.user: adapter is matrix but no user is configured; the bot's user id, e.g. user: "@warroom:example.org"`},
		{"unknown key", "adapter: matrix\nmatrix: {homeserver: \"https://m.example.org\", user: \"@w:example.org\", token: \"${MATRIX_TOKEN}\", room: x}\n", tok,
			`t.yaml:2: matrix: unknown key "room"; known: homeserver, user, token, sync_file`},
		{"account not an id", "adapter: matrix\nmatrix: {homeserver: \"https://m.example.org\", user: \"@w:example.org\", token: \"${MATRIX_TOKEN}\"}\npeople:\n  alice: {matrix: alice}\n", tok,
			`t.yaml:4: people.alice.matrix: "alice" is not a Matrix user id (like @alice:example.org: the name in Element's profile, with the server)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Parse([]byte(c.yaml), "t.yaml", c.getenv)
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			if got := err.Error(); len(got) < len(c.want) || got[:len(c.want)] != c.want {
				t.Fatalf("error\n %s\nwant it to start\n %s", got, c.want)
			}
		})
	}
}
