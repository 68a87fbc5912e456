package main

import (
	"log/slog"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/config"
	"github.com/warroom/warroom/cmd/warroom/httpapi"
	"github.com/warroom/warroom/cmd/warroom/report"
	"github.com/warroom/warroom/cmd/warroom/web"
)

// webPages builds the war-room pages beside the API, and makes both
// private when http listens beyond loopback: then pages need a login and
// API reads a token (or that login's session). The hooks and the chat
// platforms' endpoints check their own signatures and stay open.
func webPages(cfg *config.Config, db bot.Store, b *bot.Bot, api *httpapi.Server, clock bot.Clock, log *slog.Logger) *web.Server {
	private := cfg.HTTP != "" && cfg.HTTP != "off" && !httpapi.Loopback(cfg.HTTP)
	if private && len(cfg.APITokens) == 0 {
		log.Warn("http listens beyond loopback, so the web pages and API reads need a login with a token from api_tokens, and none is set: add api_tokens to the config", "http", cfg.HTTP)
	}
	pages := &web.Server{Store: db, Catalog: cfg.Catalog, Clock: clock, API: api, Plans: b.Plans, Private: private, Log: log, Chart: report.Chart}
	api.Private, api.Session = private, pages.Session
	return pages
}
