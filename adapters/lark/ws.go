package lark

// Lark's long connection, on gorilla/websocket and the SDK's protobuf
// frames (larkws.Frame).
//
// The SDK's own larkws.Client does not fit a bot that must stop: Start
// never returns (it ends in `select {}`), its ping loop and reconnects
// sleep on the wall clock for ever, and it races: under -race against
// larkfake, a dropped connection (or Close) reports a DATA RACE between
// disconnect's writes of c.conn and c.connID under its lock
// (ws/client.go:360-364) and unlocked reads of them (c.connID in fmtLog,
// :698, from the goroutines handling events; c.conn in disconnect, :344),
// and a pong's ClientConfig is applied (configure, :705) while its ping
// loop reads it (:517).
// Nor can it leave an event unanswered when the store could not keep it.
// The protocol is small, so this file speaks it (as the SDK's
// ws/client.go does, v3.9.2; sdkfake_test.go checks that the SDK's client
// and larkfake agree on it):
//
//  1. POST {api_url}/callback/ws/endpoint {AppID, AppSecret} answers
//     {code, data:{URL, ClientConfig{PingInterval, ...}}}.
//  2. Dial URL (its query has service_id). Every message is a binary
//     Frame: method 0 = control (ping/pong), 1 = data, headers type,
//     message_id, sum/seq (a payload split in parts), trace_id.
//  3. A data frame of type "event" carries an event's JSON (message,
//     reaction, and card clicks: card.action.trigger arrives as an event).
//     It is answered with the same frame whose payload is
//     {"code":200,"data":base64(answer)}; Lark sends the event again when
//     no 200 comes.
//  4. We send a ping frame every PingInterval; Lark answers pong, whose
//     payload may be a new ClientConfig.
//
// Every lost connection is replaced, after a backoff; an event is
// answered 200 only once it is kept (bot.Keep), so none is lost. Of
// ClientConfig (see conf.go), PingInterval sets the pings,
// ReconnectNonce spreads the first reconnect, ReconnectInterval caps the
// backoff; ReconnectCount (the SDK gives up after it) only makes the log
// louder: a war-room bot that stops listening is worse than one retrying.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"

	"github.com/warroom/warroom/bot"
)

const (
	backoffMin   = time.Second
	backoffMax   = time.Minute
	stableAfter  = 30 * time.Second
	writeTimeout = 10 * time.Second
	readLimit    = 4 << 20
	maxParts     = 64 // of one split payload
)

// fatalError is Lark refusing the app (credentials, a banned app, too
// many connections): reconnecting cannot help.
type fatalError struct{ msg string }

func (e *fatalError) Error() string { return e.msg }

// Run implements bot.Adapter: it holds the long connection until ctx is
// done, replacing every connection that ends. It returns an error when
// Lark refuses the app's credentials.
func (a *Adapter) Run(ctx context.Context, h bot.Handler) error {
	defer a.inflight.Wait()
	if !a.isConnected() {
		if err := a.Connect(ctx); err != nil {
			return err
		}
	}
	fails := 0
	for {
		upAt, err := a.session(ctx, h)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var fatal *fatalError
		if errors.As(err, &fatal) {
			return err
		}
		if !upAt.IsZero() && a.cfg.Clock.Now().Sub(upAt) >= stableAfter {
			fails = 0
		}
		wait := a.link.wait(fails)
		fails++
		if a.link.exhausted(fails) {
			a.log.Error("lark: still no long connection after the retries Lark allows (ClientConfig.ReconnectCount); warroom keeps trying", "attempts", fails, "err", err)
		}
		a.log.Warn("lark: long connection lost; reconnecting", "err", err, "attempt", fails, "wait", wait)
		if wait > 0 && a.cfg.Sleep(ctx, wait) != nil {
			return ctx.Err()
		}
	}
}

// backoff is the wait before try fails+1: none at first, then doubling
// from backoffMin up to most.
func backoff(fails int, most time.Duration) time.Duration {
	if fails == 0 {
		return 0
	}
	if fails > 16 {
		return most
	}
	return min(backoffMin<<(fails-1), most)
}

// endpoint asks Lark where to connect.
func (a *Adapter) endpoint(ctx context.Context) (*larkws.Endpoint, error) {
	body, _ := json.Marshal(larkws.BootstrapRequest{AppID: a.cfg.AppID, AppSecret: a.cfg.AppSecret})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+larkws.GenEndpointUri, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("locale", "en")
	resp, err := a.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("long connection endpoint: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("long connection endpoint: %w", err)
	}
	var ep larkws.EndpointResp
	if err := json.Unmarshal(raw, &ep); err != nil {
		return nil, fmt.Errorf("long connection endpoint answered %d, not JSON", resp.StatusCode)
	}
	switch {
	case resp.StatusCode != http.StatusOK || ep.Code == larkws.SystemBusy || ep.Code == larkws.InternalError:
		return nil, fmt.Errorf("long connection endpoint answered %d: %d %s", resp.StatusCode, ep.Code, ep.Msg)
	case ep.Code != larkws.OK:
		return nil, &fatalError{fmt.Sprintf("lark refused the long connection (%d %s): check lark.app_id and lark.app_secret, and that the app's Events & Callbacks use the long connection (api_url: Feishu is %s, Lark %s)",
			ep.Code, ep.Msg, FeishuURL, LarkURL)}
	case ep.Data == nil || ep.Data.Url == "":
		return nil, errors.New("long connection endpoint answered no URL")
	}
	a.link.update(ep.Data.ClientConfig)
	return ep.Data, nil
}

