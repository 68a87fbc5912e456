package console_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/warroom/warroom/adapters/console"
	"github.com/warroom/warroom/bot"
)

// clockCore records what the demo clock was asked, between the lines the
// core was given.
type clockCore struct {
	core
	now time.Time
	log *[]string
}

func (c clockCore) HandleMessage(ctx context.Context, m bot.Incoming) {
	*c.log = append(*c.log, "say "+m.Text)
	c.core.HandleMessage(ctx, m)
}

func TestDemoClock(t *testing.T) {
	t.Parallel()
	var log []string
	now := time.Date(2026, 3, 2, 23, 55, 0, 0, time.UTC)
	out := &screen{}
	a := console.New(strings.NewReader("alice: one\n~ 5m\n~90s\nalice: two\n~ 0s\n~ -5m\n~ soon\n~\n~ 25h\n~ 1h30m\n"), out)
	a.UseDemoClock(func() time.Time { return now }, func(ctx context.Context, d time.Duration) {
		log = append(log, "advance "+d.String())
		now = now.Add(d)
		a.Post(ctx, "general", bot.Message{Text: "tick at " + now.Format("15:04:05")}) // the timed work's output
	})
	if err := a.Run(t.Context(), clockCore{core{a}, now, &log}); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(log, "; "), "say one; advance 5m0s; advance 1m30s; say two; advance 1h30m0s"; got != want {
		t.Errorf("calls: %s\nwant:  %s", got, want)
	}
	want := `[#general] warroom: alice said "one"
* clock 23:55:00 → 2026-03-03 00:00:00 (+5m)
[#general] warroom: tick at 00:00:00
* clock 00:00:00 → 00:01:30 (+1m30s)
[#general] warroom: tick at 00:01:30
[#general] warroom: alice said "two"
* cannot read line 5: "~ 0s": the clock only moves forward; type a positive duration such as ~ 5m
* cannot read line 6: "~ -5m": the clock only moves forward; type a positive duration such as ~ 5m
* cannot read line 7: "~ soon": "soon" is not a duration; type ~ 5m, ~ 90s or ~ 1h30m
* cannot read line 8: "~": ~ takes a duration: ~ 5m, ~ 90s or ~ 1h30m
* cannot read line 9: "~ 25h": ~ moves the clock at most 24h at a time; split 25h into several lines
* clock 00:01:30 → 01:31:30 (+1h30m)
[#general] warroom: tick at 01:31:30
`
	if got := out.String(); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}

func TestNoDemoClock(t *testing.T) {
	t.Parallel()
	got := run(t, "~ 5m\nalice: still here\n")
	want := `* ~ 5m: the clock is the real one here; start warroom with -demo-clock to move it with ~ lines
[#general] warroom: alice said "still here"
`
	if got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}

func TestNewest(t *testing.T) {
	t.Parallel()
	got := run(t, "#new\nalice: /fault declare\n#new\nbob: here\n")
	want := `* #new goes to the war room opened last, and none was opened since warroom started; you are still in #general. Channels: #general
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
[#fault-1-checkout] warroom: bob said "here"
`
	if got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}

// A war room opened from outside (an alert, the API) while no line is being
// handled is announced at once.
func TestNewestFromOutside(t *testing.T) {
	t.Parallel()
	out := &screen{}
	a := console.New(strings.NewReader(""), out)
	a.CreateChannel(t.Context(), "fault-7-disk-full")
	want := `* created #fault-7-disk-full
* war room #fault-7-disk-full is open: type #new (or #fault-7-disk-full) to go there; you are in #general
`
	if got := out.String(); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}

