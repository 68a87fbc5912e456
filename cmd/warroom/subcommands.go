package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/config"
	"github.com/warroom/warroom/cmd/warroom/httpapi"
	"github.com/warroom/warroom/store/postgres"
)

// subcommandNames are the subcommands, in the order help lists them.
var subcommandNames = []string{"check", "export", "list", "plans", "example-config", "help"}

// lookupSubcommand returns the subcommand called name.
func lookupSubcommand(name string) (func(ctx context.Context, args []string, e env) int, bool) {
	switch name {
	case "check":
		return func(_ context.Context, args []string, e env) int { return cmdCheck(args, e) }, true
	case "export":
		return cmdExport, true
	case "list":
		return cmdList, true
	case "migrate":
		return cmdMigrate, true
	case "plans":
		return cmdPlans, true
	case "example-config":
		return func(_ context.Context, args []string, e env) int { return cmdExampleConfig(args, e) }, true
	case "help":
		return cmdHelp, true
	}
	return nil, false
}

// unknownSubcommand answers `warroom [flags] word ...` where args[i] is
// the first argument after the bot's flags: it may still be a subcommand
// (`warroom -config f check`, run as `warroom check -config f`); else it is
// a typo, or an argument the bot does not take.
func unknownSubcommand(ctx context.Context, args []string, i int, e env) int {
	word := args[i]
	if sub, ok := lookupSubcommand(word); ok {
		return sub(ctx, append(append([]string{}, args[:i]...), args[i+1:]...), e)
	}
	if best := bot.Closest(word, subcommandNames); best != "" {
		fmt.Fprintf(e.stderr, "warroom: unknown subcommand %q; did you mean %s? (warroom help lists them)\n", word, best)
	} else {
		fmt.Fprintf(e.stderr, "warroom: unexpected argument %q; the subcommands are %s (warroom help)\n", word, strings.Join(subcommandNames, ", "))
	}
	return 2
}

