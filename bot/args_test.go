package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/adapters/adaptertest"
	"github.com/warroom/warroom/bot"
)

// TestUsageIsGeneratedFromArgs: the usage of every verb, as PRODUCT.md's
// "Chat commands" has it, comes out of its Args. A new verb is added here.
func TestUsageIsGeneratedFromArgs(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"declare": `P1|P2|P3|P4 <title...> [service=<name>] [cause=<name>] [kind=<kind>] [started="<when>"]`,
		"checkin": "", "roles": "", "tasks": "", "call": "", "status": "", "timeline": "", "list": "", "plans": "", "runs": "",
		"role":      "commander|handler|responder @person",
		"invite":    "@person... | service=<name>", // the spec's `@person | service=<name>`: it takes several
		"cause":     "<service>",
		"level":     "P1|P2|P3|P4",
		"task":      "@person <text>",
		"done":      "<task#>",
		"update":    "<text>",
		"mitigated": "[note]",
		"resolve":   "[note]",
		"help":      "[command]",
		"run":       `<plan> [key=value...] [override="<reason>"]`,
		"approve":   "<run#>",
		"deny":      "<run#> [reason]",
	}
	got := map[string]string{}
	for _, v := range bot.DefaultRegistry().Verbs() {
		got[v.Name] = v.Usage()
	}
	assert.Equal(t, want, got)
}

func TestHelpShowsGeneratedUsage(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	help := r.say("general", "cy", "/fault help")
	assert.Contains(t, help, `/fault declare P1|P2|P3|P4 <title...> [service=<name>] [cause=<name>] [kind=<kind>] [started="<when>"] — open a war room`)
	assert.Contains(t, help, "/fault checkin — say you are here")
	one := r.say("general", "cy", "/fault help invite")
	assert.Contains(t, one, "/fault invite @person... | service=<name> — bring people")
	assert.Contains(t, one, "\n  @person... (optional): Who to invite")
	assert.Contains(t, one, "\n  service=<name> (optional): Invite this service's contacts")
	assert.Contains(t, r.say("general", "cy", "/fault declare P5 x"), "Type: /fault declare P1|P2|P3|P4 <title...> [service=<name>]")
}

func TestRegisterChecksArgs(t *testing.T) {
	t.Parallel()
	run := func(context.Context, *bot.Bot, *bot.Request) error { return nil }
	word := bot.Arg{Name: "w", Kind: bot.ArgWord, Desc: "a word"}
	req := func(a bot.Arg) bot.Arg { a.Required = true; return a }
	many := func(a bot.Arg) bot.Arg { a.Many = true; return a }
	named := func(a bot.Arg, n string) bot.Arg { a.Name = n; return a }
	text := bot.Arg{Name: "text", Kind: bot.ArgText, Desc: "text"}
	for _, tc := range []struct {
		name string
		args []bot.Arg
		err  string // "" = registers
	}{
		{"good", []bot.Arg{req(bot.Arg{Name: "who", Kind: bot.ArgPerson, Desc: "x"}), many(word), {Name: "v", Key: "opt", Kind: bot.ArgText, Desc: "x"}}, ""},
		{"no desc", []bot.Arg{{Name: "w", Kind: bot.ArgWord}}, "a Desc is needed"},
		{"bad name", []bot.Arg{named(word, "Word")}, "one lowercase word"},
		{"twice", []bot.Arg{word, word}, "used twice"},
		{"required after optional", []bot.Arg{word, req(named(word, "x"))}, "required argument comes after an optional one"},
		{"many not last", []bot.Arg{many(word), named(word, "x")}, "takes the rest of the line"},
		{"two many", []bot.Arg{many(word), many(named(word, "x"))}, "takes the rest of the line"},
		{"text not last", []bot.Arg{text, {Name: "v", Key: "opt", Kind: bot.ArgWord, Desc: "x"}}, "takes the rest of the line"},
		{"options after many words", []bot.Arg{many(word), {Name: "v", Key: "opt", Kind: bot.ArgWord, Desc: "x"}, {Name: "kv", Kind: bot.ArgKeyValue, Many: true, Desc: "x"}}, ""},
		{"choices on a number", []bot.Arg{{Name: "n", Kind: bot.ArgNumber, Choices: []string{"1"}, Desc: "x"}}, "choices are for"},
		{"choices on a word", []bot.Arg{{Name: "w", Kind: bot.ArgWord, Choices: []string{"a", "b"}, Desc: "x"}}, ""},
		{"many levels", []bot.Arg{many(bot.Arg{Name: "l", Kind: bot.ArgLevel, Desc: "x"})}, "one value"},
		{"many texts", []bot.Arg{many(text)}, "one value"},
		{"bad key", []bot.Arg{{Name: "v", Key: "Opt", Kind: bot.ArgWord, Desc: "x"}}, "Key must be"},
		{"keyed key=value", []bot.Arg{{Name: "v", Key: "opt", Kind: bot.ArgKeyValue, Desc: "x"}}, "Key must be"},
		{"or first", []bot.Arg{{Name: "w", Kind: bot.ArgWord, Or: true, Desc: "x"}}, "Or joins"},
		{"or required", []bot.Arg{req(word), {Name: "v", Key: "opt", Kind: bot.ArgWord, Or: true, Desc: "x"}}, "Or joins"},
		{"unknown kind", []bot.Arg{{Name: "w", Kind: bot.ArgKind(99), Desc: "x"}}, "unknown kind"},
	} {
		err := bot.NewRegistry().Register(bot.Verb{Name: "v", Args: tc.args, Run: run})
		if tc.err == "" {
			assert.NoError(t, err, tc.name)
		} else if assert.Error(t, err, tc.name) {
			assert.Contains(t, err.Error(), tc.err, tc.name)
		}
	}
	r := bot.NewRegistry()
	require.NoError(t, r.Register(bot.Verb{Name: "v", Args: []bot.Arg{{Name: "role", Kind: bot.ArgRole, Desc: "x"}}, Run: run}))
	assert.Equal(t, []string{"commander", "handler", "responder"}, r.Verbs()[0].Args[0].Choices, "a role's choices are filled in")
}

