package console_test

import (
	"testing"
	"time"

	"github.com/warroom/warroom/adapters/console"
)

func TestParseLine(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]console.Line{
		"alice: /fault checkin":      {Kind: console.Say, Person: "alice", Text: "/fault checkin"},
		"  @bob:hi there \r":         {Kind: console.Say, Person: "bob", Text: "hi there"},
		"bob: a: b":                  {Kind: console.Say, Person: "bob", Text: "a: b"},
		"bob: +1 agreed":             {Kind: console.Say, Person: "bob", Text: "+1 agreed"},
		"bob: +":                     {Kind: console.Say, Person: "bob", Text: "+"},
		"bob: +::":                   {Kind: console.Say, Person: "bob", Text: "+::"},
		"bob: +✅":                    {Kind: console.React, Person: "bob", Emoji: "✅"},
		"bob: +white_check_mark":     {Kind: console.React, Person: "bob", Emoji: "white_check_mark"},
		"bob: +:white_check_mark:\r": {Kind: console.React, Person: "bob", Emoji: "white_check_mark"},
		"bob: +:+1:":                 {Kind: console.React, Person: "bob", Emoji: "+1"},
		"#fault-1-checkout":          {Kind: console.Switch, Channel: "fault-1-checkout"},
		"#general\r":                 {Kind: console.Switch, Channel: "general"},
		"":                           {Kind: console.Blank},
		" \r":                        {Kind: console.Blank},
		"#":                          {Kind: console.Blank},
		"# comment: with a colon":    {Kind: console.Blank},
		"#\tcomment":                 {Kind: console.Blank},
		"#new":                       {Kind: console.Newest},
		"#new-2":                     {Kind: console.Switch, Channel: "new-2"},
		"~ 5m":                       {Kind: console.Advance, By: 5 * time.Minute},
		" ~90s\r":                    {Kind: console.Advance, By: 90 * time.Second},
		"~ 24h":                      {Kind: console.Advance, By: console.MaxAdvance},
		"alice: ~ 5m":                {Kind: console.Say, Person: "alice", Text: "~ 5m"},
	} {
		if got, err := console.ParseLine(in); err != nil || got != want {
			t.Errorf("ParseLine(%q) = %+v, %v, want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"no colon", ": text", "alice smith: hi", "alice:", "alice:   ", "#two words", "@: hi", "@#x: hi",
		"~", "~ 0s", "~ -5m", "~ 24h1s", "~ soon", "~5", "~x: hi", "@~x: hi"} {
		if got, err := console.ParseLine(in); err == nil {
			t.Errorf("ParseLine(%q) = %+v, want an error", in, got)
		}
	}
}

// FuzzParseLine: no input panics, and a parsed line formats back to input
// that parses the same. Seeds are also under testdata/fuzz/FuzzParseLine.
func FuzzParseLine(f *testing.F) {
	for _, s := range []string{
		"alice: hi", "bob: +✅", "bob: +:white_check_mark:", "#general", "# comment",
		"", "no colon", "@alice: hi", "bob: +::", "bob: +:::", "a\x85b: c", "#\xc2\x85x",
		"~ 5m", "~90s", "~ -1s", "~ 1h30m", "~ 25h", "#new", "#new-2", "@~x: hi", "alice: ~ 5m", "bob: \x00\x1b\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := console.ParseLine(s)
		if err != nil || l.Kind == console.Blank {
			return
		}
		again, err := console.ParseLine(l.String())
		if err != nil || again != l {
			t.Fatalf("ParseLine(%q) = %+v; its String %q parses as %+v, %v", s, l, l.String(), again, err)
		}
	})
}
