package slack_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack/slacktest"
)

// fake is a Slack workspace on loopback: slack-go's slacktest server with
// Customize handlers for the state warroom needs (channels, members, posts,
// topic, pins, users), 429 storms, latency, and a Socket Mode websocket.
type fake struct {
	t   testing.TB
	srv *slacktest.Server

	mu       sync.Mutex
	calls    []string // every Web API request, in order, 429s included
	nextID   int
	ts       int
	seq      int                     // posts and replies, in the order they were shown
	channels map[string]*fakeChannel // id → channel
	names    map[string]string       // name → id
	users    map[string]string       // uid → email
	dms      map[string]string       // uid → DM channel id
	storm    map[string]int          // method → 429s still to answer
	fail     map[string]string       // "method user" or "method" → error code
	authErr  string
	latency  time.Duration
	replies  []fakeReply     // answers through a command's own response (an ack or its response_url)
	pageSize int             // most channels one conversations.list page holds; 0 = as asked
	remotes  map[string]bool // client addresses Web API calls came from

	// Socket Mode. Like Slack, the fake keeps every envelope it sent until
	// it is acknowledged and sends the unacknowledged ones again, with
	// retry_attempt+1, on the next connection.
	conn      *websocket.Conn // the newest connection
	conns     int             // connections that got their hello
	connected chan struct{}   // closed when the first connection is up
	newConn   chan struct{}   // closed and replaced on every new connection
	acks      map[string]bool
	acked     chan struct{} // closed and replaced on every ack
	envelope  int
	pending   []fakeEnvelope           // sent (or lost on the way) and not acknowledged, in order
	resent    []string                 // envelope ids sent again, in order
	loseAck   bool                     // the next ack is lost, and the connection dropped with it
	silent    map[*websocket.Conn]bool // connections that no longer answer pings
	writeMu   sync.Mutex               // one writer per connection; taken before mu
}

type fakeChannel struct {
	id, name string
	private  bool
	members  []string
	posts    []fakePost
	topic    string
	pins     []string
	// invitedAt is when the last conversations.invite into it was answered.
	invitedAt time.Time
}

type fakePost struct {
	ts, text, blocks string
	at               time.Time // when it was answered
	seq              int       // its place among posts and replies
}

// fakeReply is an answer to a slash command or a click through its own
// response, shown in the command's channel: via "ack" (the payload of a
// Socket Mode ack) or "response_url".
type fakeReply struct {
	channel, text, blocks, via string
	envelope                   string // the slash command's, for an ack
	at                         time.Time
	seq                        int
}

func newFake(t testing.TB) *fake {
	f := &fake{
		t: t, channels: map[string]*fakeChannel{}, names: map[string]string{},
		users: map[string]string{}, dms: map[string]string{}, storm: map[string]int{},
		fail: map[string]string{}, connected: make(chan struct{}), newConn: make(chan struct{}),
		acks: map[string]bool{}, acked: make(chan struct{}), silent: map[*websocket.Conn]bool{},
		remotes: map[string]bool{},
	}
	f.srv = slacktest.NewTestServer(func(c slacktest.Customize) {
		for method, h := range map[string]func(r *http.Request) any{
			"auth.test":              f.authTest,
			"conversations.create":   f.create,
			"conversations.invite":   f.invite,
			"conversations.setTopic": f.setTopic,
			"conversations.open":     f.open,
			"conversations.list":     f.list,
			"chat.postMessage":       f.postMessage,
			"pins.add":               f.pin,
			"users.lookupByEmail":    f.lookupByEmail,
			"users.info":             f.userInfo,
			"apps.connections.open":  f.connectionsOpen,
		} {
			c.Handle("/"+method, f.method(method, h))
		}
		c.Handle("/socket", f.socket)
		c.Handle("/response", f.response)
	})
	f.srv.Start()
	t.Cleanup(f.srv.Stop)
	return f
}

func (f *fake) url() string { return f.srv.GetAPIURL() }

