package slack

// Socket Mode, on gorilla/websocket directly.
//
// slack-go's socketmode.Client waits between reconnects and waits out a 429
// on apps.connections.open with its own wall-clock timers, which neither
// Options.Sleep nor a test can drive. The protocol is small (https://api.slack.com/apis/socket-mode),
// so this file speaks it itself:
//
//  1. apps.connections.open, with the app token, answers a wss:// URL.
//  2. Over it Slack says {"type":"hello"}, then sends envelopes
//     {"type":"events_api"|"slash_commands"|"interactive","envelope_id":...,
//     "payload":{...},"retry_attempt":n}. Each is acknowledged by sending
//     back {"envelope_id":...}; one not acknowledged within a few seconds is
//     delivered again, on this connection or a later one.
//  3. {"type":"disconnect","reason":...} asks for a new connection (Slack
//     refreshes connections every few hours); Slack may also just close it,
//     and the network may drop it.
//
// Every lost connection is replaced by a new apps.connections.open and
// dial; nothing is lost because Slack redelivers what was not acknowledged,
// and nothing is done twice because deliveries are deduplicated by
// event_id (events) or envelope_id (commands, clicks): see dedup.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/warroom/warroom/bot"
)

const (
	// Waits before reconnecting: the first reconnect after a connection
	// that was up for stableAfter is immediate, then 1s, 2s, 4s... up to
	// backoffMax while attempts keep failing.
	backoffMin  = time.Second
	backoffMax  = time.Minute
	stableAfter = 30 * time.Second

	writeTimeout = 10 * time.Second // for an ack or a control frame
	readLimit    = 4 << 20          // the largest envelope we accept
)

// envelope is one Socket Mode message from Slack.
type envelope struct {
	Type         string          `json:"type"`
	EnvelopeID   string          `json:"envelope_id"`
	Payload      json.RawMessage `json:"payload"`
	RetryAttempt int             `json:"retry_attempt"`
	// AcceptsResponsePayload: the ack may carry the answer (slash commands).
	AcceptsResponsePayload bool   `json:"accepts_response_payload"`
	RetryReason            string `json:"retry_reason"`
	Reason                 string `json:"reason"` // disconnect
}

// errDisconnect is Slack asking for a new connection.
type errDisconnect struct{ reason string }

func (e errDisconnect) Error() string { return "Slack asked to reconnect (" + e.reason + ")" }

// HoldsEventConnection reports whether Run holds a Socket Mode connection:
// then, of several warroom processes on one database, only the elected
// leader runs it, so that each event is handled once. The Events API
// arrives over HTTP, at whichever process Slack reaches.
func (a *Adapter) HoldsEventConnection() bool { return a.opts.AppToken != "" }

// Run implements bot.Adapter. With an app token it holds a Socket Mode
// connection, replacing it whenever it is lost; without, it serves the
// Events API through Routes. It returns when ctx is done, or with an
// *AuthError when Slack rejects a token (at start or later).
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

	// A rejected token (from any Web API call) ends the socket loop.
	go func() {
		select {
		case <-a.fatal:
			cancel()
		case <-ctx.Done():
		}
	}()
	a.socketLoop(ctx, h)
	return stopped()
}

// socketLoop holds a Socket Mode connection until ctx is done or a token
// is rejected, replacing every connection that ends.
func (a *Adapter) socketLoop(ctx context.Context, h bot.Handler) {
	api := slack.New(a.opts.BotToken, clientOptions(a.opts, a.opts.AppToken)...)
	fails := 0 // attempts since the last connection that stayed up
	for {
		helloAt, err := a.session(ctx, h, api)
		if ctx.Err() != nil || a.fatalError() != nil {
			return
		}
		if !helloAt.IsZero() && a.opts.Clock.Now().Sub(helloAt) >= stableAfter {
			fails = 0
		}
		wait := backoff(fails)
		fails++
		var dis errDisconnect
		if errors.As(err, &dis) {
			a.log.Info("slack: reconnecting", "reason", dis.reason, "wait", wait)
		} else {
			a.log.Warn("slack: socket mode connection lost; reconnecting", "err", err, "attempt", fails, "wait", wait)
		}
		if wait > 0 {
			if a.opts.Sleep(ctx, wait) != nil {
				return
			}
		}
	}
}

