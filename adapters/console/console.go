// Package console is the chat adapter where the terminal is the chat: one
// line in, lines out, from a terminal or a pipe, so that
// `warroom < scenario.txt` is a reproducible demo and test.
//
// Input (see PRODUCT.md, "Console adapter"):
//
//	<person>: <text>     posts as that person in the current channel
//	<person>: +<emoji>   reacts to the kickoff of the current channel's war room
//	                     (elsewhere: to warroom's newest message there);
//	                     +✅, +white_check_mark and +:white_check_mark: all work
//	#<channel>           switches the current channel (the start is #general);
//	                     a channel the console does not know is refused with
//	                     the list of those it does
//	#new                 switches to the war room opened last (a scenario
//	                     acts on the fault it just declared, whatever its
//	                     number: the same file runs again on one database)
//	~ <duration>         moves the demo clock (UseDemoClock) and does the
//	                     timed work that falls due, before the next line
//
// Output:
//
//	[#<channel>] warroom: <text>   a channel post, one line per text line
//	[@<person>] warroom: <text>    a direct message
//	* <what happened>              a platform event
//
// After a line that opened a war room the console says how to go there
// (#new) and stays where it is: it never switches by itself, so that what a
// line means never depends on what came before it (who else spoke, how many
// faults the database holds). Every switch is answered with the channel now
// current ("* you are in #..."), and Announce prints where the console is
// at start.
//
// Any line is acted on or refused with one "* " line, and the console reads
// on: a line longer than MaxLine, a duration it cannot read, control
// characters (printed escaped, as \x1b, so that input cannot drive the
// terminal). With WithEcho each input line is printed before what it
// causes, so that a piped scenario's output is a transcript.
//
// Extensions to the contract: blank lines and comments ("#" followed by
// whitespace, or alone) are ignored; "@alice: hi" reads as "alice: hi"; a
// byte-order mark before the first line is ignored; channel ids passed to
// the adapter may carry a leading "#". Channel ids are channel names.
package console

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/warroom/warroom/bot"
)

// Platform is the platform name; people's catalog ids are their user ids.
const Platform = "console"

// MaxLine is the longest input line the console acts on, in bytes; a
// longer one is refused and the console reads on.
const MaxLine = 1 << 20

// Start is the channel the console starts in.
const Start = "general"

// Option configures the console.
type Option func(*Adapter)

// WithPeople makes the console refuse lines from anyone but these catalog
// ids, suggesting the closest id instead. By default anyone may type.
func WithPeople(ids ...string) Option {
	return func(a *Adapter) { a.people = slices.Sorted(slices.Values(ids)) }
}

// WithEcho prints each input line before what it causes: for input that
// is not a terminal (a terminal shows what is typed already), so that the
// output of a piped scenario reads as a transcript.
func WithEcho() Option { return func(a *Adapter) { a.echo = true } }

// Adapter is the console bot.Adapter; it also implements bot.Topicer,
// bot.Pinner, bot.Mentioner and bot.ChannelFinder. Its methods are safe for concurrent use;
// Run may run once at a time.
type Adapter struct {
	in     io.Reader
	people []string // sorted; nil means anyone
	echo   bool

	mu      sync.Mutex // guards out (each message is one Write) and the state below
	out     io.Writer
	current string            // the channel input lines go to
	known   map[string]bool   // channel names in use: created, posted or spoken in
	seq     map[string]int    // channel -> messages warroom posted there
	newest  map[string]string // channel -> id of warroom's newest message
	kickoff map[string]string // channel -> id of the newest kickoff
	room    string            // the war room opened last: what #new switches to
	line    bool              // a line is being handled
	opened  string            // a war room opened while handling it
	clock   *demoClock        // nil: "~" lines are refused
}

// demoClock is what "~" lines drive (UseDemoClock).
type demoClock struct {
	now     func() time.Time
	advance func(ctx context.Context, d time.Duration)
}

// New returns a console reading in and writing out.
func New(in io.Reader, out io.Writer, opts ...Option) *Adapter {
	a := &Adapter{
		in: in, out: out, current: Start,
		known:  map[string]bool{Start: true},
		seq:    map[string]int{},
		newest: map[string]string{}, kickoff: map[string]string{},
	}
	for _, o := range opts {
		o(a)
	}
	return a
}

// UseDemoClock makes "~ <duration>" lines move time: now reads the clock,
// and advance moves it by d and does the timed work that falls due on the
// way (reminders, chases, expiring approvals), returning when that is done,
// so that the next line sees it. Without it such lines are refused.
func (a *Adapter) UseDemoClock(now func() time.Time, advance func(ctx context.Context, d time.Duration)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.clock = &demoClock{now: now, advance: advance}
}

