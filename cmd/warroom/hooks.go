package main

import (
	"log/slog"
	"maps"
	"net/http"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/alerts"
	"github.com/warroom/warroom/cmd/warroom/config"
)

// alertRoutes are the alert hooks the config's alerts: section turns on
// (answering 404, with how to turn them on, without it), and it sets the
// core's alert policy.
func alertRoutes(cfg *config.Config, b *bot.Bot, clock bot.Clock, log *slog.Logger) (map[string]http.Handler, *alerts.Hooks, error) {
	a := cfg.Alerts
	if a == nil {
		return alerts.OffRoutes(), nil, nil
	}
	b.UseAlertPolicy(bot.AlertPolicy{AutoMitigate: a.AutoMitigate})
	h, err := alerts.New(alerts.Config{
		Token: a.Token,
		Grafana: alerts.Grafana{
			Secret: a.Grafana.Secret, Header: a.Grafana.Header,
			TimestampHeader: a.Grafana.TimestampHeader, TimestampRequired: a.Grafana.TimestampSet,
		},
		PerAlert:     a.Group == "alert",
		Levels:       alerts.Levels{Label: a.Level.Label, Map: a.Level.Map, Default: a.Level.Default},
		ServiceLabel: a.Service, CauseLabel: a.Cause, KindLabel: a.Kind,
	}, b, clock, log)
	if err != nil {
		return nil, nil, err
	}
	return h.Routes(), h, nil
}

// withRoutes adds routes to those an adapter serves.
func withRoutes(to, more map[string]http.Handler) map[string]http.Handler {
	out := maps.Clone(to)
	if out == nil {
		out = map[string]http.Handler{}
	}
	maps.Copy(out, more)
	return out
}
