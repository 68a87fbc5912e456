package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/config"
	"github.com/warroom/warroom/plans"
)

// plansDir is where the plans come from: the config's `plans` directory.
// On the embedded example config, when that directory is not here, the
// embedded example plans are written to a temporary directory, so that the
// demo has plans wherever it is started. cleanup removes it.
func plansDir(cfg *config.Config, embedded bool, log *slog.Logger) (dir string, cleanup func(), err error) {
	dir = cfg.Plans
	if dir == "" {
		dir = "plans"
	}
	if _, err := os.Stat(dir); err == nil || !embedded {
		return dir, func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "warroom-plans-")
	if err != nil {
		return "", nil, fmt.Errorf("plans: a directory for the example plans: %w", err)
	}
	if err := plans.WriteExamples(tmp); err != nil {
		os.RemoveAll(tmp)
		return "", nil, err
	}
	log.Info("no plans directory here: running the embedded example plans", "dir", tmp)
	return tmp, func() { os.RemoveAll(tmp) }, nil
}

// planLoader (re)loads the plans directory into the bot: at start, on
// SIGHUP and on POST /api/plans/reload. A broken plan file is reported and
// left out; the others load.
type planLoader struct {
	dir string
	b   *bot.Bot
	log *slog.Logger
	// getenv is the environment the plans' steps will see (nil: the
	// process's): a step whose ${VAR} it lacks is marked, and warned of.
	getenv func(string) string
}

func (l *planLoader) reload(ctx context.Context) (int, []string, error) {
	if _, err := os.Stat(l.dir); os.IsNotExist(err) {
		// Not an error: a team without plans yet. Said once, quietly.
		l.log.Info("no plans directory: no contingency plans loaded", "plans", l.dir)
		return 0, nil, l.b.SetPlans(ctx, nil)
	}
	set, probs := plans.Load(l.dir)
	var out []string
	for _, p := range probs {
		out = append(out, p.String())
		l.log.Warn("plan file problem (the plan is not loaded)", "problem", p.String())
	}
	getenv := l.getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	for _, p := range set.Plans {
		if p.Missing = plans.Unset(p, getenv); len(p.Missing) > 0 {
			// Info: the approval card says it to whoever asks for a run.
			l.log.Info("a plan's step cannot run", "plan", p.Name, "missing", strings.Join(p.Missing, "; "))
		}
	}
	if err := l.b.SetPlans(ctx, set.Plans); err != nil {
		return 0, out, err
	}
	l.log.Info("plans loaded", "dir", l.dir, "plans", strings.Join(set.Names(), ","), "problems", len(probs))
	return len(set.Plans), out, nil
}

// watchReloads reloads on every signal (SIGHUP) until ctx ends.
func (l *planLoader) watchReloads(ctx context.Context, hup <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			n, probs, err := l.reload(ctx)
			if err != nil {
				l.log.Error("reloading plans", "err", err)
				continue
			}
			l.log.Warn("plans reloaded on SIGHUP", "plans", n, "problems", len(probs))
		}
	}
}

const plansUsage = `Usage:
  warroom plans check [-config FILE] [-no-env] [DIR]
                                              validate every plan file (default DIR: the config's plans),
                                              against the config's services and this environment
  warroom plans reload [-config FILE] [-http ADDR]
                                              make the running warroom re-read its plans directory
                                              (the same as sending it SIGHUP)
`

// cmdPlans is `warroom plans check|reload`.
func cmdPlans(ctx context.Context, args []string, e env) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(e.stderr, plansUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if strings.HasPrefix(args[0], "-") { // flags first: warroom plans -config f check
		for i, a := range args {
			if a == "check" || a == "reload" {
				args = append([]string{a}, append(args[:i:i], args[i+1:]...)...)
				break
			}
		}
	}
	switch args[0] {
	case "check":
		return cmdPlansCheck(args[1:], e)
	case "reload":
		return cmdPlansReload(ctx, args[1:], e)
	}
	if best := bot.Closest(args[0], []string{"check", "reload"}); best != "" {
		fmt.Fprintf(e.stderr, "warroom plans: unknown subcommand %q; did you mean %s? (plans takes check or reload)\n", args[0], best)
	} else {
		fmt.Fprintf(e.stderr, "warroom plans: unknown subcommand %q; use check or reload\n", args[0])
	}
	return 2
}

