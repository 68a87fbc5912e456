package main

import (
	"context"
	"log/slog"

	slackadapter "github.com/warroom/warroom/adapters/slack"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/config"
)

func init() { adapters["slack"] = newSlack }

// newSlack builds the Slack adapter and checks its bot token (auth.test), so
// that a rejected token stops warroom at start with an error naming it.
func newSlack(ctx context.Context, cfg *config.Config, e env, log *slog.Logger) (bot.Adapter, error) {
	a, err := slackadapter.New(slackadapter.Options{
		BotToken: cfg.Slack.BotToken, AppToken: cfg.Slack.AppToken,
		SigningSecret: cfg.Slack.SigningSecret, Private: cfg.Slack.Private,
		APIURL: cfg.Slack.APIURL, Command: cfg.Command,
		Clock: e.clock, Log: log,
	})
	if err != nil {
		return nil, err
	}
	if err := a.Connect(ctx); err != nil {
		return nil, err
	}
	return a, nil
}
