package main

import (
	"log/slog"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/config"
	"github.com/warroom/warroom/cmd/warroom/pager"
)

// newNotifier builds the paging providers the config's paging section
// names, behind one fan-out (a bot.Notifier that is also a
// bot.FaultTracker). It returns nil when none is configured: the core then
// records each page as "no pager is configured".
func newNotifier(cfg *config.Config, clock bot.Clock, log *slog.Logger) (bot.Notifier, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := pager.Options{Clock: clock, Log: log}
	var providers []pager.Provider
	if t := cfg.Paging.Twilio; t != nil {
		p, err := pager.NewTwilio(pager.TwilioConfig{
			AccountSID: t.AccountSID, AuthToken: t.AuthToken, From: t.From,
			Voice: t.Voice, VoiceURL: t.VoiceURL, APIURL: t.APIURL,
		}, opts)
		if err != nil {
			return nil, err
		}
		providers = append(providers, p)
	}
	if d := cfg.Paging.PagerDuty; d != nil {
		p, err := pager.NewPagerDuty(pager.PagerDutyConfig{RoutingKey: d.RoutingKey, Levels: d.Levels, APIURL: d.APIURL}, opts)
		if err != nil {
			return nil, err
		}
		providers = append(providers, p)
	}
	if w := cfg.Paging.Webhook; w != nil {
		p, err := pager.NewWebhook(pager.WebhookConfig{URL: w.URL, Secret: w.Secret}, opts)
		if err != nil {
			return nil, err
		}
		providers = append(providers, p)
	}
	if len(providers) == 0 {
		return nil, nil
	}
	f := pager.New(log, providers...)
	log.Info("paging", "providers", f.Providers())
	return f, nil
}
