package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
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
