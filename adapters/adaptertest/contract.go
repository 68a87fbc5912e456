package adaptertest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warroom/warroom/bot"
)

// Run runs the adapter contract: one parallel subtest per promise, each on a
// fresh harness.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	cases := []struct {
		name string
		test func(t *testing.T, h Harness)
	}{
		{"CreateChannel", testCreateChannel},
		{"CreateChannelTwice", testCreateChannelTwice},
		{"Invite", testInvite},
		{"Post", testPost},
		{"PostMultiline", testPostMultiline},
		{"DM", testDM},
		{"Inbound", testInbound},
		{"ReactionToKickoff", testReaction},
		{"RunStopsOnCancel", testRunStops},
		{"Topicer", testTopicer},
		{"Pinner", testPinner},
		{"Mentioner", testMentioner},
		{"PostToNamedChannel", testPostToNamedChannel},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.test(t, newHarness(t))
		})
	}
}

// start runs the adapter for the rest of the test, as warroom does while it
// posts.
func start(t *testing.T, h Harness) *Recorder {
	rec := &Recorder{}
	h.Start(t.Context(), rec)
	return rec
}

func create(t *testing.T, h Harness, name string) bot.Channel {
	t.Helper()
	ch, err := h.Adapter().CreateChannel(t.Context(), name)
	if err != nil {
		t.Fatalf("CreateChannel(%q): %v", name, err)
	}
	return ch
}

func post(t *testing.T, h Harness, channelID string, m bot.Message) string {
	t.Helper()
	id, err := h.Adapter().Post(t.Context(), channelID, m)
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	if id == "" {
		t.Fatal("Post returned an empty message id")
	}
	return id
}

func testCreateChannel(t *testing.T, h Harness) {
	start(t, h)
	ch := create(t, h, "fault-1-checkout-5xx")
	if ch.ID == "" || ch.Name != "fault-1-checkout-5xx" {
		t.Fatalf("CreateChannel = %+v, want an id and the name asked for", ch)
	}
}

func testCreateChannelTwice(t *testing.T, h Harness) {
	start(t, h)
	a := create(t, h, "fault-2-dup")
	b := create(t, h, "fault-2-dup")
	if a.ID == b.ID || a.Name == b.Name {
		t.Fatalf("same name twice gave %+v and %+v, want two distinct channels", a, b)
	}
	if !strings.HasPrefix(b.Name, "fault-2-dup") {
		t.Fatalf("second channel %q does not start with the name asked for", b.Name)
	}
}

func testInvite(t *testing.T, h Harness) {
	start(t, h)
	ch := create(t, h, "fault-3-invite")
	people := []bot.Person{h.Person("alice"), h.Person("bob"), h.Person("carol")}
	if err := h.Adapter().Invite(t.Context(), ch.ID, people); err != nil {
		t.Fatalf("Invite: %v", err)
	}
	got := h.Members(t, ch.ID)
	for _, p := range people {
		if !slices.Contains(got, p.ID) {
			t.Errorf("members %v lack %s", got, p.ID)
		}
	}
}

func testPost(t *testing.T, h Harness) {
	start(t, h)
	ch := create(t, h, "fault-4-post")
	id1 := post(t, h, ch.ID, bot.Message{Kind: bot.KindReply, Text: "first"})
	id2 := post(t, h, ch.ID, bot.Message{Kind: bot.KindNotice, Text: "second"})
	if id1 == id2 {
		t.Fatalf("two posts share the id %q", id1)
	}
	if got := h.Posts(t, ch.ID); !slices.Equal(got, []string{"first", "second"}) {
		t.Fatalf("posts = %q, want first, second", got)
	}
}

func testPostMultiline(t *testing.T, h Harness) {
	start(t, h)
	ch := create(t, h, "fault-5-lines")
	text := "Fault #5 (P2): Checkout 5xx\nCommander: @dave\nReact with ✅ to check in"
	post(t, h, ch.ID, bot.Message{Kind: bot.KindSummary, Text: text, Title: "Fault #5"})
	if got := h.Posts(t, ch.ID); !slices.Equal(got, []string{text}) {
		t.Fatalf("posts = %q, want %q", got, text)
	}
}

func testDM(t *testing.T, h Harness) {
	start(t, h)
	p := h.Person("alice")
	if err := h.Adapter().DM(t.Context(), p, bot.Message{Kind: bot.KindNotice, Text: "please check in"}); err != nil {
		t.Fatalf("DM: %v", err)
	}
	if got := h.DMs(t, p.ID); !slices.Equal(got, []string{"please check in"}) {
		t.Fatalf("DMs = %q", got)
	}
}

