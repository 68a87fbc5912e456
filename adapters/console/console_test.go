package console_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warroom/warroom/adapters/adaptertest"
	"github.com/warroom/warroom/adapters/console"
	"github.com/warroom/warroom/bot"
)

// core stands in for warroom: "declare" opens a war room, any other text is
// echoed, and reactions are reported with the message they were on.
type core struct{ a *console.Adapter }

func (c core) HandleMessage(ctx context.Context, m bot.Incoming) {
	if m.Text != "/fault declare" {
		c.a.Post(ctx, m.Channel, bot.Message{Kind: bot.KindReply, Text: fmt.Sprintf("%s said %q", m.User, m.Text)})
		return
	}
	ch, _ := c.a.CreateChannel(ctx, "fault-1-checkout")
	c.a.Invite(ctx, ch.ID, []bot.Person{{ID: "alice"}, {ID: "bob"}, {ID: "carol"}})
	id, _ := c.a.Post(ctx, ch.ID, bot.Message{Kind: bot.KindKickoff, Text: "Fault #1 (P2): Checkout 5xx\n\nReact with ✅ to check in\n"})
	c.a.SetTopic(ctx, ch.ID, "P2 Checkout 5xx\nopen")
	c.a.Pin(ctx, ch.ID, id)
	c.a.DM(ctx, bot.Person{ID: "carol"}, bot.Message{Kind: bot.KindNotice, Text: "You are in #" + ch.Name})
	c.a.Post(ctx, "#"+m.Channel, bot.Message{Kind: bot.KindReply, Text: "Declared fault #1 in #" + ch.Name})
}

func (c core) HandleReaction(ctx context.Context, r bot.Reaction) {
	c.a.Post(ctx, r.Channel, bot.Message{Kind: bot.KindReply, Text: fmt.Sprintf("%s reacted %s to %s", r.User, r.Emoji, r.Message)})
}

// run feeds input to a console with the core and returns what it printed.
func run(t *testing.T, input string, opts ...console.Option) string {
	t.Helper()
	out := &screen{}
	a := console.New(strings.NewReader(input), out, opts...)
	if err := a.Run(t.Context(), core{a}); err != nil {
		t.Fatalf("Run at end of input = %v, want nil", err)
	}
	return out.String()
}

func TestGolden(t *testing.T) {
	t.Parallel()
	input := "\ufeff# a demo\r\n" +
		"alice: hi\n" +
		"alice: /fault declare\n" +
		"\n" +
		"#fault-1-checkout\r\n" +
		"bob: +✅\n" +
		"carol: +white_check_mark\r\n" +
		"dave: +:white_check_mark:\n" +
		"bob: hello team\n" +
		"#general\n" +
		"erin: +eyes\n" +
		"#fault-1-chekout\n" +
		"#new\n" +
		"#status\n" +
		"erin: +eyes\n" +
		"this is not a line\n" +
		"alice smith: hi\r\n" +
		"#\tcomment\n" +
		"alice: still here" // no final newline
	want := `[#general] warroom: alice said "hi"
* created #fault-1-checkout
* invited @alice, @bob, @carol to #fault-1-checkout
[#fault-1-checkout] warroom: Fault #1 (P2): Checkout 5xx
[#fault-1-checkout] warroom:
[#fault-1-checkout] warroom: React with ✅ to check in
* topic of #fault-1-checkout: P2 Checkout 5xx open
* pinned a message in #fault-1-checkout
[@carol] warroom: You are in #fault-1-checkout
[#general] warroom: Declared fault #1 in #fault-1-checkout
* war room #fault-1-checkout is open: type #new (or #fault-1-checkout) to go there; you are in #general
* you are in #fault-1-checkout
[#fault-1-checkout] warroom: bob reacted ✅ to #fault-1-checkout/1
[#fault-1-checkout] warroom: carol reacted white_check_mark to #fault-1-checkout/1
[#fault-1-checkout] warroom: dave reacted white_check_mark to #fault-1-checkout/1
[#fault-1-checkout] warroom: bob said "hello team"
* you are in #general
[#general] warroom: erin reacted eyes to #general/2
* no channel #fault-1-chekout (did you mean #fault-1-checkout?); you are still in #general. Channels: #fault-1-checkout, #general
* you are in #fault-1-checkout
* no channel #status; you are still in #fault-1-checkout. Channels: #fault-1-checkout, #general
[#fault-1-checkout] warroom: erin reacted eyes to #fault-1-checkout/1
* cannot read line 16: "this is not a line": type <person>: <text>, <person>: +<emoji>, #<channel> or ~ <duration>
* cannot read line 17: "alice smith: hi": type <person>: <text>, <person>: +<emoji>, #<channel> or ~ <duration>
[#fault-1-checkout] warroom: alice said "still here"
`
	if got := run(t, input); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}

