package main

import (
	"context"
	"log/slog"

	"github.com/warroom/warroom/adapters/discord"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/config"
)

func init() { adapters["discord"] = newDiscord }

// newDiscord connects to Discord: it checks discord.token, opens the
// gateway and registers the slash command in discord.guild.
func newDiscord(ctx context.Context, cfg *config.Config, _ env, log *slog.Logger) (bot.Adapter, error) {
	return discord.New(ctx, discord.Config{
		Token:   cfg.Discord.Token,
		Guild:   cfg.Discord.Guild,
		APIURL:  cfg.Discord.APIURL,
		Command: cfg.Command,
		Log:     log.With("adapter", "discord"),
	})
}
