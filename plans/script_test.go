package plans_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/plans"
)

// argvScript writes its arguments, NUL-separated, to the file named by its
// first: stdout would be redacted and made valid UTF-8, a file is not.
const argvScript = "#!/bin/sh\nout=$1\nshift\nprintf '%s\\0' \"$@\" > \"$out\"\n"

// argvPlan passes a loose and a strict parameter to argvScript, with a
// leading literal argument and a trailing one.
func argvPlan(t testing.TB) *bot.Plan {
	return scriptPlan(t, map[string]string{"scripts/argv.sh": argvScript}, `params:
  - {name: out, pattern: '[a-z0-9]+', required: true}
  - {name: loose, pattern: '(?s).*'}
  - {name: strict, pattern: '[a-z0-9][a-z0-9.-]*'}
`, `[scripts/argv.sh, "{{out}}", --, "{{loose}}", "{{strict}}", end]`)
}

func readArgv(t testing.TB, dir, out string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, out))
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(string(data), "\x00"))
	return strings.Split(strings.TrimSuffix(string(data), "\x00"), "\x00")
}

// TestScriptArgvLiteral: hostile values arrive as exactly one argument,
// untouched, with no shell to interpret them.
func TestScriptArgvLiteral(t *testing.T) {
	t.Parallel()
	p := argvPlan(t)
	r := &plans.Runner{Getenv: noEnv}
	for i, v := range []string{
		"; rm -rf /", "$(touch pwned)", "`touch pwned`", "a\nb", "--help", "-rf", "../../etc/passwd",
		"“smart” ‘quotes’", "'single' \"double\"", "a b\tc", "*", "$HOME", "${PATH}", "\\", "|&><", "\xff\xfe",
		"{{strict}}", "token=hunter2",
	} {
		args, err := p.Bind(map[string]string{"out": "argv" + strconv.Itoa(i), "loose": v})
		require.NoError(t, err)
		res, _ := run(t, r, p, args)
		require.Equal(t, bot.StepOK, res.Status, "%q: %s", v, res.Detail)
		assert.Equal(t, []string{"--", v, "", "end"}, readArgv(t, p.Dir, "argv"+strconv.Itoa(i)), "%q", v)
		_, err = os.Stat(filepath.Join(p.Dir, "pwned"))
		assert.ErrorIs(t, err, os.ErrNotExist)
	}
}

// TestScriptParamRechecked: a value that skipped Bind is still checked.
func TestScriptParamRechecked(t *testing.T) {
	t.Parallel()
	p := argvPlan(t)
	res, _ := run(t, &plans.Runner{Getenv: noEnv}, p, map[string]string{"out": "x", "strict": "; rm -rf /"})
	assert.Equal(t, bot.StepFailed, res.Status)
	assert.Equal(t, `strict="; rm -rf /" does not match [a-z0-9][a-z0-9.-]*`, res.Detail)
	res, _ = run(t, &plans.Runner{Getenv: noEnv}, p, map[string]string{"out": "x", "loose": "a\x00b"})
	assert.Equal(t, bot.StepFailed, res.Status)
	assert.Equal(t, "parameter loose has a NUL byte, which no argument can carry", res.Detail)
	res, _ = run(t, &plans.Runner{Getenv: noEnv}, p, map[string]string{"loose": "x"})
	assert.Equal(t, "parameter out is required and has no value", res.Detail)
}

