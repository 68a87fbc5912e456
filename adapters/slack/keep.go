package slack

import (
	"context"
	"encoding/json"
	"time"

	"github.com/warroom/warroom/bot"
)

// What the adapter keeps with an event (bot.Inbound.Route) so that a
// command kept before a restart is still answered through its
// response_url, which outlives the process (30 minutes, 5 posts).

var _ bot.Resumer = (*Adapter)(nil)

type route struct {
	Channel     string `json:"channel"`
	ResponseURL string `json:"response_url,omitempty"`
	Click       bool   `json:"click,omitempty"`
}

func routeOf(channel, responseURL string, click bool) json.RawMessage {
	if responseURL == "" {
		return nil
	}
	b, _ := json.Marshal(route{channel, responseURL, click}) // strings and a bool: cannot fail
	return b
}

// Resume implements bot.Resumer: answers go to the response_url while
// Slack takes it (counted from received), then to the channel.
func (a *Adapter) Resume(ctx context.Context, raw json.RawMessage, received time.Time) (context.Context, func()) {
	var r route
	if err := json.Unmarshal(raw, &r); err != nil || r.ResponseURL == "" {
		return ctx, func() {}
	}
	c := a.newCommand(r.Channel, r.ResponseURL, false, r.Click)
	c.received = received
	return context.WithValue(ctx, commandKey{}, c), func() { close(c.done) }
}

// notRecorded is the answer to a command the store could not keep in
// time, where Slack will not send it again: only its user sees it.
const notRecorded = "⚠️ Nothing was recorded: warroom could not store this command in time. Send it again."

func notRecordedPayload() map[string]any {
	return map[string]any{"response_type": "ephemeral", "text": notRecorded}
}

// tellNotRecorded says so through a click's response_url (a click's
// acknowledgement carries no answer).
func (a *Adapter) tellNotRecorded(ctx context.Context, channel, responseURL string) {
	if responseURL == "" {
		return
	}
	c := a.newCommand(channel, responseURL, false, true)
	if _, err := a.respondEphemeral(ctx, c); err != nil {
		a.log.Error("slack: telling a user their click was not recorded", "err", err)
	}
}
