// Package discordfake is a local Discord for tests: the REST endpoints
// warroom uses, recording every call, and a gateway that says Hello, takes
// Identify or Resume, sends READY, and dispatches events on demand. It can
// inject 429s, 403s and latency, and drop the gateway connection.
package discordfake

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

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// Call is one REST request as the fake received it.
type Call struct {
	Method string
	Path   string         // without /api/v9, e.g. /channels/123/messages
	Body   map[string]any // the JSON body, decoded; nil if none
	Status int            // what the fake answered
	At     time.Time      // when it was answered (after the injected latency)
}

func (c Call) String() string { return c.Method + " " + c.Path }

// Message is a message posted in a channel, by REST or through an
// interaction.
type Message struct {
	ID, ChannelID string
	Content       string
	Embeds        []*discordgo.MessageEmbed
	Buttons       []Button
	Via           string // "channel", "response" (the deferred one) or "followup"
}

// Text is the message's text: its content, else its embed's description.
func (m Message) Text() string {
	if m.Content == "" && len(m.Embeds) > 0 {
		return m.Embeds[0].Description
	}
	return m.Content
}

// Button is a button component of a message.
type Button struct {
	Label, CustomID string
	Style           int
}

// Fault is an injected failure.
type Fault struct {
	Status     int     // 429, 403, 500...
	Code       int     // Discord's JSON code (50013 Missing Permissions)
	RetryAfter float64 // seconds, for 429
	Global     bool
}

type injection struct {
	method, prefix string
	left           int
	f              Fault
}

// Server is a fake Discord.
type Server struct {
	URL                 string // base URL: point the adapter's api_url here
	Token               string // the bot token it accepts ("Bot " + Token)
	Guild, BotID, AppID string
	Everyone            string // the @everyone role id (the guild id)
	srv                 *httptest.Server
	upgrader            websocket.Upgrader
	mu                  sync.Mutex
	cond                *sync.Cond
	next                int64
	calls               []Call
	chans               map[string]*discordgo.Channel
	order               []string
	msgs                map[string][]Message
	pins                map[string][]string
	dms                 map[string]string // user → DM channel
	tokens              map[string]string // interaction token → channel
	faults              []*injection
	latency             time.Duration
	frames              []frame
	seq                 int64
	session             string
	conns               []*websocket.Conn
	identifies, resumes int
	commands            []*discordgo.ApplicationCommand // the last bulk overwrite
	remotes             map[string]bool                 // client addresses REST calls came from
}

type frame struct {
	seq  int64
	data []byte
}

// New starts a fake Discord for the test's lifetime.
func New(t testing.TB) *Server {
	s := &Server{Token: "test-token", Guild: "900000000000000001", BotID: "900000000000000002", AppID: "900000000000000003",
		chans: map[string]*discordgo.Channel{}, msgs: map[string][]Message{}, pins: map[string][]string{},
		dms: map[string]string{}, tokens: map[string]string{}, remotes: map[string]bool{}, next: 1000}
	s.Everyone = s.Guild
	s.cond = sync.NewCond(&s.mu)
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	t.Cleanup(func() {
		s.Drop()
		s.srv.Close()
	})
	return s
}

// SetLatency delays every REST answer by d.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Inject makes the next n requests whose method is method ("" = any) and
// whose path starts with prefix fail with f.
func (s *Server) Inject(method, prefix string, n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &injection{method, prefix, n, f})
}

func (s *Server) id() string {
	s.next++
	return strconv.FormatInt(910000000000000000+s.next, 10)
}

// Commands returns the application commands the last bulk overwrite
// registered, as Discord received them.
func (s *Server) Commands() []*discordgo.ApplicationCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.commands)
}

// Calls returns the REST calls so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Channel returns a channel (a copy), or nil.
func (s *Server) Channel(id string) *discordgo.Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.chans[id]
	if !ok {
		return nil
	}
	cp := *c
	cp.PermissionOverwrites = slices.Clone(c.PermissionOverwrites)
	return &cp
}

// Channels returns the guild's channels in creation order.
func (s *Server) Channels() []*discordgo.Channel {
	s.mu.Lock()
	var out []*discordgo.Channel
	ids := slices.Clone(s.order)
	s.mu.Unlock()
	for _, id := range ids {
		if c := s.Channel(id); c != nil {
			out = append(out, c)
		}
	}
	return out
}

// AddChannel makes a channel exist, as if people had made it.
func (s *Server) AddChannel(c discordgo.Channel) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.ID == "" {
		c.ID = s.id()
	}
	c.GuildID = s.Guild
	s.chans[c.ID] = &c
	s.order = append(s.order, c.ID)
	return c.ID
}

// Messages returns the messages of a channel.
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs[channelID])
}

// Pins returns the pinned message ids of a channel.
func (s *Server) Pins(channelID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.pins[channelID])
}

