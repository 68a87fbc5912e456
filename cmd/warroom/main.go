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

	"github.com/warroom/warroom/adapters/console"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/config"
	"github.com/warroom/warroom/cmd/warroom/httpapi"
	"github.com/warroom/warroom/cmd/warroom/metrics"
	"github.com/warroom/warroom/cmd/warroom/pager"
	"github.com/warroom/warroom/plans"
	"github.com/warroom/warroom/store"
	"github.com/warroom/warroom/store/postgres"
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
	// opened, when set, is given the store once it is open: tests make it
	// refuse writes.
	opened func(*store.DB)
}

const usage = `warroom: the incident war-room bot

Usage:
  warroom [-config FILE] [-db FILE] [-http ADDR] [-log FILE] [-log-level LEVEL] [-demo-clock]
                                                                 run the bot
  warroom check [-config FILE]                                   validate a config
  warroom export [-db FILE] [-config FILE] ID                    print a fault as JSON
  warroom list [-db FILE] [-config FILE]                         the open faults, newest first
  warroom plans check [-config FILE] [-no-env] [DIR]             validate the plan files, against the config and environment
  warroom plans reload [-config FILE]                            make the running warroom re-read its plans
  warroom migrate -from FILE -to postgres://…                    copy a SQLite database into a new PostgreSQL one
  warroom example-config                                         print the embedded example config

With no -config, warroom runs the console demo on its embedded example:
the terminal is the chat (see README.md). -demo-clock (console only) starts
the clock at the real time and moves it only by "~ <duration>" input lines.
Each subcommand takes -h (or: warroom help SUBCOMMAND), and its flags before
or after its arguments.
`

func run(ctx context.Context, args []string, e env) int {
	if len(args) > 0 {
		if sub, ok := lookupSubcommand(args[0]); ok {
			return sub(ctx, args[1:], e)
		}
	}
	return cmdServe(ctx, args, e)
}

// commonFlags are the flags every subcommand shares.
type commonFlags struct {
	config, db, http, log, logLevel string
	demoClock                       bool
}

func newFlags(name string, e env, c *commonFlags, withServe bool) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&c.config, "config", "", "config file (default: the embedded example, console adapter)")
	fs.StringVar(&c.db, "db", "", "SQLite database file or postgres:// URL (default: the config's database, warroom.db)")
	if withServe {
		fs.StringVar(&c.http, "http", "", `HTTP listen address (default: the config's http, 127.0.0.1:8080; "off" disables)`)
		fs.StringVar(&c.log, "log", "", "log file, appended to (default: stderr; never the console's stdout)")
		fs.StringVar(&c.logLevel, "log-level", "warn", "log level: debug, info, warn or error")
		fs.BoolVar(&c.demoClock, "demo-clock", false, `console: the clock starts at the real time and moves only by "~ <duration>" lines`)
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
	cfg, err := loadConfig(c, e)
	if err != nil {
		fmt.Fprintf(e.stderr, "%s\n", joinLines(err.Error()))
		return nil, false
	}
	return cfg, true
}

