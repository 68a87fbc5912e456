// Command warroom is the incident war-room bot. With no flags it runs the
// console demo on its embedded example config; `-config FILE` runs the
// configured chat adapter. Subcommands do the work people do outside chat.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/config"
	"github.com/warroom/warroom/cmd/warroom/httpapi"
	"github.com/warroom/warroom/plans"
	"github.com/warroom/warroom/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP) // reloads the plans directory
	os.Exit(run(ctx, os.Args[1:], env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, clock: bot.SystemClock{}, hup: hup}))
}

// env is what the process gets from outside, injected so that tests can run
// the whole binary in-process with a fake clock.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	clock          bot.Clock
	// ready, when set, receives the HTTP address once it listens.
	ready func(addr string)
	// wrap, when set, wraps the bot's handler: tests move the fake clock
	// between the events the adapter delivers.
	wrap func(bot.Handler) bot.Handler
	// hup delivers SIGHUP: reload the plans.
	hup <-chan os.Signal
	// getenv is the environment plan steps see (job ${VAR}s, scripts'
	// allowed variables); nil means os.Getenv.
	getenv func(string) string
}

const usage = `warroom: the incident war-room bot

Usage:
  warroom [-config FILE] [-db FILE] [-http ADDR] [-log LEVEL]   run the bot
  warroom check [-config FILE]                                   validate a config
  warroom export [-db FILE] [-config FILE] ID                    print a fault as JSON
  warroom plans check [-config FILE] [DIR]                       validate the contingency-plan files
  warroom plans reload [-config FILE]                            make the running warroom re-read its plans
  warroom example-config                                         print the embedded example config

With no -config, warroom runs the console demo on its embedded example:
the terminal is the chat (see README.md). Each subcommand takes -h.
`

func run(ctx context.Context, args []string, e env) int {
	if len(args) > 0 {
		switch args[0] {
		case "check":
			return cmdCheck(args[1:], e)
		case "export":
			return cmdExport(ctx, args[1:], e)
		case "plans":
			return cmdPlans(ctx, args[1:], e)
		case "example-config":
			_, _ = e.stdout.Write(config.Example)
			return 0
		case "help":
			fmt.Fprint(e.stdout, usage)
			return 0
		}
	}
	return cmdServe(ctx, args, e)
}

// commonFlags are the flags every subcommand shares.
type commonFlags struct {
	config, db, http, log string
}

func newFlags(name string, e env, c *commonFlags, withServe bool) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&c.config, "config", "", "config file (default: the embedded example, console adapter)")
	fs.StringVar(&c.db, "db", "", "SQLite database file (default: the config's database, warroom.db)")
	if withServe {
		fs.StringVar(&c.http, "http", "", `HTTP listen address (default: the config's http, 127.0.0.1:8080; "off" disables)`)
		fs.StringVar(&c.log, "log", "warn", "log level: debug, info, warn or error (logs go to stderr)")
	}
	fs.Usage = func() { fmt.Fprint(e.stderr, usage); fs.PrintDefaults() }
	return fs
}

// helpText is a subcommand's -h: its usage and what it does.
func helpText(e env, text string) func() {
	return func() { fmt.Fprintln(e.stderr, text) }
}

// subcommandConfig loads a subcommand's config, saying every problem (by
// line) when it is broken.
func subcommandConfig(c commonFlags, e env) (*config.Config, bool) {
	cfg, err := loadConfig(c)
	if err != nil {
		fmt.Fprintf(e.stderr, "%s\n", joinLines(err.Error()))
		return nil, false
	}
	return cfg, true
}

func loadConfig(c commonFlags) (*config.Config, error) {
	cfg := config.Default()
	if c.config != "" {
		var err error
		if cfg, err = config.Load(c.config); err != nil {
			return nil, err
		}
	}
	if c.db != "" {
		cfg.Database = c.db
	}
	if c.http != "" {
		cfg.HTTP = c.http
	}
	return cfg, nil
}

