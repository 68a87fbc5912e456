package slack

import (
	"context"
	"strings"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/warroom/warroom/bot"
)

// Inbound deliveries, whichever way they came (Socket Mode or HTTP), end up
// here. Each is handled once per delivery id, in a goroutine of its own:
// the caller has acknowledged it already.

func (a *Adapter) spawn(ctx context.Context, fn func(context.Context)) {
	a.inflight.Go(func() { fn(ctx) })
}

// slash delivers a slash command: Slack sends its text without the command
// word, the core wants the whole line. withAck: its acknowledgement is not
// written yet and can carry its first answer; the caller writes it with
// acknowledge on the command returned.
func (a *Adapter) slash(ctx context.Context, h bot.Handler, cmd slack.SlashCommand, withAck bool) *command {
	word := strings.TrimPrefix(cmd.Command, "/")
	if word == "" {
		word = a.opts.Command
	}
	text := strings.TrimSpace("/" + word + " " + cmd.Text)
	in := bot.Incoming{Channel: cmd.ChannelID, User: cmd.UserID, Text: text}
	c := a.newCommand(cmd.ChannelID, cmd.ResponseURL, withAck, false)
	a.handle(ctx, c, func(ctx context.Context) { h.HandleMessage(ctx, in) })
	return c
}

// interactive delivers button clicks as the commands they stand for.
func (a *Adapter) interactive(ctx context.Context, h bot.Handler, cb slack.InteractionCallback) {
	if cb.Type != slack.InteractionTypeBlockActions {
		a.log.Debug("slack: ignoring an interaction", "type", cb.Type)
		return
	}
	for _, act := range cb.ActionCallback.BlockActions {
		if !strings.HasPrefix(act.ActionID, "warroom_cmd_") || act.Value == "" {
			continue
		}
		in := bot.Incoming{Channel: cb.Channel.ID, User: cb.User.ID, Text: act.Value}
		// Slack takes no answer in a click's acknowledgement: only its
		// response_url.
		c := a.newCommand(cb.Channel.ID, cb.ResponseURL, false, true)
		a.handle(ctx, c, func(ctx context.Context) { h.HandleMessage(ctx, in) })
	}
}

// event delivers an Events API event: reactions added (removal is not a
// check-out) and mentions of the bot (`@warroom status` works where slash
// commands do not, in threads). Everything else is ignored.
func (a *Adapter) event(ctx context.Context, h bot.Handler, ev slackevents.EventsAPIEvent) {
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.ReactionAddedEvent:
		if e.Item.Type != "message" {
			return
		}
		r := bot.Reaction{Channel: e.Item.Channel, Message: e.Item.Timestamp, User: e.User, Emoji: e.Reaction}
		a.spawn(ctx, func(ctx context.Context) { h.HandleReaction(ctx, r) })
	case *slackevents.AppMentionEvent:
		if e.BotID != "" || e.User == "" {
			return
		}
		text := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(e.Text), "<@"+a.botUser+">"))
		if word := "/" + a.opts.Command; !strings.HasPrefix(text, word) {
			text = strings.TrimSpace(word + " " + text)
		}
		in := bot.Incoming{Channel: e.Channel, User: e.User, Text: text}
		a.spawn(ctx, func(ctx context.Context) { h.HandleMessage(ctx, in) })
	default:
		a.log.Debug("slack: ignoring an event", "type", ev.InnerEvent.Type)
	}
}

// eventID is an Events API delivery's id, the same across Slack's retries.
func eventID(ev slackevents.EventsAPIEvent) string {
	if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok {
		return cb.EventID
	}
	return ""
}
