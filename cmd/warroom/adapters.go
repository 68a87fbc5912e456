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
// its own section reader returned.
func openAdapter(ctx context.Context, cfg *config.Config, e env, log *slog.Logger, calls adapters.CallObserver) (bot.Adapter, error) {
	pl, ok := adapters.Lookup(cfg.Adapter)
	if !ok {
		return nil, fmt.Errorf("adapter %q is not built into this binary (set adapter: console)", cfg.Adapter)
	}
	return pl.Open(ctx, cfg.Platforms[cfg.Adapter], adapters.Env{
		Command: cfg.Command, Catalog: cfg.Catalog, Clock: e.clock, Log: log, Stdin: e.stdin, Stdout: e.stdout, Calls: calls,
	})
}

// routed is an adapter that receives from the platform over warroom's HTTP
// server (Slack's Events API): pattern → handler, mounted beside the API.
type routed interface {
	Routes() map[string]http.Handler
}
