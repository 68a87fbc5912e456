// Package larkfake is a local Lark/Feishu for tests: the tenant-token
// endpoint, the im/v1 calls warroom makes (create chat, list chats, update
// it, add members, send and read messages, pin), recording every body, and
// the long connection: the endpoint that hands out a websocket URL, and a
// websocket that pushes message, reaction and card-click events as
// protobuf frames and collects the client's answers (acks).
package larkfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Call is one API request as the fake received it.
type Call struct {
	Method, Path string
	Query        string
	Body         map[string]any // the JSON body, decoded; nil if none
}

// Message is a message the bot sent.
type Message struct {
	ID      string
	Chat    string // the chat it is in ("" for a DM)
	To      string // the open_id of a DM
	MsgType string // "text" or "interactive"
	Content string // the content JSON as sent
}

// Text is the message's text: a text message's text, a card's element
// marked "text" (its markdown).
func (m Message) Text() string {
	var c struct {
		Text     string           `json:"text"`
		Elements []map[string]any `json:"elements"`
	}
	_ = json.Unmarshal([]byte(m.Content), &c)
	if m.MsgType == "text" {
		return c.Text
	}
	for _, e := range c.Elements {
		if e["element_id"] == "text" {
			s, _ := e["content"].(string)
			return s
		}
	}
	return ""
}

// Button is a card button: its label and the command its value holds.
type Button struct{ Label, Command string }

// Buttons are a card's buttons, in order.
func (m Message) Buttons() []Button {
	var c struct {
		Elements []struct {
			Tag     string `json:"tag"`
			Actions []struct {
				Text  struct{ Content string } `json:"text"`
				Value map[string]any           `json:"value"`
			} `json:"actions"`
		} `json:"elements"`
	}
	_ = json.Unmarshal([]byte(m.Content), &c)
	var out []Button
	for _, e := range c.Elements {
		for _, a := range e.Actions {
			cmd, _ := a.Value["command"].(string)
			out = append(out, Button{a.Text.Content, cmd})
		}
	}
	return out
}

// Chat is a group chat.
type Chat struct {
	ID, Name, Description string
	Type                  string // "private"
	Members               []string
}

// Server is a fake Lark.
type Server struct {
	URL       string // point the adapter's api_url here
	AppID     string
	AppSecret string
	BotID     string // the bot's open_id
	srv       *httptest.Server
	upgrader  websocket.Upgrader

	mu         sync.Mutex
	token      string // the tenant token in force
	tokenCount int
	rateLimit  int               // calls still to refuse with 99991400
	deny       map[string]string // "METHOD /path prefix" → the scope it lacks
	latency    time.Duration     // before each API answer
	calls      []Call
	chats      map[string]*Chat
	order      []string // chat ids as created
	messages   []Message
	pins       []string
	nextID     int
	ws         wsState
}

// New starts a fake Lark for the test's lifetime.
func New(t testing.TB) *Server {
	s := &Server{AppID: "cli_a1b2c3d4e5f60718", AppSecret: "fake-secret", BotID: "ou_b0000000000000000000000000000b07",
		chats: map[string]*Chat{}}
	s.ws.init()
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	t.Cleanup(s.Close)
	return s
}

// Close stops the server and drops the long connection.
func (s *Server) Close() {
	s.mu.Lock()
	s.ws.shutdown = true
	detached := s.ws.detached
	s.mu.Unlock()
	if !detached {
		s.Kick()
	}
	s.srv.CloseClientConnections()
	s.srv.Close()
}

func (s *Server) id(prefix string) string {
	s.nextID++
	return fmt.Sprintf("%s%06d", prefix, s.nextID)
}

// ExpireToken makes Lark reject the tenant token in force (99991663).
func (s *Server) ExpireToken() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = "expired"
}

// TokenFetches is how many tenant tokens were handed out.
func (s *Server) TokenFetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenCount
}

// RateLimit makes the next n API calls fail with 99991400.
func (s *Server) RateLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimit = n
}

// SetLatency delays every API answer by d, as a network far away does.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Deny makes calls to "METHOD /open-apis/..." (a prefix) fail with
// 99991672, naming scope as the one the app lacks.
func (s *Server) Deny(route, scope string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deny == nil {
		s.deny = map[string]string{}
	}
	s.deny[route] = scope
}

