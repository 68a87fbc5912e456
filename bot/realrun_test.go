package bot_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/adapters/memory"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/plans"
)

// The tests here run plans for real: files in a directory, read by the
// plans package, run by its Runner as processes.

// realPlan writes a plan directory (plan.yaml and files, scripts made
// executable) and loads it; the plan must load without a problem.
func realPlan(t *testing.T, yaml string, files map[string]string) (*bot.Plan, string) {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		path := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.Chmod(filepath.Dir(path), 0o755)) // whatever the umask
		require.NoError(t, os.WriteFile(path, []byte(body), 0o700))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "plan.yaml"), []byte(yaml), 0o600))
	set, probs := plans.Load(dir)
	require.Empty(t, probs)
	require.Len(t, set.Plans, 1)
	return set.Plans[0], dir
}

// runPlan declares a P2 fault on the ledger (dee commands it), has ana ask
// for the plan's run and dee approve it.
func (r *rig) runPlan(p *bot.Plan, params string) string {
	r.t.Helper()
	require.NoError(r.t, r.bot.SetPlans(r.ctx, []*bot.Plan{p}))
	ch := r.declare("/fault declare P2 Ledger stuck service=ledger").Channel
	r.say(ch, "ana", strings.TrimSpace("/fault run "+p.Name+" "+params))
	r.say(ch, "dee", "/fault approve 1")
	return ch
}

// within waits until cond holds, checking often; it fails the test after
// d. Tests wait on conditions, never for a fixed time.
func within(t *testing.T, d time.Duration, what string, cond func() bool) bool {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Errorf("%s: not within %s", what, d)
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// slowChat is a platform whose posts of step output are held until the
// test lets them go, as a paced platform (Slack: about one a second) holds
// them: held receives each such post as it arrives.
type slowChat struct {
	*memory.Adapter
	held    chan string
	release chan struct{}
	once    sync.Once
}

func (s *slowChat) Post(ctx context.Context, ch string, m bot.Message) (string, error) {
	if strings.HasPrefix(m.Text, "📜") {
		select {
		case s.held <- m.Text:
		default:
		}
		<-s.release
	}
	return s.Adapter.Post(ctx, ch, m)
}

func (s *slowChat) let() { s.once.Do(func() { close(s.release) }) }

// TestOutputIsKeptWhatever the chat's pace (issue 15, finding 3): a step
// prints a line, waits, then prints 2,000 lines while the platform is
// still busy with the first one. The store keeps all of it before the chat
// has caught up, the chat gets its share and the way to the rest, and the
// step is not said to have lost output to a stray process.
func TestOutputIsKeptWhateverTheChatsPace(t *testing.T) {
	t.Parallel()
	p, dir := realPlan(t, `name: burst
title: Print a line, then a burst
impact: P4
approval: {roles: [commander]}
steps:
  - {name: burst, script: [scripts/burst.sh], timeout: 1m}
`, map[string]string{"scripts/burst.sh": `#!/bin/sh
echo first
read go < ./go.fifo
i=1
while [ $i -le 2000 ]; do echo "line $i"; i=$((i+1)); done
`})
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "go.fifo"), 0o600))

	r := newRig(t)
	chat := &slowChat{Adapter: r.chat, held: make(chan string, 1), release: make(chan struct{})}
	defer chat.let()
	b, err := bot.New(r.db, chat, r.clock, testCatalog(), bot.Options{}, nil)
	require.NoError(t, err)
	r.bot = b
	b.UseRunner(&plans.Runner{Getenv: func(string) string { return "" }})
	ch := r.runPlan(p, "")

	first := <-chat.held // the platform is busy posting "first"...
	assert.Contains(t, first, "first")
	fifo, err := os.OpenFile(filepath.Join(dir, "go.fifo"), os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = fifo.WriteString("go\n") // ...when the burst comes
	require.NoError(t, err)
	require.NoError(t, fifo.Close())

	var out string
	within(t, 20*time.Second, "the whole output stored while the chat is held", func() bool {
		out, err = r.db.Output(r.ctx, 1, 1, 1)
		return err == nil
	})
	chat.let()
	r.bot.Wait()

	assert.Equal(t, 2001, strings.Count(out, "\n"), "every line is stored")
	assert.True(t, strings.HasPrefix(out, "first\nline 1\n") && strings.HasSuffix(out, "line 2000\n"), "in order")
	run := r.fault(1).Runs[0]
	require.Len(t, run.Steps, 1)
	assert.Equal(t, bot.StepOK, run.Steps[0].Status)
	assert.NotContains(t, run.Steps[0].Detail, "process group", "no stray process is blamed")
	texts := strings.Join(r.chat.Texts(ch), "\n")
	assert.Contains(t, texts, "📜 run #1 step 1/1 (burst):\nfirst")
	assert.Contains(t, texts, "more bytes of output not shown here; the whole output is kept: GET /api/incidents/1/runs/1/steps/1/output")
	assert.Contains(t, texts, "✔️ run #1 step 1/1 (burst) ok")
	assert.Less(t, strings.Index(texts, "more bytes of output not shown"), strings.Index(texts, "✔️ run #1 step 1/1 (burst) ok"),
		"the chat's share comes before the step's end")
}