func cmdPlansCheck(args []string, e env) int {
	var c commonFlags
	fs := newFlags("warroom plans check", e, &c, false)
	noEnv := fs.Bool("no-env", false, "do not check the plans' ${VAR}s against this environment (a CI machine without warroom's secrets)")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: warroom plans check [-config FILE] [-no-env] [DIR]\n\nValidates every plan file (*.yaml, *.yml) in DIR (default: the config's plans directory; without -config and without ./plans, the embedded examples), and checks each plan against the config's services and every ${VAR} its job steps use against this environment. Prints each problem as file:line: field: message, then the plans ok and what each other plan lacks, and exits 1 if there is any problem; the catalog has no list of kinds, so the kinds the plans fit are listed, not checked.")
		fs.PrintDefaults()
	}
	rest, err := parseAnywhere(fs, args)
	if err != nil {
		return exitUsage(err)
	}
	if len(rest) > 1 {
		fmt.Fprintln(e.stderr, "warroom plans check: give at most one directory")
		return 2
	}
	cfg, ok := subcommandConfig(c, e)
	if !ok {
		return 1
	}
	var dir string
	if len(rest) == 1 {
		dir = rest[0]
	}
	cleanup := func() {}
	if dir == "" {
		quiet := slog.New(slog.DiscardHandler)
		if dir, cleanup, err = plansDir(cfg, c.config == "", quiet); err != nil {
			fmt.Fprintf(e.stderr, "warroom plans check: %v\n", err)
			return 1
		}
	}
	defer cleanup()
	against := plans.Against{Services: slices.AppendSeq([]string{}, maps.Keys(cfg.Catalog.Services)), Getenv: e.getenv}
	if against.Getenv == nil {
		against.Getenv = os.Getenv
	}
	if *noEnv {
		against.Getenv = nil
	}
	if err := plans.CheckAgainst(e.stdout, dir, against); err != nil {
		fmt.Fprintf(e.stderr, "warroom plans check: %v\n", err)
		return 1
	}
	return 0
}

func cmdPlansReload(ctx context.Context, args []string, e env) int {
	var c commonFlags
	fs := newFlags("warroom plans reload", e, &c, true)
	fs.Usage = helpText(e, "Usage: warroom plans reload [-config FILE] [-http ADDR]\n\nAsks the warroom running on this machine (at the config's http address, or ADDR) to re-read its plans directory, and prints what it loaded and any problem. Sending the process SIGHUP does the same.")
	rest, err := parseAnywhere(fs, args)
	if err != nil {
		return exitUsage(err)
	}
	if len(rest) > 0 {
		fmt.Fprintf(e.stderr, "warroom plans reload: unexpected argument %q; it takes none\n", rest[0])
		return 2
	}
	cfg, ok := subcommandConfig(c, e)
	if !ok {
		return 1
	}
	if cfg.HTTP == "" || cfg.HTTP == "off" {
		fmt.Fprintln(e.stderr, "warroom plans reload: the HTTP server is off in this config; send the process SIGHUP instead (kill -HUP <pid>)")
		return 1
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if len(cfg.APITokens) == 0 {
		fmt.Fprintln(e.stderr, "warroom plans reload: the running warroom takes a token from api_tokens for this; add one to the config (see the README, API tokens), or send the process SIGHUP instead (kill -HUP <pid>)")
		return 1
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+cfg.HTTP+"/api/plans/reload", nil)
	req.Header.Set("Authorization", "Bearer "+cfg.APITokens[0].Token) // the config's first, from this environment
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(e.stderr, "warroom plans reload: is warroom running at %s? %v (or send it SIGHUP)\n", cfg.HTTP, err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		var e2 struct{ Error string }
		_ = json.Unmarshal(body, &e2)
		fmt.Fprintf(e.stderr, "warroom plans reload: %s: %s\n", resp.Status, e2.Error)
		return 1
	}
	var out struct {
		Loaded   int
		Problems []string
	}
	if err := json.Unmarshal(body, &out); err != nil {
		fmt.Fprintf(e.stderr, "warroom plans reload: unexpected answer from %s: %v\n", cfg.HTTP, err)
		return 1
	}
	for _, p := range out.Problems {
		fmt.Fprintln(e.stdout, p)
	}
	fmt.Fprintf(e.stdout, "reloaded: %s loaded, %s\n", bot.Plural(out.Loaded, "plan"), bot.Plural(len(out.Problems), "problem"))
	if len(out.Problems) > 0 {
		return 1
	}
	return 0
}