// Calls returns the API calls so far (the token and long-connection
// endpoints excluded).
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// AddChat makes a chat the bot is in, as if made before; it returns its id.
func (s *Server) AddChat(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addChat(name, "private")
}

func (s *Server) addChat(name, typ string) string {
	id := s.id("oc_")
	s.chats[id] = &Chat{ID: id, Name: name, Type: typ}
	s.order = append(s.order, id)
	return id
}

// Chat returns a chat as it stands.
func (s *Server) Chat(id string) Chat {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.chats[id]; ok {
		cp := *c
		cp.Members = slices.Clone(c.Members)
		return cp
	}
	return Chat{}
}

// Chats returns every chat, in the order made.
func (s *Server) Chats() []Chat {
	s.mu.Lock()
	ids := slices.Clone(s.order)
	s.mu.Unlock()
	out := make([]Chat, 0, len(ids))
	for _, id := range ids {
		out = append(out, s.Chat(id))
	}
	return out
}

// Members returns the open_ids added to a chat.
func (s *Server) Members(chat string) []string { return s.Chat(chat).Members }

// Messages returns what the bot sent to a chat, in order.
func (s *Server) Messages(chat string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if m.Chat == chat && m.To == "" {
			out = append(out, m)
		}
	}
	return out
}

// DMs returns what the bot sent to a person's open_id, in order.
func (s *Server) DMs(openID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if m.To == openID {
			out = append(out, m)
		}
	}
	return out
}

// Pins returns the ids of pinned messages.
func (s *Server) Pins() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.pins)
}

// reply writes Lark's envelope: {code, msg, data}.
func reply(w http.ResponseWriter, code int, msg string, data any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	body := map[string]any{"code": code, "msg": msg}
	if data != nil {
		body["data"] = data
	}
	_ = json.NewEncoder(w).Encode(body)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	switch {
	case r.URL.Path == "/ws":
		s.serveWS(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/callback/ws/endpoint":
		s.endpoint(w, body)
	case r.Method == http.MethodPost && r.URL.Path == "/open-apis/auth/v3/tenant_access_token/internal":
		s.tenantToken(w, body)
	case strings.HasPrefix(r.URL.Path, "/open-apis/"):
		s.api(w, r, body)
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) tenantToken(w http.ResponseWriter, body map[string]any) {
	if body["app_id"] != s.AppID || body["app_secret"] != s.AppSecret {
		reply(w, 10014, "app secret invalid", nil)
		return
	}
	s.mu.Lock()
	s.tokenCount++
	s.token = "t-fake-" + strconv.Itoa(s.tokenCount)
	tok := s.token
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"code": 0, "msg": "ok", "tenant_access_token": tok, "expire": 7200})
}

// api checks the token, records the call and routes it.
func (s *Server) api(w http.ResponseWriter, r *http.Request, body map[string]any) {
	s.mu.Lock()
	d := s.latency
	s.mu.Unlock()
	if d > 0 {
		time.Sleep(d) // the simulated network, not a synchronisation
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+s.token || s.token == "expired" {
		reply(w, 99991663, "Invalid access token for authorization. Please make a request with token attached.", nil)
		return
	}
	s.calls = append(s.calls, Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: body})
	if s.rateLimit > 0 {
		s.rateLimit--
		reply(w, 99991400, "request trigger frequency limit", nil)
		return
	}
	for route, scope := range s.deny {
		if strings.HasPrefix(r.Method+" "+r.URL.Path, route) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"code": 99991672, "msg": "Access denied. One of the following scopes is required: [" + scope + "].",
				"error": map[string]any{"permission_violations": []any{map[string]any{"type": "action_scope_required", "subject": scope}}}})
			return
		}
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/open-apis/"), "/")
	q := r.URL.Query()
	switch route := r.Method + " " + strings.Join(parts[:min(len(parts), 3)], "/"); {
	case route == "GET bot/v3/info":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"code": 0, "msg": "ok",
			"bot": map[string]any{"activate_status": 2, "app_name": "warroom", "open_id": s.BotID}})
	case route == "POST im/v1/chats" && len(parts) == 3:
		name, _ := body["name"].(string)
		typ, _ := body["chat_type"].(string)
		id := s.addChat(name, typ)
		reply(w, 0, "ok", map[string]any{"chat_id": id, "name": name, "chat_type": typ})
	case route == "GET im/v1/chats" && len(parts) == 3:
		s.listChats(w, q.Get("page_size"), q.Get("page_token"))
	case route == "PUT im/v1/chats" && len(parts) == 4:
		s.updateChat(w, parts[3], body)
	case route == "POST im/v1/chats" && len(parts) == 5 && parts[4] == "members":
		s.addMembers(w, parts[3], q.Get("member_id_type"), body)
	case route == "POST im/v1/messages" && len(parts) == 3:
		s.send(w, q.Get("receive_id_type"), body)
	case route == "GET im/v1/messages" && len(parts) == 4:
		s.getMessage(w, parts[3])
	case route == "POST im/v1/pins":
		id, _ := body["message_id"].(string)
		s.pins = append(s.pins, id)
		reply(w, 0, "ok", map[string]any{"pin": map[string]any{"message_id": id}})
	default:
		reply(w, 99991672, "the fake does not know "+route, nil)
	}
}