// TestScriptEnvironment: a script sees the allowlist and the run's
// identity, and runs in the plan's directory.
func TestScriptEnvironment(t *testing.T) {
	t.Parallel()
	p := scriptPlan(t, map[string]string{"scripts/env.sh": "#!/bin/sh\npwd\nenv | sort\n"}, "", "[scripts/env.sh]")
	env := map[string]string{
		"PATH": "/usr/bin:/bin", "HOME": "/home/w", "LANG": "C.UTF-8", "TZ": "UTC", "TMPDIR": "/tmp/w",
		"JOBS_TOKEN": "s3cr3t-token", "SLACK_BOT_TOKEN": "xoxb-1", "AWS_SECRET_ACCESS_KEY": "k", "LD_PRELOAD": "/evil.so",
	}
	res, _ := run(t, &plans.Runner{Getenv: envOf(env)}, p, nil)
	require.Equal(t, bot.StepOK, res.Status, res.Detail)
	lines := strings.Split(strings.TrimSpace(res.Output), "\n")
	assert.Equal(t, evalSymlinks(t, p.Dir), evalSymlinks(t, lines[0]))
	var names []string
	for _, l := range lines[1:] {
		k, v, _ := strings.Cut(l, "=")
		if k == "PWD" { // the shell sets it
			continue
		}
		names = append(names, k)
		switch k {
		case "WARROOM_FAULT":
			assert.Equal(t, "7", v)
		case "WARROOM_RUN":
			assert.Equal(t, "2", v)
		case "WARROOM_PLAN":
			assert.Equal(t, "t", v)
		case "WARROOM_STEP":
			assert.Equal(t, "s", v)
		default:
			assert.Equal(t, env[k], v, k)
		}
	}
	assert.Equal(t, []string{"HOME", "LANG", "PATH", "TMPDIR", "TZ", "WARROOM_FAULT", "WARROOM_PLAN", "WARROOM_RUN", "WARROOM_STEP"}, names)
}

func TestScriptExitStatus(t *testing.T) {
	t.Parallel()
	p := scriptPlan(t, map[string]string{"scripts/fail.sh": "#!/bin/sh\necho out\necho err >&2\necho out again\nexit 3\n"}, "", "[scripts/fail.sh]")
	res, c := run(t, &plans.Runner{Getenv: noEnv}, p, nil)
	assert.Equal(t, bot.StepFailed, res.Status)
	assert.Equal(t, "exit status 3", res.Detail)
	assert.Equal(t, "out\nerr\nout again\n", res.Output, "stdout and stderr interleave as written")
	assert.Equal(t, res.Output, c.text())
	assert.Zero(t, res.Dropped)
}

func TestScriptSignalled(t *testing.T) {
	t.Parallel()
	p := scriptPlan(t, map[string]string{"scripts/die.sh": "#!/bin/sh\nkill -KILL $$\n"}, "", "[scripts/die.sh]")
	res, _ := run(t, &plans.Runner{Getenv: noEnv}, p, nil)
	assert.Equal(t, bot.StepFailed, res.Status)
	assert.Equal(t, "killed by signal killed", res.Detail)
}

// forker starts a child that sleeps, says its pid, then sleeps itself;
// with "trap" it ignores SIGTERM, and so does its child.
func forker(trap bool) string {
	s := "#!/bin/sh\n"
	if trap {
		s += "trap '' TERM\n"
	}
	return s + "sleep 60 &\necho child $!\nsleep 60\n"
}

func childPid(t *testing.T, output string) int {
	t.Helper()
	for _, l := range strings.Split(output, "\n") {
		if s, ok := strings.CutPrefix(l, "child "); ok {
			pid, err := strconv.Atoi(s)
			require.NoError(t, err)
			return pid
		}
	}
	t.Fatalf("no child pid in %q", output)
	return 0
}

// assertGone: the kernel finishes a killed process's exit just after it
// closes its files, which is when Run can return; give it a moment.
func assertGone(t *testing.T, pid int) {
	t.Helper()
	assert.Eventually(t, func() bool { return gone(pid) }, 5*time.Second, 5*time.Millisecond, "process %d is still running", pid)
}

