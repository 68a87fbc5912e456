package adaptertest

import (
	"testing"

	"github.com/warroom/warroom/bot"
)

// A Command is one verb with a sample value for every one of its
// arguments, optional ones too: what a user would give it.
type Command struct {
	Verb *bot.Verb
	// Values are by Arg.Option(), as bot.Verb.Line takes them, except that
	// persons are catalog ids: each platform mentions them its own way.
	Values map[string][]string
}

// Sample values by kind; levels, roles and other arguments with choices
// take their last choice. An argument that takes several gets two.
var samples = map[bot.ArgKind][]string{
	bot.ArgNumber:   {"1"},
	bot.ArgWord:     {"ledger", "writes"},
	bot.ArgText:     {"some words"},
	bot.ArgKeyValue: {"region=eu", "mode=soft"},
}

// Sample gives every argument of v a value. Persons are taken from people
// in turn (two for an argument that takes several).
func Sample(v *bot.Verb, people ...string) Command {
	c := Command{Verb: v, Values: map[string][]string{}}
	next := 0
	for _, a := range v.Args {
		n := 1
		if a.Many {
			n = 2
		}
		var vals []string
		for i := range n {
			switch {
			case a.Kind == bot.ArgPerson:
				vals = append(vals, people[next%len(people)])
				next++
			case len(a.Choices) > 0:
				vals = append(vals, a.Choices[len(a.Choices)-1])
			case a.Example != "":
				vals = append(vals, a.Example)
			default:
				s := samples[a.Kind]
				vals = append(vals, s[i%len(s)])
			}
		}
		c.Values[a.Option()] = vals
	}
	return c
}

// Line is the command's line, persons mentioned by mention: what the core
// must receive.
func (c Command) Line(word string, mention func(person string) string) string {
	vals := map[string][]string{}
	for _, a := range c.Verb.Args {
		for _, v := range c.Values[a.Option()] {
			if a.Kind == bot.ArgPerson {
				v = mention(v)
			}
			vals[a.Option()] = append(vals[a.Option()], v)
		}
	}
	return c.Verb.Line(word, vals)
}

// Reach proves that every verb of reg is reachable, with every argument,
// through an adapter: for each verb, send delivers Sample(verb, alice, bob)
// the way the platform's users give commands (a slash command and its
// options, a typed line) and returns the text the handler received, which
// must be the command's line with persons mentioned by mention. A verb or
// an argument missing from the platform's schema fails here, in send (it
// cannot be given) or in the comparison (it did not arrive).
func Reach(t *testing.T, word string, reg *bot.Registry, mention func(person string) string, send func(t *testing.T, c Command) string) {
	t.Helper()
	if len(reg.Verbs()) == 0 {
		t.Fatal("the registry has no verbs")
	}
	for _, v := range reg.Verbs() {
		t.Run(v.Name, func(t *testing.T) {
			c := Sample(v, "alice", "bob")
			want := c.Line(word, mention)
			if got := send(t, c); got != want {
				t.Errorf("the core received %q, want %q", got, want)
			}
		})
	}
}