func (s *Server) listChats(w http.ResponseWriter, size, token string) {
	n, _ := strconv.Atoi(size)
	if n <= 0 || n > 100 {
		n = 20
	}
	start, _ := strconv.Atoi(token)
	start = min(max(start, 0), len(s.order))
	end := min(start+n, len(s.order))
	var items []any
	for _, id := range s.order[start:end] {
		c := s.chats[id]
		items = append(items, map[string]any{"chat_id": c.ID, "name": c.Name, "description": c.Description})
	}
	more := end < len(s.order)
	data := map[string]any{"items": items, "has_more": more}
	if more {
		data["page_token"] = strconv.Itoa(end)
	}
	reply(w, 0, "ok", data)
}

func (s *Server) updateChat(w http.ResponseWriter, id string, body map[string]any) {
	c, ok := s.chats[id]
	if !ok {
		reply(w, 232011, "chat not found", nil)
		return
	}
	if d, ok := body["description"].(string); ok {
		c.Description = d
	}
	if n, ok := body["name"].(string); ok {
		c.Name = n
	}
	reply(w, 0, "ok", map[string]any{})
}

func (s *Server) addMembers(w http.ResponseWriter, id, idType string, body map[string]any) {
	c, ok := s.chats[id]
	switch {
	case !ok:
		reply(w, 232011, "chat not found", nil)
		return
	case idType != "open_id":
		reply(w, 99992402, "field validation failed: member_id_type", nil)
		return
	}
	ids, _ := body["id_list"].([]any)
	if len(ids) > 50 {
		reply(w, 232017, "id_list is too long (at most 50)", nil)
		return
	}
	invalid := []string{}
	for _, v := range ids {
		u, _ := v.(string)
		if !strings.HasPrefix(u, "ou_") {
			invalid = append(invalid, u)
			continue
		}
		if !slices.Contains(c.Members, u) {
			c.Members = append(c.Members, u)
		}
	}
	reply(w, 0, "ok", map[string]any{"invalid_id_list": invalid, "not_existed_id_list": []string{}})
}

func (s *Server) send(w http.ResponseWriter, idType string, body map[string]any) {
	to, _ := body["receive_id"].(string)
	typ, _ := body["msg_type"].(string)
	content, _ := body["content"].(string)
	if !json.Valid([]byte(content)) || (typ != "text" && typ != "interactive") {
		reply(w, 230001, "invalid message content", nil)
		return
	}
	m := Message{ID: s.id("om_"), MsgType: typ, Content: content}
	switch idType {
	case "chat_id":
		if _, ok := s.chats[to]; !ok {
			reply(w, 230002, "the bot is not in the chat", nil)
			return
		}
		m.Chat = to
	case "open_id":
		m.To, m.Chat = to, "oc_p2p_"+to
	default:
		reply(w, 99992402, "field validation failed: receive_id_type", nil)
		return
	}
	s.messages = append(s.messages, m)
	reply(w, 0, "ok", map[string]any{"message_id": m.ID, "chat_id": m.Chat, "msg_type": typ})
}

func (s *Server) getMessage(w http.ResponseWriter, id string) {
	for _, m := range s.messages {
		if m.ID == id {
			reply(w, 0, "ok", map[string]any{"items": []any{map[string]any{"message_id": m.ID, "chat_id": m.Chat, "msg_type": m.MsgType}}})
			return
		}
	}
	reply(w, 230011, "message not found", nil)
}
