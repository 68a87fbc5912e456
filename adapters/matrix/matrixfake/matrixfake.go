// Package matrixfake is a small Matrix homeserver for tests: the client-
// server API calls the matrix adapter makes (whoami, createRoom, invite,
// join, send, state, aliases, account data, /sync with long polls), held
// in memory, on loopback. Tests act as people through its methods (Say,
// React) and read what the bot did (Messages, Members, DMs, Topic).
package matrixfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Server is the fake homeserver.
type Server struct {
	URL   string
	Bot   string // the bot's user id
	Token string // the bot's access token
	Name  string // the server name

	mu      sync.Mutex
	rooms   map[string]*Room
	aliases map[string]string
	log     []entry // every event and invite of the bot, in order: sync positions
	wake    chan struct{}
	account map[string]json.RawMessage
	txns    map[string]string
	nextID  int
	limited []int              // retry_after_ms of the 429s to answer next
	forbid  map[string]bool    // users whose invites are refused
	broken  map[string]refusal // users whose invites get a non-Matrix answer
	revoked bool               // the bot's token is unknown
	// aliasErr, when set, answers a createRoom with room_alias_name
	// (a server whose alias rules refuse the bot).
	aliasErr *refusal
	calls    []string
}

// Room is a room as the fake keeps it.
type Room struct {
	ID, Name, Topic, Alias, Preset string
	Direct                         bool
	Members                        map[string]string // user id → "join" or "invite"
	Pinned                         []string
	Events                         []Event
}

// Event is a timeline event.
type Event struct {
	ID, Type, Sender string
	Content          map[string]any
}

// Body is a message's plain body.
func (e Event) Body() string { s, _ := e.Content["body"].(string); return s }

// entry is one sync position: a room's event, or an invite of the bot.
type entry struct {
	room   string
	ev     *Event // nil: the bot was invited to room
	invite bool
}

// New starts a fake on loopback, closed at the end of the test.
func New(t testing.TB) *Server {
	s := &Server{Name: "fake.test", Token: "syt_fake_token", rooms: map[string]*Room{}, aliases: map[string]string{},
		wake: make(chan struct{}), account: map[string]json.RawMessage{}, txns: map[string]string{}, forbid: map[string]bool{}, broken: map[string]refusal{}}
	s.Bot = "@warroom:" + s.Name
	hs := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(hs.Close)
	t.Cleanup(s.wakeAll) // long polls return before the server closes
	s.URL = hs.URL
	return s
}