// session holds one connection until it ends; it returns when it was up
// (zero if never) and why it ended.
func (a *Adapter) session(ctx context.Context, h bot.Handler) (upAt time.Time, err error) {
	ep, err := a.endpoint(ctx)
	if err != nil {
		return upAt, err
	}
	u, err := url.Parse(ep.Url)
	if err != nil {
		return upAt, fmt.Errorf("long connection URL %q: %w", ep.Url, err)
	}
	service, _ := strconv.ParseInt(u.Query().Get(larkws.ServiceID), 10, 32)
	switch u.Scheme { // Lark gives wss; a stand-in may write http(s)
	case "https":
		u.Scheme = "wss"
	case "http":
		u.Scheme = "ws"
	}
	dialer := websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: writeTimeout}
	conn, resp, err := dialer.DialContext(ctx, u.String(), nil)
	if err != nil {
		return upAt, handshakeError(resp, err)
	}
	upAt = a.cfg.Clock.Now()
	conn.SetReadLimit(readLimit)
	w := &frameWriter{conn: conn}
	done := make(chan struct{})
	defer func() {
		close(done)
		_ = conn.Close()
	}()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()

	timeout := a.cfg.SocketTimeout
	alive := func() { _ = conn.SetReadDeadline(time.Now().Add(timeout)) }
	alive()
	reping := make(chan time.Duration, 1)
	go a.pings(done, w, int32(service), a.link.ping(timeout), reping)

	parts := map[string][][]byte{}
	for {
		mt, msg, err := conn.ReadMessage()
		if err != nil {
			return upAt, fmt.Errorf("long connection: read: %w", err)
		}
		alive()
		if mt != websocket.BinaryMessage { // frames are binary; the SDK skips others too
			a.log.Warn("lark: a long-connection message that is not binary; skipped", "type", mt, "bytes", len(msg))
			continue
		}
		var f larkws.Frame
		if err := f.Unmarshal(msg); err != nil {
			a.log.Warn("lark: a long-connection frame that does not parse", "err", err)
			continue
		}
		if larkws.FrameType(f.Method) != larkws.FrameTypeData {
			a.control(f, timeout, reping)
			continue
		}
		a.dataFrame(ctx, h, w, f, parts)
	}
}

// pings sends a ping frame every d until done; reping changes d.
func (a *Adapter) pings(done <-chan struct{}, w *frameWriter, service int32, d time.Duration, reping <-chan time.Duration) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case d := <-reping:
			t.Reset(d)
		case <-t.C:
			if err := w.write(larkws.NewPingFrame(service)); err != nil {
				a.log.Debug("lark: ping", "err", err)
			}
		}
	}
}

func handshakeError(resp *http.Response, err error) error {
	if resp == nil {
		return fmt.Errorf("long connection: dial: %w", err)
	}
	code, _ := strconv.Atoi(resp.Header.Get(larkws.HeaderHandshakeStatus))
	msg := resp.Header.Get(larkws.HeaderHandshakeMsg)
	auth, _ := strconv.Atoi(resp.Header.Get(larkws.HeaderHandshakeAuthErrCode))
	if code == larkws.Forbidden || (code == larkws.AuthFailed && auth == larkws.ExceedConnLimit) {
		return &fatalError{fmt.Sprintf("lark refused the long connection (%d %s)", code, msg)}
	}
	if resp.Header.Get(larkws.HeaderHandshakeStatus) == "" {
		return fmt.Errorf("long connection: dial: HTTP %d: %w", resp.StatusCode, err)
	}
	return fmt.Errorf("long connection: dial: %d %s: %w", code, msg, err)
}

// frameWriter writes frames one at a time.
type frameWriter struct {
	mu   sync.Mutex
	conn *websocket.Conn
}

func (w *frameWriter) write(f *larkws.Frame) error {
	bs, err := f.Marshal()
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = w.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	return w.conn.WriteMessage(websocket.BinaryMessage, bs)
}

// answer sends f back with a response payload.
func answer(w *frameWriter, f larkws.Frame, code int, data []byte) error {
	p, _ := json.Marshal(larkws.Response{StatusCode: code, Data: data})
	hs := larkws.Headers(append([]larkws.Header(nil), f.Headers...))
	hs.Add(larkws.HeaderBizRt, "0")
	f.Headers, f.Payload = hs, p
	return w.write(&f)
}
