package slack_test

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/warroom/warroom/adapters/adaptertest"
	"github.com/warroom/warroom/bot"
)

// TestEveryVerbIsReachable: each verb, with every argument, is in the
// usage hint of the manifest Slack is given, and typed as a slash command
// (mentions escaped, as should_escape makes Slack send them) reaches the
// core as that line.
func TestEveryVerbIsReachable(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Features struct {
			SlashCommands []struct {
				UsageHint string `yaml:"usage_hint"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
	}
	if err := yaml.Unmarshal(data, &m); err != nil || len(m.Features.SlashCommands) != 1 {
		t.Fatalf("manifest: %v, %+v", err, m)
	}
	hint := " · " + m.Features.SlashCommands[0].UsageHint + " · "
	h := &harness{env: newEnv(t, nil)}
	h.Start(t.Context(), &adaptertest.Recorder{})
	mention := func(p string) string { return "<@" + h.uidOf(p) + "|" + p + ">" }
	adaptertest.Reach(t, "fault", bot.DefaultRegistry(), mention, func(t *testing.T, c adaptertest.Command) string {
		usage := strings.TrimSpace(c.Verb.Name + " " + c.Verb.Usage())
		if !strings.Contains(hint, " · "+usage+" · ") {
			t.Errorf("the manifest's usage hint lacks %q", usage)
		}
		n := h.rec.Count()
		h.Say(t, "CWAR", "alice", c.Line("fault", mention))
		return h.rec.Messages()[n].Text
	})
}
