// Package dingtalkfake is a local DingTalk for tests: the access-token
// endpoint, scene-group create and member add, robot group and one-to-one
// messages, card create-and-deliver (recording every body), and Stream
// mode: the connection-open handshake and a websocket that pushes robot
// messages and card clicks and collects their acks. It can inject failures
// and expire tokens.
package dingtalkfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Call is one request as the fake received it.
type Call struct {
	Method, Path string
	Body         map[string]any
	Status       int
}

// Group is a scene group.
type Group struct {
	ID, Title, Owner, Template, UUID string
	Members                          []string
}

// Button is a card button as the adapter sent it.
type Button struct {
	ID, Text, Command, Style string
}

// Message is something the robot posted in a group or sent to a user.
type Message struct {
	ID        string // processQueryKey, or the card's outTrackId
	Card      bool
	MsgKey    string // robot messages only: sampleText, sampleMarkdown
	Title     string // cards and markdown
	Text      string // the text, or the card's content
	Kind      string // cards only: the bot.MessageKind
	Buttons   []Button
	AtUserIDs []string
}

// Fault is an injected failure: an HTTP status (api) or an errcode (oapi).
type Fault struct {
	Status  int
	Errcode int
	Code    string
}

type injection struct {
	path string
	left int
	f    Fault
}

// Server is a fake DingTalk; URL serves both api and oapi paths.
type Server struct {
	URL                                      string
	ClientID, ClientSecret                   string
	Template, CardTemplate, Owner, RobotCode string
	ExpireIn                                 int // seconds a token lives; default 7200

	srv      *httptest.Server
	upgrader websocket.Upgrader

	mu         sync.Mutex
	cond       *sync.Cond
	next       int
	calls      []Call
	tokens     map[string]bool
	tokenCalls int
	groups     map[string]*Group
	order      []string
	msgs       map[string][]Message
	dms        map[string][]Message
	faults     []*injection
	latency    time.Duration
	needTpl    bool
	stream     streamState
}

// SetLatency delays every REST answer by d, as a network far away would.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// RequireTemplate makes a scene-group create without template_id fail
// (errcode 40035), as a tenant whose groups need a template would; by
// default one without is made (Group.Template ""). A template_id other
// than Template fails either way.
func (s *Server) RequireTemplate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.needTpl = true
}

// New starts a fake DingTalk for the test's lifetime.
func New(t testing.TB) *Server {
	s := &Server{ClientID: "dingtestapp", ClientSecret: "test-secret", Template: "tpl-warroom", CardTemplate: "card-warroom.schema",
		Owner: "owner01", ExpireIn: 7200, tokens: map[string]bool{}, groups: map[string]*Group{},
		msgs: map[string][]Message{}, dms: map[string][]Message{}}
	s.RobotCode = s.ClientID
	s.cond = sync.NewCond(&s.mu)
	s.stream.acks = map[string]Ack{}
	s.stream.tickets = map[string]bool{}
	s.stream.pushed = map[string]Frame{}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	t.Cleanup(func() {
		s.Drop()
		s.srv.Close()
	})
	return s
}

func (s *Server) id(prefix string) string {
	s.next++
	return fmt.Sprintf("%s%04d", prefix, s.next)
}

// Fail makes the next n requests to path fail with f.
func (s *Server) Fail(path string, n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &injection{path: path, left: n, f: f})
}

// ExpireTokens revokes every token issued so far (DingTalk revoking early).
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]bool{}
}

// RotateSecret changes the client secret DingTalk accepts (an admin
// resetting it).
func (s *Server) RotateSecret(secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ClientSecret = secret
}

// TokenCalls is how many tokens were issued.
func (s *Server) TokenCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenCalls
}

// Calls returns the requests so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Groups returns the groups in the order they were made.
func (s *Server) Groups() []Group {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Group
	for _, id := range s.order {
		g := *s.groups[id]
		g.Members = append([]string(nil), g.Members...)
		out = append(out, g)
	}
	return out
}

// AddGroup makes a group as a person would (the robot added to it), and
// returns its id.
func (s *Server) AddGroup(title string, members ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := &Group{ID: "cid" + s.id("G") + "==", Title: title, Owner: s.Owner, Members: append([]string{s.Owner}, members...)}
	s.groups[g.ID] = g
	s.order = append(s.order, g.ID)
	return g.ID
}

// Members returns a group's members' userids.
func (s *Server) Members(cid string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.groups[cid]; g != nil {
		return append([]string(nil), g.Members...)
	}
	return nil
}

// Messages returns what was posted in a group, in order.
func (s *Server) Messages(cid string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs[cid]...)
}

// DMs returns what the robot sent a user, in order.
func (s *Server) DMs(user string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.dms[user]...)
}

