// Package adapters is the register of chat platforms. Each platform is a
// package below this one that registers itself from init: its name (the
// config's `adapter:` value, the key of its config section and of a
// person's account under `people:`), how it reads and checks its section,
// how it checks an account id, and how it starts. The binary imports the
// platforms it ships (cmd/warroom/platforms.go, one line each); nothing in
// bot/ or in the config reader names a platform.
package adapters

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"

	"github.com/warroom/warroom/bot"
)

// Platform is a chat platform as the binary knows it.
type Platform struct {
	Name  string
	Title string // as people write it: "Slack"; default Name
	// Keys are the keys its config section may have; nil: it has none.
	Keys []string
	// Section reads the platform's config section (empty when the file has
	// none), reporting problems through s, and returns what Open takes.
	// used is set when the config runs this platform: only then are its
	// required keys required.
	Section func(s Section, used bool) any
	// Account checks a person's account id on the platform ("U01ALICE"):
	// "" when it is one, else what it should look like. Nil takes any.
	Account func(id string) string
	// Open starts the adapter with what Section returned.
	Open func(ctx context.Context, settings any, env Env) (bot.Adapter, error)
}

// Section is a platform's part of the config file as the config reader
// hands it over. Every value has its ${VAR}s expanded; a problem is
// reported at its key's line (the section's, or the adapter key's, when
// the key is absent) under the key's path ("slack.bot_token").
type Section interface {
	// Has reports whether the key is written in the section.
	Has(key string) bool
	// String is a single value; "" when absent or empty.
	String(key string) string
	// Secret is a value that must come from the environment as ${VAR};
	// envVar is the variable to suggest when none is written. It returns
	// the value and the variable it came from.
	Secret(key, envVar string) (val, fromVar string)
	// Bool is true, false (yes/no, on/off); false when absent.
	Bool(key string) bool
	// URL is an http(s) URL; "" when absent or not one (reported).
	URL(key string) string
	// Errorf reports a problem with the key (or with the section: "").
	Errorf(key, format string, args ...any)
	// Reported says whether a problem was reported at the key already.
	Reported(key string) bool
	// ServesHTTP says whether warroom's HTTP server is on (`http:`).
	ServesHTTP() bool
}

// Env is what the binary gives an adapter to start with.
type Env struct {
	Command string // the slash-command word
	Catalog *bot.Catalog
	Clock   bot.Clock
	Log     *slog.Logger
	Stdin   io.Reader // the console's
	Stdout  io.Writer
	// Calls hears each call to the platform's API (the metrics
	// endpoint); nil: nobody. Env.HTTPClient wires it in.
	Calls CallObserver
	// State keeps what the adapter must remember across restarts and
	// failovers (Matrix's sync position) in warroom's database; nil when
	// the store keeps none.
	State bot.AdapterState
}

var (
	mu       sync.RWMutex
	register = map[string]Platform{}
)

// reserved are a person's keys that are not accounts.
var reserved = map[string]bool{"name": true, "email": true, "phone": true}

// Register adds a platform. A name taken, empty or reserved panics: it is
// a programming error, found when the binary starts.
func Register(p Platform) {
	mu.Lock()
	defer mu.Unlock()
	switch _, taken := register[p.Name]; {
	case p.Name == "" || reserved[p.Name]:
		panic(fmt.Sprintf("adapters: %q cannot name a platform", p.Name))
	case taken:
		panic(fmt.Sprintf("adapters: platform %q registered twice", p.Name))
	case p.Open == nil:
		panic(fmt.Sprintf("adapters: platform %q has no Open", p.Name))
	}
	register[p.Name] = p
}

// Lookup finds a registered platform.
func Lookup(name string) (Platform, bool) {
	mu.RLock()
	defer mu.RUnlock()
	p, ok := register[name]
	return p, ok
}

// Names lists the registered platforms, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(register))
	for n := range register {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Need reports a secret the platform needs that is missing or empty: what
// to add to the section, or which variable to set.
func Need(s Section, platform, key, what, val, envVar string) {
	if val != "" || (s.Has(key) && s.Reported(key)) {
		return
	}
	if s.Has(key) {
		s.Errorf(key, "adapter is %s but the %s is empty; set %s in the environment", platform, what, envVar)
		return
	}
	s.Errorf(key, "adapter is %s but no %s is configured; add %s: \"${%s}\" under %s and set %s in the environment", platform, what, key, envVar, platform, envVar)
}
