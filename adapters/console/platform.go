package console

import (
	"context"
	"io"
	"os"
	"sort"

	"github.com/warroom/warroom/adapters"
	"github.com/warroom/warroom/bot"
)

func init() { adapters.Register(platform) }

// platform is the console as the binary knows it: no config section, and
// people are their catalog ids. Input that is not a terminal (a scenario
// piped in) is echoed, so that the output reads as a transcript.
var platform = adapters.Platform{
	Name: Platform,
	Open: func(_ context.Context, _ any, env adapters.Env) (bot.Adapter, error) {
		ids := make([]string, 0, len(env.Catalog.People))
		for id := range env.Catalog.People {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		opts := []Option{WithPeople(ids...)}
		if !isTerminal(env.Stdin) {
			opts = append(opts, WithEcho())
		}
		return New(env.Stdin, env.Stdout, opts...), nil
	},
}

// isTerminal reports whether r is a terminal (a character device).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