func cmdServe(ctx context.Context, args []string, e env) int {
	var c commonFlags
	fs := newFlags("warroom", e, &c, true)
	if err := fs.Parse(args); err != nil {
		return exitUsage(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "warroom: unexpected argument %q; subcommands are check, export, plans and example-config\n", fs.Arg(0))
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.log)); err != nil {
		fmt.Fprintf(e.stderr, "warroom: -log %q: use debug, info, warn or error\n", c.log)
		return 2
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	cfg, err := loadConfig(c)
	if err != nil {
		fmt.Fprintf(e.stderr, "warroom: %v\n", err)
		return 1
	}
	if err := serve(ctx, cfg, c.config == "", e, log); err != nil {
		fmt.Fprintf(e.stderr, "warroom: %v\n", err)
		return 1
	}
	return 0
}

// serve runs the bot until the adapter stops (console: end of input) or ctx
// is cancelled.
// embedded says cfg is the embedded example (the demo).
func serve(ctx context.Context, cfg *config.Config, embedded bool, e env, log *slog.Logger) error {
	db, err := store.Open(cfg.Database, e.clock)
	if err != nil {
		return fmt.Errorf("database %s: %w", cfg.Database, err)
	}
	defer db.Close()

	newAdapter, ok := adapters[cfg.Adapter]
	if !ok {
		return fmt.Errorf("adapter %q is not built into this binary (set adapter: console)", cfg.Adapter)
	}
	adapter, err := newAdapter(ctx, cfg, e, log)
	if err != nil {
		return fmt.Errorf("adapter %s: %w", cfg.Adapter, err)
	}
	b, err := bot.New(db, adapter, e.clock, cfg.Catalog, bot.Options{Command: cfg.Command, CheckinEmoji: cfg.CheckinEmoji, Bridge: cfg.Bridge, Permissions: cfg.Permissions}, log)
	if err != nil {
		return err
	}
	notifier, err := newNotifier(cfg, e.clock, log)
	if err != nil {
		return fmt.Errorf("paging: %w", err)
	}
	if notifier != nil {
		b.UseNotifier(notifier)
	}
	dir, cleanup, err := plansDir(cfg, embedded, log)
	if err != nil {
		return err
	}
	defer cleanup()
	loader := &planLoader{dir: dir, b: b, log: log}
	if _, _, err := loader.reload(ctx); err != nil {
		return err
	}
	b.UseRunner(&plans.Runner{Getenv: e.getenv})
	watchCtx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	go loader.watchReloads(watchCtx, e.hup)

	api := &httpapi.Server{Store: db, Catalog: cfg.Catalog, Log: log, Plans: b.Plans, Reload: loader.reload, Core: b, Tokens: cfg.APITokens}
	if r, ok := adapter.(routed); ok {
		api.Extra = r.Routes()
	}
	hooks, _, err := alertRoutes(cfg, b, e.clock, log)
	if err != nil {
		return err
	}
	api.Extra = withRoutes(api.Extra, hooks)
	defer b.Wait() // alerts taken while the HTTP server closes are acted on before the store closes
	stopHTTP := startHTTP(cfg.HTTP, api, e, log)
	defer stopHTTP()

	if err := b.Start(ctx); err != nil {
		return err
	}
	stopTicker := startTicker(ctx, b, log)
	defer stopTicker()
	var h bot.Handler = b
	if e.wrap != nil {
		h = e.wrap(h)
	}
	err = adapter.Run(ctx, h)
	b.Wait() // finish what is in flight before the store closes
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// startHTTP serves the HTTP API. A taken port does not stop the bot: the war
// room matters more than its API, and several demos may run side by side.
func startHTTP(addr string, s *httpapi.Server, e env, log *slog.Logger) (stop func()) {
	if addr == "" || addr == "off" {
		return func() {}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Warn("HTTP API disabled: cannot listen", "addr", addr, "err", err)
		fmt.Fprintf(e.stderr, "warroom: HTTP API disabled: %v (set http: in the config or -http ADDR)\n", err)
		return func() {}
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("HTTP server", "err", err)
		}
	}()
	if e.ready != nil {
		e.ready(ln.Addr().String())
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}
}

func exitUsage(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// joinLines indents a multi-line error for the terminal.
func joinLines(s string) string { return strings.ReplaceAll(s, "\n", "\n  ") }
