package dingtalkfake

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

const streamPath = "/stream"

// wait bounds every wait of the fake, so that a broken adapter fails a
// test instead of hanging it.
const wait = 10 * time.Second

// Frame is a stream frame as the fake pushes it.
type Frame struct {
	SpecVersion string            `json:"specVersion"`
	Type        string            `json:"type"`
	Headers     map[string]string `json:"headers"`
	Data        string            `json:"data"`
}

// Ack is an acknowledgement the adapter sent.
type Ack struct {
	Code    int               `json:"code"`
	Headers map[string]string `json:"headers"`
	Message string            `json:"message"`
	Data    string            `json:"data"`
}

type streamState struct {
	wmu      sync.Mutex // one writer on conn
	conn     *websocket.Conn
	conns    int // connections accepted so far
	opens    int // connections/open calls
	tickets  map[string]bool
	subs     []any // the last subscriptions asked for
	acks     map[string]Ack
	ackOrder []string
	pushed   map[string]Frame // by messageId, for Redeliver
	stalled  bool             // the open connection answers no pings
}

func (s *Server) openConnection(r *http.Request, body map[string]any) (int, any) {
	if str(body, "clientId") != s.ClientID || str(body, "clientSecret") != s.ClientSecret {
		return 401, apiErr("Unauthorized", "clientId or clientSecret invalid")
	}
	s.stream.opens++
	s.stream.subs, _ = body["subscriptions"].([]any)
	ticket := s.id("ticket")
	s.stream.tickets[ticket] = true
	return 200, map[string]any{"endpoint": "ws://" + r.Host + streamPath, "ticket": ticket}
}

func (s *Server) serveStream(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	ok := s.stream.tickets[r.URL.Query().Get("ticket")]
	delete(s.stream.tickets, r.URL.Query().Get("ticket"))
	s.mu.Unlock()
	if !ok {
		http.Error(w, "bad ticket", http.StatusForbidden)
		return
	}
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s.mu.Lock()
	// An older connection is left to its client, which may still be
	// acknowledging on it (a disconnect's ack).
	s.stream.conn = conn
	s.stream.conns++
	s.stream.stalled = false
	conn.SetPingHandler(func(data string) error {
		s.mu.Lock()
		stalled := s.stream.stalled && s.stream.conn == conn
		s.mu.Unlock()
		if stalled {
			return nil
		}
		return conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	s.cond.Broadcast()
	s.mu.Unlock()
	go s.readAcks(conn)
}

func (s *Server) readAcks(conn *websocket.Conn) {
	defer func() {
		s.mu.Lock()
		if s.stream.conn == conn {
			s.stream.conn = nil
		}
		s.cond.Broadcast()
		s.mu.Unlock()
		_ = conn.Close()
	}()
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var a Ack
		if json.Unmarshal(data, &a) != nil {
			continue
		}
		s.mu.Lock()
		id := a.Headers["messageId"]
		s.stream.acks[id] = a
		s.stream.ackOrder = append(s.stream.ackOrder, id)
		s.cond.Broadcast()
		s.mu.Unlock()
	}
}

// waitFor blocks until cond holds (s.mu held while it is checked) or the
// wait runs out; it reports whether cond held.
func (s *Server) waitFor(cond func() bool) bool {
	deadline := time.Now().Add(wait)
	t := time.AfterFunc(wait, func() { s.mu.Lock(); s.cond.Broadcast(); s.mu.Unlock() })
	defer t.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		s.cond.Wait()
	}
	return true
}

// WaitConnected blocks until n stream connections were accepted in all
// and one is open.
func (s *Server) WaitConnected(t testing.TB, n int) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.waitFor(func() bool { return s.stream.conns >= n && s.stream.conn != nil }) {
		t.Fatalf("dingtalkfake: %d stream connections after %v, want %d", s.stream.conns, wait, n)
	}
}

// Opens is how many connections/open calls came; Subscriptions is what
// the last one asked for, as "TYPE topic".
func (s *Server) Opens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stream.opens
}

// Subscriptions returns the last connections/open's subscriptions.
func (s *Server) Subscriptions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, v := range s.stream.subs {
		m, _ := v.(map[string]any)
		out = append(out, str(m, "type")+" "+str(m, "topic"))
	}
	return out
}

// Push sends a frame on the open connection (waiting for one) and returns
// its messageId.
func (s *Server) Push(t testing.TB, f Frame) string {
	t.Helper()
	s.mu.Lock()
	if f.Headers == nil {
		f.Headers = map[string]string{}
	}
	if f.Headers["messageId"] == "" {
		f.Headers["messageId"] = s.id("frame-")
	}
	if f.SpecVersion == "" {
		f.SpecVersion = "1.0"
	}
	if !s.waitFor(func() bool { return s.stream.conn != nil }) {
		s.mu.Unlock()
		t.Fatalf("dingtalkfake: no stream connection after %v", wait)
	}
	conn := s.stream.conn
	s.stream.pushed[f.Headers["messageId"]] = f
	s.mu.Unlock()
	s.PushRaw(t, conn, f)
	return f.Headers["messageId"]
}

// Redeliver pushes a frame again, as DingTalk does when an ack is late or
// lost, and forgets its ack.
func (s *Server) Redeliver(t testing.TB, messageID string) {
	t.Helper()
	s.mu.Lock()
	f, ok := s.stream.pushed[messageID]
	delete(s.stream.acks, messageID)
	s.mu.Unlock()
	if !ok {
		t.Fatalf("dingtalkfake: no frame %s to redeliver", messageID)
	}
	s.Push(t, f)
}

