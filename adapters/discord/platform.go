package discord

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/warroom/warroom/adapters"
	"github.com/warroom/warroom/bot"
)

func init() { adapters.Register(platform) }

// Settings are the config's `discord:` section.
type Settings struct {
	Token  string // bot token; required
	Guild  string // server (guild) id; required
	APIURL string // "" = Discord's own; a REST proxy or a test server
}

var snowflakeRe = regexp.MustCompile(`^[0-9]{15,21}$`)

// platform is Discord as the binary knows it: the `discord:` section, user
// ids (snowflakes) as people's accounts.
var platform = adapters.Platform{
	Name:    "discord",
	Title:   "Discord",
	Keys:    []string{"token", "guild", "api_url"},
	Section: section,
	Account: func(id string) string {
		if snowflakeRe.MatchString(id) {
			return ""
		}
		return "a Discord user id (a number like 81234567890123456: Developer Mode, then Copy User ID)"
	},
	Open: func(ctx context.Context, settings any, env adapters.Env) (bot.Adapter, error) {
		st, _ := settings.(Settings)
		return New(ctx, Config{Token: st.Token, Guild: st.Guild, APIURL: st.APIURL, Command: env.Command, Log: env.Log.With("adapter", "discord"),
			HTTPClient: env.HTTPClient("discord", 20*time.Second)})
	},
}

func section(s adapters.Section, used bool) any {
	var st Settings
	var tokenVar string
	st.Token, tokenVar = s.Secret("token", "DISCORD_TOKEN")
	if g := s.String("guild"); g != "" {
		if snowflakeRe.MatchString(g) {
			st.Guild = g
		} else {
			s.Errorf("guild", "%q is not a Discord server id (a number like 123456789012345678: Developer Mode, then Copy Server ID)", g)
		}
	}
	if raw := s.String("api_url"); raw != "" {
		// The adapter's own reading of the URL, so config and start agree.
		if _, _, err := apiBase(raw); err != nil {
			s.Errorf("api_url", "%s", strings.TrimPrefix(err.Error(), "discord.api_url: "))
		} else {
			st.APIURL = raw
		}
	}
	if !used {
		return st
	}
	adapters.Need(s, "discord", "token", "token", st.Token, tokenVar)
	switch {
	case st.Guild == "" && !s.Has("guild"):
		s.Errorf("guild", "adapter is discord but no guild is configured; the server id the bot works in, e.g. guild: \"123456789012345678\"")
	case st.Guild == "" && !s.Reported("guild"):
		s.Errorf("guild", "adapter is discord but guild is empty")
	}
	return st
}
