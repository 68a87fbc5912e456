package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/warroom/warroom/adapters/console"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/config"
)

// adapterFactory builds the chat adapter a config names. Each platform
// registers its own in a file of its own (adapter_<name>.go).
type adapterFactory func(ctx context.Context, cfg *config.Config, e env, log *slog.Logger) (bot.Adapter, error)

var adapters = map[string]adapterFactory{
	"console": newConsole,
}

// routed is an adapter that receives from the platform over warroom's HTTP
// server (Slack's Events API): pattern → handler, mounted beside the API.
type routed interface {
	Routes() map[string]http.Handler
}

func newConsole(_ context.Context, cfg *config.Config, e env, _ *slog.Logger) (bot.Adapter, error) {
	ids := make([]string, 0, len(cfg.Catalog.People))
	for id := range cfg.Catalog.People {
		ids = append(ids, id)
	}
	return console.New(e.stdin, e.stdout, console.WithPeople(ids...)), nil
}
