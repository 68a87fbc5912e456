package matrix_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/warroom/warroom/adapters/matrix/matrixfake"
	"github.com/warroom/warroom/bot"
)

// A war room is named (m.room.name) and private; a taken alias moves on to
// the next suffix.
func TestWarRoomIsNamedAndPrivate(t *testing.T) {
	t.Parallel()
	f := matrixfake.New(t)
	a := newAdapter(t, f)
	first, err := a.CreateChannel(t.Context(), "fault-7-db")
	if err != nil {
		t.Fatal(err)
	}
	second, err := a.CreateChannel(t.Context(), "fault-7-db")
	if err != nil {
		t.Fatal(err)
	}
	r1, _ := f.Room(first.ID)
	r2, _ := f.Room(second.ID)
	if r1.Name != "fault-7-db" || r1.Preset != "private_chat" || r1.Alias != "#fault-7-db:fake.test" {
		t.Fatalf("first room %+v", r1)
	}
	if second.Name != "fault-7-db-2" || r2.Name != "fault-7-db-2" || r2.Alias != "#fault-7-db-2:fake.test" {
		t.Fatalf("second room %+v (channel %+v), want the next suffix", r2, second)
	}
}

// A server whose rules refuse the bot aliases still gets its war rooms,
// named, without one; later war rooms do not ask again.
func TestAliasRefusedStillMakesTheRoom(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		status int
		code   string
	}{{http.StatusForbidden, "M_FORBIDDEN"}, {http.StatusBadRequest, "M_UNKNOWN"}, {http.StatusBadRequest, "M_UNRECOGNIZED"}} {
		f := matrixfake.New(t)
		f.RefuseAliases(c.status, c.code)
		a := newAdapter(t, f)
		for _, name := range []string{"fault-8-x", "fault-9-y"} {
			ch, err := a.CreateChannel(t.Context(), name)
			if err != nil {
				t.Fatalf("%s: CreateChannel: %v", c.code, err)
			}
			rm, _ := f.Room(ch.ID)
			if ch.Name != name || rm.Name != name || rm.Alias != "" || rm.Preset != "private_chat" {
				t.Fatalf("%s: room %+v, channel %+v", c.code, rm, ch)
			}
		}
		n := 0
		for _, call := range f.Calls() {
			if call == "POST createRoom" {
				n++
			}
		}
		if n != 3 {
			t.Fatalf("%s: %d createRoom calls, want 3 (one refused, then none asking for an alias)", c.code, n)
		}
	}
}

// A server that rate-limits room creation past warroom's patience is a
// failure, not a room without its alias.
func TestCreateRoomRateLimitIsNoAliasRefusal(t *testing.T) {
	t.Parallel()
	f := matrixfake.New(t)
	a := newAdapter(t, f)
	f.RateLimit(10 * 60 * 1000)
	_, err := a.CreateChannel(t.Context(), "fault-10-x")
	if err == nil || !strings.Contains(err.Error(), "M_LIMIT_EXCEEDED") || bot.ErrorCode(err) != bot.EUNAVAILABLE {
		t.Fatalf("CreateChannel under a long limit: %v", err)
	}
	if _, err := a.CreateChannel(t.Context(), "fault-10-x"); err != nil {
		t.Fatal(err)
	}
	rm, _ := f.Room(f.RoomByAlias("#fault-10-x:fake.test"))
	if rm.Name != "fault-10-x" {
		t.Fatalf("the room after the limit: %+v, want it with its alias", rm)
	}
}

// Each invite failure is one short line: the server's errcode and words,
// not the URL, nor a proxy's HTML page.
func TestInviteFailuresAreOneLine(t *testing.T) {
	t.Parallel()
	f := matrixfake.New(t)
	a := newAdapter(t, f)
	ch, _ := a.CreateChannel(t.Context(), "fault-11-x")
	f.Forbid(f.User("bob"))
	f.FailInvites(f.User("carol"), http.StatusBadGateway, "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n</html>")
	people := []bot.Person{
		{ID: "bob", Accounts: map[string]string{"matrix": f.User("bob")}},
		{ID: "carol", Accounts: map[string]string{"matrix": f.User("carol")}},
		{ID: "dave", Accounts: map[string]string{"matrix": f.User("dave")}},
	}
	var ie *bot.InviteError
	if err := a.Invite(t.Context(), ch.ID, people); !errors.As(err, &ie) || len(ie.Failed) != 2 {
		t.Fatalf("Invite: %v", err)
	}
	want := map[string]string{
		"bob":   "Matrix refused: M_FORBIDDEN: " + f.User("bob") + " does not accept invites",
		"carol": "Matrix refused: HTTP 502 Bad Gateway",
	}
	for who, w := range want {
		if got := ie.Failed[who].Error(); got != w {
			t.Errorf("%s: %q, want %q", who, got, w)
		}
	}
	if strings.ContainsAny(ie.Error(), "\r\n") {
		t.Fatalf("InviteError is more than one line: %q", ie.Error())
	}
}

// A command typed in a thread is answered in the thread, as a reply to
// it; edits, notices and the bot's own messages are not commands.
func TestThreadsEditsNotices(t *testing.T) {
	t.Parallel()
	f := matrixfake.New(t)
	a := newAdapter(t, f)
	ch, _ := a.CreateChannel(t.Context(), "fault-12-x")
	r := &replier{a: a}
	run(t, a, r)
	alice := f.User("alice")
	f.Send(ch.ID, alice, "m.room.message", map[string]any{"msgtype": "m.text", "body": "* !fault resolve",
		"m.new_content": map[string]any{"msgtype": "m.text", "body": "!fault resolve"},
		"m.relates_to":  map[string]any{"rel_type": "m.replace", "event_id": "$old"}})
	f.Send(ch.ID, f.User("otherbot"), "m.room.message", map[string]any{"msgtype": "m.notice", "body": "!fault status"})
	f.Send(ch.ID, f.Bot, "m.room.message", map[string]any{"msgtype": "m.text", "body": "!fault status"})
	root := f.Say(ch.ID, alice, "db is slow")
	cmd := f.Send(ch.ID, alice, "m.room.message", map[string]any{"msgtype": "m.text", "body": "!fault status",
		"m.relates_to": map[string]any{"rel_type": "m.thread", "event_id": root, "is_falling_back": true,
			"m.in_reply_to": map[string]any{"event_id": root}}})
	r.Wait(t, 2)
	a.Wait()
	// A handler that keeps nothing (no bot.Keeper) gets events side by
	// side, so in either order.
	got := r.Messages()
	texts := []string{}
	for _, m := range got {
		texts = append(texts, m.Text)
	}
	slices.Sort(texts)
	if !slices.Equal(texts, []string{"/fault status", "db is slow"}) {
		t.Fatalf("handled %q, want the chat and the thread's command only (no edit, notice, or own message)", got)
	}
	// The answers came side by side too: the command's is the one in a
	// thread.
	var rel, inr map[string]any
	for _, m := range f.Messages(ch.ID) {
		if r, _ := m.Content["m.relates_to"].(map[string]any); r != nil && r["rel_type"] == "m.thread" && m.Sender == f.Bot {
			rel = r
		}
	}
	inr, _ = rel["m.in_reply_to"].(map[string]any)
	if rel["rel_type"] != "m.thread" || rel["event_id"] != root || inr == nil || inr["event_id"] != cmd || rel["is_falling_back"] == true {
		t.Fatalf("answer's m.relates_to = %v, want in thread %s replying to %s", rel, root, cmd)
	}
}