// backoff is the wait before the attempt that follows fails failed ones.
func backoff(fails int) time.Duration {
	if fails == 0 {
		return 0
	}
	if fails > 7 { // 1s<<6 is already past backoffMax
		return backoffMax
	}
	return min(backoffMin<<(fails-1), backoffMax)
}

// session opens one connection and reads it until it ends, acknowledging
// and dispatching envelopes. It returns when Slack said hello (zero if it
// never did) and why the connection ended.
func (a *Adapter) session(ctx context.Context, h bot.Handler, api *slack.Client) (helloAt time.Time, err error) {
	var url string
	err = a.retry(ctx, "apps.connections.open", func(ctx context.Context) (err error) {
		_, url, err = api.StartSocketModeContext(ctx)
		return err
	})
	if err != nil {
		switch code := errCode(err); {
		case isAuthCode(code), code == "not_allowed_token_type", code == "missing_scope":
			// Retrying cannot help: stop, naming the token.
			a.fail(&AuthError{Key: "slack.app_token", Code: code})
		}
		return helloAt, err
	}
	dialer := websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: writeTimeout}
	conn, _, err := dialer.DialContext(ctx, url, http.Header{"Origin": {"https://api.slack.com"}})
	if err != nil {
		return helloAt, fmt.Errorf("socket mode: dial: %w", err)
	}
	conn.SetReadLimit(readLimit)
	done := make(chan struct{})
	defer func() {
		close(done)
		_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		_ = conn.Close()
	}()
	// Data frames have one writer at a time: this goroutine acknowledges
	// most envelopes, but a slash command's ack waits for its answer.
	var wmu sync.Mutex
	ack := func(id string, payload any) error {
		wmu.Lock()
		defer wmu.Unlock()
		msg := map[string]any{"envelope_id": id}
		if payload != nil {
			msg["payload"] = payload
		}
		_ = conn.SetWriteDeadline(time.Now().Add(writeTimeout))
		return conn.WriteJSON(msg)
	}
	// Run's end (or a rejected token) unblocks the read below.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()

	// Liveness: any frame, a pong to our pings included, moves the read
	// deadline; a connection silent for SocketTimeout is dead, even one
	// dropped without a FIN.
	timeout := a.opts.SocketTimeout
	alive := func() { _ = conn.SetReadDeadline(time.Now().Add(timeout)) }
	alive()
	conn.SetPongHandler(func(string) error { alive(); return nil })
	conn.SetPingHandler(func(data string) error {
		alive()
		_ = conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(writeTimeout))
		return nil // a failed pong shows up as a failed read
	})
	go func() {
		t := time.NewTicker(timeout / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				_ = conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeTimeout))
			}
		}
	}()

	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			return helloAt, fmt.Errorf("socket mode: read: %w", err)
		}
		alive()
		var env envelope
		if err := json.Unmarshal(msg, &env); err != nil {
			a.log.Debug("slack: ignoring a socket mode message that does not parse", "err", err)
			continue
		}
		switch env.Type {
		case "hello":
			helloAt = a.opts.Clock.Now()
			a.log.Debug("slack: socket mode connected")
		case "disconnect":
			return helloAt, errDisconnect{env.Reason}
		default:
			a.envelope(ctx, ack, h, env)
		}
	}
}

