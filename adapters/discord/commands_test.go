package discord_test

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/warroom/warroom/adapters/adaptertest"
	"github.com/warroom/warroom/adapters/discord"
	"github.com/warroom/warroom/adapters/discord/discordfake"
	"github.com/warroom/warroom/bot"
)

var discordName = regexp.MustCompile(`^[-_a-z0-9]{1,32}$`)

// TestCommandsKeepDiscordsLimits: the application command generated from
// the registry is one Discord accepts: at most 25 subcommands and 25
// options each, lowercase names of up to 32 characters, descriptions of 1
// to 100, required options first, at most 25 choices. Every verb is a
// subcommand; aliases are not.
func TestCommandsKeepDiscordsLimits(t *testing.T) {
	t.Parallel()
	cmds := discord.Commands("fault")
	if len(cmds) != 1 {
		t.Fatalf("%d commands, want 1", len(cmds))
	}
	cmd := cmds[0]
	desc := func(what, d string) {
		if n := utf8.RuneCountInString(d); n < 1 || n > 100 {
			t.Errorf("%s: description %q is %d characters, want 1 to 100", what, d, n)
		}
	}
	desc("/fault", cmd.Description)
	if len(cmd.Options) > 25 {
		t.Errorf("%d subcommands, Discord takes 25", len(cmd.Options))
	}
	var subs []string
	for _, sc := range cmd.Options {
		subs = append(subs, sc.Name)
		what := "/fault " + sc.Name
		if sc.Type != discordgo.ApplicationCommandOptionSubCommand || !discordName.MatchString(sc.Name) {
			t.Errorf("%s: type %v, name %q", what, sc.Type, sc.Name)
		}
		desc(what, sc.Description)
		if len(sc.Options) > 25 {
			t.Errorf("%s: %d options, Discord takes 25", what, len(sc.Options))
		}
		seen, optional := map[string]bool{}, false
		for _, o := range sc.Options {
			what := what + " " + o.Name
			if !discordName.MatchString(o.Name) || seen[o.Name] {
				t.Errorf("%s: bad or repeated name", what)
			}
			seen[o.Name] = true
			desc(what, o.Description)
			if o.Required && optional {
				t.Errorf("%s: a required option after an optional one", what)
			}
			optional = optional || !o.Required
			if len(o.Choices) > 25 {
				t.Errorf("%s: %d choices, Discord takes 25", what, len(o.Choices))
			}
			for _, c := range o.Choices {
				desc(what+" choice", c.Name)
			}
		}
	}
	var want []string
	for _, v := range bot.DefaultRegistry().Verbs() {
		want = append(want, v.Name)
		for _, a := range v.Aliases {
			if slices.Contains(subs, a) {
				t.Errorf("alias %s is a subcommand", a)
			}
		}
	}
	if !slices.Equal(subs, want) {
		t.Errorf("subcommands %v, want the registry's verbs %v", subs, want)
	}
}

// TestEveryVerbIsReachable: each verb, with every argument, given through
// the application command as Discord received it at registration (options
// typed as registered, persons picked as users), reaches the core as the
// line the verb parses.
func TestEveryVerbIsReachable(t *testing.T) {
	t.Parallel()
	f := discordfake.New(t)
	h := &harness{t: t, f: f, a: newAdapter(t, f)}
	h.Start(t.Context(), &adaptertest.Recorder{})
	ch := f.AddChannel(discordgo.Channel{Name: "fault-1-x", Type: discordgo.ChannelTypeGuildText})
	registered := f.Commands()
	if len(registered) != 1 || registered[0].Name != "fault" {
		t.Fatalf("registered %+v, want /fault", registered)
	}
	mention := func(p string) string { return "<@" + users[p] + ">" }
	adaptertest.Reach(t, "fault", bot.DefaultRegistry(), mention, func(t *testing.T, c adaptertest.Command) string {
		var sub *discordgo.ApplicationCommandOption
		for _, o := range registered[0].Options {
			if o.Name == c.Verb.Name {
				sub = o
			}
		}
		if sub == nil {
			t.Fatalf("/fault %s is not in the registered command", c.Verb.Name)
		}
		var opts []discordfake.Opt
		for _, a := range c.Verb.Args {
			vals := c.Values[a.Option()]
			if a.Kind != bot.ArgPerson {
				vals = []string{strings.Join(vals, " ")} // several words, pairs: one string option
			}
			for i, v := range vals {
				name := a.Option()
				if i > 0 {
					name += strconv.Itoa(i + 1) // person2: another person
				}
				i := slices.IndexFunc(sub.Options, func(o *discordgo.ApplicationCommandOption) bool { return o.Name == name })
				if i < 0 {
					t.Fatalf("/fault %s has no option %s for its argument %s", c.Verb.Name, name, a.Option())
				}
				switch o := sub.Options[i]; o.Type {
				case discordgo.ApplicationCommandOptionUser:
					opts = append(opts, discordfake.User(name, users[v]))
				case discordgo.ApplicationCommandOptionInteger:
					n, err := strconv.Atoi(v)
					if err != nil {
						t.Fatalf("option %s is an integer, the sample %q is not", name, v)
					}
					opts = append(opts, discordfake.Int(name, n))
				default:
					if len(o.Choices) > 0 && !slices.ContainsFunc(o.Choices, func(c *discordgo.ApplicationCommandOptionChoice) bool { return c.Value == v }) {
						t.Fatalf("option %s does not offer %q", name, v)
					}
					opts = append(opts, discordfake.Str(name, v))
				}
			}
		}
		slices.Reverse(opts) // Discord's order is its own; the line keeps the verb's
		n := h.rec.Count()
		f.Slash(ch, users["alice"], "fault", c.Verb.Name, opts...)
		h.rec.Wait(t, n+1)
		return h.rec.Messages()[n].Text
	})
}