// KnowChannels adds channels that exist though this console has not seen
// them yet (the war rooms of faults in the database), so that "#name"
// switches to them.
func (a *Adapter) KnowChannels(names ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, n := range names {
		if n = strings.TrimPrefix(n, "#"); n != "" {
			a.known[n] = true
		}
	}
}

// Announce prints the start-up banner: facts, one "* " line each (the
// binary says where it runs: database, HTTP address, plans, open faults),
// then the current channel and how to type.
func (a *Adapter) Announce(facts ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, f := range facts {
		_ = a.write("* ", f)
	}
	who := "alice"
	if len(a.people) > 0 {
		who = a.people[0]
	}
	clock := ""
	if a.clock != nil {
		clock = ", ~ 5m moves the demo clock"
	}
	_ = a.write("* ", fmt.Sprintf("you are in #%s; #<channel> switches, #%s goes to the war room opened last", a.current, NewestName))
	_ = a.write("* ", fmt.Sprintf("type <person>: <text> to speak as a person (%s: /fault help), <person>: +✅ to check in%s", who, clock))
}

// Platform implements bot.Adapter.
func (a *Adapter) Platform() string { return Platform }

// UsersAreCatalogIDs implements bot.PeopleByID: a console line's speaker is
// a catalog id.
func (a *Adapter) UsersAreCatalogIDs() bool { return true }

// Mention implements bot.Mentioner.
func (a *Adapter) Mention(p bot.Person) string { return "@" + p.ID }

// write prints text, each of its lines behind prefix, in one Write so that
// lines from concurrent posts never interleave. Callers hold a.mu.
func (a *Adapter) write(prefix, text string) error {
	var b strings.Builder
	for l := range strings.SplitSeq(strings.TrimRight(text, "\r\n"), "\n") {
		b.WriteString(strings.TrimRight(prefix+printable(strings.TrimSuffix(l, "\r")), " "))
		b.WriteByte('\n')
	}
	if _, err := io.WriteString(a.out, b.String()); err != nil {
		return fmt.Errorf("console: cannot write the output: %w", err)
	}
	return nil
}

// printable is s safe to print on a terminal: invalid UTF-8 becomes U+FFFD
// and control characters other than tab are written escaped (\x1b, \r),
// so that neither a line typed nor a text posted can move the cursor,
// clear the screen or end the line early.
func printable(s string) string {
	clean := func(r rune) bool { return r == '\t' || !unicode.IsControl(r) }
	if utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !clean(r) }) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if clean(r) {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRune(r) // '\x1b', '\r', '\u0085'
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}

// Sequential: a scenario piped in is replayed one line after another, and
// what a line starts (a plan run) finishes before the next, so the
// transcript is always the same.
func (a *Adapter) Sequential() bool { return true }

// event prints a "* " line; write errors are ignored as there is nobody to
// tell.
func (a *Adapter) event(format string, args ...any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	_ = a.write("* ", fmt.Sprintf(format, args...))
}

// CreateChannel implements bot.Adapter. A name in use gets a suffix
// (name-2); whitespace becomes "-" so that "#<name>" can be typed; "new" is
// never used, as "#new" means the war room opened last.
func (a *Adapter) CreateChannel(_ context.Context, name string) (bot.Channel, error) {
	name = strings.Join(strings.Fields(strings.TrimPrefix(name, "#")), "-")
	if name == "" {
		return bot.Channel{}, bot.Errorf(bot.EINVALID, "console: a channel needs a name")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	free := name
	for i := 2; a.known[free] || free == a.current || free == NewestName; i++ {
		free = fmt.Sprintf("%s-%d", name, i)
	}
	a.known[free] = true
	a.room = free
	if err := a.write("* ", "created #"+free); err != nil {
		return bot.Channel{}, err
	}
	if a.line {
		a.opened = free // said when the line is done
	} else {
		a.hint(free) // opened from outside (an alert, the API)
	}
	return bot.Channel{ID: free, Name: free}, nil
}

// hint says how to go to a war room just opened. Callers hold a.mu.
func (a *Adapter) hint(room string) {
	if room != a.current {
		_ = a.write("* ", fmt.Sprintf("war room #%s is open: type #%s (or #%s) to go there; you are in #%s", room, NewestName, room, a.current))
	}
}

// Invite implements bot.Adapter with one line for all.
func (a *Adapter) Invite(_ context.Context, channelID string, people []bot.Person) error {
	if len(people) == 0 {
		return nil
	}
	at := make([]string, len(people))
	for i, p := range people {
		at[i] = a.Mention(p)
	}
	ch := strings.TrimPrefix(channelID, "#")
	a.mu.Lock()
	defer a.mu.Unlock()
	a.known[ch] = true
	return a.write("* ", fmt.Sprintf("invited %s to #%s", strings.Join(at, ", "), ch))
}

// Post implements bot.Adapter; message ids are "#<channel>/<n>".
func (a *Adapter) Post(_ context.Context, channelID string, m bot.Message) (string, error) {
	ch := strings.TrimPrefix(channelID, "#")
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.write("[#"+ch+"] warroom: ", m.Text); err != nil {
		return "", err
	}
	a.known[ch] = true
	a.seq[ch]++
	id := fmt.Sprintf("#%s/%d", ch, a.seq[ch])
	a.newest[ch] = id
	if m.Kind == bot.KindKickoff {
		a.kickoff[ch] = id
	}
	return id, nil
}

// FindChannel implements bot.ChannelFinder. Channel ids are channel names
// on the console, and warroom may post in any channel (posting in one
// makes it), so a name is always found, as itself.
func (a *Adapter) FindChannel(_ context.Context, name string) (bot.Channel, error) {
	ch := strings.TrimPrefix(name, "#")
	if ch == "" || strings.ContainsAny(ch, " \t\n") {
		return bot.Channel{}, bot.Errorf(bot.EINVALID, "console: %q is not a channel name", name)
	}
	return bot.Channel{ID: ch, Name: ch}, nil
}

// RememberKickoff implements bot.KickoffMemory: the console keeps no
// history, so after a restart the core tells it which message of a war room
// is the kickoff. Later ids in that channel continue after it.
func (a *Adapter) RememberKickoff(channelID, messageID string) {
	ch := strings.TrimPrefix(channelID, "#")
	a.mu.Lock()
	defer a.mu.Unlock()
	a.known[ch] = true
	if a.kickoff[ch] == "" {
		a.kickoff[ch] = messageID
	}
	if i := strings.LastIndexByte(messageID, '/'); i >= 0 {
		if n, err := strconv.Atoi(messageID[i+1:]); err == nil && n > a.seq[ch] {
			a.seq[ch] = n
		}
	}
}

// DM implements bot.Adapter.
func (a *Adapter) DM(_ context.Context, p bot.Person, m bot.Message) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.write("[@"+p.ID+"] warroom: ", m.Text)
}

