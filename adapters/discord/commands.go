package discord

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/warroom/warroom/bot"
)

// opt is an option of a subcommand. keyed options are typed `name=value`;
// text options are free words.
type opt struct {
	name, desc string
	kind       discordgo.ApplicationCommandOptionType
	required   bool
	keyed      bool // typed name=value
	text       bool // free words the core tokenizes: key=value-looking words are quoted
	choices    []string
}

type sub struct {
	name, desc string
	opts       []opt
}

var (
	str    = discordgo.ApplicationCommandOptionString
	user   = discordgo.ApplicationCommandOptionUser
	number = discordgo.ApplicationCommandOptionInteger
	levels = []string{"P1", "P2", "P3", "P4"}
)

// grammar mirrors PRODUCT.md's `/fault` commands.
var grammar = []sub{
	{"declare", "Open a war room for a new fault", []opt{
		{name: "level", desc: "P1 (worst) to P4", kind: str, required: true, choices: levels},
		{name: "title", desc: "What is broken", kind: str, required: true, text: true},
		{name: "service", desc: "The affected service", kind: str, keyed: true},
		{name: "cause", desc: "The suspected-cause service", kind: str, keyed: true},
		{name: "kind", desc: "The kind of fault (server-down, db-data-error...)", kind: str, keyed: true},
	}},
	{"checkin", "Say you are here (or react ✅ to the kickoff)", nil},
	{"role", "Give someone a role", []opt{
		{name: "role", desc: "The role", kind: str, required: true, choices: []string{"commander", "handler", "responder"}},
		{name: "person", desc: "Who gets it", kind: user, required: true},
	}},
	{"roles", "Who holds what; who has and has not checked in", nil},
	{"invite", "Bring a person or a service's contacts into the war room", []opt{
		{name: "person", desc: "Who to invite", kind: user},
		{name: "service", desc: "Invite this service's contacts", kind: str, keyed: true},
	}},
	{"cause", "Set the suspected cause; invites its contacts", []opt{
		{name: "service", desc: "The suspected-cause service", kind: str, required: true},
	}},
	{"level", "Re-grade; re-applies the level's policy", []opt{
		{name: "level", desc: "P1 (worst) to P4", kind: str, required: true, choices: levels},
	}},
	{"task", "The commander assigns a task", []opt{
		{name: "person", desc: "Who does it", kind: user, required: true},
		{name: "text", desc: "What to do", kind: str, required: true},
	}},
	{"done", "Mark a task done", []opt{{name: "task", desc: "The task number", kind: number, required: true}}},
	{"update", "Post a progress update for stakeholders", []opt{{name: "text", desc: "The update", kind: str, required: true}}},
	{"call", "The conference bridge (a voice channel) for this fault", nil},
	{"plans", "Plans that fit this fault", nil},
	{"run", "Ask for approval to run a plan", []opt{
		{name: "plan", desc: "The plan's name", kind: str, required: true},
		{name: "params", desc: "key=value parameters, space-separated", kind: str},
	}},
	{"approve", "Approve a run", []opt{{name: "run", desc: "The run number", kind: number, required: true}}},
	{"deny", "Deny a run", []opt{
		{name: "run", desc: "The run number", kind: number, required: true},
		{name: "reason", desc: "Why", kind: str},
	}},
	{"mitigated", "The impact is stopped; recovery goes on", []opt{{name: "note", desc: "A note", kind: str}}},
	{"resolve", "Close the fault and post the recovery-metrics summary", []opt{{name: "note", desc: "A note", kind: str}}},
	{"status", "Where the fault stands", nil},
	{"timeline", "Every event so far", nil},
	{"help", "Every command, or one command's usage", []opt{{name: "command", desc: "A command", kind: str}}},
}

// Commands is the application command warroom registers for word.
func Commands(word string) []*discordgo.ApplicationCommand {
	cmd := &discordgo.ApplicationCommand{Name: word, Description: "Incident war rooms: declare, check in, resolve", Type: discordgo.ChatApplicationCommand}
	for _, s := range grammar {
		o := &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: s.name, Description: s.desc}
		for _, x := range s.opts {
			so := &discordgo.ApplicationCommandOption{Type: x.kind, Name: x.name, Description: x.desc, Required: x.required}
			for _, c := range x.choices {
				so.Choices = append(so.Choices, &discordgo.ApplicationCommandOptionChoice{Name: c, Value: c})
			}
			o.Options = append(o.Options, so)
		}
		cmd.Options = append(cmd.Options, o)
	}
	return []*discordgo.ApplicationCommand{cmd}
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

// commandText turns a slash command into the line a user would have typed.
func commandText(word string, d discordgo.ApplicationCommandInteractionData) (string, error) {
	if d.Name != word || len(d.Options) != 1 || d.Options[0].Type != discordgo.ApplicationCommandOptionSubCommand {
		return "", bot.Errorf(bot.EINVALID, "warroom does not know /%s; type /%s help", d.Name, word)
	}
	sc := d.Options[0]
	var def *sub
	for i := range grammar {
		if grammar[i].name == sc.Name {
			def = &grammar[i]
		}
	}
	if def == nil {
		return "", bot.Errorf(bot.EINVALID, "warroom does not know /%s %s; type /%s help", word, sc.Name, word)
	}
	given := map[string]*discordgo.ApplicationCommandInteractionDataOption{}
	for _, o := range sc.Options {
		given[o.Name] = o
	}
	words := []string{"/" + word, def.name}
	for _, x := range def.opts {
		o, ok := given[x.name]
		if !ok {
			continue
		}
		var v string
		switch o.Type {
		case discordgo.ApplicationCommandOptionUser:
			v = "<@" + fmt.Sprint(o.Value) + ">"
		case discordgo.ApplicationCommandOptionInteger:
			f, _ := o.Value.(float64)
			v = strconv.FormatInt(int64(f), 10)
		default:
			v = strings.TrimSpace(fmt.Sprint(o.Value))
		}
		switch {
		case x.keyed:
			v = x.name + "=" + quote(v)
		case x.text:
			v = quoteWords(v)
		}
		if v != "" {
			words = append(words, v)
		}
	}
	return strings.Join(words, " "), nil
}

// quote quotes a value that would not survive as one word.
func quote(v string) string {
	if !strings.ContainsAny(v, " \t\"'=") {
		return v
	}
	if strings.Contains(v, `"`) {
		return "'" + v + "'"
	}
	return `"` + v + `"`
}

// quoteWords keeps free text free text: words that look like key=value or
// that hold quotes are quoted, so they stay words.
func quoteWords(v string) string {
	ws := strings.Fields(v)
	for i, w := range ws {
		if strings.ContainsAny(w, "=\"'") {
			ws[i] = quote(w)
		}
	}
	return strings.Join(ws, " ")
}