// TestCoreRedactsWhatARunnerLetsThrough (issue 15, finding 4): whatever
// the Runner, secrets in a step's output and detail reach neither the chat
// nor the store (which the API serves) nor the timeline.
func TestCoreRedactsWhatARunnerLetsThrough(t *testing.T) {
	t.Parallel()
	const (
		ghp = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
		sk  = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
		pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END PRIVATE KEY-----\n"
	)
	r := newRig(t)
	p := testPlan()
	p.Steps = p.Steps[:1]
	p.Rollback = nil
	fr := r.withPlans(p)
	leak := "cloning with " + ghp + "\n" + pem + "done\n"
	fr.output["drain"] = leak
	fr.results["drain"] = bot.StepResult{Status: bot.StepFailed, Detail: "HTTP 401: key " + sk + " refused", Output: leak}
	ch := r.runPlan(p, "node=ledger-1")
	r.bot.Wait()

	texts := strings.Join(r.chat.Texts(ch), "\n")
	out, err := r.db.Output(r.ctx, 1, 1, 1)
	require.NoError(t, err)
	events, err := r.db.Events(r.ctx, 1)
	require.NoError(t, err)
	var timeline strings.Builder
	for _, e := range events {
		timeline.WriteString(e.Text + "\n")
	}
	for where, s := range map[string]string{"chat": texts, "store": out, "timeline": timeline.String()} {
		for _, secret := range []string{ghp, sk, "MIIEvQIBADAN"} {
			assert.NotContains(t, s, secret, "%s shows a secret", where)
		}
	}
	assert.Contains(t, texts, "cloning with [redacted]")
	assert.Contains(t, texts, "HTTP 401: key [redacted] refused")
	assert.Equal(t, "cloning with [redacted]\n-----BEGIN PRIVATE KEY-----\n[redacted]\n-----END PRIVATE KEY-----\ndone\n", out)
}

