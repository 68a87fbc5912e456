package slack

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/warroom/warroom/bot"
)

// maxSkew is how old (or how far in the future) a signed request may be.
const maxSkew = 5 * time.Minute

// Routes are the Events API endpoints, mounted on warroom's HTTP server
// when the adapter runs without an app token. Every request is verified
// (X-Slack-Signature, v0 HMAC-SHA256, 5-minute window) before anything in
// it is read; what fails gets 401 and changes nothing.
func (a *Adapter) Routes() map[string]http.Handler {
	if a.opts.SigningSecret == "" || a.opts.AppToken != "" {
		return nil
	}
	return map[string]http.Handler{
		"/slack/events":       a.verified(a.serveEvents),
		"/slack/commands":     a.verified(a.serveCommands),
		"/slack/interactions": a.verified(a.serveInteractions),
	}
}

// verified reads and checks a request's body, then passes it on.
func (a *Adapter) verified(next func(w http.ResponseWriter, r *http.Request, body []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			never(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if !a.validSignature(r.Header, body) {
			a.log.Warn("slack: rejected a request with a bad or stale signature", "path", r.URL.Path)
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		next(w, r, body)
	})
}

func (a *Adapter) validSignature(h http.Header, body []byte) bool {
	ts, sig := h.Get("X-Slack-Request-Timestamp"), h.Get("X-Slack-Signature")
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return false
	}
	if skew := a.opts.Clock.Now().Sub(time.Unix(secs, 0)); skew > maxSkew || skew < -maxSkew {
		return false
	}
	mac := hmac.New(sha256.New, []byte(a.opts.SigningSecret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	want := "v0=" + hex.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(want), []byte(sig))
}

// running returns Run's handler and context; ok is false before Run.
func (a *Adapter) running() (bot.Handler, context.Context, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.handler, a.runCtx, a.handler != nil
}

// never answers a request that no retry will make good, and tells Slack so.
func never(w http.ResponseWriter, msg string, status int) {
	w.Header().Set("X-Slack-No-Retry", "1")
	http.Error(w, msg, status)
}

// notRunning answers 503, so that Slack retries later.
func notRunning(w http.ResponseWriter) {
	http.Error(w, "warroom is not running", http.StatusServiceUnavailable)
}

func (a *Adapter) serveEvents(w http.ResponseWriter, _ *http.Request, body []byte) {
	if !json.Valid(body) {
		never(w, "not JSON", http.StatusBadRequest)
		return
	}
	ev, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
	if err != nil {
		// An event type slack-go does not know: acknowledge and ignore.
		a.log.Debug("slack: ignoring an event", "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	if ev.Type == slackevents.URLVerification {
		var c slackevents.ChallengeResponse
		if err := json.Unmarshal(body, &c); err != nil {
			never(w, "bad challenge", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, c.Challenge)
		return
	}
	deadline := time.Now().Add(a.opts.AckWithin) // Slack waits 3 s
	h, ctx, ok := a.admit(w, nil)
	if !ok {
		return
	}
	if ev.Type == slackevents.CallbackEvent {
		if err := a.event(ctx, h, ev, deadline); err != nil {
			// Not kept: Slack retries what is not answered 2xx.
			http.Error(w, "warroom could not store this event; send it again", http.StatusServiceUnavailable)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// admit returns what to hand the request's event to when the adapter
// runs; else it answers that warroom is not running. The caller writes
// the 200 once the event is kept. r is nil for events, which their
// event_id makes once-only already; a command or a click carries no id
// Slack signs, so its signature is remembered.
func (a *Adapter) admit(w http.ResponseWriter, r *http.Request) (bot.Handler, context.Context, bool) {
	h, ctx, ok := a.running()
	if !ok {
		notRunning(w)
		return nil, nil, false
	}
	// Within its window a signature is valid again and again: the same
	// bytes taken twice are a replay, not a second command.
	if r != nil && !a.replays.first(r.Header.Get("X-Slack-Signature")) {
		a.log.Warn("slack: refused a replayed request", "path", r.URL.Path)
		never(w, "this request was received already", http.StatusConflict)
		return nil, nil, false
	}
	return h, ctx, true
}

func (a *Adapter) serveCommands(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		never(w, "bad form", http.StatusBadRequest)
		return
	}
	deadline := time.Now().Add(a.opts.AckWithin) // Slack waits 3 s
	h, ctx, ok := a.admit(w, r)
	if !ok {
		return
	}
	c, err := a.slash(ctx, h, slack.SlashCommand{
		Command: form.Get("command"), Text: form.Get("text"),
		ChannelID: form.Get("channel_id"), UserID: form.Get("user_id"),
		ResponseURL: form.Get("response_url"), TriggerID: form.Get("trigger_id"),
	}, "", true, deadline)
	writeJSON := func(payload any) error {
		if payload == nil {
			w.WriteHeader(http.StatusOK)
			return nil
		}
		body, err := json.Marshal(payload)
		if err != nil {
			w.WriteHeader(http.StatusOK)
			return err
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, err = w.Write(body)
		return err
	}
	switch {
	case err != nil:
		// Slack never sends a command again: its user must.
		_ = writeJSON(notRecordedPayload())
	case c == nil: // kept already
		w.WriteHeader(http.StatusOK)
	default:
		// The 200 carries the first answer, if it comes in time.
		a.acknowledge(c, deadline, writeJSON)
	}
}

func (a *Adapter) serveInteractions(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		never(w, "bad form", http.StatusBadRequest)
		return
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
		never(w, "bad payload", http.StatusBadRequest)
		return
	}
	deadline := time.Now().Add(a.opts.AckWithin) // Slack waits 3 s
	h, ctx, ok := a.admit(w, r)
	if !ok {
		return
	}
	err = a.interactive(ctx, h, cb, false, deadline)
	w.WriteHeader(http.StatusOK)
	if err != nil {
		// Slack never sends a click again, and takes no answer in its
		// acknowledgement: say so through its response_url.
		a.spawn(ctx, func(ctx context.Context) { a.tellNotRecorded(ctx, cb.Channel.ID, cb.ResponseURL) })
	}
}
