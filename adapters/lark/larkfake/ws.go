package larkfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"
)

// Timeout bounds the fake's waits (for a connection, for an ack).
const Timeout = 10 * time.Second

// ServiceID is the service_id the fake's websocket URL carries.
const ServiceID = 7

// Ack is the client's answer to a pushed frame.
type Ack struct {
	Code int    // 200 handled, 500 send again
	Data []byte // a card click's answer (the toast JSON)
	// Frame is the answering frame: the pushed one, its headers kept
	// (biz_rt added), its payload the response.
	Frame larkws.Frame
}

type wsState struct {
	conn     *websocket.Conn
	wmu      sync.Mutex    // one writer on conn
	changed  chan struct{} // closed and replaced when a connection comes or goes
	dials    int
	pings    int
	acks     map[string]chan Ack
	refuse   int      // endpoint calls still to answer with a client error
	busy     int      // endpoint calls still to answer "system busy"
	deny     []string // handshake headers: status, message, auth error code
	mute     bool     // pings go unanswered: a dead connection that stays open
	shutdown bool
	detached bool // Kick at Close leaves the connection open
	bare     bool // pongs without the ClientConfig
}

func (w *wsState) init() {
	w.changed = make(chan struct{})
	w.acks = map[string]chan Ack{}
}

// RefuseConnections makes the endpoint refuse the app (a wrong secret) n times.
func (s *Server) RefuseConnections(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ws.refuse = n
}

// Busy makes the endpoint answer "system busy" (code 1) n times.
func (s *Server) Busy(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ws.busy = n
}

func (s *Server) endpoint(w http.ResponseWriter, body map[string]any) {
	s.mu.Lock()
	refuse, busy := s.ws.refuse > 0, s.ws.busy > 0
	if refuse {
		s.ws.refuse--
	}
	if busy {
		s.ws.busy--
	}
	s.mu.Unlock()
	if busy {
		reply(w, larkws.SystemBusy, "system busy", nil)
		return
	}
	if refuse || body["AppID"] != s.AppID || body["AppSecret"] != s.AppSecret {
		reply(w, 1000040351, "app secret invalid", nil)
		return
	}
	u := "ws" + strings.TrimPrefix(s.URL, "http") + "/ws?device_id=fake-device&service_id=" + strconv.Itoa(ServiceID)
	reply(w, 0, "ok", larkws.Endpoint{Url: u, ClientConfig: &clientConfig})
}

// BarePongs makes pongs carry no ClientConfig. The SDK's own client needs
// it under -race: it applies a pong's config (ws/client.go configure,
// :705) unlocked while its ping loop reads it (:517).
func (s *Server) BarePongs() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ws.bare = true
}

func (s *Server) bareP() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ws.bare
}

// clientConfig is what Lark's endpoint answers (and its pongs carry):
// retry for ever, every 2 minutes, the first within 30 s; ping every 2 minutes.
var clientConfig = larkws.ClientConfig{ReconnectCount: -1, ReconnectInterval: 120, ReconnectNonce: 30, PingInterval: 120}

// DenyHandshake makes the websocket handshake fail as Lark's does: with
// Handshake-Status status (403 forbidden, 514 auth failed), its message,
// and Handshake-Autherrcode. Status 0 lets handshakes through again.
func (s *Server) DenyHandshake(status int, msg string, authCode int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ws.deny = nil
	if status != 0 {
		s.ws.deny = []string{strconv.Itoa(status), msg, strconv.Itoa(authCode)}
	}
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	deny := s.ws.deny
	s.mu.Unlock()
	if deny != nil {
		w.Header().Set(larkws.HeaderHandshakeStatus, deny[0])
		w.Header().Set(larkws.HeaderHandshakeMsg, deny[1])
		w.Header().Set(larkws.HeaderHandshakeAuthErrCode, deny[2])
		w.WriteHeader(http.StatusForbidden)
		return
	}
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s.mu.Lock()
	if s.ws.shutdown {
		s.mu.Unlock()
		_ = conn.Close()
		return
	}
	if old := s.ws.conn; old != nil {
		_ = old.Close() // the newest connection is the one pushed to
	}
	s.ws.conn = conn
	s.ws.mute = false // Mute was the old connection's
	s.ws.dials++
	s.ws.notify()
	s.mu.Unlock()
	defer s.drop(conn)
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var f larkws.Frame
		if f.Unmarshal(msg) != nil {
			continue
		}
		hs := larkws.Headers(f.Headers)
		if larkws.FrameType(f.Method) == larkws.FrameTypeControl {
			if hs.GetString(larkws.HeaderType) == string(larkws.MessageTypePing) {
				s.mu.Lock()
				s.ws.pings++
				mute := s.ws.mute
				s.mu.Unlock()
				if mute {
					continue
				}
				// Lark's pong carries the ClientConfig (the SDK applies it).
				var conf []byte
				if !s.bareP() {
					conf, _ = json.Marshal(clientConfig)
				}
				pong := larkws.Frame{Method: int32(larkws.FrameTypeControl), Service: f.Service, Payload: conf,
					Headers: []larkws.Header{{Key: larkws.HeaderType, Value: string(larkws.MessageTypePong)}}}
				_ = s.write(conn, &pong)
			}
			continue
		}
		var resp larkws.Response
		_ = json.Unmarshal(f.Payload, &resp)
		s.mu.Lock()
		ch := s.ws.acks[hs.GetString(larkws.HeaderMessageID)]
		s.mu.Unlock()
		if ch != nil {
			select {
			case ch <- Ack{Code: resp.StatusCode, Data: resp.Data, Frame: f}:
			default:
			}
		}
	}
}