func testInbound(t *testing.T, h Harness) {
	rec := start(t, h)
	ch := create(t, h, "fault-6-inbound")
	h.Say(t, ch.ID, "alice", "/fault status")
	want := bot.Incoming{Channel: ch.ID, User: bot.UserID(h.Adapter(), h.Person("alice")), Text: "/fault status"}
	if got := rec.Messages(); !slices.Equal(got, []bot.Incoming{want}) {
		t.Fatalf("handler got %+v, want %+v", got, want)
	}
}

func testReaction(t *testing.T, h Harness) {
	rec := start(t, h)
	ch := create(t, h, "fault-7-react")
	kickoff := post(t, h, ch.ID, bot.Message{Kind: bot.KindKickoff, Text: "Fault #7: react with ✅"})
	post(t, h, ch.ID, bot.Message{Kind: bot.KindReply, Text: "a later message"})
	h.React(t, ch.ID, kickoff, "bob", "white_check_mark")
	got := rec.Reactions()
	if len(got) != 1 {
		t.Fatalf("handler got reactions %+v, want one", got)
	}
	r := got[0]
	user := bot.UserID(h.Adapter(), h.Person("bob"))
	if r.Channel != ch.ID || r.Message != kickoff || r.User != user {
		t.Errorf("reaction = %+v, want channel %s, message %s, user %s", r, ch.ID, kickoff, user)
	}
	if r.Emoji != "white_check_mark" && r.Emoji != "✅" { // platforms differ; the core normalizes
		t.Errorf("emoji = %q, want white_check_mark or ✅", r.Emoji)
	}
}

func testRunStops(t *testing.T, h Harness) {
	ctx, cancel := context.WithCancel(t.Context())
	rec := &Recorder{}
	done := h.Start(ctx, rec)
	ch := create(t, h, "fault-8-stop")
	h.Say(t, ch.ID, "alice", "still there?") // proves Run is running
	cancel()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("Run returned %v after cancel, want nil or context.Canceled", err)
		}
	case <-time.After(Timeout):
		t.Fatal("Run did not return after its context was cancelled")
	}
}

func testTopicer(t *testing.T, h Harness) {
	tp, ok := h.Adapter().(bot.Topicer)
	if !ok {
		t.Skip("adapter does not implement bot.Topicer")
	}
	start(t, h)
	ch := create(t, h, "fault-9-topic")
	if err := tp.SetTopic(t.Context(), ch.ID, "P2 Checkout 5xx | commander @dave"); err != nil {
		t.Fatalf("SetTopic: %v", err)
	}
	if th, ok := h.(TopicHarness); ok {
		if got := th.Topic(t, ch.ID); got != "P2 Checkout 5xx | commander @dave" {
			t.Fatalf("topic = %q", got)
		}
	}
}

func testPinner(t *testing.T, h Harness) {
	p, ok := h.Adapter().(bot.Pinner)
	if !ok {
		t.Skip("adapter does not implement bot.Pinner")
	}
	start(t, h)
	ch := create(t, h, "fault-10-pin")
	id := post(t, h, ch.ID, bot.Message{Kind: bot.KindKickoff, Text: "kickoff"})
	if err := p.Pin(t.Context(), ch.ID, id); err != nil {
		t.Fatalf("Pin: %v", err)
	}
}

func testMentioner(t *testing.T, h Harness) {
	m, ok := h.Adapter().(bot.Mentioner)
	if !ok {
		t.Skip("adapter does not implement bot.Mentioner")
	}
	if got := m.Mention(h.Person("alice")); got == "" {
		t.Fatal("Mention returned nothing")
	}
}

// testPostToNamedChannel is what a level's `notify: ["#name"]` needs: an
// adapter that finds channels by name finds one it created, by the name
// it got, and a post to what it found lands there. A name it has no
// channel for, if it says so, is ENOTFOUND.
func testPostToNamedChannel(t *testing.T, h Harness) {
	cf, ok := h.Adapter().(bot.ChannelFinder)
	if !ok {
		t.Skip("adapter does not implement bot.ChannelFinder")
	}
	start(t, h)
	ch := create(t, h, "fault-11-status")
	got, err := cf.FindChannel(t.Context(), ch.Name)
	if err != nil {
		t.Fatalf("FindChannel(%q): %v", ch.Name, err)
	}
	if got.ID != ch.ID {
		t.Fatalf("FindChannel(%q) = %+v, want the channel CreateChannel made, %+v", ch.Name, got, ch)
	}
	post(t, h, got.ID, bot.Message{Kind: bot.KindNotice, Text: "📣 P2 fault 11: stakeholders hear here"})
	if posts := h.Posts(t, ch.ID); !slices.Equal(posts, []string{"📣 P2 fault 11: stakeholders hear here"}) {
		t.Fatalf("posts in %s = %q, want the notice", ch.ID, posts)
	}
	if _, err := cf.FindChannel(t.Context(), "no-such-channel-11"); err != nil && bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Fatalf("FindChannel of a name with no channel: %v (code %s), want ENOTFOUND", err, bot.ErrorCode(err))
	}
}
