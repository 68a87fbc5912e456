package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/adapters/console"
	"github.com/warroom/warroom/bot"
)

var update = flag.Bool("update", false, "rewrite README.md's console transcript from testdata/readme.txt")

// runConsole runs the binary as `warroom args... < input` (the embedded
// example config unless args say otherwise), its wall clock stopped at
// `at`, and returns what it printed and its exit code. getenv, when set, is
// the plan steps' environment.
func runConsole(t *testing.T, input string, at time.Time, getenv func(string) string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, env{
		stdin: strings.NewReader(input), stdout: &out, stderr: &errb, clock: bot.NewFakeClock(at), getenv: getenv,
	})
	return out.String(), errb.String(), code
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return string(b)
}

// wants are a console scenario's expectations: its "# want: <line>"
// comments (the console ignores them), each a line of the output, in
// order, where "..." stands for any text.
func wants(scenario string) []string {
	var out []string
	for l := range strings.Lines(scenario) {
		if w, ok := strings.CutPrefix(strings.TrimRight(l, "\r\n"), "# want: "); ok {
			out = append(out, w)
		}
	}
	return out
}

// matches reports whether line is want, "..." in want standing for any text.
func matches(line, want string) bool {
	parts := strings.Split(want, "...")
	if len(parts) == 1 {
		return line == want
	}
	if !strings.HasPrefix(line, parts[0]) {
		return false
	}
	rest := line[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(rest, p)
		if i < 0 {
			return false
		}
		rest = rest[i+len(p):]
	}
	return strings.HasSuffix(rest, parts[len(parts)-1])
}

// checkWants checks that out has a line for each want, in order.
func checkWants(t *testing.T, name, out string, ws []string) {
	t.Helper()
	require.NotEmpty(t, ws, "%s has no # want: lines", name)
	lines := strings.Split(out, "\n")
	i := 0
	for _, w := range ws {
		found := false
		for ; i < len(lines); i++ {
			if matches(lines[i], w) {
				found, i = true, i+1
				break
			}
		}
		if !found {
			t.Errorf("%s: no line %q (in order) in the output:\n%s", name, w, out)
			return
		}
	}
}

// playScenario runs testdata/console/<name> as `warroom args... < file`
// (plus extra input after it) and checks its wants.
func playScenario(t *testing.T, name, extra string, at time.Time, args ...string) string {
	t.Helper()
	sc := readTestdata(t, filepath.Join("console", name))
	out, errs, code := runConsole(t, sc+extra, at, nil, args...)
	require.Equal(t, 0, code, errs)
	assert.Empty(t, errs, "nothing on stderr")
	checkWants(t, name, out, wants(sc))
	return out
}

// TestConsoleChannels: the banner, the current channel, #new after a
// declare, unknown channels answered with the list; started again on the
// same database, the open fault is in the banner and its war room known.
func TestConsoleChannels(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "w.db")
	out := playScenario(t, "channels.txt", "", start, "-db", db, "-http", "off")
	assert.Contains(t, out, "* warroom: database "+db+" · HTTP off · logs to stderr\n")
	playScenario(t, "channels-again.txt", "", start.Add(time.Hour), "-db", db, "-http", "off")
}

// TestConsoleDemoClock: ~ lines move the demo clock and the timed work they
// pass is done before the next line; without -demo-clock they are refused.
func TestConsoleDemoClock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	playScenario(t, "clock.txt", "", start, "-demo-clock", "-db", filepath.Join(dir, "a.db"), "-http", "off")
	playScenario(t, "no-clock.txt", "", start, "-db", filepath.Join(dir, "b.db"), "-http", "off")
}

// The demo clock ticks as often as the running binary's ticker does.
func TestDemoTickIsTheTickerPeriod(t *testing.T) {
	t.Parallel()
	sch, err := cron.ParseStandard(tickEvery)
	require.NoError(t, err)
	assert.Equal(t, demoTick, sch.(cron.ConstantDelaySchedule).Delay)
}