// TestScriptTimeoutKillsGroup: at its timeout a script is killed together
// with the child it forked.
func TestScriptTimeoutKillsGroup(t *testing.T) {
	t.Parallel()
	for _, trap := range []bool{false, true} {
		t.Run("trap="+strconv.FormatBool(trap), func(t *testing.T) {
			t.Parallel()
			p := scriptPlan(t, map[string]string{"scripts/fork.sh": forker(trap)}, "", "[scripts/fork.sh]\n    timeout: 300ms")
			start := time.Now()
			res, c := run(t, &plans.Runner{Getenv: noEnv, KillGrace: 200 * time.Millisecond}, p, nil)
			took := time.Since(start)
			assert.Equal(t, bot.StepTimeout, res.Status)
			assert.Equal(t, "killed after 300ms", res.Detail)
			assert.Less(t, took, 10*time.Second)
			assert.GreaterOrEqual(t, took, 300*time.Millisecond)
			if trap {
				assert.GreaterOrEqual(t, took, 500*time.Millisecond, "SIGKILL waits for the grace")
			}
			assertGone(t, childPid(t, c.text()))
		})
	}
}

// TestScriptLeftoverKilled: a script that exits leaving a child running
// does not leave it behind.
func TestScriptLeftoverKilled(t *testing.T) {
	t.Parallel()
	p := scriptPlan(t, map[string]string{"scripts/leave.sh": "#!/bin/sh\nsleep 60 &\necho child $!\n"}, "", "[scripts/leave.sh]")
	res, _ := run(t, &plans.Runner{Getenv: noEnv, KillGrace: 5 * time.Second}, p, nil)
	assert.Equal(t, bot.StepOK, res.Status)
	assert.Equal(t, "exit status 0; processes it left running were killed", res.Detail)
	assertGone(t, childPid(t, res.Output))
}

// TestScriptEscapedChild: a child that left the process group and holds
// the output open cannot hold Run: its output is cut off.
func TestScriptEscapedChild(t *testing.T) {
	t.Parallel()
	setsid, err := exec.LookPath("setsid")
	if err != nil {
		t.Skip("no setsid")
	}
	p := scriptPlan(t, map[string]string{"scripts/escape.sh": "#!/bin/sh\n" +
		setsid + " sh -c 'echo $$ > child.tmp && mv child.tmp child.pid && exec sleep 60' &\n" +
		"while [ ! -e child.pid ]; do sleep 0.01; done\necho started\n"}, "", "[scripts/escape.sh]")
	start := time.Now()
	res, _ := run(t, &plans.Runner{Getenv: noEnv, KillGrace: 100 * time.Millisecond}, p, nil)
	data, err := os.ReadFile(filepath.Join(p.Dir, "child.pid"))
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	require.NoError(t, err)
	defer syscall.Kill(pid, syscall.SIGKILL) // the test started it; the test ends it
	assert.Less(t, time.Since(start), 10*time.Second)
	assert.Equal(t, bot.StepOK, res.Status)
	assert.Equal(t, "exit status 0; output cut off: a process that left its process group still holds it", res.Detail)
	assert.Equal(t, "started\n", res.Output)
}

func TestScriptCancelled(t *testing.T) {
	t.Parallel()
	p := scriptPlan(t, map[string]string{"scripts/fork.sh": forker(false)}, "", "[scripts/fork.sh]")
	ctx, cancel := context.WithCancel(context.Background())
	c := &collector{}
	started := make(chan struct{})
	var once bool
	out := func(s string) {
		c.out(s)
		if !once {
			once = true
			close(started)
		}
	}
	go func() { <-started; cancel() }()
	res := (&plans.Runner{Getenv: noEnv, KillGrace: 100 * time.Millisecond}).Run(ctx, bot.StepRequest{Plan: p, Step: p.Steps[0]}, out)
	assert.Equal(t, bot.StepFailed, res.Status)
	assert.Equal(t, "cancelled; killed", res.Detail)
	assertGone(t, childPid(t, c.text()))

	res = (&plans.Runner{}).Run(ctx, bot.StepRequest{Plan: p, Step: p.Steps[0]}, nil)
	assert.Equal(t, "cancelled before it started: context canceled", res.Detail)
}