func TestCreateChannelTakenNames(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	out := &screen{}
	a := console.New(strings.NewReader("#ops\nalice: anyone?\n#idle\n"), out)
	a.KnowChannels("ops", "#idle")
	if err := a.Run(ctx, &adaptertest.Recorder{}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"general": "general-2", // where the console starts
		"ops":     "ops-2",     // someone spoke there
		"idle":    "idle-2",    // the current channel
		"fresh":   "fresh",
		"new war": "new-war",
		"new":     "new-2", // "#new" is the war room opened last
	} {
		if ch, err := a.CreateChannel(ctx, name); err != nil || ch.ID != want || ch.Name != want {
			t.Errorf("CreateChannel(%q) = %+v, %v, want %s", name, ch, err, want)
		}
	}
	if ch, _ := a.CreateChannel(ctx, "fresh"); ch.Name != "fresh-2" {
		t.Errorf("fresh again = %q", ch.Name)
	}
	if _, err := a.CreateChannel(ctx, " "); err == nil {
		t.Error("a blank channel name was accepted")
	}
	if m := a.Mention(bot.Person{ID: "alice", Accounts: map[string]string{"slack": "U1"}}); m != "@alice" {
		t.Errorf("Mention = %q", m)
	}
}

func TestWithPeople(t *testing.T) {
	t.Parallel()
	got := run(t, "alcie: hi\nzed: +ok\nbob: hi\n", console.WithPeople("bob", "alice"))
	want := `* unknown person "alcie"; did you mean alice?
* unknown person "zed"; known: alice, bob
[#general] warroom: bob said "hi"
`
	if got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}

func TestLongLine(t *testing.T) {
	t.Parallel()
	text := strings.Repeat("x", 512<<10) // well past bufio's 64 KiB default
	if got := run(t, "alice: "+text+"\n"); !strings.Contains(got, text) {
		t.Fatal("long line lost")
	}
	// The longest line is read, a longer one is refused and the next line
	// is read where it starts, whether the long one ends in \n, \r\n or
	// the end of input.
	longest := "bob: " + strings.Repeat("y", console.MaxLine-len("bob: "))
	over := strings.Repeat("z", console.MaxLine+1)
	input := longest + "\r\n" + over + "\n" + "alice: next\n" + over + "\r\n" + "alice: again\n" + over
	got := run(t, input)
	for _, want := range []string{
		"* line 2 is 1048577 bytes long, over the 1048576 a line may have: ignored; type it shorter\n",
		`[#general] warroom: alice said "next"` + "\n",
		"* line 4 is 1048577 bytes long",
		`[#general] warroom: alice said "again"` + "\n",
		"* line 6 is 1048577 bytes long",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if !strings.HasPrefix(got, `[#general] warroom: bob said "yyy`) {
		t.Errorf("the longest line was not read: %.80q", got)
	}
	if strings.Contains(got, "zzz") {
		t.Error("a line over MaxLine was acted on")
	}
}

// blockingReader never returns, like a terminal nobody types into.
type blockingReader struct{ release chan struct{} }

func (b blockingReader) Read([]byte) (int, error) { <-b.release; return 0, io.EOF }

func TestCancelWhileReaderBlocks(t *testing.T) {
	t.Parallel()
	r := blockingReader{make(chan struct{})}
	defer close(r.release)
	a := console.New(r, io.Discard)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, &adaptertest.Recorder{}) }()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v, want context.Canceled", err)
		}
	case <-time.After(adaptertest.Timeout):
		t.Fatal("Run did not return after cancel")
	}
}

// Timers in the core post from other goroutines while Run handles input:
// every line must come out whole.
func TestConcurrentPosts(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	out := &screen{}
	a := console.New(strings.NewReader(strings.Repeat("alice: ping\n", 50)), out)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 20 {
				a.Post(ctx, "ops", bot.Message{Text: fmt.Sprintf("tick %d\ntock %d", i, i)})
				a.DM(ctx, bot.Person{ID: "bob"}, bot.Message{Text: "dm"})
			}
		})
	}
	if err := a.Run(ctx, core{a}); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 50+8*20*3 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, l := range lines {
		ok := l == `[#general] warroom: alice said "ping"` || l == "[@bob] warroom: dm" ||
			strings.HasPrefix(l, "[#ops] warroom: tick ") || strings.HasPrefix(l, "[#ops] warroom: tock ")
		if !ok || strings.Count(l, "warroom:") != 1 {
			t.Fatalf("torn line %q", l)
		}
	}
}