// TestScriptReplacedAfterTheRequestIsNotRun (issue 15, finding 2): a
// script replaced on disk between /fault run and /fault approve is not
// approved blind, saying why; one replaced while the run is under way does
// not run, and its step fails saying why. The new content never runs.
func TestScriptReplacedAfterTheRequestIsNotRun(t *testing.T) {
	t.Parallel()
	p, dir := realPlan(t, `name: fix
title: Fix it in two steps
impact: P4
approval: {roles: [commander]}
steps:
  - {name: first, script: [scripts/first.sh]}
  - {name: second, script: [scripts/second.sh]}
`, map[string]string{
		"scripts/first.sh":  "#!/bin/sh\necho first\nread go < ./go.fifo\n",
		"scripts/second.sh": "#!/bin/sh\necho second as approved\n",
	})
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "go.fifo"), 0o600))
	evil := []byte("#!/bin/sh\necho evil\ntouch pwned\n")
	r := newRig(t)
	r.bot.UseRunner(&plans.Runner{Getenv: func(string) string { return "" }})
	require.NoError(t, r.bot.SetPlans(r.ctx, []*bot.Plan{p}))
	ch := r.declare("/fault declare P2 Ledger stuck service=ledger").Channel
	r.say(ch, "ana", "/fault run fix")

	// Between the request and the approval.
	second := filepath.Join(dir, "scripts/second.sh")
	require.NoError(t, os.WriteFile(second, evil, 0o700))
	reply := r.say(ch, "dee", "/fault approve 1")
	assert.Contains(t, reply, "run #1 is not approved: scripts/second.sh changed since plan fix version "+p.Version+" was loaded (its content is now sha256:")
	assert.Contains(t, reply, "deny it, reload the plans (warroom plans reload) and ask again: /fault run fix")
	assert.Contains(t, r.say(ch, "ana", "/fault run fix"), "scripts/second.sh changed since plan fix version", "nor asked for again")
	run := r.fault(1).Runs[0]
	assert.Equal(t, bot.RunPending, run.Status)
	assert.Empty(t, run.Approvers)

	// Put back, it is approved; replaced again while the first step runs,
	// the second step is not run.
	require.NoError(t, os.WriteFile(second, []byte("#!/bin/sh\necho second as approved\n"), 0o700))
	assert.Contains(t, r.say(ch, "dee", "/fault approve 1"), "approved by @dee — starting")
	fifo, err := os.OpenFile(filepath.Join(dir, "go.fifo"), os.O_WRONLY, 0) // the first step is running
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(second, evil, 0o700))
	_, err = fifo.WriteString("go\n")
	require.NoError(t, err)
	require.NoError(t, fifo.Close())
	r.bot.Wait()

	run = r.fault(1).Runs[0]
	assert.Equal(t, bot.RunFailed, run.Status)
	require.Len(t, run.Steps, 2)
	assert.Equal(t, bot.StepOK, run.Steps[0].Status)
	assert.Equal(t, bot.StepFailed, run.Steps[1].Status)
	assert.Contains(t, run.Steps[1].Detail, "scripts/second.sh changed since plan fix version "+p.Version+" was loaded")
	assert.Contains(t, run.Steps[1].Detail, "it is not run")
	assert.Contains(t, strings.Join(r.chat.Texts(ch), "\n"), "✖️ run #1 step 2/2 (second) failed")
	assert.NoFileExists(t, filepath.Join(dir, "pwned"), "the replaced script never ran")
	_, err = r.db.Output(r.ctx, 1, 1, 2)
	assert.Error(t, err, "the second step printed nothing")
}

// TestRestartFindsWhatAStepLeftRunning (issue 15, finding 9): warroom
// stops mid-step (here: a new process takes over the store while the old
// one is stuck), the step's script ignores SIGTERM and sleeps on. At the
// next start its processes are named in the war room; the plan's
// on_restart says whether they are left or stopped.
func TestRestartFindsWhatAStepLeftRunning(t *testing.T) {
	t.Parallel()
	for _, policy := range []string{"kill", "leave"} {
		t.Run(policy, func(t *testing.T) {
			t.Parallel()
			p, _ := realPlan(t, `name: hold
title: Hold on
impact: P4
approval: {roles: [commander]}
on_restart: `+policy+`
steps:
  - {name: hold, script: [scripts/hold.sh], timeout: 1h}
`, map[string]string{"scripts/hold.sh": "#!/bin/sh\ntrap '' TERM\necho holding\nwhile :; do sleep 1; done\n"})
			assert.Equal(t, policy, p.OnRestart)
			r := newRig(t)
			r.bot.UseRunner(&plans.Runner{Getenv: func(string) string { return "" }})
			ch := r.runPlan(p, "")
			var pgid int
			within(t, 10*time.Second, "the step's process group recorded", func() bool {
				run := r.fault(1).Runs[0]
				if len(run.Steps) == 1 && run.Steps[0].Process != nil {
					pgid = run.Steps[0].Process.PGID
				}
				return pgid != 0
			})
			require.NotZero(t, pgid)
			old := r.bot
			t.Cleanup(func() {
				_ = syscall.Kill(-pgid, syscall.SIGKILL)
				old.Wait()
			})

			// The next process on the same store.
			r.open()
			r.bot.UseRunner(&plans.Runner{Getenv: func(string) string { return "" }, KillGrace: 100 * time.Millisecond})
			require.NoError(t, r.bot.SetPlans(r.ctx, []*bot.Plan{p}))
			require.NoError(t, r.bot.Start(r.ctx))

			texts := strings.Join(r.chat.Texts(ch), "\n")
			run := r.fault(1).Runs[0]
			assert.Equal(t, bot.RunInterrupted, run.Status)
			assert.Contains(t, texts, fmt.Sprintf("⚠️ run #1 step 1 (hold) was running when warroom stopped, and its processes still"))
			assert.Contains(t, texts, fmt.Sprintf("pid %d (hold.sh)", pgid), "named in the war room")
			assert.Contains(t, texts, fmt.Sprintf("in process group %d", pgid))
			if policy == "kill" {
				assert.Contains(t, texts, "The plan says on_restart: kill: they have been stopped")
				assert.Contains(t, run.Steps[0].Detail, "were killed (on_restart: kill)")
				assert.Empty(t, groupMembers(pgid), "stopped, SIGTERM ignored or not")
			} else {
				alive := len(groupMembers(pgid)) > 0
				assert.Contains(t, texts, "The plan says on_restart: leave, so they are left running")
				assert.Contains(t, texts, fmt.Sprintf("kill -TERM -- -%d", pgid))
				assert.Contains(t, run.Steps[0].Detail, "were left so (on_restart: leave)")
				assert.True(t, alive, "left running")
			}
			assert.Less(t, strings.Index(texts, "its processes still"), strings.Index(texts, "⚠️ run #1 (hold) interrupted"), "named before the run is closed")
		})
	}
}

