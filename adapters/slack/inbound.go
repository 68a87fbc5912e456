package slack

import (
	"context"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/warroom/warroom/bot"
)

// Inbound deliveries, whichever way they came (Socket Mode or HTTP), end up
// here. Each is kept (bot.Keep) under the platform's id for it before it
// is acknowledged, and handled once, in a goroutine of its own. An error
// from these means nothing was kept: the caller leaves the delivery
// unacknowledged where Slack sends it again, and else says so.

func (a *Adapter) spawn(ctx context.Context, fn func(context.Context)) {
	a.inflight.Go(func() { fn(ctx) })
}

// keep keeps ev with h, by deadline: a share of the 3 s Slack waits for
// the acknowledgement (a network deadline: the wall clock).
func (a *Adapter) keep(ctx context.Context, h bot.Handler, ev bot.Inbound, deadline time.Time) (*bot.Kept, error) {
	kctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	return bot.Keep(kctx, h, ev)
}

// slash keeps and delivers a slash command: Slack sends its text without
// the command word, the core wants the whole line. withAck: its
// acknowledgement is not written yet and can carry its first answer; the
// caller writes it with acknowledge on the command returned. id is the
// delivery's (Socket Mode's envelope id), else its trigger_id is. A nil
// command and no error: a delivery kept already, to acknowledge only.
func (a *Adapter) slash(ctx context.Context, h bot.Handler, cmd slack.SlashCommand, id string, withAck bool, deadline time.Time) (*command, error) {
	redelivered := id != "" // Socket Mode's envelopes come again until acknowledged
	word := strings.TrimPrefix(cmd.Command, "/")
	if word == "" {
		word = a.opts.Command
	}
	text := strings.TrimSpace("/" + word + " " + cmd.Text)
	in := bot.Incoming{Channel: cmd.ChannelID, User: cmd.UserID, Text: text}
	if id == "" && cmd.TriggerID != "" { // over HTTP: one per command typed
		id = "cmd:" + cmd.TriggerID
	}
	k, err := a.keep(ctx, h, bot.Inbound{ID: id, Message: &in, Route: routeOf(cmd.ChannelID, cmd.ResponseURL, false), Redelivered: redelivered}, deadline)
	if err != nil || k == nil {
		return nil, err
	}
	c := a.newCommand(cmd.ChannelID, cmd.ResponseURL, withAck, false)
	a.handle(ctx, c, k.Handle)
	return c, nil
}

// interactive keeps and delivers button clicks as the commands they stand
// for. It reports an error when a click could not be kept (those kept are
// handled; a redelivery is not acted on twice).
// redelivered: the click came in a Socket Mode envelope, sent again until
// acknowledged.
func (a *Adapter) interactive(ctx context.Context, h bot.Handler, cb slack.InteractionCallback, redelivered bool, deadline time.Time) error {
	if cb.Type != slack.InteractionTypeBlockActions {
		a.log.Debug("slack: ignoring an interaction", "type", cb.Type)
		return nil
	}
	var failed error
	for _, act := range cb.ActionCallback.BlockActions {
		if !strings.HasPrefix(act.ActionID, "warroom_cmd_") || act.Value == "" {
			continue
		}
		in := bot.Incoming{Channel: cb.Channel.ID, User: cb.User.ID, Text: act.Value}
		id := ""
		if cb.TriggerID != "" {
			id = "click:" + cb.TriggerID + ":" + act.ActionID + ":" + act.ActionTs
		}
		k, err := a.keep(ctx, h, bot.Inbound{ID: id, Message: &in, Route: routeOf(cb.Channel.ID, cb.ResponseURL, true), Redelivered: redelivered}, deadline)
		if err != nil {
			failed = err
			continue
		}
		if k == nil {
			continue
		}
		// Slack takes no answer in a click's acknowledgement: only its
		// response_url.
		c := a.newCommand(cb.Channel.ID, cb.ResponseURL, false, true)
		a.handle(ctx, c, k.Handle)
	}
	return failed
}

// event keeps and delivers an Events API event: reactions added (removal
// is not a check-out) and mentions of the bot (`@warroom status` works
// where slash commands do not, in threads). Everything else is ignored.
func (a *Adapter) event(ctx context.Context, h bot.Handler, ev slackevents.EventsAPIEvent, deadline time.Time) error {
	in := bot.Inbound{ID: "event:" + eventID(ev), Redelivered: true} // both ways, Slack retries until acknowledged
	if in.ID == "event:" {
		in.ID = ""
	}
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.ReactionAddedEvent:
		if e.Item.Type != "message" {
			return nil
		}
		in.Reaction = &bot.Reaction{Channel: e.Item.Channel, Message: e.Item.Timestamp, User: e.User, Emoji: e.Reaction}
	case *slackevents.AppMentionEvent:
		if e.BotID != "" || e.User == "" {
			return nil
		}
		text := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(e.Text), "<@"+a.botUser+">"))
		if word := "/" + a.opts.Command; !strings.HasPrefix(text, word) {
			text = strings.TrimSpace(word + " " + text)
		}
		in.Message = &bot.Incoming{Channel: e.Channel, User: e.User, Text: text}
	default:
		a.log.Debug("slack: ignoring an event", "type", ev.InnerEvent.Type)
		return nil
	}
	if !a.seen.first(eventID(ev)) {
		a.log.Debug("slack: dropping a repeated event", "event", eventID(ev))
		return nil
	}
	k, err := a.keep(ctx, h, in, deadline)
	if err != nil {
		a.seen.forget(eventID(ev)) // Slack's retry must be taken
		return err
	}
	if k != nil {
		a.spawn(ctx, k.Handle)
	}
	return nil
}

// eventID is an Events API delivery's id, the same across Slack's retries.
func eventID(ev slackevents.EventsAPIEvent) string {
	if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok {
		return cb.EventID
	}
	return ""
}
