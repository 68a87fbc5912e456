package lark

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/warroom/warroom/adapters"
	"github.com/warroom/warroom/bot"
)

func init() { adapters.Register(platform) }

// Settings are the config's `lark:` section.
type Settings struct {
	AppID     string // cli_...; required
	AppSecret string // from ${LARK_APP_SECRET}; required
	APIURL    string // "" = Feishu (https://open.feishu.cn); Lark: https://open.larksuite.com
}

var (
	openIDRe = regexp.MustCompile(`^ou_[0-9A-Za-z_-]{1,64}$`)
	appIDRe  = regexp.MustCompile(`^cli_[0-9A-Za-z]{1,64}$`)
)

// platform is Lark/Feishu as the binary knows it: the `lark:` section,
// open_ids (ou_...) as people's accounts.
var platform = adapters.Platform{
	Name:    "lark",
	Title:   "Lark",
	Keys:    []string{"app_id", "app_secret", "api_url"},
	Section: section,
	Account: func(id string) string {
		if openIDRe.MatchString(id) {
			return ""
		}
		return "a Lark/Feishu open_id (like ou_7d8a6e6df7621556ce0d21922b676706: the admin console's member page, or the API explorer's contact lookup)"
	},
	Open: open,
}

func section(s adapters.Section, used bool) any {
	var st Settings
	var secretVar string
	if id := s.String("app_id"); id != "" {
		if appIDRe.MatchString(id) {
			st.AppID = id
		} else {
			s.Errorf("app_id", "%q is not a Lark/Feishu app id (like cli_a1b2c3d4e5f60718: the developer console, Credentials & Basic Info)", id)
		}
	}
	st.AppSecret, secretVar = s.Secret("app_secret", "LARK_APP_SECRET")
	if raw := s.String("api_url"); raw != "" {
		if _, err := apiBase(raw); err != nil {
			s.Errorf("api_url", "%s", strings.TrimPrefix(err.Error(), "lark.api_url: "))
		} else {
			st.APIURL = raw
		}
	}
	if !used {
		return st
	}
	switch {
	case st.AppID == "" && !s.Has("app_id"):
		s.Errorf("app_id", "adapter is lark but no app_id is configured; the app's id from the developer console, e.g. app_id: \"cli_a1b2c3d4e5f60718\"")
	case st.AppID == "" && !s.Reported("app_id"):
		s.Errorf("app_id", "adapter is lark but app_id is empty")
	}
	adapters.Need(s, "lark", "app_secret", "app secret", st.AppSecret, secretVar)
	return st
}

// open builds the adapter and checks its credentials (a tenant token and
// the bot's own info), so that a rejected app id or secret stops warroom at
// start with an error naming it.
func open(ctx context.Context, settings any, env adapters.Env) (bot.Adapter, error) {
	st, _ := settings.(Settings)
	a, err := New(Config{
		AppID: st.AppID, AppSecret: st.AppSecret, APIURL: st.APIURL, Command: env.Command,
		Clock: env.Clock, Log: env.Log.With("adapter", "lark"), HTTPClient: env.HTTPClient("lark", 20*time.Second),
	})
	if err != nil {
		return nil, err
	}
	if err := a.Connect(ctx); err != nil {
		return nil, err
	}
	return a, nil
}