// groupMembers lists the processes of a group that are running (not
// zombies: an orphan's zombie lingers where nothing reaps it).
func groupMembers(pgid int) []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 2 && f[2] == fmt.Sprint(pgid) && f[0] != "Z" && f[0] != "X" {
			out = append(out, e.Name()+" "+s[strings.IndexByte(s, '(')+1:strings.LastIndexByte(s, ')')])
		}
	}
	return out
}

// finder is a Runner whose steps start a process group and block, and
// which answers Survivors as told.
type finder struct {
	*fakeRunner
	err     error
	stopped bool
}

func (f *finder) Run(ctx context.Context, req bot.StepRequest, out func(string)) bot.StepResult {
	req.Started(bot.StepProcess{PGID: 4242, ID: "test"})
	return f.fakeRunner.Run(ctx, req, out)
}

func (f *finder) Survivors(bot.StepProcess) ([]bot.Survivor, error) { return nil, f.err }
func (f *finder) Stop(bot.StepProcess) ([]bot.Survivor, error) {
	f.stopped = true
	return nil, nil
}

// TestRestartCannotTellWhatIsLeft: where the runner cannot look for the
// step's processes, the war room is told to, with the group to look for.
func TestRestartCannotTellWhatIsLeft(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	p := testPlan()
	p.OnRestart = bot.OnRestartKill
	fr := r.withPlans(p)
	release := make(chan struct{})
	fr.block["drain"] = release
	t.Cleanup(func() { close(release) })
	f := &finder{fakeRunner: fr}
	r.bot.UseRunner(f)
	ch := r.runPlan(p, "node=ledger-1")
	<-fr.started
	within(t, 10*time.Second, "the process group recorded", func() bool { return r.fault(1).Runs[0].Steps[0].Process != nil })
	step := r.fault(1).Runs[0].Steps[0]
	assert.Equal(t, &bot.StepProcess{PGID: 4242, ID: "test"}, step.Process)
	assert.Equal(t, bot.OnRestartKill, step.OnRestart)

	r.open()
	f2 := &finder{fakeRunner: newFakeRunner(), err: fmt.Errorf("no /proc here")}
	r.bot.UseRunner(f2)
	require.NoError(t, r.bot.SetPlans(r.ctx, []*bot.Plan{p}))
	require.NoError(t, r.bot.Start(r.ctx))
	assert.Contains(t, strings.Join(r.chat.Texts(ch), "\n"),
		"⚠️ run #1 step 1 (drain) was running in process group 4242 when warroom stopped, and whether it still is cannot be told here (no /proc here): check, and stop it with kill -TERM -- -4242 if need be")
	assert.False(t, f2.stopped, "nothing is stopped blind")
	assert.Contains(t, r.fault(1).Runs[0].Steps[0].Detail, "could not tell whether process group 4242 still runs")
}
