package discord

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/bwmarrin/discordgo"

	"github.com/warroom/warroom/bot"
)

// verbs is the command registry the application command is generated from:
// warroom's own verbs (the adapter is made before the Bot).
var verbs = sync.OnceValue(bot.DefaultRegistry)

// ManyPersons is how many people an argument that takes several (`invite
// @person...`) offers: user options person, person2, person3. User options
// give Discord's people picker and real mentions; more people than that
// are invited by typing the command.
const ManyPersons = 3

// option is one Discord option of a verb's argument.
type option struct {
	arg  bot.Arg
	name string
}

// options are the Discord options of a verb's arguments, in the verb's
// order: an argument taking several persons is ManyPersons user options.
func options(v *bot.Verb) []option {
	var out []option
	for _, a := range v.Args {
		out = append(out, option{a, a.Option()})
		if a.Kind == bot.ArgPerson && a.Many {
			for i := 2; i <= ManyPersons; i++ {
				out = append(out, option{a, a.Option() + strconv.Itoa(i)})
			}
		}
	}
	return out
}

func optionType(a bot.Arg) discordgo.ApplicationCommandOptionType {
	switch a.Kind {
	case bot.ArgPerson:
		return discordgo.ApplicationCommandOptionUser
	case bot.ArgNumber:
		return discordgo.ApplicationCommandOptionInteger
	}
	return discordgo.ApplicationCommandOptionString
}

// Commands is the application command warroom registers for word,
// generated from the command registry: a subcommand per verb (aliases are
// not offered), an option per argument. Required options come first, as
// Discord wants; the command line keeps the verb's order (commandText).
func Commands(word string) []*discordgo.ApplicationCommand {
	cmd := &discordgo.ApplicationCommand{Name: word, Description: "Incident war rooms: declare, check in, resolve", Type: discordgo.ChatApplicationCommand}
	for _, v := range verbs().Verbs() {
		sc := &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: v.Name, Description: description(v.Summary)}
		var req, opt []*discordgo.ApplicationCommandOption
		for _, o := range options(v) {
			required := o.arg.Required && o.name == o.arg.Option()
			desc := o.arg.Desc
			if o.name != o.arg.Option() {
				desc += " (another)"
			}
			so := &discordgo.ApplicationCommandOption{Type: optionType(o.arg), Name: o.name, Description: description(desc), Required: required}
			for _, c := range o.arg.Choices {
				so.Choices = append(so.Choices, &discordgo.ApplicationCommandOptionChoice{Name: c, Value: c})
			}
			if required {
				req = append(req, so)
			} else {
				opt = append(opt, so)
			}
		}
		sc.Options = append(req, opt...)
		cmd.Options = append(cmd.Options, sc)
	}
	return []*discordgo.ApplicationCommand{cmd}
}

// description is s as Discord takes it: capitalised, 1 to 100 characters.
func description(s string) string {
	if s == "" {
		return "-"
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if r := []rune(s); len(r) > 100 {
		s = string(r[:99]) + "…"
	}
	return s
}

// register puts the command in the guild by bulk overwrite: registering
// again replaces it, so restarts are idempotent.
func (a *Adapter) register(ctx context.Context) error {
	a.mu.Lock()
	app := a.appID
	a.mu.Unlock()
	err := a.call(ctx, func(o ...discordgo.RequestOption) error {
		_, err := a.s.ApplicationCommandBulkOverwrite(app, a.cfg.Guild, Commands(a.cfg.Command), o...)
		return err
	})
	if err != nil {
		return fmt.Errorf("registering /%s in discord.guild %s: %w", a.cfg.Command, a.cfg.Guild, platformErr(err, "register its commands", "applications.commands scope"))
	}
	return nil
}

// commandText turns a slash command into the line a user would have typed:
// the options back into the verb's arguments, in the verb's order.
func commandText(word string, d discordgo.ApplicationCommandInteractionData) (string, error) {
	if d.Name != word || len(d.Options) != 1 || d.Options[0].Type != discordgo.ApplicationCommandOptionSubCommand {
		return "", bot.Errorf(bot.EINVALID, "warroom does not know /%s; type /%s help", d.Name, word)
	}
	sc := d.Options[0]
	v, err := verbs().Lookup(word, sc.Name)
	if err != nil || v.Name != sc.Name {
		return "", bot.Errorf(bot.EINVALID, "warroom does not know /%s %s; type /%s help", word, sc.Name, word)
	}
	given := map[string]*discordgo.ApplicationCommandInteractionDataOption{}
	for _, o := range sc.Options {
		given[o.Name] = o
	}
	values := map[string][]string{}
	for _, x := range options(v) {
		o, ok := given[x.name]
		if !ok {
			continue
		}
		var val string
		switch o.Type {
		case discordgo.ApplicationCommandOptionUser:
			val = "<@" + fmt.Sprint(o.Value) + ">"
		case discordgo.ApplicationCommandOptionInteger:
			f, _ := o.Value.(float64)
			val = strconv.FormatInt(int64(f), 10)
		default:
			val = fmt.Sprint(o.Value)
		}
		values[x.arg.Option()] = append(values[x.arg.Option()], val)
	}
	return v.Line(word, values), nil
}
