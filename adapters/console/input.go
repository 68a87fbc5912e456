package console

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/warroom/warroom/bot"
)

// handle acts on input line n. It calls h on Run's goroutine and without
// a.mu, since h answers through the adapter.
func (a *Adapter) handle(ctx context.Context, h bot.Handler, n int, s string) {
	l, err := ParseLine(s)
	if err != nil {
		a.event("cannot read line %d: %q: %v", n, strings.TrimRight(s, "\r"), err)
		return
	}
	switch l.Kind {
	case Switch:
		a.mu.Lock()
		a.current = l.Channel
		a.mu.Unlock()
	case Say:
		if a.knows(l.Person) {
			h.HandleMessage(ctx, bot.Incoming{Channel: a.speak(), User: l.Person, Text: l.Text})
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
		h.HandleReaction(ctx, bot.Reaction{Channel: ch, Message: msg, User: l.Person, Emoji: l.Emoji})
	}
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
	hint := ""
	switch best := bot.Closest(id, a.people); {
	case best != "":
		hint = fmt.Sprintf("; did you mean %s?", best)
	case len(a.people) > 12:
		hint = fmt.Sprintf("; known: %s, ...", strings.Join(a.people[:12], ", "))
	case len(a.people) > 0:
		hint = "; known: " + strings.Join(a.people, ", ")
	}
	a.event("unknown person %q%s", id, hint)
	return false
}
