package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store"
)

// cli runs the binary's run function with args and no input, and returns
// its stdout, stderr and exit code.
func cli(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, clock: bot.NewFakeClock(start)})
	return out.String(), errb.String(), code
}

// writeConfig writes a config file into a new directory and returns its
// path.
func writeConfig(t *testing.T, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "warroom.yaml")
	require.NoError(t, os.WriteFile(path, []byte(data), 0o600))
	return path
}

// TestCheckUnsetVariables: an unset ${VAR} fails `warroom check`, naming
// the key, the line and the variable; ${VAR:-default} does not. (The
// variable names are ones no environment sets.)
func TestCheckUnsetVariables(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, "bridge: \"${WARROOM_TEST_UNSET_BRIDGE_URL}/room-{id}\"\nhttp: off\ndatabase: ${WARROOM_TEST_UNSET_DB_PATH}\n")
	_, stderr, code := cli(t, "check", "-config", cfg)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, cfg+":1: bridge: ${WARROOM_TEST_UNSET_BRIDGE_URL} is not set: set WARROOM_TEST_UNSET_BRIDGE_URL in the environment, or write ${WARROOM_TEST_UNSET_BRIDGE_URL:-default} if it is optional")
	assert.Contains(t, stderr, cfg+":3: database: ${WARROOM_TEST_UNSET_DB_PATH} is not set")

	_, stderr, code = cli(t, "-config", cfg, "-db", filepath.Join(t.TempDir(), "w.db"))
	assert.Equal(t, 1, code, "nor does warroom start on it")
	assert.Contains(t, stderr, "WARROOM_TEST_UNSET_BRIDGE_URL")

	cfg = writeConfig(t, "bridge: \"${WARROOM_TEST_UNSET_BRIDGE_URL:-https://meet.example.com}/room-{id}\"\ndatabase: ${WARROOM_TEST_UNSET_DB_PATH:-}\n")
	stdout, stderr, code := cli(t, "check", "-config", cfg)
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, ": ok")
}

// TestSubcommandTypos: a mistyped subcommand gets the closest one, and
// exits 2 without starting anything.
func TestSubcommandTypos(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "x.db")
	for args, want := range map[string]string{
		"chek":                          `warroom: unknown subcommand "chek"; did you mean check? (warroom help lists them)`,
		"exprot 1":                      `unknown subcommand "exprot"; did you mean export?`,
		"lst":                           `unknown subcommand "lst"; did you mean list?`,
		"example-confg":                 `did you mean example-config?`,
		"-http off -db " + db + " plan": `unknown subcommand "plan"; did you mean plans?`,
		"zzzzzz":                        `warroom: unexpected argument "zzzzzz"; the subcommands are check, export, list, plans, example-config, help (warroom help)`,
		"plans relaod":                  `warroom plans: unknown subcommand "relaod"; did you mean reload? (plans takes check or reload)`,
		"help chek":                     `warroom help: no subcommand "chek"; did you mean check?`,
	} {
		stdout, stderr, code := cli(t, strings.Fields(args)...)
		assert.Equal(t, 2, code, args)
		assert.Contains(t, stderr, want, args)
		assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %s", stderr)
		assert.Empty(t, stdout, args)
	}
	assert.NoFileExists(t, db, "the bot did not start")
}