// DMs returns the messages sent to a user in DM.
func (s *Server) DMs(userID string) []Message {
	s.mu.Lock()
	ch := s.dms[userID]
	s.mu.Unlock()
	if ch == "" {
		return nil
	}
	return s.Messages(ch)
}

// Members returns the users a channel's overwrites let in (VIEW_CHANNEL).
func (s *Server) Members(channelID string) []string {
	c := s.Channel(channelID)
	if c == nil {
		return nil
	}
	var out []string
	for _, o := range c.PermissionOverwrites {
		if o.Type == discordgo.PermissionOverwriteTypeMember && o.Allow&discordgo.PermissionViewChannel != 0 && o.ID != s.BotID {
			out = append(out, o.ID)
		}
	}
	return out
}

// Clients counts the TCP connections REST calls came on (their client
// addresses).
func (s *Server) Clients() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.remotes)
}

// Connections counts gateway Identifies and Resumes.
func (s *Server) Connections() (identifies, resumes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.identifies, s.resumes
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/gateway" || r.URL.Path == "/gateway/" {
		s.gateway(w, r)
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, "/api/v9")
	if !ok {
		http.NotFound(w, r)
		return
	}
	var body map[string]any
	var raw []byte
	if r.Body != nil {
		raw, _ = readAll(r)
		if len(raw) > 0 {
			_ = json.Unmarshal(raw, &body)
		}
	}
	s.mu.Lock()
	lat := s.latency
	s.remotes[r.RemoteAddr] = true
	s.mu.Unlock()
	if lat > 0 {
		time.Sleep(lat)
	}
	status, out := s.route(r, path, raw)
	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: r.Method, Path: path, Body: body, Status: status, At: time.Now()})
	s.mu.Unlock()
	if status == http.StatusTooManyRequests {
		f := out.(Fault)
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(f.RetryAfter+0.999))))
		w.Header().Set("X-RateLimit-Limit", "5")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset-After", strconv.FormatFloat(f.RetryAfter, 'f', 3, 64))
		w.Header().Set("X-RateLimit-Bucket", "fake-bucket")
		if f.Global {
			w.Header().Set("X-RateLimit-Global", "true")
		}
		out = map[string]any{"message": "You are being rate limited.", "retry_after": f.RetryAfter, "global": f.Global}
	} else if f, ok := out.(Fault); ok {
		out = map[string]any{"message": http.StatusText(f.Status), "code": f.Code}
	}
	if out == nil {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(out)
}

func readAll(r *http.Request) ([]byte, error) { return io.ReadAll(r.Body) }

var errUnknown = Fault{Status: http.StatusNotFound, Code: 10003}

