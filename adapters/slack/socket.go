package slack

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/warroom/warroom/bot"
)

// Run implements bot.Adapter. With an app token it holds a Socket Mode
// connection (reconnecting when Slack asks or the connection drops);
// without, it serves the Events API through Routes. It returns when ctx is
// done, or with an *AuthError when Slack rejects a token.
func (a *Adapter) Run(ctx context.Context, h bot.Handler) error {
	if err := a.Connect(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer a.inflight.Wait()
	stopped := func() error {
		if err := a.fatalError(); err != nil {
			return err
		}
		return ctx.Err()
	}
	if a.opts.AppToken == "" {
		a.mu.Lock()
		a.handler, a.runCtx = h, ctx
		a.mu.Unlock()
		defer func() {
			a.mu.Lock()
			a.handler, a.runCtx = nil, nil
			a.mu.Unlock()
		}()
		select {
		case <-ctx.Done():
		case <-a.fatal:
		}
		return stopped()
	}

	sm := socketmode.New(slack.New(a.opts.BotToken, clientOptions(a.opts, a.opts.AppToken)...), a.opts.SocketOptions...)
	done := make(chan error, 1)
	go func() { done <- sm.RunContext(ctx) }()
	for {
		select {
		case <-ctx.Done():
			<-done
			return stopped()
		case <-a.fatal:
			cancel()
			<-done
			return stopped()
		case err := <-done:
			if code := errCode(err); isAuthCode(code) {
				return &AuthError{Key: "slack.app_token", Code: code}
			}
			if err == nil || errors.Is(err, context.Canceled) {
				return stopped()
			}
			return err
		case evt := <-sm.Events:
			a.socketEvent(ctx, sm, h, evt)
		}
	}
}

// socketEvent acknowledges an envelope at once (slash commands must be
// within 3 seconds), then hands the work to a goroutine.
func (a *Adapter) socketEvent(ctx context.Context, sm *socketmode.Client, h bot.Handler, evt socketmode.Event) {
	if evt.Request != nil && evt.Request.EnvelopeID != "" {
		if err := sm.AckCtx(ctx, evt.Request.EnvelopeID, nil); err != nil {
			a.log.Warn("slack: acknowledging an envelope", "envelope", evt.Request.EnvelopeID, "err", err)
		}
	}
	switch evt.Type {
	case socketmode.EventTypeEventsAPI:
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok || !a.seen.first(eventID(ev)) {
			a.log.Debug("slack: dropping a repeated event", "event", eventID(ev))
			return
		}
		a.event(ctx, h, ev)
	case socketmode.EventTypeSlashCommand:
		if cmd, ok := evt.Data.(slack.SlashCommand); ok && a.seen.first(evt.Request.EnvelopeID) {
			a.slash(ctx, h, cmd)
		}
	case socketmode.EventTypeInteractive:
		if cb, ok := evt.Data.(slack.InteractionCallback); ok && a.seen.first(evt.Request.EnvelopeID) {
			a.interactive(ctx, h, cb)
		}
	case socketmode.EventTypeErrorBadMessage:
		// An event type slack-go cannot parse: acknowledge it anyway, or
		// Slack would send it again and again.
		if bad, ok := evt.Data.(*socketmode.ErrorBadMessage); ok {
			var env struct {
				EnvelopeID string `json:"envelope_id"`
			}
			if json.Unmarshal(bad.Message, &env) == nil && env.EnvelopeID != "" {
				_ = sm.AckCtx(ctx, env.EnvelopeID, nil)
			}
			a.log.Debug("slack: ignoring an envelope", "err", bad.Cause)
		}
	case socketmode.EventTypeConnectionError, socketmode.EventTypeIncomingError:
		a.log.Warn("slack: socket mode", "event", evt.Type, "data", evt.Data)
	default:
		a.log.Debug("slack: socket mode", "event", evt.Type)
	}
}
