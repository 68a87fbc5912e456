package main

import (
	"io"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/config"
	"github.com/warroom/warroom/cmd/warroom/report"
)

// postmortemWriter writes the Markdown postmortem draft of a fault, as
// GET /incidents/{id}/postmortem.md and `warroom export ID -format md` give
// it: links from base_url, people named from the catalog, an open fault's
// age from the clock.
func postmortemWriter(cfg *config.Config, clock bot.Clock) func(io.Writer, []bot.Event) error {
	return func(w io.Writer, events []bot.Event) error {
		return report.Postmortem(w, events, report.Options{BaseURL: cfg.BaseURL, Catalog: cfg.Catalog, Now: clock.Now()})
	}
}
