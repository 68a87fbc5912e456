package matrix

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/warroom/warroom/adapters"
	"github.com/warroom/warroom/bot"
)

func init() { adapters.Register(platform) }

// Settings are the config's `matrix:` section.
type Settings struct {
	Homeserver string // the client-server API's base URL; required
	User       string // the bot's user id, @warroom:example.org; required
	Token      string // the bot's access token; required, from ${VAR}
	// SyncFile keeps the sync position (next_batch) in a file instead of
	// warroom's database (the default, where a failover's new leader finds
	// it too).
	SyncFile string
}

// userIDRe is a Matrix user id: @localpart:server[:port]. Localparts
// are lowercase by the spec, but older servers made others (historical
// ids), so any character but ':' and space is taken.
var userIDRe = regexp.MustCompile(`^@[^:\s]+:[A-Za-z0-9.\-]+(:[0-9]{1,5})?$`)

const accountHint = "a Matrix user id (like @alice:example.org: the name in Element's profile, with the server)"

// platform is Matrix as the binary knows it: the `matrix:` section, user
// ids as people's accounts.
var platform = adapters.Platform{
	Name:    "matrix",
	Title:   "Matrix",
	Keys:    []string{"homeserver", "user", "token", "sync_file"},
	Section: section,
	Account: func(id string) string {
		if userIDRe.MatchString(id) {
			return ""
		}
		return accountHint
	},
	Open: open,
}

func section(s adapters.Section, used bool) any {
	var st Settings
	var tokenVar string
	st.Token, tokenVar = s.Secret("token", "MATRIX_TOKEN")
	st.Homeserver = s.URL("homeserver")
	if u := s.String("user"); u != "" {
		if userIDRe.MatchString(u) {
			st.User = u
		} else {
			s.Errorf("user", "%q is not %s", u, accountHint)
		}
	}
	st.SyncFile = strings.TrimSpace(s.String("sync_file"))
	if !used {
		return st
	}
	adapters.Need(s, "matrix", "token", "access token", st.Token, tokenVar)
	switch {
	case st.Homeserver == "" && !s.Has("homeserver"):
		s.Errorf("homeserver", "adapter is matrix but no homeserver is configured; its client API URL, e.g. homeserver: https://matrix.example.org")
	case st.Homeserver == "" && !s.Reported("homeserver"):
		s.Errorf("homeserver", "adapter is matrix but homeserver is empty")
	}
	switch {
	case st.User == "" && !s.Has("user"):
		s.Errorf("user", "adapter is matrix but no user is configured; the bot's user id, e.g. user: \"@warroom:example.org\"")
	case st.User == "" && !s.Reported("user"):
		s.Errorf("user", "adapter is matrix but user is empty")
	}
	return st
}

// open builds the adapter and checks its token (whoami), so that a
// rejected token stops warroom at start with an error naming it.
func open(ctx context.Context, settings any, env adapters.Env) (bot.Adapter, error) {
	st, _ := settings.(Settings)
	return New(ctx, Config{
		Homeserver: st.Homeserver, User: st.User, Token: st.Token, SyncFile: st.SyncFile, State: state(st, env),
		Command: env.Command, Log: env.Log.With("adapter", "matrix"),
		// Longer than a sync's long poll (SyncTimeout).
		HTTPClient: env.HTTPClient("matrix", SyncTimeout+30*time.Second),
	})
}

// state is where the sync position is kept: warroom's database, unless the
// config names a sync_file.
func state(st Settings, env adapters.Env) bot.AdapterState {
	if st.SyncFile != "" {
		return nil
	}
	return env.State
}