// A long jump runs at most demoTicks ticks, and the timed work is still
// all done.
func TestDemoClockLongJump(t *testing.T) {
	t.Parallel()
	in := "alice: /fault declare P1 Everything is down service=web\n#new\n~ 24h\nalice: /fault status\n"
	begun := time.Now()
	out, errs, code := runConsole(t, in, start, nil, "-demo-clock", "-db", filepath.Join(t.TempDir(), "w.db"), "-http", "off")
	require.Equal(t, 0, code, errs)
	assert.Less(t, time.Since(begun), 30*time.Second)
	assert.Contains(t, out, "* clock 08:00:00 → 2026-06-03 08:00:00 (+24h)\n")
	assert.Contains(t, out, "[#fault-1-everything-is-down] warroom: P1 fault 1: Everything is down — open for 24h0m0s\n")
	// P1 reminds every 10 minutes: a reminder per step of 6 minutes' ticks
	// at most, every slot of the day answered once.
	n := strings.Count(out, "⏰ @alice, time for a progress update")
	assert.True(t, n >= 24*6*6/10 && n <= 24*6, "%d reminders", n)
}

// TestConsoleOddLines: no line of any length or content stops the console.
func TestConsoleOddLines(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", console.MaxLine+1)
	playScenario(t, "odd-lines.txt", long+"\nalice: /fault help\n", start, "-db", filepath.Join(t.TempDir(), "w.db"), "-http", "off")
}

// Logs go to stderr or the -log file, never to stdout between chat lines.
func TestConsoleLogs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "warroom.yaml")
	// A stakeholder by SMS with no pager configured: warroom says so in the
	// war room, and logs a warning.
	require.NoError(t, os.WriteFile(cfg, []byte(strings.Replace(testConfig,
		`P2: {commander: duty, checkin_within: 10m, remind: "*/15 * * * *"}`,
		`P2: {commander: duty, checkin_within: 10m, remind: "*/15 * * * *", notify: ["+15550100"]}`, 1)), 0o600))
	in := "sam: /fault declare P2 Invoices stuck service=billing\n"

	out, errs, code := runConsole(t, in, start, nil, "-config", cfg, "-db", filepath.Join(dir, "a.db"), "-http", "off")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "⚠️ stakeholders not reached: +15550100 (no pager is configured)")
	assert.Contains(t, errs, `level=WARN msg="notifying a stakeholder"`)
	assert.NotContains(t, out, "level=")

	logFile := filepath.Join(dir, "warroom.log")
	out, errs, code = runConsole(t, in, start, nil, "-config", cfg, "-db", filepath.Join(dir, "b.db"), "-http", "off", "-log", logFile, "-log-level", "info")
	require.Equal(t, 0, code, errs)
	assert.Empty(t, errs)
	assert.NotContains(t, out, "level=")
	assert.Contains(t, out, "* warroom: database "+filepath.Join(dir, "b.db")+" · HTTP off · logs to "+logFile+"\n")
	logged, err := os.ReadFile(logFile)
	require.NoError(t, err)
	assert.Contains(t, string(logged), `level=WARN msg="notifying a stakeholder"`)
	assert.Contains(t, string(logged), `level=INFO msg=`, "-log-level info")

	_, errs, code = runConsole(t, in, start, nil, "-log", "debug")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "-log names the log file; for the log level type -log-level debug")
}

// -demo-clock drives the console's input: another adapter is refused.
func TestDemoClockNeedsTheConsole(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "warroom.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(toyConfig), 0o600))
	_, errs, code := runConsole(t, "", start, nil, "-config", cfg, "-demo-clock", "-db", filepath.Join(dir, "w.db"), "-http", "off")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "-demo-clock works with the console adapter only, and the config's adapter is toy")
	assert.NoFileExists(t, filepath.Join(dir, "w.db"))
}

const (
	transcriptBegin = "<!-- transcript:begin: the output of cmd/warroom/testdata/readme.txt; go test ./cmd/warroom -run TestReadmeTranscript -update rewrites it -->\n"
	transcriptEnd   = "<!-- transcript:end -->\n"
)