// User is the id of a local user.
func (s *Server) User(local string) string { return "@" + local + ":" + s.Name }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.EscapedPath(), "/_matrix/client/v3/")
	if !ok {
		writeErr(w, http.StatusNotFound, "M_UNRECOGNIZED", "no such endpoint")
		return
	}
	s.mu.Lock()
	revoked := s.revoked
	s.mu.Unlock()
	if revoked || r.Header.Get("Authorization") != "Bearer "+s.Token {
		writeErr(w, http.StatusUnauthorized, "M_UNKNOWN_TOKEN", "Invalid access token passed.")
		return
	}
	s.mu.Lock()
	s.calls = append(s.calls, r.Method+" "+path)
	if len(s.limited) > 0 {
		ms := s.limited[0]
		s.limited = s.limited[1:]
		s.mu.Unlock()
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"errcode": "M_LIMIT_EXCEEDED", "error": "Too many requests", "retry_after_ms": ms})
		return
	}
	s.mu.Unlock()
	parts := strings.Split(path, "/")
	for i := range parts {
		parts[i] = unescape(parts[i])
	}
	var body map[string]any
	if r.Body != nil && (r.Method == http.MethodPost || r.Method == http.MethodPut) {
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			writeErr(w, http.StatusBadRequest, "M_NOT_JSON", err.Error())
			return
		}
	}
	s.route(w, r, parts, body)
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, p []string, body map[string]any) {
	switch {
	case r.Method == "GET" && match(p, "account", "whoami"):
		writeJSON(w, 200, map[string]any{"user_id": s.Bot, "device_id": "FAKE"})
	case r.Method == "GET" && match(p, "sync"):
		s.sync(w, r)
	case r.Method == "POST" && match(p, "createRoom"):
		s.createRoom(w, body)
	case r.Method == "GET" && match(p, "directory", "room", "*"):
		s.mu.Lock()
		room, ok := s.aliases[p[2]]
		s.mu.Unlock()
		if !ok {
			writeErr(w, 404, "M_NOT_FOUND", "Room alias "+p[2]+" not found.")
			return
		}
		writeJSON(w, 200, map[string]any{"room_id": room})
	case r.Method == "POST" && match(p, "rooms", "*", "invite"):
		uid, _ := body["user_id"].(string)
		s.mu.Lock()
		b, broken := s.broken[uid]
		s.mu.Unlock()
		if broken { // a proxy in front of the server answering for it
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(b.status)
			w.Write([]byte(b.msg))
			return
		}
		s.roomDo(w, p[1], func(rm *Room) (any, int) {
			if s.forbid[uid] {
				return errBody("M_FORBIDDEN", uid+" does not accept invites"), 403
			}
			if rm.Members[uid] == "join" {
				return errBody("M_FORBIDDEN", uid+" is already in the room."), 403
			}
			rm.Members[uid] = "invite"
			return map[string]any{}, 200
		})
	case r.Method == "POST" && (match(p, "rooms", "*", "join") || match(p, "join", "*")):
		room := p[1]
		s.roomDo(w, room, func(rm *Room) (any, int) {
			rm.Members[s.Bot] = "join"
			return map[string]any{"room_id": rm.ID}, 200
		})
	case r.Method == "PUT" && match(p, "rooms", "*", "send", "*", "*"):
		s.send(w, p[1], p[3], p[4], body)
	case match(p, "rooms", "*", "state", "*", "") || match(p, "rooms", "*", "state", "*"):
		s.state(w, r.Method, p[1], p[3], body)
	case r.Method == "GET" && match(p, "rooms", "*", "messages"):
		s.messages(w, r, p[1])
	case match(p, "user", "*", "account_data", "*"):
		s.accountData(w, r.Method, p[3], body)
	default:
		writeErr(w, 404, "M_UNRECOGNIZED", "the fake has no "+r.Method+" "+strings.Join(p, "/"))
	}
}

func (s *Server) createRoom(w http.ResponseWriter, body map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rm := &Room{Members: map[string]string{s.Bot: "join"}}
	rm.Name, _ = body["name"].(string)
	rm.Topic, _ = body["topic"].(string)
	rm.Preset, _ = body["preset"].(string)
	rm.Direct, _ = body["is_direct"].(bool)
	if a, _ := body["room_alias_name"].(string); a != "" && s.aliasErr != nil {
		writeJSON(w, s.aliasErr.status, errBody(s.aliasErr.code, s.aliasErr.msg))
		return
	}
	if a, _ := body["room_alias_name"].(string); a != "" {
		rm.Alias = "#" + a + ":" + s.Name
		if _, taken := s.aliases[rm.Alias]; taken {
			writeJSON(w, 400, errBody("M_ROOM_IN_USE", "Room alias already taken"))
			return
		}
	}
	if inv, ok := body["invite"].([]any); ok {
		for _, u := range inv {
			if uid, ok := u.(string); ok {
				rm.Members[uid] = "invite"
			}
		}
	}
	s.nextID++
	rm.ID = fmt.Sprintf("!room%d:%s", s.nextID, s.Name)
	s.rooms[rm.ID] = rm
	if rm.Alias != "" {
		s.aliases[rm.Alias] = rm.ID
	}
	writeJSON(w, 200, map[string]any{"room_id": rm.ID})
}