func TestUnknownChannels(t *testing.T) {
	t.Parallel()
	out := &screen{}
	a := console.New(strings.NewReader("#fault-3-old\n#fault-2-db\n#fault-9\n"), out)
	names := []string{"fault-2-db", "#fault-3-old"}
	for i := range 25 {
		names = append(names, fmt.Sprintf("z-%02d", i))
	}
	a.KnowChannels(names...)
	if err := a.Run(t.Context(), core{a}); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"* you are in #fault-3-old\n",
		"* you are in #fault-2-db\n",
		"* no channel #fault-9; you are still in #fault-2-db. Channels: #fault-2-db, #fault-3-old, #general, #z-00, #z-01,",
		", #z-16 and 8 more\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

func TestEcho(t *testing.T) {
	t.Parallel()
	got := run(t, "# a scenario\nalice: hi\n\n#nowhere\n"+strings.Repeat("q", console.MaxLine+1)+"\nbob: \x1b[2Jbye\r\n", console.WithEcho())
	want := `# a scenario
alice: hi
[#general] warroom: alice said "hi"

#nowhere
* no channel #nowhere; you are still in #general. Channels: #general
* line 5 is 1048577 bytes long, over the 1048576 a line may have: ignored; type it shorter
bob: \x1b[2Jbye
[#general] warroom: bob said "\x1b[2Jbye"
`
	if got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}

func TestAnnounce(t *testing.T) {
	t.Parallel()
	out := &screen{}
	a := console.New(strings.NewReader(""), out, console.WithPeople("carol", "bob"))
	a.Announce("database warroom.db", "open faults: none")
	a.UseDemoClock(time.Now, func(context.Context, time.Duration) {})
	a.Announce()
	want := `* database warroom.db
* open faults: none
* you are in #general; #<channel> switches, #new goes to the war room opened last
* type <person>: <text> to speak as a person (bob: /fault help), <person>: +✅ to check in
* you are in #general; #<channel> switches, #new goes to the war room opened last
* type <person>: <text> to speak as a person (bob: /fault help), <person>: +✅ to check in, ~ 5m moves the demo clock
`
	if got := out.String(); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}

// Nothing warroom posts can drive the terminal: control characters are
// printed escaped, invalid UTF-8 as U+FFFD, each line of a post behind the
// prefix.
func TestOutputIsPrintable(t *testing.T) {
	t.Parallel()
	out := &screen{}
	a := console.New(strings.NewReader(""), out)
	a.Post(t.Context(), "general", bot.Message{Text: "a\x1b[31mred\x00\rx\u0085y\xffz\tt\nsecond\r\n"})
	want := "[#general] warroom: a\\x1b[31mred\\x00\\rx\\u0085y\ufffdz\tt\n[#general] warroom: second\n"
	if got := out.String(); got != want {
		t.Errorf("output %q, want %q", got, want)
	}
}

// FuzzConsole: no input stops the console or tears its output: Run
// returns nil at the end of any input, and every line out is warroom's
// (a post, a DM or an event) or, echoed, an input line.
func FuzzConsole(f *testing.F) {
	for _, s := range []string{
		"alice: hi\n", "alice: /fault declare\n#new\nbob: +✅\n", "~ 5m\n", "~ -1s\n~\n~ 1e9h\n",
		"#nowhere\n#new\n", "\ufeff# comment\r\n", "\x00\x1b[2J\xff\n", "a\rb: c\r\n", "alice: \u2028x\u0085y\n",
		"\n\n\r\n", "bob",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := &screen{}
		a := console.New(strings.NewReader(in), out)
		a.UseDemoClock(time.Now, func(context.Context, time.Duration) {})
		if err := a.Run(t.Context(), core{a}); err != nil {
			t.Fatalf("Run(%q) = %v", in, err)
		}
		for l := range strings.Lines(out.String()) {
			ok := strings.HasPrefix(l, "[#") || strings.HasPrefix(l, "[@") || strings.HasPrefix(l, "* ")
			if !ok || !strings.HasSuffix(l, "\n") || strings.Count(l, "\n") != 1 || !utf8.ValidString(l) || strings.ContainsAny(strings.TrimSuffix(l, "\n"), "\r\x1b\x00") {
				t.Fatalf("Run(%q) printed %q", in, l)
			}
		}
	})
}