// TestSubcommandFlagsAnywhere: a subcommand's flags go before or after its
// arguments; -- ends them.
func TestSubcommandFlagsAnywhere(t *testing.T) {
	t.Parallel()
	s := newScenario(t)
	_, code := s.play(t, []step{{0, "nadia: /fault declare P2 Invoices stuck service=billing"}})
	require.Equal(t, 0, code)
	cfg, db := filepath.Join(s.dir, "warroom.yaml"), filepath.Join(s.dir, "w.db")
	for _, args := range [][]string{
		{"export", "1", "-db", db, "-config", cfg},
		{"export", "-db", db, "1", "-config", cfg},
		{"export", "-config", cfg, "-db", db, "--", "1"},
		{"-config", cfg, "-db", db, "export", "1"}, // the bot's flags, then the subcommand
	} {
		stdout, stderr, code := cli(t, args...)
		require.Equal(t, 0, code, "%v: %s", args, stderr)
		assert.Contains(t, stdout, `"title": "Invoices stuck"`, args)
	}
	_, stderr, code := cli(t, "export", "1", "2", "-db", db)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "warroom export: give one fault id, as in: warroom export 3\n")

	stdout, stderr, code := cli(t, "check", "-config", cfg)
	require.Equal(t, 0, code, stderr)
	stdout2, _, _ := cli(t, "-config", cfg, "check")
	assert.Equal(t, stdout, stdout2)
	_, stderr, code = cli(t, "check", cfg)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "warroom check: unexpected argument \""+cfg+"\"; name the file with -config "+cfg+"\n")

	plans := filepath.Join(s.dir, "plans")
	require.NoError(t, os.Mkdir(plans, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(plans, "a.yaml"), []byte(planA), 0o600))
	for _, args := range [][]string{
		{"plans", "check", plans, "-config", cfg},
		{"plans", "-config", cfg, "check", plans},
	} {
		stdout, stderr, code := cli(t, args...)
		assert.Equal(t, 0, code, "%v: %s", args, stderr)
		assert.Contains(t, stdout, "1 plan ok: flush-cache", args)
	}
}

// TestSubcommandHelp: -h on every subcommand prints its help and exits 0;
// warroom help SUBCOMMAND prints the same on stdout.
func TestSubcommandHelp(t *testing.T) {
	t.Parallel()
	for _, sub := range []string{"check", "export", "list", "plans check", "plans reload", "example-config"} {
		stdout, stderr, code := cli(t, append(strings.Fields(sub), "-h")...)
		assert.Equal(t, 0, code, sub)
		assert.Contains(t, stderr, "Usage: warroom "+sub, sub)
		assert.Empty(t, stdout, "%s -h prints no config, no faults", sub)
	}
	stdout, _, code := cli(t, "help", "example-config")
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "Usage: warroom example-config")
	assert.NotContains(t, stdout, "command: fault")

	stdout, _, code = cli(t, "example-config")
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "command: fault")
	_, stderr, code := cli(t, "example-config", "warroom.yaml")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "redirect the output: warroom example-config > warroom.yaml")

	stdout, _, code = cli(t, "help")
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "warroom list [-db FILE] [-config FILE]")
}

// TestListSubcommand: warroom list prints the open faults, newest first, as
// /fault list does in chat; resolved ones are left out.
func TestListSubcommand(t *testing.T) {
	t.Parallel()
	s := newScenario(t)
	_, code := s.play(t, []step{
		{0, "sam: /fault declare P2 Invoices stuck in pending service=billing"},
		{time.Minute, "nadia: /fault declare P3 Ledger export slow service=billing"},
		{2 * time.Minute, "sam: /fault declare P4 Typo on the status page"},
		{3 * time.Minute, "#fault-3-typo-on-the-status-page"},
		{3 * time.Minute, "sam: /fault resolve fixed"},
		{4 * time.Minute, "#fault-1-invoices-stuck-in-pending"},
		{4 * time.Minute, "sam: /fault mitigated invoices flow again"},
	})
	require.Equal(t, 0, code)
	var out, errb bytes.Buffer
	s.clock.Set(start.Add(10 * time.Minute))
	code = run(context.Background(), []string{"list", "-config", filepath.Join(s.dir, "warroom.yaml"), "-db", filepath.Join(s.dir, "w.db")},
		env{stdout: &out, stderr: &errb, clock: s.clock})
	require.Equal(t, 0, code, errb.String())
	assert.Equal(t, `Open faults (2, newest first):
  P3 fault 2: Ledger export slow — open for 9m0s, commander @omar, war room #fault-2-ledger-export-slow
  P2 fault 1: Invoices stuck in pending — mitigated for 10m0s, commander @rui, war room #fault-1-invoices-stuck-in-pending
`, out.String())

	_, stderr, code := cli(t, "list", "-db", filepath.Join(s.dir, "none.db"))
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "warroom list: no database at "+filepath.Join(s.dir, "none.db")+" (-db FILE names another)\n")
	assert.NoFileExists(t, filepath.Join(s.dir, "none.db"))

	empty := newScenario(t)
	_, code = empty.play(t, []step{{0, "sam: /fault declare P4 Typo"}, {0, "#fault-1-typo"}, {0, "sam: /fault resolve fixed"}})
	require.Equal(t, 0, code)
	stdout, stderr, code := cli(t, "list", "-db", filepath.Join(empty.dir, "w.db"))
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, "no fault is open\n", stdout)
}

