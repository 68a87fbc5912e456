package slack

import (
	"context"
	"regexp"
	"time"

	"github.com/warroom/warroom/adapters"
	"github.com/warroom/warroom/bot"
)

func init() { adapters.Register(platform) }

// Settings are the config's `slack:` section.
type Settings struct {
	BotToken      string // xoxb-...; required
	AppToken      string // xapp-...; Socket Mode
	SigningSecret string // Events API over HTTP
	Private       bool   // war-room channels are private
	APIURL        string // "" = Slack's own; GovSlack or a test server
}

var memberIDRe = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)

// platform is Slack as the binary knows it: the `slack:` section, member
// ids as people's accounts.
var platform = adapters.Platform{
	Name:    "slack",
	Title:   "Slack",
	Keys:    []string{"bot_token", "app_token", "signing_secret", "private", "api_url"},
	Section: section,
	Account: func(id string) string {
		if memberIDRe.MatchString(id) {
			return ""
		}
		return "a Slack member id (like U01ALICE: the profile's ⋮ menu, Copy member ID)"
	},
	Open: open,
}

func section(s adapters.Section, used bool) any {
	var st Settings
	var botVar, appVar, sigVar string
	st.BotToken, botVar = s.Secret("bot_token", "SLACK_BOT_TOKEN")
	st.AppToken, appVar = s.Secret("app_token", "SLACK_APP_TOKEN")
	st.SigningSecret, sigVar = s.Secret("signing_secret", "SLACK_SIGNING_SECRET")
	st.Private = s.Bool("private")
	st.APIURL = s.URL("api_url")
	if !used {
		return st
	}
	adapters.Need(s, "slack", "bot_token", "bot token", st.BotToken, botVar)
	switch app, sig := s.Has("app_token"), s.Has("signing_secret"); {
	case st.AppToken != "" || st.SigningSecret != "":
		if st.AppToken == "" && !s.ServesHTTP() {
			s.Errorf("signing_secret", "Slack's Events API posts over HTTP, but http is off; set http: or use app_token (Socket Mode)")
		}
	case !app && !sig:
		s.Errorf("", "adapter is slack but neither app_token (Socket Mode) nor signing_secret (Events API over HTTP) is configured; add app_token: \"${SLACK_APP_TOKEN}\" under slack")
	default:
		vars := appVar
		if !app {
			vars = sigVar
		} else if sig {
			vars += " or " + sigVar
		}
		s.Errorf("", "adapter is slack but app_token and signing_secret are both empty; set %s in the environment", vars)
	}
	return st
}

// open builds the adapter and checks its bot token (auth.test), so that a
// rejected token stops warroom at start with an error naming it.
func open(ctx context.Context, settings any, env adapters.Env) (bot.Adapter, error) {
	st, _ := settings.(Settings)
	a, err := New(Options{
		BotToken: st.BotToken, AppToken: st.AppToken, SigningSecret: st.SigningSecret,
		Private: st.Private, APIURL: st.APIURL, Command: env.Command, Clock: env.Clock, Log: env.Log,
		HTTPClient: env.HTTPClient("slack", 30*time.Second),
	})
	if err != nil {
		return nil, err
	}
	if err := a.Connect(ctx); err != nil {
		return nil, err
	}
	return a, nil
}