func (s *Server) drop(conn *websocket.Conn) {
	_ = conn.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ws.conn == conn {
		s.ws.conn = nil
		s.ws.notify()
	}
}

// notify wakes the waiters; s.mu is held.
func (w *wsState) notify() {
	close(w.changed)
	w.changed = make(chan struct{})
}

func (s *Server) write(conn *websocket.Conn, f *larkws.Frame) error {
	bs, err := f.Marshal()
	if err != nil {
		return err
	}
	s.ws.wmu.Lock()
	defer s.ws.wmu.Unlock()
	return conn.WriteMessage(websocket.BinaryMessage, bs)
}

// Kick closes the long connection, as a network drop or Lark's own
// rotation does.
func (s *Server) Kick() {
	s.mu.Lock()
	conn := s.ws.conn
	if conn != nil {
		s.ws.conn = nil // at once: the next push waits for the next connection
		s.ws.notify()
	}
	s.mu.Unlock()
	if conn != nil {
		_ = conn.Close()
	}
}

// Detach leaves the long connection open when the fake closes (until the
// process ends): for a client that cannot be closed without a data race
// (the SDK's own ws.Client, v3.9.2).
func (s *Server) Detach() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ws.detached = true
}

// Mute leaves the current connection's pings unanswered, as a connection
// that died without closing does; the next connection is answered again.
func (s *Server) Mute() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ws.mute = true
}

// Dials is how many long connections were opened.
func (s *Server) Dials() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ws.dials
}

// Pings is how many pings the client sent.
func (s *Server) Pings() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ws.pings
}

// WaitConnected waits for a long connection.
func (s *Server) WaitConnected(t testing.TB) { t.Helper(); s.WaitDial(t, 1) }

// WaitDial waits until the n-th long connection (or a later one) is up.
func (s *Server) WaitDial(t testing.TB, n int) {
	t.Helper()
	deadline := time.NewTimer(Timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		up, changed := s.ws.conn != nil && s.ws.dials >= n, s.ws.changed
		s.mu.Unlock()
		if up {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("larkfake: no long connection #%d after %v", n, Timeout)
		}
	}
}

// Pushed is a frame pushed to the client; Ack waits for its answer.
type Pushed struct {
	s  *Server
	ID string // the frame's message_id
	ch chan Ack
}

// Ack waits for the client's answer to the frame.
func (p Pushed) Ack(t testing.TB) Ack {
	t.Helper()
	select {
	case a := <-p.ch:
		return a
	case <-time.After(Timeout):
		t.Fatalf("larkfake: frame %s not answered after %v", p.ID, Timeout)
		return Ack{}
	}
}

// Push sends an event payload over the long connection (waiting for one),
// in parts frames (1: whole).
func (s *Server) Push(t testing.TB, payload []byte, parts int) Pushed {
	t.Helper()
	return s.PushType(t, larkws.MessageTypeEvent, payload, parts)
}

