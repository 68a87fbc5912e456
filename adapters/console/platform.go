package console

import (
	"context"
	"sort"

	"github.com/warroom/warroom/adapters"
	"github.com/warroom/warroom/bot"
)

func init() { adapters.Register(platform) }

// platform is the console as the binary knows it: no config section, and
// people are their catalog ids.
var platform = adapters.Platform{
	Name: Platform,
	Open: func(_ context.Context, _ any, env adapters.Env) (bot.Adapter, error) {
		ids := make([]string, 0, len(env.Catalog.People))
		for id := range env.Catalog.People {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		return New(env.Stdin, env.Stdout, WithPeople(ids...)), nil
	},
}