// method wraps a handler with recording, latency, 429 storms and injected
// failures.
func (f *fake) method(name string, h func(r *http.Request) any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		f.mu.Lock()
		f.calls = append(f.calls, name)
		f.remotes[r.RemoteAddr] = true
		latency := f.latency
		limited := f.storm[name] > 0
		if limited {
			f.storm[name]--
		}
		code := f.fail[name]
		for _, u := range strings.Split(r.Form.Get("users"), ",") {
			if c := f.fail[name+" "+u]; c != "" && u != "" {
				code = c
			}
		}
		if name == "auth.test" && f.authErr != "" {
			code = f.authErr
		}
		f.mu.Unlock()
		if latency > 0 {
			time.Sleep(latency) // the benchmark's round trip
		}
		w.Header().Set("Content-Type", "application/json")
		if limited {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		var res any
		if code != "" {
			res = map[string]any{"ok": false, "error": code}
		} else {
			f.mu.Lock()
			res = h(r)
			f.mu.Unlock()
		}
		_ = json.NewEncoder(w).Encode(res)
	}
}

func ok(kv ...any) map[string]any {
	m := map[string]any{"ok": true}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func failure(code string) map[string]any { return map[string]any{"ok": false, "error": code} }

func (f *fake) authTest(*http.Request) any {
	return ok("user_id", "UWARROOM", "user", "warroom", "team_id", "T1", "bot_id", "BWARROOM")
}

func (f *fake) create(r *http.Request) any {
	name := r.Form.Get("name")
	if _, taken := f.names[name]; taken {
		return failure("name_taken")
	}
	if len(name) > 80 {
		return failure("invalid_name_maxlength")
	}
	f.nextID++
	ch := &fakeChannel{id: fmt.Sprintf("C%03d", f.nextID), name: name, private: r.Form.Get("is_private") == "true"}
	f.channels[ch.id] = ch
	f.names[name] = ch.id
	return ok("channel", map[string]any{"id": ch.id, "name": name})
}

// list is conversations.list: public and private channels (no DMs), in id
// order, a page at a time behind an opaque cursor (the next channel's id).
func (f *fake) list(r *http.Request) any {
	types := r.Form.Get("types")
	if types == "" {
		types = "public_channel"
	}
	var ids []string
	for id, ch := range f.channels {
		if ch.name == "" { // a DM
			continue
		}
		if ch.private && strings.Contains(types, "private_channel") || !ch.private && strings.Contains(types, "public_channel") {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	if c := r.Form.Get("cursor"); c != "" {
		i, found := slices.BinarySearch(ids, c)
		if !found {
			return failure("invalid_cursor")
		}
		ids = ids[i:]
	}
	n, _ := strconv.Atoi(r.Form.Get("limit"))
	if n <= 0 || n > 1000 {
		n = 100
	}
	if f.pageSize > 0 {
		n = min(n, f.pageSize)
	}
	next := ""
	if len(ids) > n {
		next, ids = ids[n], ids[:n]
	}
	chans := []map[string]any{}
	for _, id := range ids {
		ch := f.channels[id]
		chans = append(chans, map[string]any{"id": id, "name": ch.name, "is_channel": true, "is_private": ch.private})
	}
	return ok("channels", chans, "response_metadata", map[string]any{"next_cursor": next})
}

// addChannel makes a channel exist, as if people had made it, and returns
// its id.
func (f *fake) addChannel(name string, private bool) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	ch := &fakeChannel{id: fmt.Sprintf("C%03d", f.nextID), name: name, private: private}
	f.channels[ch.id] = ch
	f.names[name] = ch.id
	return ch.id
}

func (f *fake) invite(r *http.Request) any {
	ch, found := f.channels[r.Form.Get("channel")]
	if !found {
		return failure("channel_not_found")
	}
	for _, u := range strings.Split(r.Form.Get("users"), ",") {
		if _, known := f.users[u]; !known {
			return failure("user_not_found")
		}
	}
	for _, u := range strings.Split(r.Form.Get("users"), ",") {
		if !slices.Contains(ch.members, u) {
			ch.members = append(ch.members, u)
		}
	}
	ch.invitedAt = time.Now()
	return ok("channel", map[string]any{"id": ch.id, "name": ch.name})
}

func (f *fake) setTopic(r *http.Request) any {
	ch, found := f.channels[r.Form.Get("channel")]
	if !found {
		return failure("channel_not_found")
	}
	ch.topic = r.Form.Get("topic")
	return ok("channel", map[string]any{"id": ch.id})
}

func (f *fake) open(r *http.Request) any {
	uid := r.Form.Get("users")
	id, found := f.dms[uid]
	if !found {
		f.nextID++
		id = fmt.Sprintf("D%03d", f.nextID)
		f.dms[uid] = id
		f.channels[id] = &fakeChannel{id: id, members: []string{uid}}
	}
	return ok("channel", map[string]any{"id": id})
}

func (f *fake) postMessage(r *http.Request) any {
	ch, found := f.channels[r.Form.Get("channel")]
	if !found {
		return failure("channel_not_found")
	}
	f.ts++
	ts := fmt.Sprintf("1700000000.%06d", f.ts)
	f.seq++
	ch.posts = append(ch.posts, fakePost{ts: ts, text: r.Form.Get("text"), blocks: r.Form.Get("blocks"), at: time.Now(), seq: f.seq})
	return ok("channel", ch.id, "ts", ts)
}

func (f *fake) pin(r *http.Request) any {
	ch, found := f.channels[r.Form.Get("channel")]
	if !found {
		return failure("channel_not_found")
	}
	ch.pins = append(ch.pins, r.Form.Get("timestamp"))
	return ok()
}

func (f *fake) lookupByEmail(r *http.Request) any {
	for uid, email := range f.users {
		if strings.EqualFold(email, r.Form.Get("email")) {
			return ok("user", map[string]any{"id": uid, "profile": map[string]any{"email": email}})
		}
	}
	return failure("users_not_found")
}

func (f *fake) userInfo(r *http.Request) any {
	uid := r.Form.Get("user")
	email, found := f.users[uid]
	if !found {
		return failure("user_not_found")
	}
	return ok("user", map[string]any{"id": uid, "profile": map[string]any{"email": email}})
}

func (f *fake) connectionsOpen(*http.Request) any {
	return ok("url", "ws://"+f.srv.ServerAddr+"/socket")
}

// response records what is posted to a slash command's response_url
// (/response?channel=C1), after the injected latency like a Web API call.
func (f *fake) response(w http.ResponseWriter, r *http.Request) {
	var body fakeResponse
	_ = json.NewDecoder(r.Body).Decode(&body)
	f.mu.Lock()
	latency := f.latency
	f.mu.Unlock()
	if latency > 0 {
		time.Sleep(latency)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if body.ReplaceOriginal || body.ResponseType != "in_channel" {
		f.t.Errorf("response_url: %+v, want in_channel, not replacing the original", body)
	}
	f.reply(r.URL.Query().Get("channel"), "response_url", "", body)
}

// fakeResponse is a command's response, in an ack or to its response_url.
type fakeResponse struct {
	ResponseType    string          `json:"response_type"`
	ReplaceOriginal bool            `json:"replace_original"`
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
}

// reply shows a command's response in its channel; f.mu is held.
func (f *fake) reply(channel, via, envelope string, body fakeResponse) {
	f.seq++
	f.replies = append(f.replies, fakeReply{channel: channel, text: body.Text, blocks: string(body.Blocks), via: via,
		envelope: envelope, at: time.Now(), seq: f.seq})
}

type fakeEnvelope struct {
	ID, Type string
	Payload  any
	Retry    int
}

func (e fakeEnvelope) json() map[string]any {
	return map[string]any{"envelope_id": e.ID, "type": e.Type, "payload": e.Payload,
		"accepts_response_payload": e.Type == "slash_commands", "retry_attempt": e.Retry,
		"retry_reason": map[bool]string{true: "timeout"}[e.Retry > 0]}
}

// socket is the Socket Mode websocket: it says hello, sends again what was
// not acknowledged, records acks and answers pings.
func (f *fake) socket(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	c, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	c.SetPingHandler(func(data string) error {
		f.mu.Lock()
		silent := f.silent[c]
		f.mu.Unlock()
		if silent {
			return nil
		}
		return c.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	f.writeMu.Lock()
	f.mu.Lock()
	f.conn = c
	var again []fakeEnvelope
	for i := range f.pending {
		f.pending[i].Retry++
		again = append(again, f.pending[i])
		f.resent = append(f.resent, f.pending[i].ID)
	}
	f.mu.Unlock()
	_ = c.WriteJSON(map[string]any{"type": "hello", "num_connections": 1})
	for _, e := range again {
		_ = c.WriteJSON(e.json())
	}
	f.writeMu.Unlock()
	f.mu.Lock()
	f.conns++
	select {
	case <-f.connected:
	default:
		close(f.connected)
	}
	close(f.newConn)
	f.newConn = make(chan struct{})
	f.mu.Unlock()
	for {
		var ack struct {
			EnvelopeID string        `json:"envelope_id"`
			Payload    *fakeResponse `json:"payload"`
		}
		if err := c.ReadJSON(&ack); err != nil {
			return
		}
		f.mu.Lock()
		if f.loseAck {
			f.loseAck = false
			f.mu.Unlock()
			_ = c.NetConn().Close()
			return
		}
		if ack.Payload != nil {
			i := slices.IndexFunc(f.pending, func(e fakeEnvelope) bool { return e.ID == ack.EnvelopeID })
			if i < 0 || f.pending[i].Type != "slash_commands" || ack.Payload.ResponseType != "in_channel" {
				f.t.Errorf("ack %s with a payload %+v: not a pending slash command's, or not in_channel", ack.EnvelopeID, ack.Payload)
			} else {
				channel, _ := f.pending[i].Payload.(map[string]any)["channel_id"].(string)
				f.reply(channel, "ack", ack.EnvelopeID, *ack.Payload)
			}
		}
		f.acks[ack.EnvelopeID] = true
		f.pending = slices.DeleteFunc(f.pending, func(e fakeEnvelope) bool { return e.ID == ack.EnvelopeID })
		close(f.acked)
		f.acked = make(chan struct{})
		f.mu.Unlock()
	}
}

// push sends an envelope over the websocket and returns its id.
func (f *fake) push(t testing.TB, typ string, payload any, retry int) string {
	t.Helper()
	select {
	case <-f.connected:
	case <-time.After(10 * time.Second):
		t.Fatal("the adapter never connected to Socket Mode")
	}
	f.writeMu.Lock()
	defer f.writeMu.Unlock()
	e, c := f.newEnvelope(typ, payload, retry)
	if err := c.WriteJSON(e.json()); err != nil {
		t.Fatalf("push %s: %v", typ, err)
	}
	return e.ID
}

// lose is an envelope Slack sent that never reached the adapter: it is
// sent again on the next connection.
func (f *fake) lose(typ string, payload any) string {
	f.writeMu.Lock()
	defer f.writeMu.Unlock()
	e, _ := f.newEnvelope(typ, payload, 0)
	return e.ID
}

// newEnvelope numbers an envelope and keeps it until acknowledged; the
// caller holds writeMu.
func (f *fake) newEnvelope(typ string, payload any, retry int) (fakeEnvelope, *websocket.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.envelope++
	e := fakeEnvelope{ID: "env-" + strconv.Itoa(f.envelope), Type: typ, Payload: payload, Retry: retry}
	f.pending = append(f.pending, e)
	return e, f.conn
}

// send writes any message (a disconnect, something unknown) on the
// current connection.
func (f *fake) send(t testing.TB, msg any) {
	t.Helper()
	f.writeMu.Lock()
	defer f.writeMu.Unlock()
	f.mu.Lock()
	c := f.conn
	f.mu.Unlock()
	if err := c.WriteJSON(msg); err != nil {
		t.Fatalf("send %v: %v", msg, err)
	}
}

// closeSocket closes the current connection the polite way: a close frame.
func (f *fake) closeSocket() {
	f.writeMu.Lock()
	defer f.writeMu.Unlock()
	f.mu.Lock()
	c := f.conn
	f.mu.Unlock()
	_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "bye"), time.Now().Add(time.Second))
	_ = c.Close()
}

// dropSocket drops the current connection's TCP connection, no close frame.
func (f *fake) dropSocket() {
	f.mu.Lock()
	c := f.conn
	f.mu.Unlock()
	_ = c.NetConn().Close()
}

// silence makes the current connection go quiet: open, but nothing sent
// and no pong to pings, like a connection dropped without a FIN.
func (f *fake) silence() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.silent[f.conn] = true
}

// waitConn waits until n connections have been opened (and said hello).
func (f *fake) waitConn(t testing.TB, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		f.mu.Lock()
		got, ch := f.conns, f.newConn
		f.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("%d Socket Mode connections, want %d", got, n)
		}
	}
}