// TestScriptOutputCapped: 10 MiB of output keeps the cap and counts the
// rest, and the script is not slowed by what is dropped.
func TestScriptOutputCapped(t *testing.T) {
	t.Parallel()
	const total = 10 << 20
	p := scriptPlan(t, map[string]string{"scripts/flood.sh": "#!/bin/sh\nyes 0123456789abcdefghijklmnopqrstuvwxyz | head -c " + strconv.Itoa(total) + "\n"}, "", "[scripts/flood.sh]")
	for _, limit := range []int64{0, 1000} {
		res, c := run(t, &plans.Runner{Getenv: noEnv, MaxOutput: limit}, p, nil)
		require.Equal(t, bot.StepOK, res.Status, res.Detail)
		want := limit
		if want == 0 {
			want = plans.DefaultMaxOutput
		}
		assert.Len(t, res.Output, int(want))
		assert.Equal(t, int64(total)-want, res.Dropped)
		assert.Equal(t, res.Output, c.text())
		assert.True(t, strings.HasPrefix(res.Output, "0123456789abcdefghijklmnopqrstuvwxyz\n0123"))
		for _, chunk := range c.chunks[:len(c.chunks)-1] {
			assert.True(t, strings.HasSuffix(chunk, "\n"), "whole lines while under the cap")
		}
	}
}

// TestScriptPartialLine: a partial line is passed on once the script goes
// quiet, not held until the line ends.
func TestScriptPartialLine(t *testing.T) {
	t.Parallel()
	dir := planDir(t, map[string]string{"scripts/progress.sh": "#!/bin/sh\nprintf 'Progress: 40%%'\nread answer < go.fifo\necho \" done\"\n"})
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "go.fifo"), 0o600))
	p := mustParse(t, dir, "name: t\ntitle: T\nimpact: P4\nsteps: [{name: s, script: [scripts/progress.sh]}]\n")
	release := func() {
		f, err := os.OpenFile(filepath.Join(dir, "go.fifo"), os.O_WRONLY, 0)
		if assert.NoError(t, err) {
			f.WriteString("go\n")
			f.Close()
		}
	}
	var chunks []string
	out := func(s string) {
		chunks = append(chunks, s)
		if s == "Progress: 40%" {
			release() // the partial line arrived while the script waits
		}
	}
	res := (&plans.Runner{Getenv: noEnv}).Run(context.Background(), bot.StepRequest{Plan: p, Step: p.Steps[0]}, out)
	assert.Equal(t, bot.StepOK, res.Status, res.Detail)
	assert.Equal(t, []string{"Progress: 40%", " done\n"}, chunks)
	assert.Equal(t, "Progress: 40% done\n", res.Output)
}

// TestScriptRedacted: obvious secrets are hidden in what goes out and
// what is kept.
func TestScriptRedacted(t *testing.T) {
	t.Parallel()
	p := scriptPlan(t, map[string]string{"scripts/leak.sh": `#!/bin/sh
echo "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig"
echo "connecting with password=hunter2 and token=abc123&x=1"
echo '{"api_key": "k-123 456", "user": "bob"}'
echo "slack xoxb-1234-5678-abcdefgh done"
echo "aws AKIAIOSFODNN7EXAMPLE here"
echo "db postgres://app:pa55w0rd@db:5432/app"
echo "SECRET=shh"
echo "push with ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 and glpat-xYz12AbC34dEf56GhI78jK"
echo "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
echo "stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc rk_live_51H8xYzAbCdEfGhIjKlMnOp"
echo "-----BEGIN RSA PRIVATE KEY-----"
echo "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"
echo "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu"
echo "-----END RSA PRIVATE KEY-----"
echo "SIGNING_KEY=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5QUJD sort_key=created_at"
echo "deployed 3f2a9c1e7b4d8a6f0e5c2b1a9d8e7f6a5b4c3d2e"
echo "nothing secret here"
`}, "", "[scripts/leak.sh]")
	res, c := run(t, &plans.Runner{Getenv: noEnv}, p, nil)
	require.Equal(t, bot.StepOK, res.Status, res.Detail)
	want := `Authorization: [redacted]
connecting with password=[redacted] and token=[redacted]&x=1
{"api_key": "[redacted]", "user": "bob"}
slack [redacted] done
aws [redacted] here
db postgres://app:[redacted]@db:5432/app
SECRET=[redacted]
push with [redacted] and [redacted]
jwt [redacted]
stripe [redacted] [redacted]
-----BEGIN RSA PRIVATE KEY-----
[redacted]
-----END RSA PRIVATE KEY-----
SIGNING_KEY=[redacted] sort_key=created_at
deployed 3f2a9c1e7b4d8a6f0e5c2b1a9d8e7f6a5b4c3d2e
nothing secret here
`
	assert.Equal(t, want, res.Output)
	assert.Equal(t, want, c.text())
}

