package console

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/warroom/warroom/bot"
)

// handleLine acts on input line n: it echoes it (WithEcho), handles it,
// and then says how to reach a war room the line opened. It calls h on
// Run's goroutine and without a.mu, since h answers through the adapter.
func (a *Adapter) handleLine(ctx context.Context, h bot.Handler, n int, in input) {
	if in.tooLong > 0 {
		a.event("line %d is %d bytes long, over the %d a line may have: ignored; type it shorter", n, in.tooLong, MaxLine)
		return
	}
	a.mu.Lock()
	if a.echo {
		_ = a.write("", in.text)
	}
	a.line, a.opened = true, ""
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.opened != "" {
			a.hint(a.opened)
		}
		a.line, a.opened = false, ""
	}()
	a.handle(ctx, h, n, in.text)
}

// handle acts on input line n.
func (a *Adapter) handle(ctx context.Context, h bot.Handler, n int, s string) {
	l, err := ParseLine(s)
	if err != nil {
		a.event("cannot read line %d: %s: %v", n, quoteShort(strings.TrimRight(s, "\r")), err)
		return
	}
	switch l.Kind {
	case Switch:
		a.switchTo(l.Channel)
	case Newest:
		a.switchNewest()
	case Advance:
		a.advance(ctx, l)
	case Say:
		if a.knows(l.Person) {
			a.deliver(ctx, h, n, bot.Inbound{Message: &bot.Incoming{Channel: a.speak(), User: l.Person, Text: l.Text}})
		}
	case React:
		if !a.knows(l.Person) {
			return
		}
		ch, msg := a.target()
		if msg == "" {
			a.event("no message from warroom in #%s to react to", ch)
			return
		}
		a.deliver(ctx, h, n, bot.Inbound{Reaction: &bot.Reaction{Channel: ch, Message: msg, User: l.Person, Emoji: l.Emoji}})
	}
}

// deliver keeps line n's event (bot.Keep) and has it handled: a line read
// is not lost to a kill before its handling is done. A line the store
// cannot keep is not handled, and the console says so.
func (a *Adapter) deliver(ctx context.Context, h bot.Handler, n int, ev bot.Inbound) {
	k, err := bot.Keep(ctx, h, ev)
	if err != nil {
		a.event("line %d was not recorded: %s; type it again", n, bot.ErrorMessage(err))
		return
	}
	k.Handle(ctx)
}

// quoteShort quotes s for an error line, cut to its first 80 characters.
func quoteShort(s string) string {
	if r := []rune(s); len(r) > 80 {
		return fmt.Sprintf("%q... (%d characters)", string(r[:80]), len(r))
	}
	return fmt.Sprintf("%q", s)
}

// switchTo makes a channel the console knows the current one; another is
// refused with the list of those it knows.
func (a *Adapter) switchTo(ch string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.known[ch] {
		names := a.channels()
		hint := ""
		if best := bot.Closest(ch, names); best != "" {
			hint = fmt.Sprintf(" (did you mean #%s?)", best)
		}
		_ = a.write("* ", fmt.Sprintf("no channel #%s%s; you are still in #%s. Channels: %s", ch, hint, a.current, listChannels(names)))
		return
	}
	a.current = ch
	_ = a.write("* ", "you are in #"+ch)
}

// switchNewest goes to the war room opened last.
func (a *Adapter) switchNewest() {
	a.mu.Lock()
	room := a.room
	if room == "" {
		_ = a.write("* ", fmt.Sprintf("#%s goes to the war room opened last, and none was opened since warroom started; you are still in #%s. Channels: %s",
			NewestName, a.current, listChannels(a.channels())))
		a.mu.Unlock()
		return
	}
	a.mu.Unlock()
	a.switchTo(room)
}

// channels lists the channels the console knows, sorted. Callers hold a.mu.
func (a *Adapter) channels() []string {
	out := make([]string, 0, len(a.known))
	for c := range a.known {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// listChannels writes channel names as "#a, #b", the first 20 of them.
func listChannels(names []string) string {
	const most = 20
	shown := names[:min(len(names), most)]
	s := "#" + strings.Join(shown, ", #")
	if len(names) > most {
		s += fmt.Sprintf(" and %d more", len(names)-most)
	}
	return s
}

// advance moves the demo clock for a "~" line, or refuses the line when
// there is none.
func (a *Adapter) advance(ctx context.Context, l Line) {
	a.mu.Lock()
	c := a.clock
	a.mu.Unlock()
	if c == nil {
		a.event("~ %s: the clock is the real one here; start warroom with -demo-clock to move it with ~ lines", durText(l.By))
		return
	}
	from := c.now()
	to := from.Add(l.By)
	a.event("clock %s → %s (+%s)", bot.ClockTime(from, from), bot.ClockTime(to, from), durText(l.By))
	c.advance(ctx, l.By)
}

// speak returns the current channel, which is now in use.
func (a *Adapter) speak() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.known[a.current] = true
	return a.current
}

// target returns the current channel and the message a reaction there is
// for: the kickoff in a war room, else warroom's newest message.
func (a *Adapter) target() (channel, message string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if id := a.kickoff[a.current]; id != "" {
		return a.current, id
	}
	return a.current, a.newest[a.current]
}

// knows reports whether id may type, and says why not when it may not.
func (a *Adapter) knows(id string) bool {
	if a.people == nil || slices.Contains(a.people, id) {
		return true
	}
	a.event("unknown person %q%s", id, bot.Suggest(id, a.people, 12))
	return false
}