// envelope keeps an envelope's event (bot.Keep), then acknowledges it
// with ack and hands the work to a goroutine. Envelopes are acknowledged
// once kept, except a slash command Slack takes an answer in the ack for
// (accepts_response_payload): its ack waits for its first answer,
// AckWithin at most from arrival (Slack waits 3 seconds), on a goroutine
// of its own. ack is safe to call from any goroutine. Envelopes are kept
// in the order they arrive, on the read loop, so that a channel's commands
// are handled in order.
//
// An envelope the store cannot keep in time is not acknowledged: Slack
// delivers it again. Once kept, the work is done even when the ack cannot
// be written: if the ack is lost, Slack redelivers the envelope, which is
// kept already and only acknowledged; if it got through, nothing is
// redelivered. Either way the delivery is acted on once. An answer whose
// ack could not be written goes to the response_url.
func (a *Adapter) envelope(ctx context.Context, ack func(id string, payload any) error, h bot.Handler, env envelope) {
	deadline := time.Now().Add(a.opts.AckWithin)
	held := env.Type == "slash_commands" && env.AcceptsResponsePayload && env.EnvelopeID != ""
	ackNow := func() {
		if env.EnvelopeID == "" {
			return
		}
		if err := ack(env.EnvelopeID, nil); err != nil {
			a.log.Warn("slack: acknowledging an envelope", "envelope", env.EnvelopeID, "err", err)
		}
	}
	notKept := func(err error) {
		a.log.Error("slack: could not store an envelope; left unacknowledged for Slack to send again",
			"envelope", env.EnvelopeID, "type", env.Type, "err", err)
	}
	if env.RetryAttempt > 0 {
		a.log.Debug("slack: redelivered envelope", "envelope", env.EnvelopeID, "type", env.Type,
			"retry_attempt", env.RetryAttempt, "retry_reason", env.RetryReason)
	}
	switch env.Type {
	case "events_api":
		ev, err := slackevents.ParseEvent(env.Payload, slackevents.OptionNoVerifyToken())
		if err != nil {
			// An event type slack-go does not know: acknowledged, so that
			// Slack does not send it again.
			ackNow()
			a.log.Debug("slack: ignoring an event", "envelope", env.EnvelopeID, "err", err)
			return
		}
		if ev.Type != slackevents.CallbackEvent {
			ackNow()
			a.log.Debug("slack: ignoring an event", "envelope", env.EnvelopeID, "type", ev.Type)
			return
		}
		if err := a.event(ctx, h, ev, deadline); err != nil {
			notKept(err)
			return
		}
		ackNow()
	case "slash_commands":
		var cmd slack.SlashCommand
		if err := json.Unmarshal(env.Payload, &cmd); err != nil {
			ackNow()
			a.log.Warn("slack: a slash command that does not parse", "envelope", env.EnvelopeID, "err", err)
			return
		}
		if !a.seen.first(env.EnvelopeID) {
			// Again, with the answer if the first ack carried one.
			if err := ack(env.EnvelopeID, a.acks.get(env.EnvelopeID)); err != nil {
				a.log.Warn("slack: acknowledging an envelope", "envelope", env.EnvelopeID, "err", err)
			}
			return
		}
		c, err := a.slash(ctx, h, cmd, "envelope:"+env.EnvelopeID, held, deadline)
		if err != nil {
			a.seen.forget(env.EnvelopeID)
			notKept(err)
			return
		}
		if c == nil || !held { // kept already (by the process before), or an ack without answer
			ackNow()
			return
		}
		a.inflight.Go(func() {
			a.acknowledge(c, deadline, func(payload any) error {
				err := ack(env.EnvelopeID, payload)
				if err != nil {
					a.log.Warn("slack: acknowledging a slash command", "envelope", env.EnvelopeID, "err", err)
				} else if payload != nil {
					a.acks.put(env.EnvelopeID, payload)
				}
				return err
			})
		})
	case "interactive":
		var cb slack.InteractionCallback
		if err := json.Unmarshal(env.Payload, &cb); err != nil {
			ackNow()
			a.log.Warn("slack: an interaction that does not parse", "envelope", env.EnvelopeID, "err", err)
			return
		}
		if !a.seen.first(env.EnvelopeID) {
			ackNow()
			return
		}
		if err := a.interactive(ctx, h, cb, true, deadline); err != nil {
			a.seen.forget(env.EnvelopeID)
			notKept(err)
			return
		}
		ackNow()
	default:
		ackNow()
		a.log.Debug("slack: ignoring an envelope", "type", env.Type, "envelope", env.EnvelopeID)
	}
}