// TestReadmeTranscript keeps README.md's console session true: it is what
// `warroom -demo-clock < cmd/warroom/testdata/readme.txt` prints on a new
// database at 08:00 on 2 June 2026, the database path and HTTP address
// written as the defaults (warroom.db, 127.0.0.1:8080) a plain run has.
func TestReadmeTranscript(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var (
		out, errb bytes.Buffer
		addr      string
	)
	code := run(context.Background(), []string{"-demo-clock", "-db", filepath.Join(dir, "warroom.db"), "-http", "127.0.0.1:0"}, env{
		stdin: strings.NewReader(readTestdata(t, "readme.txt")), stdout: &out, stderr: &errb, clock: bot.NewFakeClock(start),
		ready: func(a string) { addr = a },
	})
	require.Equal(t, 0, code, errb.String())
	require.Empty(t, errb.String())
	transcript := strings.NewReplacer(filepath.Join(dir, "warroom.db"), "warroom.db", addr, "127.0.0.1:8080").Replace(out.String())
	assert.NotContains(t, transcript, "⚠️ only", "the refusals shown are the ones meant")
	block := "```\n" + transcript + "```\n"

	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	before, rest, ok := strings.Cut(string(readme), transcriptBegin)
	require.True(t, ok, "README.md has no %q", transcriptBegin)
	got, after, ok := strings.Cut(rest, transcriptEnd)
	require.True(t, ok, "README.md has no %q", transcriptEnd)
	if *update {
		require.NoError(t, os.WriteFile("../../README.md", []byte(before+transcriptBegin+block+transcriptEnd+after), 0o644))
		return
	}
	assert.Equal(t, block, got, "README.md's console transcript is not what readme.txt prints; go test ./cmd/warroom -run TestReadmeTranscript -update rewrites it")
}

// playDemoTwice runs a shipped demo with the demo clock twice on one
// database, the second time two hours later, as a user trying it twice
// would. The second run acts on its own fault (#new), so its output is the
// first's with fault 2 for fault 1 and the clock two hours on. It returns
// the first run's output.
func playDemoTwice(t *testing.T, name string, getenv func(string) string) string {
	t.Helper()
	demo := readTestdata(t, name)
	db := filepath.Join(t.TempDir(), "demo.db")
	var outs [2]string
	for i, at := range []time.Time{start, start.Add(2 * time.Hour)} {
		out, errs, code := runConsole(t, demo, at, getenv, "-demo-clock", "-db", db, "-http", "off")
		require.Equal(t, 0, code, errs)
		assert.Empty(t, errs, "run %d: nothing on stderr", i+1)
		assert.NotContains(t, out, "* cannot read", "run %d", i+1)
		assert.NotContains(t, out, "* no channel", "run %d", i+1)
		outs[i] = out
	}
	again := strings.NewReplacer("fault-1-", "fault-2-", "fault 1", "fault 2", "fault-1\n", "fault-2\n", "run 1 on fault 1", "run 1 on fault 2",
		" 08:", " 10:", "T08:", "T10:", "/incidents/1\n", "/incidents/2\n").Replace(outs[0])
	// The OS's numbers, and how a pipe happens to split a step's output
	// into posts, are not the demo's: compare without them.
	pgid := regexp.MustCompile(`process group [0-9]+`)
	chunks := regexp.MustCompile(`(?m)^\[#[^\]]*\] warroom: (📜 run #[0-9]+ step [^\n]*:|\[demo\][^\n]*)\n`)
	norm := func(s string) string { return chunks.ReplaceAllString(pgid.ReplaceAllString(s, "process group N"), "") }
	again, second := norm(again), norm(outs[1])
	assert.Equal(t, again, second, "the second run of %s on the same database", name)
	return outs[0]
}

// TestConsolePolicy: a re-grade applies the new level's whole policy, the
// chase report says what reached whom, the time to declare, typos answered.
func TestConsolePolicy(t *testing.T) {
	t.Parallel()
	playScenario(t, "policy.txt", "", start, "-demo-clock", "-db", filepath.Join(t.TempDir(), "w.db"), "-http", "off")
}