// Card finds a card by its outTrackId.
func (s *Server) Card(outTrackID string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ms := range s.msgs {
		for _, m := range ms {
			if m.Card && m.ID == outTrackID {
				return m, true
			}
		}
	}
	return Message{}, false
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == streamPath {
		s.serveStream(w, r)
		return
	}
	var body map[string]any
	raw, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(raw, &body)
	s.mu.Lock()
	lat := s.latency
	s.mu.Unlock()
	time.Sleep(lat) // the network's latency, not a synchronisation
	s.mu.Lock()
	defer s.mu.Unlock()
	status, out := s.route(r, body)
	s.calls = append(s.calls, Call{Method: r.Method, Path: r.URL.Path, Body: body, Status: status})
	s.cond.Broadcast() // WaitMessages
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(out)
}

// route answers a REST call; s.mu is held.
func (s *Server) route(r *http.Request, body map[string]any) (int, any) {
	if r.Method != http.MethodPost {
		return 405, apiErr("MethodNotAllowed", "POST only")
	}
	p := r.URL.Path
	for _, in := range s.faults {
		if in.left > 0 && in.path == p {
			in.left--
			if in.f.Errcode != 0 {
				return 200, map[string]any{"errcode": in.f.Errcode, "errmsg": "injected"}
			}
			return in.f.Status, apiErr(in.f.Code, "injected")
		}
	}
	switch p {
	case "/v1.0/oauth2/accessToken":
		return s.accessToken(body)
	case "/v1.0/gateway/connections/open":
		return s.openConnection(r, body)
	}
	if strings.HasPrefix(p, "/topapi/") {
		if !s.tokens[r.URL.Query().Get("access_token")] {
			return 200, map[string]any{"errcode": 40014, "errmsg": "不合法的access_token"}
		}
		switch p {
		case "/topapi/im/chat/scenegroup/create":
			return s.createGroup(body)
		case "/topapi/im/chat/scenegroup/member/add":
			return s.addMembers(body)
		}
		return 200, map[string]any{"errcode": 404, "errmsg": "no such api " + p}
	}
	if !s.tokens[r.Header.Get("x-acs-dingtalk-access-token")] {
		return 401, apiErr("InvalidAuthentication", "不合法的access_token")
	}
	switch p {
	case "/v1.0/robot/groupMessages/send":
		return s.groupSend(body)
	case "/v1.0/robot/oToMessages/batchSend":
		return s.batchSend(body)
	case "/v1.0/card/instances/createAndDeliver":
		return s.createAndDeliver(body)
	}
	return 404, apiErr("NotFound", "no such api "+p)
}

func apiErr(code, msg string) map[string]any {
	return map[string]any{"code": code, "message": msg, "requestid": "fake"}
}

func str(m map[string]any, k string) string { v, _ := m[k].(string); return v }

func (s *Server) accessToken(body map[string]any) (int, any) {
	if str(body, "appKey") != s.ClientID || str(body, "appSecret") != s.ClientSecret {
		return 400, apiErr("invalidClientIdOrSecret", "无效的clientId或者clientSecret")
	}
	s.tokenCalls++
	tok := s.id("tok")
	s.tokens[tok] = true
	return 200, map[string]any{"accessToken": tok, "expireIn": s.ExpireIn}
}

func (s *Server) createGroup(body map[string]any) (int, any) {
	tpl, hasTpl := body["template_id"]
	switch {
	case !hasTpl && s.needTpl:
		return 200, map[string]any{"errcode": 40035, "errmsg": "缺少参数 template_id"}
	case hasTpl && tpl != s.Template:
		return 200, map[string]any{"errcode": 40035, "errmsg": "template not found"}
	case str(body, "owner_user_id") == "" || str(body, "title") == "":
		return 200, map[string]any{"errcode": 40035, "errmsg": "缺少参数 owner_user_id/title"}
	}
	if u := str(body, "uuid"); u != "" {
		for _, g := range s.groups {
			if g.UUID == u {
				return 200, groupResult(g)
			}
		}
	}
	g := &Group{ID: "cid" + s.id("G") + "==", Title: str(body, "title"), Owner: str(body, "owner_user_id"),
		Template: str(body, "template_id"), UUID: str(body, "uuid"), Members: []string{str(body, "owner_user_id")}}
	s.groups[g.ID] = g
	s.order = append(s.order, g.ID)
	return 200, groupResult(g)
}

func groupResult(g *Group) map[string]any {
	return map[string]any{"errcode": 0, "errmsg": "ok", "success": true,
		"result": map[string]any{"open_conversation_id": g.ID, "chat_id": "chat" + g.ID, "template_id": g.Template}}
}

func (s *Server) addMembers(body map[string]any) (int, any) {
	g := s.groups[str(body, "open_conversation_id")]
	if g == nil {
		return 200, map[string]any{"errcode": 4000003, "errmsg": "群不存在"}
	}
	for _, u := range strings.Split(str(body, "user_ids"), ",") {
		if u != "" && !contains(g.Members, u) {
			g.Members = append(g.Members, u)
		}
	}
	return 200, map[string]any{"errcode": 0, "errmsg": "ok", "success": true}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}
