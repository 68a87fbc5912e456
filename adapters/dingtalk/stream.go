package dingtalk

// Stream mode, on gorilla/websocket directly.
//
// The official SDK (github.com/open-dingtalk/dingtalk-stream-sdk-go) is not
// used: v0.9.1 writes acks from one goroutine per frame without a lock (a
// data race under -race, and lost acks); v0.9.2-beta.1 adds the lock but is
// a beta, and like v0.9.1 it reconnects and keeps alive on its own
// wall-clock timers (3 s backoff with jitter, a 120 s idle ping with a 5 s
// pong wait) that neither Config.Sleep nor a test can drive, logs through a
// process-global logger, dials with websocket.DefaultDialer outside our
// http.Client, and acknowledges a frame when its handler returns, where
// warroom acknowledges once the event is kept (bot.Keep). The protocol is
// small:
//
//  1. POST {api_url}/v1.0/gateway/connections/open {clientId, clientSecret,
//     subscriptions[{type, topic}], ua} answers {endpoint, ticket}.
//  2. A websocket to endpoint?ticket=... carries JSON frames
//     {specVersion, type SYSTEM|EVENT|CALLBACK, headers{topic, messageId,
//     contentType, time}, data}; each is answered with
//     {code, headers{messageId, contentType}, message, data}.
//  3. SYSTEM ping is answered echoing its data; SYSTEM disconnect asks for a
//     new connection (DingTalk also just closes them, and networks drop).
//
// DingTalk sends a frame again while it is not acknowledged, so an event
// the store cannot keep is left unacknowledged; kept events are
// deduplicated by their ids (inbound.go).

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/warroom/warroom/bot"
)

const (
	// Waits before reconnecting: none after a connection that stayed up
	// for stableAfter, then 1 s, 2 s, 4 s... up to backoffMax.
	backoffMin  = time.Second
	backoffMax  = time.Minute
	stableAfter = 30 * time.Second

	writeTimeout = 10 * time.Second // network deadlines: the wall clock
	keepWithin   = 2 * time.Second  // keeping an event before its ack
)

// errRejected is DingTalk refusing the credentials: retrying cannot help.
var errRejected = errors.New("dingtalk.client_id/client_secret were rejected when opening the stream; set them to the app's Client ID and Client Secret")

// errDisconnect is DingTalk asking for a new connection.
var errDisconnect = errors.New("DingTalk asked to reconnect")

// Run implements bot.Adapter: it holds a stream connection, replacing it
// whenever it is lost, until ctx is done or Close is called. It returns an
// error only when DingTalk rejects the credentials.
func (a *Adapter) Run(ctx context.Context, h bot.Handler) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(a.life, cancel)
	defer stop()
	defer a.bg.Wait()
	fails := 0
	for {
		upAt, err := a.session(ctx, h)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, errRejected) {
			return err
		}
		if !upAt.IsZero() && a.cfg.Clock.Now().Sub(upAt) >= stableAfter {
			fails = 0
		}
		wait := backoff(fails)
		fails++
		if errors.Is(err, errDisconnect) {
			a.log.Info("dingtalk: reconnecting", "reason", err, "wait", wait)
		} else {
			a.log.Warn("dingtalk: stream connection lost; reconnecting", "err", err, "attempt", fails, "wait", wait)
		}
		if wait > 0 && a.cfg.Sleep(ctx, wait) != nil {
			return ctx.Err()
		}
	}
}

// backoff is the wait before the attempt that follows fails failed ones.
func backoff(fails int) time.Duration {
	if fails == 0 {
		return 0
	}
	if fails > 7 {
		return backoffMax
	}
	return min(backoffMin<<(fails-1), backoffMax)
}

// endpoint asks for a stream connection.
func (a *Adapter) endpoint(ctx context.Context) (string, error) {
	subs := []map[string]string{
		{"type": "CALLBACK", "topic": TopicBotMessage},
		{"type": "CALLBACK", "topic": TopicCardCallback},
		{"type": "SYSTEM", "topic": "ping"},
		{"type": "SYSTEM", "topic": "disconnect"},
	}
	body := map[string]any{"clientId": a.cfg.ClientID, "clientSecret": a.cfg.ClientSecret,
		"subscriptions": subs, "ua": "warroom-dingtalk/1"}
	var out struct {
		Endpoint, Ticket, Code, Message string
	}
	status, err := a.post(ctx, a.cfg.APIURL+"/v1.0/gateway/connections/open", nil, body, &out)
	switch {
	case err != nil:
		return "", fmt.Errorf("opening the stream: %w", err)
	case status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusBadRequest:
		return "", fmt.Errorf("%w (%d %s: %s)", errRejected, status, out.Code, out.Message)
	case status != http.StatusOK || out.Endpoint == "" || out.Ticket == "":
		return "", fmt.Errorf("opening the stream: HTTP %d %s %s", status, out.Code, out.Message)
	}
	u, err := url.Parse(out.Endpoint)
	if err != nil {
		return "", fmt.Errorf("opening the stream: endpoint %q: %v", out.Endpoint, err)
	}
	q := u.Query()
	q.Set("ticket", out.Ticket)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// session opens one connection and reads it until it ends. It returns when
// the connection was up (zero if never) and why it ended.
func (a *Adapter) session(ctx context.Context, h bot.Handler) (upAt time.Time, err error) {
	u, err := a.endpoint(ctx)
	if err != nil {
		return upAt, err
	}
	dialer := websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: writeTimeout}
	conn, resp, err := dialer.DialContext(ctx, u, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return upAt, fmt.Errorf("stream: dial: %w", err)
	}
	conn.SetReadLimit(maxFrame)
	upAt = a.cfg.Clock.Now()
	w := &acker{conn: conn}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() }) // ends ReadMessage
	alive := a.keepAlive(conn)
	defer func() {
		alive()
		stop()
		w.close()
	}()
	for {
		typ, data, err := conn.ReadMessage()
		if err != nil {
			return upAt, err
		}
		a.heard(conn)
		if typ != websocket.TextMessage {
			continue
		}
		f, err := parseFrame(data)
		if err != nil {
			a.log.Warn("dingtalk: skipping a frame", "err", err)
			continue
		}
		if f.Type == "SYSTEM" {
			if err := a.system(w, f); err != nil {
				return upAt, err
			}
			continue
		}
		a.deliver(ctx, h, w, f)
	}
}