// TestScriptPathCheckedAtRun: a script swapped for a symlink out of the
// directory after the plan was loaded is refused.
func TestScriptPathCheckedAtRun(t *testing.T) {
	t.Parallel()
	p := scriptPlan(t, map[string]string{"scripts/s.sh": okScript}, "", "[scripts/s.sh]")
	outside := filepath.Join(t.TempDir(), "evil.sh")
	require.NoError(t, os.WriteFile(outside, []byte("#!/bin/sh\necho evil\n"), 0o755))
	script := filepath.Join(p.Dir, "scripts/s.sh")
	require.NoError(t, os.Remove(script))
	require.NoError(t, os.Symlink(outside, script))
	res, c := run(t, &plans.Runner{Getenv: noEnv}, p, nil)
	assert.Equal(t, bot.StepFailed, res.Status)
	assert.Contains(t, res.Detail, `"scripts/s.sh" resolves to `+evalSymlinks(t, outside)+", outside the plan's directory")
	assert.Empty(t, c.text())

	// Steps built by hand get the same checks.
	for _, argv := range [][]string{{"../x.sh"}, {"/bin/true"}, {"scripts/none.sh"}} {
		res := (&plans.Runner{}).Run(context.Background(), bot.StepRequest{Plan: p, Step: bot.Step{Name: "x", Script: argv}}, nil)
		assert.Equal(t, bot.StepFailed, res.Status, argv)
	}
}

func TestManualStepNotRun(t *testing.T) {
	t.Parallel()
	p := mustParse(t, "", "name: t\ntitle: T\nimpact: P4\nsteps: [{name: s, manual: check it}]\n")
	res := (&plans.Runner{}).Run(context.Background(), bot.StepRequest{Plan: p, Step: p.Steps[0]}, nil)
	assert.Equal(t, bot.StepFailed, res.Status)
	assert.Equal(t, "a manual step is done by a person; the runner has nothing to run", res.Detail)
}

// TestExampleScriptsRun: every script step of the shipped examples runs
// and only says what it would do.
func TestExampleScriptsRun(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "plans")
	require.NoError(t, plans.WriteExamples(dir))
	set, probs := plans.Load(dir)
	require.Empty(t, probs)
	values := map[string]string{"host": "web-3", "database": "payments", "to": "2026-03-01T09:30:00Z", "source": "203.0.113.0/24"}
	r := &plans.Runner{Getenv: noEnv}
	n := 0
	for _, p := range set.Plans {
		args := map[string]string{}
		for _, prm := range p.Params {
			if v, ok := values[prm.Name]; ok {
				args[prm.Name] = v
			}
		}
		bound, err := p.Bind(args)
		require.NoError(t, err, p.Name)
		for _, st := range append(append([]bot.Step{}, p.Steps...), p.Rollback...) {
			if st.Kind() != bot.StepScript {
				continue
			}
			n++
			res, _ := runStep(t, r, p, st, bound)
			assert.Equal(t, bot.StepOK, res.Status, "%s/%s: %s\n%s", p.Name, st.Name, res.Detail, res.Output)
			assert.Contains(t, res.Output, "(simulated)", "%s/%s", p.Name, st.Name)
		}
	}
	assert.Equal(t, 5, n)
}