// PushRaw writes v as JSON on conn; nil conn: the open one.
func (s *Server) PushRaw(t testing.TB, conn *websocket.Conn, v any) {
	t.Helper()
	if conn == nil {
		s.mu.Lock()
		conn = s.stream.conn
		s.mu.Unlock()
	}
	s.stream.wmu.Lock()
	defer s.stream.wmu.Unlock()
	if err := conn.WriteJSON(v); err != nil {
		t.Fatalf("dingtalkfake: push: %v", err)
	}
}

// Say pushes a robot message from a user: in a group (a cid), or in the
// user's one-to-one chat with the robot when cid is "". at are the userids
// the text @-mentions (as "@nickname", the way DingTalk writes them); the
// robot, whom a group message always mentions, is listed first.
func (s *Server) Say(t testing.TB, cid, user, text string, at ...string) string {
	t.Helper()
	s.mu.Lock()
	msgID := s.id("msg")
	s.mu.Unlock()
	typ := "2"
	if cid == "" {
		typ, cid = "1", "cidDM-"+user
	}
	data := map[string]any{"conversationId": cid, "conversationType": typ, "msgId": msgID, "msgtype": "text",
		"senderStaffId": user, "senderId": "$:LWCP_v1:$" + user, "robotCode": s.RobotCode, "chatbotUserId": "$:LWCP_v1:$bot",
		"isInAtList": true, "text": map[string]string{"content": " " + text}, "createAt": time.Now().UnixMilli()}
	atUsers := []map[string]string{{"dingtalkId": "$:LWCP_v1:$bot"}}
	for _, u := range at {
		atUsers = append(atUsers, map[string]string{"dingtalkId": "$:LWCP_v1:$" + u, "staffId": u})
	}
	data["atUsers"] = atUsers
	return s.Push(t, callback("/v1.0/im/bot/messages/get", data))
}

// Click pushes a click on a card's button by a user, as DingTalk does when
// the template binds the button's callback parameter `command`.
func (s *Server) Click(t testing.TB, outTrackID, user string, b Button) string {
	t.Helper()
	content, _ := json.Marshal(map[string]any{"cardPrivateData": map[string]any{
		"actionIds": []string{b.ID}, "params": map[string]any{"command": b.Command}}})
	data := map[string]any{"outTrackId": outTrackID, "userId": user, "userIdType": 1, "type": "actionCallback",
		"corpId": "dingcorp", "spaceType": "IM_GROUP", "content": string(content), "value": string(content), "extension": "{}"}
	return s.Push(t, callback("/v1.0/card/instances/callback", data))
}

func callback(topic string, data any) Frame {
	b, _ := json.Marshal(data)
	return Frame{Type: "CALLBACK", Headers: map[string]string{"topic": topic, "contentType": "application/json",
		"time": "1767225600000"}, Data: string(b)}
}

// Ping pushes a SYSTEM ping and returns its messageId.
func (s *Server) Ping(t testing.TB, data string) string {
	return s.Push(t, Frame{Type: "SYSTEM", Headers: map[string]string{"topic": "ping", "contentType": "application/json"}, Data: data})
}

// Disconnect pushes a SYSTEM disconnect.
func (s *Server) Disconnect(t testing.TB) string {
	return s.Push(t, Frame{Type: "SYSTEM", Headers: map[string]string{"topic": "disconnect", "contentType": "application/json"}, Data: `{"reason":"refresh"}`})
}

// WaitAck blocks until the frame messageId is acknowledged and returns the ack.
func (s *Server) WaitAck(t testing.TB, messageID string) Ack {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.waitFor(func() bool { _, ok := s.stream.acks[messageID]; return ok }) {
		t.Fatalf("dingtalkfake: frame %s not acknowledged after %v", messageID, wait)
	}
	return s.stream.acks[messageID]
}

// Acked reports whether a frame was acknowledged so far.
func (s *Server) Acked(messageID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.stream.acks[messageID]
	return ok
}

// Acks returns the messageIds acknowledged, in order.
func (s *Server) Acks() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.stream.ackOrder...)
}

// Stall makes the open connection go silent without closing: no pongs,
// no frames (a half-open TCP connection).
func (s *Server) Stall() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stream.stalled = true
}

// Drop closes the open stream connection, as a network would.
func (s *Server) Drop() {
	s.mu.Lock()
	c := s.stream.conn
	s.stream.conn = nil
	s.mu.Unlock()
	if c != nil {
		_ = c.Close()
	}
}

// CheckinButton is the kickoff card's check-in button, if it has one.
func CheckinButton(m Message) (Button, bool) {
	for _, b := range m.Buttons {
		if b.ID == "checkin" || strings.Contains(b.Text, "Check in") {
			return b, true
		}
	}
	return Button{}, false
}

// WaitMessages blocks until a group has at least n messages and returns them.
func (s *Server) WaitMessages(t testing.TB, cid string, n int) []Message {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.waitFor(func() bool { return len(s.msgs[cid]) >= n }) {
		t.Fatalf("dingtalkfake: %d messages in %s after %v, want %d: %+v", len(s.msgs[cid]), cid, wait, n, s.msgs[cid])
	}
	return append([]Message(nil), s.msgs[cid]...)
}
