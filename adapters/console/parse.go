package console

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind is what an input line asks for.
type Kind int

// Kinds of input line.
const (
	Blank  Kind = iota // a blank line or a comment: nothing to do
	Say                // <person>: <text>
	React              // <person>: +<emoji>
	Switch             // #<channel>
)

// Line is one parsed input line.
type Line struct {
	Kind    Kind
	Person  string // Say, React: the catalog person id
	Text    string // Say
	Emoji   string // React: a shortcode without colons, or the character
	Channel string // Switch: the channel name without #
}

// ErrUnreadable is what ParseLine returns for a line it cannot read; its
// message says what to type instead.
var ErrUnreadable = errors.New("type <person>: <text>, <person>: +<emoji> or #<channel>")

// ParseLine reads one input line. Surrounding whitespace (and so the \r of
// CRLF) is ignored.
func ParseLine(s string) (Line, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Line{Kind: Blank}, nil
	}
	if rest, ok := strings.CutPrefix(s, "#"); ok {
		switch {
		case rest == "" || startsWithSpace(rest):
			return Line{Kind: Blank}, nil // "# ..." is a comment
		case hasSpace(rest):
			return Line{}, ErrUnreadable // channel names have no spaces
		}
		return Line{Kind: Switch, Channel: rest}, nil
	}
	person, text, ok := strings.Cut(s, ":")
	person = strings.TrimLeft(strings.TrimSpace(person), "@") // "@alice: hi" is fine too
	text = strings.TrimSpace(text)
	if !ok || person == "" || hasSpace(person) || strings.HasPrefix(person, "#") || text == "" {
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

// String formats the line back as input, so that ParseLine(l.String()) == l.
func (l Line) String() string {
	switch l.Kind {
	case Say:
		return l.Person + ": " + l.Text
	case React:
		return l.Person + ": +:" + l.Emoji + ":" // colons keep odd emoji (":x") intact
	case Switch:
		return "#" + l.Channel
	}
	return ""
}

func hasSpace(s string) bool { return strings.IndexFunc(s, unicode.IsSpace) >= 0 }

func startsWithSpace(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}