// waitAck waits until the adapter acknowledged an envelope.
func (f *fake) waitAck(t testing.TB, id string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		f.mu.Lock()
		done, ch := f.acks[id], f.acked
		f.mu.Unlock()
		if done {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("envelope %s was never acknowledged", id)
		}
	}
}

// responseURL is the response_url of a command typed in channel.
func (f *fake) responseURL(channel string) string {
	return "http://" + f.srv.ServerAddr + "/response?channel=" + channel
}

func (f *fake) slash(t testing.TB, channel, user, text string) string {
	return f.push(t, "slash_commands", f.slashPayload(channel, user, text), 0)
}

func (f *fake) slashPayload(channel, user, text string) map[string]any {
	word, rest, _ := strings.Cut(strings.TrimSpace(text), " ")
	return map[string]any{
		"command": word, "text": rest, "channel_id": channel, "user_id": user,
		"response_url": f.responseURL(channel), "trigger_id": "tr",
	}
}

var eventSeq struct {
	sync.Mutex
	n int
}

func nextEventID() string {
	eventSeq.Lock()
	defer eventSeq.Unlock()
	eventSeq.n++
	return fmt.Sprintf("Ev%04d", eventSeq.n)
}

func (f *fake) event(t testing.TB, eventID string, retry int, ev map[string]any) string {
	return f.push(t, "events_api", eventPayload(eventID, ev), retry)
}

