package console

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Kind is what an input line asks for.
type Kind int

// Kinds of input line.
const (
	Blank   Kind = iota // a blank line or a comment: nothing to do
	Say                 // <person>: <text>
	React               // <person>: +<emoji>
	Switch              // #<channel>
	Newest              // #new: switch to the war room opened last
	Advance             // ~ <duration>: move the demo clock
)

// NewestName is what "#new" switches to: the war room opened last. The
// console never creates a channel by that name (it would be "new-2"), so
// that "#new" always means this.
const NewestName = "new"

// Line is one parsed input line.
type Line struct {
	Kind    Kind
	Person  string        // Say, React: the catalog person id
	Text    string        // Say
	Emoji   string        // React: a shortcode without colons, or the character
	Channel string        // Switch: the channel name without #
	By      time.Duration // Advance: how far the clock moves (> 0)
}

// ErrUnreadable is what ParseLine returns for a line it cannot read; its
// message says what to type instead.
var ErrUnreadable = errors.New("type <person>: <text>, <person>: +<emoji>, #<channel> or ~ <duration>")

// MaxAdvance is the furthest one "~" line moves the demo clock: a day, so
// that a typo (~ 5000h) does not spin through years of timed work.
const MaxAdvance = 24 * time.Hour

// ParseLine reads one input line. Surrounding whitespace (and so the \r of
// CRLF) is ignored.
func ParseLine(s string) (Line, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Line{Kind: Blank}, nil
	}
	if rest, ok := strings.CutPrefix(s, "~"); ok {
		return parseAdvance(strings.TrimSpace(rest))
	}
	if rest, ok := strings.CutPrefix(s, "#"); ok {
		switch {
		case rest == "" || startsWithSpace(rest):
			return Line{Kind: Blank}, nil // "# ..." is a comment
		case hasSpace(rest):
			return Line{}, ErrUnreadable // channel names have no spaces
		case rest == NewestName:
			return Line{Kind: Newest}, nil
		}
		return Line{Kind: Switch, Channel: rest}, nil
	}
	person, text, ok := strings.Cut(s, ":")
	person = strings.TrimLeft(strings.TrimSpace(person), "@") // "@alice: hi" is fine too
	text = strings.TrimSpace(text)
	if !ok || person == "" || hasSpace(person) || strings.HasPrefix(person, "#") || strings.HasPrefix(person, "~") || text == "" {
		return Line{}, ErrUnreadable
	}
	if e, ok := strings.CutPrefix(text, "+"); ok && e != "" && !hasSpace(e) {
		if len(e) >= 2 && strings.HasPrefix(e, ":") && strings.HasSuffix(e, ":") {
			e = e[1 : len(e)-1]
		}
		if e != "" { // "+::" is just text
			return Line{Kind: React, Person: person, Emoji: e}, nil
		}
	}
	return Line{Kind: Say, Person: person, Text: text}, nil
}

// parseAdvance reads the duration of a "~" line: a Go duration ("90s",
// "5m", "1h30m"), positive and at most MaxAdvance.
func parseAdvance(s string) (Line, error) {
	d, err := time.ParseDuration(s)
	switch {
	case s == "":
		return Line{}, errors.New("~ takes a duration: ~ 5m, ~ 90s or ~ 1h30m")
	case err != nil:
		return Line{}, fmt.Errorf("%q is not a duration; type ~ 5m, ~ 90s or ~ 1h30m", s)
	case d <= 0:
		return Line{}, fmt.Errorf("the clock only moves forward; type a positive duration such as ~ 5m")
	case d > MaxAdvance:
		return Line{}, fmt.Errorf("~ moves the clock at most %s at a time; split %s into several lines", durText(MaxAdvance), s)
	}
	return Line{Kind: Advance, By: d}, nil
}

// String formats the line back as input, so that ParseLine(l.String()) == l.
func (l Line) String() string {
	switch l.Kind {
	case Say:
		return l.Person + ": " + l.Text
	case React:
		return l.Person + ": +:" + l.Emoji + ":" // colons keep odd emoji (":x") intact
	case Switch:
		return "#" + l.Channel
	case Newest:
		return "#" + NewestName
	case Advance:
		return "~ " + l.By.String()
	}
	return ""
}

// durText is a duration as people write it: "5m", "1h30m", "90ms".
func durText(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func hasSpace(s string) bool { return strings.IndexFunc(s, unicode.IsSpace) >= 0 }

func startsWithSpace(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}