func (s *Server) send(w http.ResponseWriter, room, typ, txn string, body map[string]any) {
	s.mu.Lock()
	if id, ok := s.txns[room+"/"+txn]; ok { // a retried send is one event
		s.mu.Unlock()
		writeJSON(w, 200, map[string]any{"event_id": id})
		return
	}
	s.mu.Unlock()
	s.roomDo(w, room, func(rm *Room) (any, int) {
		if rm.Members[s.Bot] != "join" {
			return errBody("M_FORBIDDEN", "the bot is not in the room"), 403
		}
		ev := s.appendLocked(rm, typ, s.Bot, body)
		s.txns[room+"/"+txn] = ev.ID
		return map[string]any{"event_id": ev.ID}, 200
	})
}

func (s *Server) state(w http.ResponseWriter, method, room, typ string, body map[string]any) {
	s.roomDo(w, room, func(rm *Room) (any, int) {
		switch {
		case typ == "m.room.topic" && method == "PUT":
			rm.Topic, _ = body["topic"].(string)
		case typ == "m.room.pinned_events" && method == "PUT":
			rm.Pinned = nil
			pins, _ := body["pinned"].([]any)
			for _, p := range pins {
				if id, ok := p.(string); ok {
					rm.Pinned = append(rm.Pinned, id)
				}
			}
		case typ == "m.room.pinned_events" && len(rm.Pinned) > 0:
			return map[string]any{"pinned": rm.Pinned}, 200
		case typ == "m.room.topic" && rm.Topic != "":
			return map[string]any{"topic": rm.Topic}, 200
		case method == "GET":
			return errBody("M_NOT_FOUND", "Event not found."), 404
		default:
			return errBody("M_UNRECOGNIZED", "the fake keeps no "+typ), 400
		}
		s.nextID++
		return map[string]any{"event_id": fmt.Sprintf("$state%d", s.nextID)}, 200
	})
}

func (s *Server) accountData(w http.ResponseWriter, method, typ string, body map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if method == "PUT" {
		b, _ := json.Marshal(body)
		s.account[typ] = b
		writeJSON(w, 200, map[string]any{})
		return
	}
	b, ok := s.account[typ]
	if !ok {
		writeErr(w, 404, "M_NOT_FOUND", "Account data not found.")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// roomDo runs f on a room under the lock and writes what it returns.
func (s *Server) roomDo(w http.ResponseWriter, room string, f func(*Room) (any, int)) {
	s.mu.Lock()
	rm, ok := s.rooms[room]
	if !ok {
		s.mu.Unlock()
		writeErr(w, 404, "M_NOT_FOUND", "Unknown room "+room)
		return
	}
	out, code := f(rm)
	s.mu.Unlock()
	writeJSON(w, code, out)
}

// appendLocked adds an event to a room and to the sync log.
func (s *Server) appendLocked(rm *Room, typ, sender string, content map[string]any) Event {
	s.nextID++
	ev := Event{ID: fmt.Sprintf("$ev%d", s.nextID), Type: typ, Sender: sender, Content: content}
	rm.Events = append(rm.Events, ev)
	s.log = append(s.log, entry{room: rm.ID, ev: &ev})
	close(s.wake)
	s.wake = make(chan struct{})
	return ev
}

func (s *Server) wakeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.wake)
	s.wake = make(chan struct{})
}

type refusal struct {
	status    int
	code, msg string
}

// RefuseAliases makes createRoom with a room_alias_name fail with status
// and errcode, as Synapse does when its alias_creation_rules deny the bot
// (403 M_FORBIDDEN); rooms without an alias are still made.
func (s *Server) RefuseAliases(status int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.aliasErr = &refusal{status, code, "Not allowed to create alias"}
}

// FailInvites makes invites of user answered by status and a body that is
// no Matrix error (a reverse proxy's page).
func (s *Server) FailInvites(user string, status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.broken[user] = refusal{status: status, msg: body}
}

// RoomByAlias is the room an alias names; "" when none.
func (s *Server) RoomByAlias(alias string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.aliases[alias]
}

func match(p []string, pattern ...string) bool {
	if len(p) != len(pattern) {
		return false
	}
	for i, q := range pattern {
		if q != "*" && q != p[i] {
			return false
		}
	}
	return true
}

func errBody(code, msg string) map[string]any { return map[string]any{"errcode": code, "error": msg} }

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, errBody(code, msg))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