// TestPlansUnsetEnvScript: started without the ${VAR}s a plan's job step
// needs, warroom warns on the approval card that the step cannot run.
func TestPlansUnsetEnvScript(t *testing.T) {
	t.Parallel()
	demo, err := os.ReadFile("testdata/plans-unset-env.txt")
	require.NoError(t, err)
	var out, errb bytes.Buffer
	getenv := func(k string) string {
		if strings.HasPrefix(k, "JOBS_") {
			return ""
		}
		return os.Getenv(k)
	}
	code := run(context.Background(), []string{"-db", filepath.Join(t.TempDir(), "unset.db"), "-http", "off"},
		env{stdin: bytes.NewReader(demo), stdout: &out, stderr: &errb, clock: bot.NewFakeClock(start), getenv: getenv})
	require.Equal(t, 0, code, errb.String())
	ch := "[#fault-1-web-servers-not-answering] warroom: "
	assert.Contains(t, out.String(), ch+"🔐 Run #1: plan server-breakdown")
	assert.Contains(t, out.String(), "⚠️ Cannot run: step restore-data (${JOBS_URL}, ${JOBS_TOKEN} not set in warroom's environment)\n")
	assert.Contains(t, out.String(), ch+"🚫 run #1 (server-breakdown) denied by @erin: the job runner is not configured here")
}

// TestPlansCheckAgainstCatalogAndEnvironment: plans check names, plan by
// plan, the services the config lacks and the ${VAR}s this environment
// does not set, with file and line; -no-env leaves the environment out.
func TestPlansCheckAgainstCatalogAndEnvironment(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, "people: {ann: {}}\nservices:\n  web: {contacts: [ann]}\n  billing: {contacts: [ann]}\n")
	dir := t.TempDir()
	for name, body := range map[string]string{
		"ok.yaml": "name: ok\ntitle: Fine here\nservices: [web]\nimpact: P4\nsteps:\n  - {name: look, manual: look at it}\n",
		"elsewhere.yaml": `name: elsewhere
title: Meant for another catalog
faults: [queue-stuck]
services: [web, biling, kafka]
impact: P3
steps:
  - name: drain
    job:
      method: POST
      url: "${WARROOM_TEST_UNSET_JOBS_URL}/api/drain"
      headers: {Authorization: "Bearer ${WARROOM_TEST_UNSET_JOBS_TOKEN}"}
`,
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600))
	}
	stdout, stderr, code := cli(t, "plans", "check", "-config", cfg, dir)
	assert.Equal(t, 1, code)
	f := filepath.Join(dir, "elsewhere.yaml")
	assert.Equal(t, f+`:4: services: "biling" is not a service in the config; did you mean billing?; the plan is never offered as fitting a fault there
`+f+`:4: services: "kafka" is not a service in the config; known: billing, web; the plan is never offered as fitting a fault there
`+f+`:10: steps.drain.job.url: ${WARROOM_TEST_UNSET_JOBS_URL} is not set in this environment: step drain cannot run without it
`+f+`:11: steps.drain.job.headers.Authorization: ${WARROOM_TEST_UNSET_JOBS_TOKEN} is not set in this environment: step drain cannot run without it
`+dir+`: 1 plan ok: ok
`+dir+`: 1 plan loads but cannot work fully here: elsewhere (services biling, kafka not in the config; ${WARROOM_TEST_UNSET_JOBS_URL}, ${WARROOM_TEST_UNSET_JOBS_TOKEN} not set)
`+dir+`: kinds of fault the plans fit: queue-stuck (declare with kind=<kind>; an alert's kind label gives it)
`, stdout)
	assert.Contains(t, stderr, "warroom plans check: 4 problems in 1 file\n")

	stdout, _, code = cli(t, "plans", "check", "-no-env", "-config", cfg, dir)
	assert.Equal(t, 1, code)
	assert.NotContains(t, stdout, "WARROOM_TEST_UNSET")
	assert.Contains(t, stdout, "elsewhere (services biling, kafka not in the config)")
}

