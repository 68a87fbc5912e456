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
//	#<channel>           switches the current channel (the start is #general)
//
// Output:
//
//	[#<channel>] warroom: <text>   a channel post, one line per text line
//	[@<person>] warroom: <text>    a direct message
//	* <what happened>              a platform event
//
// Extensions to the contract: blank lines and comments ("#" followed by
// whitespace, or alone) are ignored; "@alice: hi" reads as "alice: hi"; a
// byte-order mark before the first line is ignored; channel ids passed to
// the adapter may carry a leading "#". Channel ids are channel names.
package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/warroom/warroom/bot"
)

// Platform is the platform name; people's catalog ids are their user ids.
const Platform = "console"

// MaxLine is the longest input line the console reads.
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

// Adapter is the console bot.Adapter; it also implements bot.Topicer,
// bot.Pinner, bot.Mentioner and bot.ChannelFinder. Its methods are safe for concurrent use;
// Run may run once at a time.
type Adapter struct {
	in     io.Reader
	people []string // sorted; nil means anyone

	mu      sync.Mutex // guards out (each message is one Write) and the state below
	out     io.Writer
	current string            // the channel input lines go to
	known   map[string]bool   // channel names in use: created, posted or spoken in
	seq     map[string]int    // channel -> messages warroom posted there
	newest  map[string]string // channel -> id of warroom's newest message
	kickoff map[string]string // channel -> id of the newest kickoff
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
		b.WriteString(strings.TrimRight(prefix+strings.TrimSuffix(l, "\r"), " "))
		b.WriteByte('\n')
	}
	if _, err := io.WriteString(a.out, b.String()); err != nil {
		return fmt.Errorf("console: cannot write the output: %w", err)
	}
	return nil
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
// (name-2); whitespace becomes "-" so that "#<name>" can be typed.
func (a *Adapter) CreateChannel(_ context.Context, name string) (bot.Channel, error) {
	name = strings.Join(strings.Fields(strings.TrimPrefix(name, "#")), "-")
	if name == "" {
		return bot.Channel{}, bot.Errorf(bot.EINVALID, "console: a channel needs a name")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	free := name
	for i := 2; a.known[free] || free == a.current; i++ {
		free = fmt.Sprintf("%s-%d", name, i)
	}
	a.known[free] = true
	if err := a.write("* ", "created #"+free); err != nil {
		return bot.Channel{}, err
	}
	return bot.Channel{ID: free, Name: free}, nil
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
// on the console, and every channel exists (posting in one, or typing
// "#name", makes it), so a name is always found, as itself.
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

// Run implements bot.Adapter. It handles one line at a time, line N fully
// before line N+1, and returns nil at the end of input or ctx.Err() as soon
// as ctx is done, even while the reader blocks (the reading goroutine then
// ends with the reader's next line or error).
func (a *Adapter) Run(ctx context.Context, h bot.Handler) error {
	lines := make(chan string)
	errc := make(chan error, 1)
	stop := make(chan struct{})
	defer close(stop)
	go a.read(lines, errc, stop)
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case s, ok := <-lines:
			if !ok {
				return <-errc
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if n == 1 {
				s = strings.TrimPrefix(s, "\ufeff")
			}
			a.handle(ctx, h, n, s)
		}
	}
}

func (a *Adapter) read(lines chan<- string, errc chan<- error, stop <-chan struct{}) {
	defer close(lines)
	sc := bufio.NewScanner(a.in)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	for sc.Scan() {
		select {
		case lines <- sc.Text():
		case <-stop:
			return
		}
	}
	err := sc.Err()
	if err != nil {
		err = fmt.Errorf("console: reading input: %w", err)
	}
	errc <- err
}
