package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"github.com/warroom/warroom/cmd/warroom/httpapi"
	"github.com/warroom/warroom/store"
)

// cmdCheck validates a config file and says what it holds.
func cmdCheck(args []string, e env) int {
	var c commonFlags
	fs := newFlags("warroom check", e, &c, false)
	fs.Usage = helpText(e, "Usage: warroom check [-config FILE]\n\nValidates the config (the embedded example without -config) and prints a one-line summary; exits 1 with every problem, by line, if it is broken.")
	if err := fs.Parse(args); err != nil {
		return exitUsage(err)
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

// cmdExport prints one fault, with its timeline and metrics, as JSON.
func cmdExport(ctx context.Context, args []string, e env) int {
	var c commonFlags
	fs := newFlags("warroom export", e, &c, false)
	fs.Usage = helpText(e, "Usage: warroom export [-db FILE] [-config FILE] ID\n\nPrints fault ID as JSON: the fault, roles, participants and check-ins, tasks, timeline and metrics (the same document as GET /api/incidents/ID).")
	if err := fs.Parse(args); err != nil {
		return exitUsage(err)
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if fs.NArg() != 1 || err != nil || id <= 0 {
		fmt.Fprintln(e.stderr, "warroom export: give one fault id, as in: warroom export 3")
		return 2
	}
	cfg, ok := subcommandConfig(c, e)
	if !ok {
		return 1
	}
	if _, err := os.Stat(cfg.Database); err != nil { // do not create an empty database
		fmt.Fprintf(e.stderr, "warroom export: no database at %s (-db FILE names another)\n", cfg.Database)
		return 1
	}
	db, err := store.Open(cfg.Database, e.clock)
	if err != nil {
		fmt.Fprintf(e.stderr, "warroom export: database %s: %v\n", cfg.Database, err)
		return 1
	}
	defer db.Close()
	events, err := db.Events(ctx, id)
	if err != nil {
		fmt.Fprintf(e.stderr, "warroom export: %v\n", err)
		return 1
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(httpapi.BuildIncident(events)); err != nil {
		fmt.Fprintf(e.stderr, "warroom export: %v\n", err)
		return 1
	}
	return 0
}
