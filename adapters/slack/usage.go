package slack

import (
	"strings"

	"github.com/warroom/warroom/bot"
)

// UsageHint is the slash command's usage hint (manifest.yaml's
// usage_hint), generated from the command registry: every verb with its
// arguments, as `/fault help` shows them. Slack takes the hint from the
// app's manifest, which a person pastes, so the manifest holds a copy that
// TestManifest keeps equal to this (go test -run TestManifest -update
// rewrites it).
func UsageHint() string {
	var parts []string
	for _, v := range bot.DefaultRegistry().Verbs() {
		p := v.Name
		if u := v.Usage(); u != "" {
			p += " " + u
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " · ")
}