func TestLineQuotesWhatWouldNotParseBack(t *testing.T) {
	t.Parallel()
	reg := bot.DefaultRegistry()
	verb := func(name string) *bot.Verb { v, err := reg.Lookup("fault", name); require.NoError(t, err); return v }
	assert.Equal(t, `/fault declare P2 db "x=1" down service=ledger kind="server down"`,
		verb("declare").Line("fault", map[string][]string{"level": {"P2"}, "title": {" db x=1 down "}, "service": {"ledger"}, "kind": {"server down"}}))
	assert.Equal(t, "/fault update rolled back; error=0.1%", verb("update").Line("fault", map[string][]string{"text": {"rolled back; error=0.1%"}}),
		"free text is the rest of the line, as typed")
	assert.Equal(t, `/fault run restart region=eu override="it's worse"`,
		verb("run").Line("fault", map[string][]string{"plan": {"restart"}, "params": {"region=eu"}, "reason": {"ignored: not the option's name"}, "override": {"it's worse"}}))
	assert.Equal(t, "/fault invite @ana @ben", verb("invite").Line("fault", map[string][]string{"person": {"@ana", "", "@ben"}}))
}

// TestEveryVerbParsesItsSample: every registered verb, given a value for
// every argument it declares, parses the line. The answer may be a refusal
// of the state (there is no task #1, no plan is loaded), never a usage
// error: with the adapters' reachability tests (adaptertest.Reach), every
// argument a platform offers reaches a parser that takes it.
func TestEveryVerbParsesItsSample(t *testing.T) {
	t.Parallel()
	for _, v := range bot.DefaultRegistry().Verbs() {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			f := r.declare("/fault declare P2 Ledger down service=ledger")
			line := adaptertest.Sample(v, "ben", "gus").Line("fault", func(p string) string { return "@" + p })
			ch := f.Channel
			if v.Scope == bot.AnyChannel {
				ch = "general"
			}
			reply := r.say(ch, "dee", line) // the commander: few refusals
			t.Logf("%s → %s", line, reply)
			require.NotEmpty(t, reply, line)
			for _, bad := range []string{"Type: /fault " + v.Name, "unknown option", `unknown command "` + v.Name} {
				assert.NotContains(t, reply, bad, line)
			}
			if v.Name != "help" { // help's sample names no command
				assert.False(t, strings.Contains(reply, "unknown command"), reply)
			}
		})
	}
}
