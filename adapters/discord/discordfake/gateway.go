package discordfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/gorilla/websocket"
)

type op struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  *int64          `json:"s,omitempty"`
	T  string          `json:"t,omitempty"`
}

// gateway serves one gateway connection: Hello; Identify → READY or
// Resume → RESUMED and the events missed; then heartbeats and dispatches.
func (s *Server) gateway(w http.ResponseWriter, r *http.Request) {
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer ws.Close()
	if err := ws.WriteJSON(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": 41250}}); err != nil {
		return
	}
	var first op
	if err := ws.ReadJSON(&first); err != nil {
		return
	}
	var start int
	switch first.Op {
	case 2:
		var id struct {
			Token string `json:"token"`
		}
		_ = json.Unmarshal(first.D, &id)
		if id.Token != "Bot "+s.Token {
			_ = ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4004, "Authentication failed."))
			return
		}
		s.mu.Lock()
		s.identifies++
		s.session = "session-" + strconv.Itoa(s.identifies)
		start = len(s.frames)
		s.dispatchLocked("READY", map[string]any{
			"v": 9, "session_id": s.session,
			"user":        map[string]any{"id": s.BotID, "username": "warroom", "bot": true},
			"application": map[string]any{"id": s.AppID},
			"guilds":      []any{map[string]any{"id": s.Guild, "unavailable": true}},
		})
		s.mu.Unlock()
	case 6:
		var res struct {
			Session string `json:"session_id"`
			Seq     int64  `json:"seq"`
		}
		_ = json.Unmarshal(first.D, &res)
		s.mu.Lock()
		if res.Session != s.session {
			s.mu.Unlock()
			_ = ws.WriteJSON(map[string]any{"op": 9, "d": false}) // invalid session
			return
		}
		s.resumes++
		start = slices.IndexFunc(s.frames, func(f frame) bool { return f.seq > res.Seq })
		if start < 0 {
			start = len(s.frames)
		}
		s.mu.Unlock()
		if err := ws.WriteJSON(map[string]any{"op": 0, "t": "RESUMED", "s": res.Seq, "d": map[string]any{}}); err != nil {
			return
		}
	default:
		return
	}
	s.mu.Lock()
	s.conns = append(s.conns, ws)
	s.mu.Unlock()

	closed := make(chan struct{})
	writes := make(chan []byte, 16)
	go func() { // the one writer
		for b := range writes {
			if ws.WriteMessage(websocket.TextMessage, b) != nil {
				return
			}
		}
	}()
	go func() { // tail the dispatch log
		defer close(writes)
		for i := start; ; i++ {
			s.mu.Lock()
			for i >= len(s.frames) && !isClosed(closed) {
				s.cond.Wait()
			}
			if isClosed(closed) {
				s.mu.Unlock()
				return
			}
			b := s.frames[i].data
			s.mu.Unlock()
			select {
			case writes <- b:
			case <-closed:
				return
			}
		}
	}()
	for {
		var in op
		if err := ws.ReadJSON(&in); err != nil {
			break
		}
		if in.Op == 1 {
			select {
			case writes <- []byte(`{"op":11}`):
			case <-closed:
			}
		}
	}
	s.mu.Lock()
	close(closed)
	s.conns = slices.DeleteFunc(s.conns, func(c *websocket.Conn) bool { return c == ws })
	s.cond.Broadcast()
	s.mu.Unlock()
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// dispatchLocked appends an event to the log; s.mu is held.
func (s *Server) dispatchLocked(t string, d any) {
	s.seq++
	data, err := json.Marshal(map[string]any{"op": 0, "t": t, "s": s.seq, "d": d})
	if err != nil {
		panic(fmt.Sprintf("discordfake: %s: %v", t, err))
	}
	s.frames = append(s.frames, frame{s.seq, data})
	s.cond.Broadcast()
}

// Dispatch sends an event to the bot (or keeps it for its resume).
func (s *Server) Dispatch(t string, d any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dispatchLocked(t, d)
}

// Drop cuts every gateway connection, as a network failure would.
func (s *Server) Drop() {
	s.mu.Lock()
	conns := slices.Clone(s.conns)
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.NetConn().Close()
	}
}

// Opt is an option of a slash command.
type Opt struct {
	Name  string
	Type  int // 3 string, 4 integer, 6 user
	Value any
}

// Str, Int and User make options.
func Str(name, v string) Opt     { return Opt{name, 3, v} }
func Int(name string, v int) Opt { return Opt{name, 4, v} }
func User(name, id string) Opt   { return Opt{name, 6, id} }

func (s *Server) interaction(typ int, channel, user string, data map[string]any) (id, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, token = s.id(), "token-"+s.id()
	s.tokens[token] = channel
	s.dispatchLocked("INTERACTION_CREATE", map[string]any{
		"id": id, "application_id": s.AppID, "type": typ, "token": token, "version": 1,
		"channel_id": channel, "guild_id": s.Guild,
		"member": map[string]any{"user": map[string]any{"id": user, "username": "u" + user}},
		"data":   data,
	})
	return id, token
}

// Slash makes user run `/<cmd> <sub> <opts>` in a channel; it returns the
// interaction's id and token.
func (s *Server) Slash(channel, user, cmd, sub string, opts ...Opt) (id, token string) {
	var os []any
	for _, o := range opts {
		os = append(os, map[string]any{"name": o.Name, "type": o.Type, "value": o.Value})
	}
	return s.interaction(2, channel, user, map[string]any{"id": "cmd", "name": cmd, "type": 1,
		"options": []any{map[string]any{"name": sub, "type": 1, "options": os}}})
}

// Command sends a raw application command interaction (unknown ones too).
func (s *Server) Command(channel, user string, data map[string]any) (id, token string) {
	return s.interaction(2, channel, user, data)
}

// Click makes user click a button whose custom_id is customID.
func (s *Server) Click(channel, user, messageID, customID string) (id, token string) {
	return s.interaction(3, channel, user, map[string]any{"custom_id": customID, "component_type": 2})
}

// React makes user add emoji to a message.
func (s *Server) React(channel, messageID, user, emoji string) {
	s.Dispatch("MESSAGE_REACTION_ADD", map[string]any{"user_id": user, "channel_id": channel, "message_id": messageID,
		"guild_id": s.Guild, "emoji": map[string]any{"id": nil, "name": emoji}})
}

// Say makes user type content in a channel.
func (s *Server) Say(channel, user, content string) {
	s.mu.Lock()
	id := s.id()
	s.mu.Unlock()
	s.Dispatch("MESSAGE_CREATE", map[string]any{"id": id, "channel_id": channel, "guild_id": s.Guild, "content": content,
		"author": map[string]any{"id": user, "username": "u" + user}})
}