// SetTopic implements bot.Topicer; the topic is printed on one line.
func (a *Adapter) SetTopic(_ context.Context, channelID, topic string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	topic = strings.Join(strings.Fields(topic), " ")
	return a.write("* ", fmt.Sprintf("topic of #%s: %s", strings.TrimPrefix(channelID, "#"), topic))
}

// Pin implements bot.Pinner.
func (a *Adapter) Pin(_ context.Context, channelID, _ string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.write("* ", "pinned a message in #"+strings.TrimPrefix(channelID, "#"))
}

// input is one line read: its text, or how long it was when over MaxLine.
type input struct {
	text    string
	tooLong int // its length in bytes, when over MaxLine; text is then ""
}

// Run implements bot.Adapter. It handles one line at a time, line N fully
// before line N+1, and returns nil at the end of input or ctx.Err() as soon
// as ctx is done, even while the reader blocks (the reading goroutine then
// ends with the reader's next line or error). Only a failing reader ends
// it early: no line does.
func (a *Adapter) Run(ctx context.Context, h bot.Handler) error {
	lines := make(chan input)
	errc := make(chan error, 1)
	stop := make(chan struct{})
	defer close(stop)
	go a.read(lines, errc, stop)
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case in, ok := <-lines:
			if !ok {
				return <-errc
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if n == 1 {
				in.text = strings.TrimPrefix(in.text, "\ufeff")
			}
			a.handleLine(ctx, h, n, in)
		}
	}
}

func (a *Adapter) read(lines chan<- input, errc chan<- error, stop <-chan struct{}) {
	defer close(lines)
	r := bufio.NewReaderSize(a.in, 64<<10)
	for {
		in, err := readLine(r)
		if err == nil || (err == io.EOF && (in.text != "" || in.tooLong > 0)) {
			select {
			case lines <- in:
			case <-stop:
				return
			}
		}
		if err == io.EOF {
			errc <- nil
			return
		} else if err != nil {
			errc <- fmt.Errorf("console: reading input: %w", err)
			return
		}
	}
}

// readLine reads up to the next "\n" (dropped, with a "\r" before it). A
// line over MaxLine is read to its end and dropped, its length kept, so
// that the next line starts where it should.
func readLine(r *bufio.Reader) (input, error) {
	var (
		buf  []byte
		size int  // bytes before the newline
		last byte // the last of them
	)
	for {
		chunk, err := r.ReadSlice('\n')
		body := chunk
		if err == nil {
			body = chunk[:len(chunk)-1] // the newline
		}
		if len(body) > 0 {
			last = body[len(body)-1]
		}
		size += len(body)
		if size <= MaxLine+1 { // room for a "\r"
			buf = append(buf, body...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if size > 0 && last == '\r' {
			size--
			if size < len(buf) {
				buf = buf[:size]
			}
		}
		if size > MaxLine {
			return input{tooLong: size}, err
		}
		return input{text: string(buf)}, err
	}
}