func eventPayload(eventID string, ev map[string]any) map[string]any {
	return map[string]any{
		"token": "x", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
		"event_id": eventID, "event_time": 1700000000, "event": ev,
	}
}

func (f *fake) reaction(t testing.TB, channel, ts, user, emoji string) string {
	return f.event(t, nextEventID(), 0, map[string]any{"type": "reaction_added", "user": user, "reaction": emoji,
		"item": map[string]any{"type": "message", "channel": channel, "ts": ts}, "event_ts": "1700000000.1"})
}

// Readers of the recorded state.

// clients counts the TCP connections Web API calls came on.
func (f *fake) clients() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.remotes)
}

func (f *fake) methods() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// resentIDs are the envelopes sent again on a new connection, in order.
func (f *fake) resentIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.resent)
}

func (f *fake) channel(id string) fakeChannel {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch, found := f.channels[id]
	if !found {
		return fakeChannel{}
	}
	c := *ch
	c.members, c.posts, c.pins = slices.Clone(ch.members), slices.Clone(ch.posts), slices.Clone(ch.pins)
	return c
}

// texts are what a channel shows: its posts and the commands' responses
// in it, in order.
func (f *fake) texts(id string) []string {
	type shown struct {
		seq  int
		text string
	}
	var all []shown
	for _, p := range f.channel(id).posts {
		all = append(all, shown{p.seq, p.text})
	}
	for _, r := range f.answers() {
		if r.channel == id {
			all = append(all, shown{r.seq, r.text})
		}
	}
	slices.SortFunc(all, func(a, b shown) int { return a.seq - b.seq })
	var out []string
	for _, s := range all {
		out = append(out, s.text)
	}
	return out
}

func (f *fake) dmTexts(uid string) []string {
	f.mu.Lock()
	id := f.dms[uid]
	f.mu.Unlock()
	return f.texts(id)
}

// answers are the replies through commands' responses, in order.
func (f *fake) answers() []fakeReply {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.replies)
}

func (f *fake) addUser(uid, email string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[uid] = email
}

func (f *fake) set(fn func(f *fake)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}
