package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/warroom/warroom/adapters"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/config"
)

// openAdapter starts the chat platform the config names, from the settings
// its own section reader returned, with the store for what it keeps.
func openAdapter(ctx context.Context, cfg *config.Config, e env, log *slog.Logger, calls adapters.CallObserver, db bot.Store) (bot.Adapter, error) {
	pl, ok := adapters.Lookup(cfg.Adapter)
	if !ok {
		return nil, fmt.Errorf("adapter %q is not built into this binary (set adapter: console)", cfg.Adapter)
	}
	state, _ := db.(bot.AdapterState)
	return pl.Open(ctx, cfg.Platforms[cfg.Adapter], adapters.Env{
		Command: cfg.Command, Catalog: cfg.Catalog, Clock: e.clock, Log: log, Stdin: e.stdin, Stdout: e.stdout, Calls: calls, State: state,
	})
}

// routed is an adapter that receives from the platform over warroom's HTTP
// server (Slack's Events API): pattern → handler, mounted beside the API.
type routed interface {
	Routes() map[string]http.Handler
}
