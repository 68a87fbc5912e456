package slack_test

import (
	"flag"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	wslack "github.com/warroom/warroom/adapters/slack"
)

var update = flag.Bool("update", false, "rewrite manifest.yaml's usage_hint from the command registry")

var hintLine = regexp.MustCompile(`(?m)^(\s*usage_hint:).*$`)

// yamlQuote is s as a single-quoted YAML scalar.
func yamlQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// TestManifest keeps the app manifest to exactly what the adapter uses.
func TestManifest(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		data = hintLine.ReplaceAll(data, []byte("${1} "+strings.ReplaceAll(yamlQuote(wslack.UsageHint()), "$", "$$")))
		if err := os.WriteFile("manifest.yaml", data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var m struct {
		Features struct {
			SlashCommands []struct {
				Command      string `yaml:"command"`
				ShouldEscape bool   `yaml:"should_escape"`
				UsageHint    string `yaml:"usage_hint"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			Events struct {
				BotEvents []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
			Interactivity struct {
				Enabled bool `yaml:"is_enabled"`
			} `yaml:"interactivity"`
			SocketMode bool `yaml:"socket_mode_enabled"`
		} `yaml:"settings"`
	}
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	scopes := []string{"app_mentions:read", "channels:manage", "channels:read", "chat:write", "commands", "groups:read", "groups:write",
		"im:write", "pins:write", "reactions:read", "users:read", "users:read.email"}
	if got := slices.Sorted(slices.Values(m.OAuth.Scopes.Bot)); !slices.Equal(got, scopes) {
		t.Errorf("scopes = %v, want %v", got, scopes)
	}
	if got := slices.Sorted(slices.Values(m.Settings.Events.BotEvents)); !slices.Equal(got, []string{"app_mention", "reaction_added"}) {
		t.Errorf("bot events = %v", got)
	}
	if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/fault" || !m.Features.SlashCommands[0].ShouldEscape {
		t.Errorf("slash commands = %+v", m.Features.SlashCommands)
	}
	// The usage hint is generated from the command registry, so that Slack
	// offers every verb with every argument.
	if len(m.Features.SlashCommands) == 1 {
		if got, want := m.Features.SlashCommands[0].UsageHint, wslack.UsageHint(); got != want {
			t.Errorf("usage_hint is not the registry's; run go test ./adapters/slack -run TestManifest -update\n got %s\nwant %s", got, want)
		}
	}
	if n := utf8.RuneCountInString(wslack.UsageHint()); n > 1000 {
		t.Errorf("the usage hint is %d characters; Slack takes 1000", n)
	}
	if !m.Settings.Interactivity.Enabled || !m.Settings.SocketMode {
		t.Errorf("interactivity %v, socket mode %v", m.Settings.Interactivity.Enabled, m.Settings.SocketMode)
	}
}