// PushType is Push with the frame's type header: "event", or "card" (the
// legacy card callbacks, which the SDK's client drops unanswered).
func (s *Server) PushType(t testing.TB, typ larkws.MessageType, payload []byte, parts int) Pushed {
	t.Helper()
	s.WaitConnected(t)
	s.mu.Lock()
	id := s.id("frame-")
	ch := make(chan Ack, 4)
	s.ws.acks[id] = ch
	conn := s.ws.conn
	s.mu.Unlock()
	parts = max(parts, 1)
	size := (len(payload) + parts - 1) / parts
	for i := range parts {
		chunk := payload[min(i*size, len(payload)):min((i+1)*size, len(payload))]
		f := larkws.Frame{Method: int32(larkws.FrameTypeData), Service: ServiceID, Payload: chunk,
			Headers: []larkws.Header{
				{Key: larkws.HeaderType, Value: string(typ)},
				{Key: larkws.HeaderMessageID, Value: id},
				{Key: larkws.HeaderSum, Value: strconv.Itoa(parts)},
				{Key: larkws.HeaderSeq, Value: strconv.Itoa(i)},
				{Key: larkws.HeaderTraceID, Value: "trace-" + id},
			}}
		if err := s.write(conn, &f); err != nil {
			t.Fatalf("larkfake: push: %v", err)
		}
	}
	return Pushed{s: s, ID: id, ch: ch}
}

// Mention is an @mention in a pushed message.
type Mention struct{ Key, OpenID, Name string }

func (s *Server) event(typ string, ev any) []byte {
	s.mu.Lock()
	id := s.id("ev_")
	s.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"schema": "2.0", "header": map[string]any{
		"event_id": id, "event_type": typ, "create_time": "1764800000000", "token": "", "app_id": s.AppID, "tenant_key": "tk"},
		"event": ev})
	return b
}

// MessageEvent is the payload of a user's text message in a chat ("p2p":
// a DM, chat being the DM's chat id).
func (s *Server) MessageEvent(chat, chatType, user, text string, mentions ...Mention) []byte {
	var ms []any
	for _, m := range mentions {
		ms = append(ms, map[string]any{"key": m.Key, "name": m.Name, "id": map[string]any{"open_id": m.OpenID}, "tenant_key": "tk"})
	}
	content, _ := json.Marshal(map[string]string{"text": text})
	s.mu.Lock()
	mid := s.id("om_in_")
	s.mu.Unlock()
	return s.event("im.message.receive_v1", map[string]any{
		"sender":  map[string]any{"sender_id": map[string]any{"open_id": user}, "sender_type": "user", "tenant_key": "tk"},
		"message": map[string]any{"message_id": mid, "chat_id": chat, "chat_type": chatType, "message_type": "text", "content": string(content), "mentions": ms},
	})
}

// ReactionEvent is the payload of a user's reaction (emoji_type "DONE" is ✅).
func (s *Server) ReactionEvent(message, user, emojiType string) []byte {
	return s.event("im.message.reaction.created_v1", map[string]any{
		"message_id": message, "reaction_type": map[string]any{"emoji_type": emojiType},
		"operator_type": "user", "user_id": map[string]any{"open_id": user}, "action_time": "1764800000000"})
}

// ClickEvent is the payload of a click on a card button whose value is value.
func (s *Server) ClickEvent(chat, message, user string, value map[string]any) []byte {
	return s.event("card.action.trigger", map[string]any{
		"operator": map[string]any{"open_id": user, "tenant_key": "tk"}, "token": "c-token",
		"action": map[string]any{"value": value, "tag": "button"}, "host": "im_message",
		"context": map[string]any{"open_message_id": message, "open_chat_id": chat}})
}

// Say pushes a group message and waits for its ack.
func (s *Server) Say(t testing.TB, chat, user, text string, mentions ...Mention) Ack {
	t.Helper()
	return s.Push(t, s.MessageEvent(chat, "group", user, text, mentions...), 1).Ack(t)
}

// React pushes a reaction and waits for its ack.
func (s *Server) React(t testing.TB, message, user, emojiType string) Ack {
	t.Helper()
	return s.Push(t, s.ReactionEvent(message, user, emojiType), 1).Ack(t)
}

// Click pushes a click on a button that stands for command and waits for its ack.
func (s *Server) Click(t testing.TB, chat, message, user, command string) Ack {
	t.Helper()
	return s.Push(t, s.ClickEvent(chat, message, user, map[string]any{"command": command}), 1).Ack(t)
}

func (a Ack) String() string { return fmt.Sprintf("%d %s", a.Code, a.Data) }

// Garble sends a raw websocket message (of websocket.TextMessage, say):
// not something Lark sends, but what a broken peer or proxy might; for
// testing that the client shrugs it off.
func (s *Server) Garble(t testing.TB, messageType int, data []byte) {
	t.Helper()
	s.WaitConnected(t)
	s.mu.Lock()
	conn := s.ws.conn
	s.mu.Unlock()
	s.ws.wmu.Lock()
	defer s.ws.wmu.Unlock()
	if err := conn.WriteMessage(messageType, data); err != nil {
		t.Fatalf("larkfake: garble: %v", err)
	}
}