// parseAnywhere parses flags before, between and after the positional
// arguments (`warroom export 1 -db x`), which the flag package alone stops
// at, and returns the positional ones. After "--" everything is
// positional.
func parseAnywhere(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// cmdHelp is `warroom help [SUBCOMMAND]`.
func cmdHelp(ctx context.Context, args []string, e env) int {
	if len(args) == 0 {
		fmt.Fprint(e.stdout, usage)
		return 0
	}
	if args[0] != "help" {
		if sub, ok := lookupSubcommand(args[0]); ok {
			e.stderr = e.stdout // asked for: the help is the output
			return sub(ctx, []string{"-h"}, e)
		}
	}
	fmt.Fprintf(e.stderr, "warroom help: no subcommand %q%s\n", args[0], bot.Suggest(args[0], subcommandNames, 0))
	return 2
}

// cmdExampleConfig prints the embedded example config.
func cmdExampleConfig(args []string, e env) int {
	fs := flag.NewFlagSet("warroom example-config", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = helpText(e, "Usage: warroom example-config > warroom.yaml\n\nPrints the embedded example config: complete and commented, what warroom runs on without -config. Edit a copy and start with warroom -config warroom.yaml.")
	rest, err := parseAnywhere(fs, args)
	if err != nil {
		return exitUsage(err)
	}
	if len(rest) > 0 {
		fmt.Fprintf(e.stderr, "warroom example-config: unexpected argument %q; it takes none (redirect the output: warroom example-config > warroom.yaml)\n", rest[0])
		return 2
	}
	_, _ = e.stdout.Write(config.Example)
	return 0
}

// cmdCheck validates a config file and says what it holds.
func cmdCheck(args []string, e env) int {
	var c commonFlags
	fs := newFlags("warroom check", e, &c, false)
	fs.Usage = helpText(e, "Usage: warroom check [-config FILE]\n\nValidates the config (the embedded example without -config) and prints a one-line summary; exits 1 with every problem, by line, if it is broken.")
	rest, err := parseAnywhere(fs, args)
	if err != nil {
		return exitUsage(err)
	}
	if len(rest) > 0 {
		fmt.Fprintf(e.stderr, "warroom check: unexpected argument %q; name the file with -config %s\n", rest[0], rest[0])
		return 2
	}
	cfg, ok := subcommandConfig(c, e)
	if !ok {
		return 1
	}
	name := c.config
	if name == "" {
		name = "embedded example config"
	}
	fmt.Fprintf(e.stdout, "%s: ok (adapter %s, %d people, %d services, %d on the duty rota)\n",
		name, cfg.Adapter, len(cfg.Catalog.People), len(cfg.Catalog.Services), len(cfg.Catalog.Duty.People))
	return 0
}

// cmdExport prints one fault, with its timeline and metrics, as JSON, or
// its postmortem draft as Markdown.
func cmdExport(ctx context.Context, args []string, e env) int {
	var c commonFlags
	fs := newFlags("warroom export", e, &c, false)
	format := fs.String("format", "json", "json (the fault as GET /api/incidents/ID gives it) or md (the postmortem draft, as GET /incidents/ID/postmortem.md)")
	fs.Usage = helpText(e, "Usage: warroom export [-db FILE] [-config FILE] [-format json|md] ID\n\nPrints fault ID as JSON: the fault, roles, participants and check-ins, tasks, timeline and metrics (the same document as GET /api/incidents/ID).\nWith -format md, prints its postmortem draft in Markdown instead (as GET /incidents/ID/postmortem.md): summary, impact, timeline, metrics, check-ins, runs, tasks and open follow-ups.")
	rest, err := parseAnywhere(fs, args)
	if err != nil {
		return exitUsage(err)
	}
	if *format != "json" && *format != "md" {
		fmt.Fprintf(e.stderr, "warroom export: -format %q: use json or md\n", *format)
		return 2
	}
	var id int64
	if len(rest) == 1 {
		id, err = strconv.ParseInt(strings.TrimPrefix(rest[0], "#"), 10, 64)
	}
	if len(rest) != 1 || err != nil || id <= 0 {
		fmt.Fprintln(e.stderr, "warroom export: give one fault id, as in: warroom export 3")
		return 2
	}
	db, cfg, ok := openExisting("warroom export", c, e)
	if !ok {
		return 1
	}
	defer db.Close()
	events, err := db.Events(ctx, id)
	if err != nil {
		fmt.Fprintf(e.stderr, "warroom export: %v\n", err)
		return 1
	}
	if *format == "md" {
		err = postmortemWriter(cfg, e.clock)(e.stdout, events)
	} else {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(httpapi.BuildIncident(events))
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "warroom export: %v\n", err)
		return 1
	}
	return 0
}

// openExisting opens the config's database for a subcommand that reads it,
// saying so when there is none: it does not create an empty one.
func openExisting(name string, c commonFlags, e env) (warroomStore, *config.Config, bool) {
	cfg, ok := subcommandConfig(c, e)
	if !ok {
		return nil, nil, false
	}
	if _, err := os.Stat(cfg.Database); err != nil && !postgres.IsURL(cfg.Database) {
		fmt.Fprintf(e.stderr, "%s: no database at %s (-db FILE names another)\n", name, cfg.Database)
		return nil, nil, false
	}
	db, err := openStore(context.Background(), cfg.Database, e.clock)
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: database %s: %v\n", name, databaseName(cfg.Database), err)
		return nil, nil, false
	}
	return db, cfg, true
}

// cmdList prints the open faults, newest first, as /fault list does.
func cmdList(ctx context.Context, args []string, e env) int {
	var c commonFlags
	fs := newFlags("warroom list", e, &c, false)
	fs.Usage = helpText(e, "Usage: warroom list [-db FILE] [-config FILE]\n\nPrints the open (and mitigated) faults, newest first, as /fault list does in chat: level, id, title, status and age, commander and war room.")
	rest, err := parseAnywhere(fs, args)
	if err != nil {
		return exitUsage(err)
	}
	if len(rest) > 0 {
		fmt.Fprintf(e.stderr, "warroom list: unexpected argument %q; it takes none (warroom export ID prints one fault)\n", rest[0])
		return 2
	}
	db, _, ok := openExisting("warroom list", c, e)
	if !ok {
		return 1
	}
	defer db.Close()
	open, err := db.Faults(ctx, bot.FaultFilter{Status: []bot.Status{bot.StatusOpen, bot.StatusMitigated}})
	if err != nil {
		fmt.Fprintf(e.stderr, "warroom list: %v\n", err)
		return 1
	}
	if len(open) == 0 {
		fmt.Fprintln(e.stdout, "no fault is open")
		return 0
	}
	fmt.Fprintf(e.stdout, "Open faults (%d, newest first):\n", len(open))
	now := e.clock.Now()
	for _, f := range open {
		commander := "nobody"
		if f.Commander != "" {
			commander = "@" + f.Commander
		}
		room := "no war room"
		if f.ChannelName != "" {
			room = "war room #" + f.ChannelName
		}
		fmt.Fprintf(e.stdout, "  %s %s: %s — %s for %s, commander %s, %s\n",
			f.Level, f.Ref(), f.Title, f.Status, bot.Dur(now.Sub(f.DeclaredAt)), commander, room)
	}
	return 0
}
