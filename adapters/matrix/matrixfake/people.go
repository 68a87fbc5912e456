package matrixfake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// sync answers /sync: the events after since in the rooms the bot is in,
// and its invites; with nothing to say, it waits up to timeout ms for
// something (a long poll), or for the client to go.
func (s *Server) sync(w http.ResponseWriter, r *http.Request) {
	since, _ := strconv.Atoi(r.URL.Query().Get("since"))
	timeout, _ := strconv.Atoi(r.URL.Query().Get("timeout"))
	deadline := time.NewTimer(time.Duration(timeout) * time.Millisecond)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if since > len(s.log) {
			since = len(s.log)
		}
		if since < len(s.log) || timeout == 0 {
			resp := s.syncFromLocked(since, timelineLimit(r.URL.Query().Get("filter")))
			s.mu.Unlock()
			writeJSON(w, 200, resp)
			return
		}
		wake := s.wake
		s.mu.Unlock()
		select {
		case <-wake:
		case <-deadline.C:
			timeout = 0
		case <-r.Context().Done():
			return
		}
	}
}

func (s *Server) syncFromLocked(since, limit int) map[string]any {
	join := map[string]any{}
	invite := map[string]any{}
	for i, e := range s.log[since:] {
		rm := s.rooms[e.room]
		if e.invite {
			if rm.Members[s.Bot] == "invite" {
				invite[e.room] = map[string]any{"invite_state": map[string]any{"events": []any{}}}
			}
			continue
		}
		if rm.Members[s.Bot] != "join" {
			continue
		}
		r, _ := join[e.room].(map[string]any)
		if r == nil {
			r = map[string]any{"timeline": map[string]any{"events": []any{}, "limited": false}}
			join[e.room] = r
		}
		tl := r["timeline"].(map[string]any)
		evs := append(tl["events"].([]any), eventJSON(e.ev))
		if limit > 0 && len(evs) > limit { // a gap: the client reads it with /messages
			evs = evs[1:]
			tl["limited"] = true
		}
		tl["events"] = evs
		tl["prev_batch"] = strconv.Itoa(since + i + 1 - len(evs))
	}
	return map[string]any{"next_batch": strconv.Itoa(len(s.log)), "rooms": map[string]any{"join": join, "invite": invite}}
}

// Say makes user type text in room, as a plain message; it returns the
// event's id.
func (s *Server) Say(room, user, text string) string {
	return s.Send(room, user, "m.room.message", map[string]any{"msgtype": "m.text", "body": text})
}

// SayHTML makes user send a formatted message (body its plain fallback).
func (s *Server) SayHTML(room, user, body, html string) string {
	return s.Send(room, user, "m.room.message", map[string]any{"msgtype": "m.text", "body": body,
		"format": "org.matrix.custom.html", "formatted_body": html})
}

// React makes user react with key to the event target of room.
func (s *Server) React(room, target, user, key string) string {
	return s.Send(room, user, "m.reaction", map[string]any{"m.relates_to": map[string]any{
		"rel_type": "m.annotation", "event_id": target, "key": key}})
}

// Send adds any event from user to room; it returns the event's id, ""
// when there is no such room.
func (s *Server) Send(room, user, typ string, content map[string]any) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	rm, ok := s.rooms[room]
	if !ok {
		return ""
	}
	return s.appendLocked(rm, typ, user, content).ID
}

// InviteBot makes a room of owner's (a #status room, a person's DM)
// with the bot invited; alias "" gives it none.
func (s *Server) InviteBot(owner, alias string, direct bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	rm := &Room{ID: "!room" + strconv.Itoa(s.nextID) + ":" + s.Name, Direct: direct,
		Members: map[string]string{owner: "join", s.Bot: "invite"}}
	if alias != "" {
		rm.Alias = "#" + alias + ":" + s.Name
		s.aliases[rm.Alias] = rm.ID
	}
	s.rooms[rm.ID] = rm
	s.log = append(s.log, entry{room: rm.ID, invite: true})
	close(s.wake)
	s.wake = make(chan struct{})
	return rm.ID
}

