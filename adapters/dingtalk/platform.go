package dingtalk

import (
	"context"
	"net/url"
	"regexp"
	"time"

	"github.com/warroom/warroom/adapters"
	"github.com/warroom/warroom/bot"
)

func init() { adapters.Register(platform) }

// Settings are the config's `dingtalk:` section.
type Settings struct {
	ClientID     string // the app's Client ID (AppKey); required
	ClientSecret string // its Client Secret (AppSecret), from ${VAR}; required
	RobotCode    string // the app's robot; default ClientID (an internal app's robot code is its AppKey)
	// TemplateID is the scene-group template war rooms are made from;
	// optional: without it the group is created with no template_id (a
	// tenant that insists says so, and the declare's error says to set it).
	TemplateID string
	// CardTemplateID is the card template kickoffs, approvals and summaries
	// use; optional: without it they go as robot markdown messages, with
	// no buttons (check-in is by typing the command).
	CardTemplateID string
	// Owner is the userid that owns war-room groups (DingTalk wants a
	// person); optional: default the catalog's first person, by catalog
	// id, who has a dingtalk userid.
	Owner   string
	APIURL  string // default https://api.dingtalk.com
	OAPIURL string // default api_url when that is set, else https://oapi.dingtalk.com
}

// Default endpoints.
const (
	DefaultAPIURL  = "https://api.dingtalk.com"
	DefaultOAPIURL = "https://oapi.dingtalk.com"
)

// userIDRe is what a DingTalk userid (staff id) looks like: letters,
// digits, _ and -, at most 64 ("manager4220", "0123456789").
var userIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

var platform = adapters.Platform{
	Name:    "dingtalk",
	Title:   "DingTalk",
	Keys:    []string{"client_id", "client_secret", "robot_code", "template_id", "card_template_id", "owner", "api_url", "oapi_url"},
	Section: section,
	Account: func(id string) string {
		if userIDRe.MatchString(id) {
			return ""
		}
		return "a DingTalk userid (letters, digits, _ and -, like manager4220: Admin console, Contacts, the member's UserID)"
	},
	Open: func(ctx context.Context, settings any, env adapters.Env) (bot.Adapter, error) {
		st, _ := settings.(Settings)
		return New(ctx, Config{Settings: st, Command: env.Command, Catalog: env.Catalog, Clock: env.Clock,
			Log: env.Log.With("adapter", "dingtalk"), HTTPClient: env.HTTPClient("dingtalk", 20*time.Second)})
	},
}

func section(s adapters.Section, used bool) any {
	var st Settings
	var secretVar string
	st.ClientSecret, secretVar = s.Secret("client_secret", "DINGTALK_CLIENT_SECRET")
	st.ClientID = s.String("client_id")
	st.RobotCode = s.String("robot_code")
	st.TemplateID = s.String("template_id")
	st.CardTemplateID = s.String("card_template_id")
	if o := s.String("owner"); o != "" {
		if userIDRe.MatchString(o) {
			st.Owner = o
		} else {
			s.Errorf("owner", "%q is not a DingTalk userid (letters, digits, _ and -, like manager4220)", o)
		}
	}
	st.APIURL = baseURL(s, "api_url")
	st.OAPIURL = baseURL(s, "oapi_url")
	if !used {
		return st
	}
	adapters.Need(s, "dingtalk", "client_secret", "client secret", st.ClientSecret, secretVar)
	need(s, "client_id", st.ClientID, "the app's Client ID (AppKey), e.g. client_id: dingabcdef0123456789")
	return st
}

// need reports a required plain key that is absent or empty.
func need(s adapters.Section, key, val, what string) {
	switch {
	case val != "" || s.Reported(key):
	case !s.Has(key):
		s.Errorf(key, "adapter is dingtalk but no %s is configured; %s", key, what)
	default:
		s.Errorf(key, "adapter is dingtalk but %s is empty; %s", key, what)
	}
}

// baseURL reads an endpoint override: an http(s) URL with a host and no
// query, user or fragment.
func baseURL(s adapters.Section, key string) string {
	raw := s.String(key)
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		s.Errorf(key, "%q is not an http(s) URL with a host, such as https://api.dingtalk.com", raw)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		s.Errorf(key, "%q: give the base URL only, such as https://api.dingtalk.com", raw)
	default:
		return raw
	}
	return ""
}