// storeSwitch makes the store refuse writes, or take them again, just
// before the bot handles the events the scenario marks, and checks what
// /healthz answers then.
type storeSwitch struct {
	next    bot.Handler
	t       *testing.T
	db      func() *store.DB
	health  func() int
	at      map[int]bool // event number -> refuse writes from it on (true) or not
	n       int
	healths []int
}

func (s *storeSwitch) before(ctx context.Context) {
	if readOnly, ok := s.at[s.n]; ok {
		require.NoError(s.t, s.db().SetQueryOnly(ctx, readOnly))
		s.healths = append(s.healths, s.health())
	}
	s.n++
}

func (s *storeSwitch) HandleMessage(ctx context.Context, m bot.Incoming) {
	s.before(ctx)
	s.next.HandleMessage(ctx, m)
}

func (s *storeSwitch) HandleReaction(ctx context.Context, r bot.Reaction) {
	s.before(ctx)
	s.next.HandleReaction(ctx, r)
}

// TestStoreFailureScript: while the database refuses writes, a command says
// what happened and that it was not recorded, reads answer, and /healthz is
// 503; once it takes writes again the same command works.
func TestStoreFailureScript(t *testing.T) {
	t.Parallel()
	script, err := os.ReadFile("testdata/store-failure.txt")
	require.NoError(t, err)
	// The markers are comments: they never reach the bot. Count the lines
	// that do, to know which event each marker comes before.
	at := map[int]bool{}
	events := 0
	for _, line := range strings.Split(string(script), "\n") {
		switch {
		case line == "# [the database stops taking writes]":
			at[events] = true
		case line == "# [the database takes writes again]":
			at[events] = false
		case line != "" && !strings.HasPrefix(line, "#"):
			events++
		}
	}
	require.Len(t, at, 2)

	var (
		db   *store.DB
		addr string
	)
	health := func() int {
		resp, err := http.Get("http://" + addr + "/healthz")
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	sw := &storeSwitch{t: t, db: func() *store.DB { return db }, health: health, at: at}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"-db", filepath.Join(t.TempDir(), "w.db"), "-http", "127.0.0.1:0"}, env{
		stdin: bytes.NewReader(script), stdout: &out, stderr: &errb, clock: bot.NewFakeClock(start),
		opened: func(d *store.DB) { db = d },
		ready:  func(a string) { addr = a },
		wrap:   func(h bot.Handler) bot.Handler { sw.next = h; return sw },
	})
	require.Equal(t, 0, code, errb.String())
	assert.Equal(t, []int{http.StatusServiceUnavailable, http.StatusOK}, sw.healths)

	room := "[#fault-1-checkout-api-5xx] warroom: "
	s := out.String()
	notRecorded := "⚠️ warroom's database is read-only (its file or its folder cannot be written); that command was not recorded: type it again\n"
	assert.Equal(t, 2, strings.Count(s, room+notRecorded), s)
	assert.Contains(t, s, room+"P2 fault 1: Checkout API 5xx — open for 0s\n", "reads answer")
	assert.Equal(t, 1, strings.Count(s, "📣 update #1 from @bob: rolled back the deploy"), "recorded once: when typed again")
	assert.Contains(t, s, room+"📋 task #1 for @carol: check replication lag")
	assert.NotContains(t, s, "internal error")
	assert.Contains(t, errb.String(), "store: append to fault 1: attempt to write a readonly database", "the log has the details")
}