// Room returns a copy of a room; ok is false when there is none.
func (s *Server) Room(id string) (Room, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rm, ok := s.rooms[id]
	if !ok {
		return Room{}, false
	}
	c := *rm
	c.Members = map[string]string{}
	for k, v := range rm.Members {
		c.Members[k] = v
	}
	c.Events = slices.Clone(rm.Events)
	c.Pinned = slices.Clone(rm.Pinned)
	return c, true
}

// Members returns the users joined or invited to a room, sorted.
func (s *Server) Members(room string) []string {
	rm, _ := s.Room(room)
	var out []string
	for u := range rm.Members {
		out = append(out, u)
	}
	slices.Sort(out)
	return out
}

// Messages returns the m.room.message events of a room, in order.
func (s *Server) Messages(room string) []Event {
	rm, _ := s.Room(room)
	var out []Event
	for _, e := range rm.Events {
		if e.Type == "m.room.message" {
			out = append(out, e)
		}
	}
	return out
}

// DMs returns what the bot sent in its direct rooms with user.
func (s *Server) DMs(user string) []Event {
	s.mu.Lock()
	var rooms []string
	for id, rm := range s.rooms {
		if rm.Direct && rm.Members[user] != "" {
			rooms = append(rooms, id)
		}
	}
	s.mu.Unlock()
	slices.Sort(rooms)
	var out []Event
	for _, r := range rooms {
		for _, e := range s.Messages(r) {
			if e.Sender == s.Bot {
				out = append(out, e)
			}
		}
	}
	return out
}

// DirectRooms counts the direct rooms with user.
func (s *Server) DirectRooms(user string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, rm := range s.rooms {
		if rm.Direct && rm.Members[user] != "" {
			n++
		}
	}
	return n
}

// RateLimit answers the next calls, one each, with M_LIMIT_EXCEEDED and
// these retry_after_ms.
func (s *Server) RateLimit(ms ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limited = append(s.limited, ms...)
}

// Calls returns the calls made so far, as "METHOD path".
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

func unescape(p string) string {
	if u, err := url.PathUnescape(p); err == nil {
		return u
	}
	return p
}

// Forbid makes invites of user fail with M_FORBIDDEN.
func (s *Server) Forbid(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forbid[user] = true
}

func eventJSON(e *Event) map[string]any {
	return map[string]any{"event_id": e.ID, "type": e.Type, "sender": e.Sender, "content": e.Content}
}

// timelineLimit reads an inline filter's room.timeline.limit; 0: none.
func timelineLimit(filter string) int {
	var f struct {
		Room struct {
			Timeline struct {
				Limit int `json:"limit"`
			} `json:"timeline"`
		} `json:"room"`
	}
	json.Unmarshal([]byte(filter), &f)
	return f.Room.Timeline.Limit
}

// messages answers /rooms/{id}/messages backwards: the room's events
// before from (a position) and at or after to, newest first.
func (s *Server) messages(w http.ResponseWriter, r *http.Request, room string) {
	q := r.URL.Query()
	from, err := strconv.Atoi(q.Get("from"))
	if err != nil || q.Get("dir") != "b" {
		writeErr(w, 400, "M_INVALID_PARAM", "the fake reads backwards from a position")
		return
	}
	to, _ := strconv.Atoi(q.Get("to"))
	limit, _ := strconv.Atoi(q.Get("limit"))
	s.mu.Lock()
	defer s.mu.Unlock()
	chunk := []any{}
	i := min(from, len(s.log)) - 1
	for ; i >= to && (limit <= 0 || len(chunk) < limit); i-- {
		if e := s.log[i]; e.room == room && e.ev != nil {
			chunk = append(chunk, eventJSON(e.ev))
		}
	}
	resp := map[string]any{"start": q.Get("from"), "chunk": chunk}
	if i >= to {
		resp["end"] = strconv.Itoa(i + 1)
	}
	writeJSON(w, 200, resp)
}

// RevokeToken makes the bot's token unknown from now on.
func (s *Server) RevokeToken() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked = true
}