func loadConfig(c commonFlags, e env) (*config.Config, error) {
	cfg := config.Default()
	if c.config != "" {
		getenv := e.getenv
		if getenv == nil {
			getenv = os.Getenv
		}
		var err error
		if cfg, err = config.LoadWith(c.config, getenv); err != nil {
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
		return unknownSubcommand(ctx, args, len(args)-fs.NArg(), e)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		fmt.Fprintf(e.stderr, "warroom: -log-level %q: use debug, info, warn or error\n", c.logLevel)
		return 2
	}
	if err := new(slog.Level).UnmarshalText([]byte(c.log)); err == nil && c.log != "" {
		fmt.Fprintf(e.stderr, "warroom: -log names the log file; for the log level type -log-level %s\n", c.log)
		return 2
	}
	cfg, err := loadConfig(c, e)
	if err != nil {
		fmt.Fprintf(e.stderr, "warroom: %v\n", err)
		return 1
	}
	if c.demoClock && cfg.Adapter != console.Platform {
		fmt.Fprintf(e.stderr, "warroom: -demo-clock works with the console adapter only, and the config's adapter is %s\n", cfg.Adapter)
		return 2
	}
	// Logs go to stderr or the -log file: never to stdout, which is the
	// console's chat.
	logTo, logName := e.stderr, "stderr"
	if c.log != "" {
		f, err := os.OpenFile(c.log, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			fmt.Fprintf(e.stderr, "warroom: -log: %v\n", err)
			return 1
		}
		defer f.Close()
		logTo, logName = f, c.log
	}
	log := slog.New(slog.NewTextHandler(logTo, &slog.HandlerOptions{Level: level}))
	if err := serve(ctx, cfg, serveOptions{embedded: c.config == "", demoClock: c.demoClock, logName: logName}, e, log); err != nil {
		fmt.Fprintf(e.stderr, "warroom: %v\n", err)
		return 1
	}
	return 0
}

// serveOptions are how the binary was started, beside its config.
type serveOptions struct {
	embedded  bool   // cfg is the embedded example (the demo)
	demoClock bool   // -demo-clock: a FakeClock moved by the console's "~" lines
	logName   string // where the logs go, for the banner
}

// serve runs the bot until the adapter stops (console: end of input) or ctx
// is cancelled.
func serve(ctx context.Context, cfg *config.Config, o serveOptions, e env, log *slog.Logger) error {
	var demo *bot.FakeClock
	if o.demoClock {
		// Real time to start with, to the second, then only what "~"
		// lines say: everything that reads the time reads this clock.
		demo = bot.NewFakeClock(e.clock.Now().Truncate(time.Second))
		e.clock = demo
	}
	db, err := openStore(ctx, cfg.Database, e.clock)
	if err != nil {
		return fmt.Errorf("database %s: %w", databaseName(cfg.Database), err)
	}
	defer db.Close()
	if s, ok := db.(*store.DB); ok && e.opened != nil {
		e.opened(s)
	}

	// The metrics hear the core, the platform's HTTP calls and the pages;
	// GET /metrics serves them from a registry of their own.
	m := metrics.New(metrics.Options{Store: db, Log: log})
	adapter, err := openAdapter(ctx, cfg, e, log, m, db)
	if err != nil {
		return fmt.Errorf("adapter %s: %w", cfg.Adapter, err)
	}
	b, err := bot.New(db, adapter, e.clock, cfg.Catalog, bot.Options{Command: cfg.Command, CheckinEmoji: cfg.CheckinEmoji, Bridge: cfg.Bridge, Permissions: cfg.Permissions, BaseURL: cfg.BaseURL}, log)
	if err != nil {
		return err
	}
	b.Observe(m)
	notifier, err := newNotifier(cfg, e.clock, log)
	if err != nil {
		return fmt.Errorf("paging: %w", err)
	}
	if notifier != nil {
		if f, ok := notifier.(*pager.Fanout); ok {
			f.Observe(m)
		}
		b.UseNotifier(notifier)
	}
	dir, cleanup, err := plansDir(cfg, o.embedded, log)
	if err != nil {
		return err
	}
	defer cleanup()
	loader := &planLoader{dir: dir, b: b, log: log, getenv: e.getenv}
	_, planProblems, err := loader.reload(ctx)
	if err != nil {
		return err
	}
	b.UseRunner(&plans.Runner{Getenv: e.getenv})
	watchCtx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	go loader.watchReloads(watchCtx, e.hup)

	lead := newLeadership()
	api := &httpapi.Server{Store: db, Catalog: cfg.Catalog, Log: log, Plans: b.Plans, Reload: loader.reload, Core: b, Tokens: cfg.APITokens, Role: lead.Role}
	api.Postmortem = postmortemWriter(cfg, e.clock)
	if r, ok := adapter.(routed); ok {
		api.Extra = r.Routes()
	}
	hooks, alertHooks, err := alertRoutes(cfg, b, e.clock, log)
	if err != nil {
		return err
	}
	if alertHooks != nil {
		m.CountAlerts(alertHooks.Counts)
	}
	api.Extra = withRoutes(api.Extra, hooks)
	api.Extra = withRoutes(api.Extra, map[string]http.Handler{"GET /metrics": m.Handler()}) // open, as /healthz
	api.Extra = withRoutes(api.Extra, webPages(cfg, db, b, api, e.clock, log).Routes())
	defer b.Wait() // alerts taken while the HTTP server closes are acted on before the store closes
	httpAt, stopHTTP := startHTTP(cfg.HTTP, api, e, log)
	defer stopHTTP()

	if err := b.Start(ctx); err != nil {
		return err
	}
	// The timed work runs while this process leads (leader.go): on SQLite
	// always, on PostgreSQL while it holds the election. Each term starts
	// with the work that fell due while nobody did it.
	leadCtx, stopLeading := context.WithCancel(ctx)
	leading := make(chan struct{})
	go func() {
		defer close(leading)
		lead.lead(leadCtx, cfg.Database, log, timedWork(b, demo, log, postgres.IsURL(cfg.Database)))
	}()
	defer func() { stopLeading(); <-leading }()
	if demo != nil {
		// No ticker: the clock moves only on "~" lines, and each runs the
		// ticks it passes before the console reads on (demoAdvance), when
		// this process leads.
		if c, ok := adapter.(demoClocked); ok {
			c.UseDemoClock(demo.Now, func(ctx context.Context, d time.Duration) { demoAdvance(ctx, lead.demoTicker(b), demo, d, log) })
		}
	}
	announce(ctx, adapter, db, banner{
		database: databaseName(cfg.Database), http: httpAt, logs: o.logName, demo: demo,
		plans: b.Plans(), plansFrom: plansFrom(dir, cfg, o.embedded), planProblems: len(planProblems),
	}, log)
	var h bot.Handler = b
	if e.wrap != nil {
		h = e.wrap(h)
	}
	err = runAdapter(ctx, adapter, h, lead, log)
	b.Wait() // finish what is in flight before the store closes
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// startHTTP serves the HTTP API and says where ("http://127.0.0.1:8080",
// or why not, for the banner). A taken port does not stop the bot: the war
// room matters more than its API, and several demos may run side by side.
func startHTTP(addr string, s *httpapi.Server, e env, log *slog.Logger) (at string, stop func()) {
	if addr == "" || addr == "off" {
		return "off", func() {}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Warn("HTTP API disabled: cannot listen (set http: in the config or -http ADDR)", "addr", addr, "err", err)
		return fmt.Sprintf("off (%v; set http: in the config or -http ADDR)", err), func() {}
	}
	srv := s.HTTPServer(httpapi.Timeouts{})
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
	return "http://" + ln.Addr().String(), func() {
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