// keepAlive pings the connection every KeepAlive, and has a read fail
// when nothing (a frame or a pong) came for three times as long: a
// half-open connection is found and replaced. These are network deadlines,
// on the wall clock. It returns the function that stops the pings.
func (a *Adapter) keepAlive(conn *websocket.Conn) func() {
	a.heard(conn)
	conn.SetPongHandler(func(string) error { a.heard(conn); return nil })
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(a.cfg.KeepAlive)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeTimeout)) != nil {
					return
				}
			}
		}
	}()
	return func() { close(done) }
}

// heard pushes the read deadline back: the connection is alive.
func (a *Adapter) heard(conn *websocket.Conn) {
	_ = conn.SetReadDeadline(time.Now().Add(3 * a.cfg.KeepAlive))
}

// system answers SYSTEM frames.
func (a *Adapter) system(w *acker, f Frame) error {
	switch f.Topic() {
	case "ping":
		return w.ack(f.MessageID(), f.Data)
	case "disconnect":
		_ = w.ack(f.MessageID(), "")
		return errDisconnect
	}
	return w.ack(f.MessageID(), "")
}

// deliver keeps an event, in the order it came (so the core handles a
// channel's events in order), acknowledges it, and has it handled in the
// background.
func (a *Adapter) deliver(ctx context.Context, h bot.Handler, w *acker, f Frame) {
	ev, err := inbound(a.cfg.Command, a.known, f)
	if err != nil {
		// Not an event warroom can use: acknowledged, so that DingTalk
		// does not send it again, and said once.
		a.log.Warn("dingtalk: ignoring a frame", "topic", f.Topic(), "id", f.MessageID(), "why", err)
		_ = w.ack(f.MessageID(), ackData(f))
		return
	}
	kctx, cancel := context.WithTimeout(ctx, keepWithin)
	k, err := bot.Keep(kctx, h, ev)
	cancel()
	if err != nil {
		a.log.Error("dingtalk: could not store an event; leaving it unacknowledged for DingTalk to send again", "id", ev.ID, "err", err)
		return
	}
	if k != nil { // nil: kept already, a redelivery
		a.busy.add(1) // before the ack: whoever saw the ack and calls Wait waits for it
	}
	if err := w.ack(f.MessageID(), ackData(f)); err != nil {
		a.log.Warn("dingtalk: acknowledging a frame", "id", f.MessageID(), "err", err)
	}
	if k != nil {
		a.bg.Go(func() {
			defer a.busy.add(-1)
			k.Handle(ctx)
		})
	}
}

// Wait blocks until the events acknowledged so far are handled.
func (a *Adapter) Wait() { a.busy.wait() }

// inflight counts events being handled.
type inflight struct {
	mu   sync.Mutex
	cond *sync.Cond
	n    int
}

func (c *inflight) add(d int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n += d
	if c.n == 0 && c.cond != nil {
		c.cond.Broadcast()
	}
}

func (c *inflight) wait() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cond == nil {
		c.cond = sync.NewCond(&c.mu)
	}
	for c.n > 0 {
		c.cond.Wait()
	}
}

// ackData is what an ack carries: a card callback answers with the card's
// update, none.
func ackData(f Frame) string {
	if f.Topic() == TopicCardCallback {
		return `{"response":{}}`
	}
	return ""
}

// acker writes acks; gorilla allows one writer at a time.
type acker struct {
	mu   sync.Mutex
	conn *websocket.Conn
}

func (w *acker) ack(id, data string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = w.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	return w.conn.WriteJSON(Ack{Code: 200, Message: "OK", Data: data,
		Headers: map[string]string{"messageId": id, "contentType": "application/json"}})
}

func (w *acker) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = w.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	_ = w.conn.Close()
}