// route answers a REST call: status and a JSON-able body (or a Fault).
func (s *Server) route(r *http.Request, path string, raw []byte) (int, any) {
	if r.Header.Get("Authorization") != "Bot "+s.Token {
		return http.StatusUnauthorized, Fault{Status: 401, Code: 0}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, in := range s.faults {
		if in.left > 0 && (in.method == "" || in.method == r.Method) && strings.HasPrefix(path, in.prefix) {
			in.left--
			return in.f.Status, in.f
		}
	}
	seg := strings.Split(strings.Trim(path, "/"), "/")
	at := func(i int) string {
		if i < len(seg) {
			return seg[i]
		}
		return ""
	}
	m := r.Method
	switch {
	case m == "GET" && path == "/users/@me":
		return 200, map[string]any{"id": s.BotID, "username": "warroom", "bot": true}
	case m == "GET" && path == "/oauth2/applications/@me":
		return 200, map[string]any{"id": s.AppID, "name": "warroom"}
	case m == "GET" && (path == "/gateway" || path == "/gateway/bot"):
		return 200, map[string]any{"url": "ws" + strings.TrimPrefix(s.URL, "http") + "/gateway", "shards": 1}
	case m == "PUT" && at(0) == "applications" && at(2) == "guilds" && at(4) == "commands":
		var cmds []map[string]any
		_ = json.Unmarshal(raw, &cmds)
		for _, c := range cmds {
			c["id"], c["application_id"], c["guild_id"] = s.id(), at(1), at(3)
		}
		s.commands = nil
		_ = json.Unmarshal(raw, &s.commands)
		return 200, cmds
	case m == "GET" && at(0) == "guilds" && at(2) == "channels":
		var out []*discordgo.Channel
		for _, id := range s.order {
			out = append(out, snapshot(s.chans[id]))
		}
		return 200, out
	case m == "POST" && at(0) == "guilds" && at(2) == "channels":
		var c discordgo.Channel
		if err := json.Unmarshal(raw, &c); err != nil || c.Name == "" {
			return 400, Fault{Status: 400, Code: 50035}
		}
		c.ID, c.GuildID = s.id(), at(1)
		s.chans[c.ID] = &c
		s.order = append(s.order, c.ID)
		return 201, snapshot(&c)
	case m == "POST" && path == "/users/@me/channels":
		var req struct {
			Recipient string `json:"recipient_id"`
		}
		_ = json.Unmarshal(raw, &req)
		id, ok := s.dms[req.Recipient]
		if !ok {
			id = s.id()
			s.dms[req.Recipient] = id
		}
		return 200, map[string]any{"id": id, "type": 1, "recipients": []any{map[string]any{"id": req.Recipient}}}
	case at(0) == "channels" && len(seg) == 2:
		c, ok := s.chans[at(1)]
		if !ok {
			return 404, errUnknown
		}
		switch m {
		case "GET":
			return 200, snapshot(c)
		case "PATCH":
			var e struct {
				Topic *string `json:"topic"`
				Name  string  `json:"name"`
			}
			_ = json.Unmarshal(raw, &e)
			if e.Topic != nil {
				c.Topic = *e.Topic
			}
			if e.Name != "" {
				c.Name = e.Name
			}
			return 200, snapshot(c)
		case "DELETE":
			delete(s.chans, c.ID)
			s.order = slices.DeleteFunc(s.order, func(id string) bool { return id == c.ID })
			return 200, snapshot(c)
		}
	case m == "PUT" && at(0) == "channels" && at(2) == "permissions":
		c, ok := s.chans[at(1)]
		if !ok {
			return 404, errUnknown
		}
		var o discordgo.PermissionOverwrite
		_ = json.Unmarshal(raw, &o)
		o.ID = at(3)
		c.PermissionOverwrites = slices.DeleteFunc(c.PermissionOverwrites, func(x *discordgo.PermissionOverwrite) bool { return x.ID == o.ID })
		c.PermissionOverwrites = append(c.PermissionOverwrites, &o)
		return 204, nil
	case m == "PUT" && at(0) == "channels" && at(2) == "pins":
		s.pins[at(1)] = append(s.pins[at(1)], at(3))
		return 204, nil
	case m == "POST" && at(0) == "channels" && at(2) == "messages":
		return 200, s.post(at(1), raw, "channel")
	case m == "POST" && at(0) == "interactions" && at(3) == "callback":
		var resp struct {
			Type int `json:"type"`
			Data *struct {
				Content string `json:"content"`
			} `json:"data"`
		}
		_ = json.Unmarshal(raw, &resp)
		if resp.Type == 4 && resp.Data != nil {
			s.msgs[s.tokens[at(2)]] = append(s.msgs[s.tokens[at(2)]], Message{ID: s.id(), ChannelID: s.tokens[at(2)], Content: resp.Data.Content, Via: "response"})
		}
		return 204, nil
	case at(0) == "webhooks" && len(seg) >= 3:
		ch, ok := s.tokens[at(2)]
		if !ok {
			return 404, Fault{Status: 404, Code: 10015}
		}
		switch {
		case m == "PATCH" && at(4) == "@original":
			return 200, s.post(ch, raw, "response")
		case m == "POST" && len(seg) == 3:
			return 200, s.post(ch, raw, "followup")
		case m == "DELETE":
			return 204, nil
		}
	}
	return 404, errUnknown
}

// snapshot is a copy of a channel to answer with: the answer is encoded
// after s.mu is released, while other calls may change the channel.
func snapshot(c *discordgo.Channel) *discordgo.Channel {
	cp := *c
	cp.PermissionOverwrites = slices.Clone(c.PermissionOverwrites)
	return &cp
}

// post records a message; s.mu is held.
func (s *Server) post(channelID string, raw []byte, via string) map[string]any {
	var req struct {
		Content    string                    `json:"content"`
		Embeds     []*discordgo.MessageEmbed `json:"embeds"`
		Components []struct {
			Components []struct {
				Label    string `json:"label"`
				CustomID string `json:"custom_id"`
				Style    int    `json:"style"`
			} `json:"components"`
		} `json:"components"`
	}
	_ = json.Unmarshal(raw, &req)
	msg := Message{ID: s.id(), ChannelID: channelID, Content: req.Content, Embeds: req.Embeds, Via: via}
	for _, row := range req.Components {
		for _, b := range row.Components {
			msg.Buttons = append(msg.Buttons, Button{Label: b.Label, CustomID: b.CustomID, Style: b.Style})
		}
	}
	s.msgs[channelID] = append(s.msgs[channelID], msg)
	return map[string]any{"id": msg.ID, "channel_id": channelID, "content": msg.Content, "author": map[string]any{"id": s.BotID, "bot": true}}
}

var _ = fmt.Sprint

// DMChannel returns the DM channel id opened with a user, or "".
func (s *Server) DMChannel(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dms[userID]
}
