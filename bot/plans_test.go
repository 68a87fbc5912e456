package bot_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/adapters/memory"
	"github.com/warroom/warroom/bot"
)

// fakeRunner records the steps it is asked to run and answers from a script
// of results by step name (ok when not listed). A step named in block waits
// until its channel is closed, so tests can hold a run mid-step.
type fakeRunner struct {
	mu      sync.Mutex
	calls   []string // step names in order
	results map[string]bot.StepResult
	output  map[string]string
	block   map[string]chan struct{}
	started chan string
}

func newFakeRunner() *fakeRunner {
	return &fakeRunner{results: map[string]bot.StepResult{}, output: map[string]string{}, block: map[string]chan struct{}{}, started: make(chan string, 16)}
}

func (f *fakeRunner) Run(ctx context.Context, req bot.StepRequest, out func(string)) bot.StepResult {
	f.mu.Lock()
	f.calls = append(f.calls, fmt.Sprintf("%s(%s)", req.Step.Name, bot.FormatParams(req.Params)))
	res, ok := f.results[req.Step.Name]
	text := f.output[req.Step.Name]
	wait := f.block[req.Step.Name]
	f.mu.Unlock()
	f.started <- req.Step.Name
	if wait != nil {
		select {
		case <-wait:
		case <-ctx.Done():
			return bot.StepResult{Status: bot.StepFailed, Detail: "killed"}
		}
	}
	if text != "" && out != nil {
		for len(text) > 0 {
			n := min(len(text), 750)
			out(text[:n])
			text = text[n:]
		}
	}
	if !ok {
		res = bot.StepResult{Status: bot.StepOK, Output: f.output[req.Step.Name]}
	}
	return res
}

func (f *fakeRunner) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// testPlan is deliberately unlike the shipped examples.
func testPlan() *bot.Plan {
	return &bot.Plan{
		Name: "drain-ledger", Title: "Drain a ledger node", Faults: []string{"node-stuck"}, Services: []string{"ledger"},
		Impact:   bot.P3,
		Approval: bot.Approval{Roles: []bot.Role{bot.RoleCommander}, Count: 1, Expires: 10 * time.Minute},
		Params: []bot.Param{
			{Name: "node", Pattern: `ledger-[0-9]+`, Required: true, Re: regexp.MustCompile(`^(?:ledger-[0-9]+)$`)},
			{Name: "mode", Enum: []string{"soft", "hard"}, Default: "soft"},
		},
		Steps: []bot.Step{
			{Name: "drain", Script: []string{"scripts/drain.sh", "{{node}}", "{{mode}}"}, Timeout: time.Minute},
			{Name: "rebalance", Job: &bot.Job{Method: "POST", URL: "https://jobs.test/rebalance"}},
			{Name: "check", Manual: "ledger lag is under 5s"},
		},
		Rollback: []bot.Step{{Name: "undrain", Script: []string{"scripts/undrain.sh", "{{node}}"}}},
		Version:  "sha256:0123456789ab",
	}
}

func (r *rig) withPlans(plans ...*bot.Plan) *fakeRunner {
	r.t.Helper()
	require.NoError(r.t, r.bot.SetPlans(r.ctx, plans))
	fr := newFakeRunner()
	r.bot.UseRunner(fr)
	return fr
}

// lastPost returns the newest post in a channel of the given kind.
func (r *rig) lastPost(ch string, kind bot.MessageKind) bot.Message {
	r.t.Helper()
	posts := r.chat.Posts(ch)
	for i := len(posts) - 1; i >= 0; i-- {
		if posts[i].Kind == kind {
			return posts[i].Message
		}
	}
	r.t.Fatalf("no %s post in %s", kind, ch)
	return bot.Message{}
}

func TestPlanRunRequestedApprovedAndRun(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	fr := r.withPlans(testPlan())
	f := r.declare("/fault declare P2 Ledger stuck service=ledger kind=node-stuck") // dee commands, ana handles
	ch := f.Channel

	assert.Contains(t, r.say(ch, "ana", "/fault plans"), "Plans that fit fault 1")
	r.say(ch, "ana", "/fault run drain-ledger node=ledger-7")
	card := r.lastPost(ch, bot.KindApproval)
	for _, want := range []string{"Run #1: plan drain-ledger", "sha256:0123456789ab", "mode=soft node=ledger-7", "run scripts/drain.sh ledger-7 soft",
		"POST https://jobs.test/rebalance", "manual — ledger lag", "rollback", "P3 (the fault is P2)", "1 of: commander (not the requester) — now @dee", "14:10", "/fault approve 1"} {
		assert.Contains(t, card.Text, want)
	}
	require.Len(t, card.Buttons, 2)
	assert.Equal(t, "/fault approve 1", card.Buttons[0].Command)
	assert.Equal(t, "/fault deny 1", card.Buttons[1].Command)

	assert.Contains(t, r.say(ch, "ana", "/fault approve 1"), "only the commander may approve run #1")
	r.clock.Advance(time.Minute)
	r.say(ch, "dee", "/fault approve 1")
	r.bot.Wait()
	assert.Equal(t, []string{"drain(mode=soft node=ledger-7)", "rebalance(mode=soft node=ledger-7)"}, fr.Calls())
	f = r.fault(1)
	run, _ := f.Run(1)
	require.Equal(t, bot.RunRunning, run.Status, "waits on the manual step")
	task, ok := f.Task(1)
	require.True(t, ok)
	assert.Equal(t, "ana", task.Assignee)
	assert.Contains(t, strings.Join(r.chat.Texts(ch), "\n"), "☐ run #1 step 3/3 (check) is manual, for @ana: ledger lag is under 5s — when it is done: /fault done 1")

	r.clock.Advance(2 * time.Minute)
	r.say(ch, "ana", "/fault done 1")
	r.bot.Wait()
	f = r.fault(1)
	run, _ = f.Run(1)
	assert.Equal(t, bot.RunSucceeded, run.Status)
	assert.Equal(t, []string{"dee"}, run.Approvers)
	assert.Equal(t, 2*time.Minute, run.EndedAt.Sub(run.StartedAt))
	assert.Contains(t, strings.Join(r.chat.Texts(ch), "\n"), "🏁 run #1 (drain-ledger) succeeded in 2m")

	r.say(ch, "ana", "/fault resolve")
	summary := r.lastPost(ch, bot.KindSummary)
	assert.Contains(t, summary.Text, "plans run: #1 drain-ledger succeeded in 2m0s")

	events, err := r.db.Events(r.ctx, 1)
	require.NoError(t, err)
	var kinds []string
	for _, e := range events {
		if e.Run != 0 {
			kinds = append(kinds, fmt.Sprintf("%s:%s", e.Type, e.Actor))
		}
	}
	assert.Equal(t, []string{"run_requested:ana", "run_approved:dee", "run_started:warroom",
		"step_started:warroom", "step_ended:warroom", "step_started:warroom", "step_ended:warroom",
		"step_started:warroom", "task_added:warroom", "step_ended:ana", "run_ended:warroom"}, kinds)
}

func TestPlanApprovalRules(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	p := testPlan()
	p.Approval = bot.Approval{Roles: []bot.Role{bot.RoleCommander, bot.RoleResponder}, Count: 2, Expires: 5 * time.Minute}
	fr := r.withPlans(p)
	ch := r.declare("/fault declare P2 Ledger stuck service=ledger").Channel
	r.say(ch, "ana", "/fault role responder @ben")

	// Parameters are checked before anything is recorded.
	assert.Contains(t, r.say(ch, "dee", "/fault run drain-ledger"), "plan drain-ledger needs node=<value> (matching ledger-[0-9]+)")
	assert.Contains(t, r.say(ch, "dee", "/fault run drain-ledger node=ledger-1;reboot"), `node="ledger-1;reboot" does not match ledger-[0-9]+`)
	assert.Contains(t, r.say(ch, "dee", "/fault run drain-ledger node=ledger-1 mode=nuke"), `mode="nuke" is not one of soft, hard`)
	assert.Contains(t, r.say(ch, "dee", "/fault run drain-ledger node=ledger-1 nod=x"), "has no parameter nod; it takes node, mode")
	assert.Contains(t, r.say(ch, "dee", "/fault run drain-legder node=ledger-1"), "did you mean drain-ledger?")
	assert.Empty(t, r.fault(1).Runs)

	r.say(ch, "dee", "/fault run drain-ledger node=ledger-1")
	assert.Contains(t, r.say(ch, "dee", "/fault approve 1"), "you asked for run #1, and plan drain-ledger needs someone else's approval")
	assert.Contains(t, r.say(ch, "cy", "/fault approve 1"), "only the commander or responder may approve run #1")
	assert.Contains(t, r.say(ch, "ben", "/fault approve 1"), "1 more approval needed")
	assert.Contains(t, r.say(ch, "ben", "/fault approve 1"), "you approved run #1 already")
	assert.Contains(t, r.say(ch, "ben", "/fault approve 9"), "there is no run #9; waiting for approval: #1 (drain-ledger)")
	assert.Empty(t, fr.Calls(), "one approval of two starts nothing")

	// Expired: approving is refused, and the tick records it once.
	r.clock.Advance(5 * time.Minute)
	require.NoError(t, r.bot.Tick(r.ctx))
	require.NoError(t, r.bot.Tick(r.ctx))
	assert.Equal(t, bot.RunExpired, r.fault(1).Runs[0].Status)
	assert.Contains(t, r.say(ch, "ana", "/fault approve 1"), "run #1 expired unapproved at 14:05:00; ask again: /fault run drain-ledger mode=soft node=ledger-1")
	n := 0
	for _, s := range r.chat.Texts(ch) {
		if strings.Contains(s, "⌛ run #1") {
			n++
		}
	}
	assert.Equal(t, 1, n)

	// Deny ends a request with its reason; it can then not be approved.
	r.say(ch, "ana", "/fault run drain-ledger node=ledger-2")
	assert.Contains(t, r.say(ch, "cy", "/fault deny 2"), "only the commander or responder, the commander or the requester may deny run #2")
	assert.Contains(t, r.say(ch, "dee", "/fault deny 2 wrong node"), "run #2 (drain-ledger) denied by @dee: wrong node")
	assert.Contains(t, r.say(ch, "ben", "/fault approve 2"), "run #2 was denied by @dee at 14:05:00: wrong node")
	assert.Empty(t, fr.Calls())
}

func TestPlanMoreSevereThanFaultNeedsCommanderOverride(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	p := testPlan()
	p.Impact = bot.P1
	p.Steps = p.Steps[:1]
	fr := r.withPlans(p)
	ch := r.declare("/fault declare P3 Ledger slow service=ledger").Channel // ben commands (stability), ana handles

	assert.Contains(t, r.say(ch, "ana", "/fault run drain-ledger node=ledger-1"),
		"plan drain-ledger may itself cause P1-level impact, more severe than this P3 fault; ask again adding override=\"<reason>\"")
	assert.Contains(t, r.say(ch, "ana", `/fault run drain-ledger node=ledger-1 override=""`), "override= needs the reason")
	assert.Empty(t, r.fault(1).Runs)

	// Asked for by someone other than the commander, with a reason: the
	// commander's approval.
	r.say(ch, "ana", `/fault run drain-ledger node=ledger-1 override="it is on fire"`)
	run := r.fault(1).Runs[0]
	assert.Equal(t, []bot.Role{bot.RoleCommander}, run.Approval.Roles)
	assert.Equal(t, 1, run.Approval.Count)
	assert.Contains(t, r.lastPost(ch, bot.KindApproval).Text, "commander's override: it is on fire")
	r.say(ch, "ana", "/fault role responder @cy")
	assert.Contains(t, r.say(ch, "cy", "/fault approve 1"), "only the commander may approve run #1")
	assert.Contains(t, r.say(ch, "ben", "/fault approve 1"), "approved by @ben — starting")
	r.bot.Wait()
	assert.Equal(t, bot.RunSucceeded, r.fault(1).Runs[0].Status)

	// Asked for by the commander: one approval from someone else among the
	// plan's roles and the handler.
	r.say(ch, "ben", `/fault run drain-ledger node=ledger-1 override="customers are down anyway"`)
	run = r.fault(1).Runs[1]
	assert.Equal(t, "customers are down anyway", run.Override)
	assert.Contains(t, r.lastPost(ch, bot.KindApproval).Text, "1 of: commander or handler (not the requester) — now @ana")
	assert.Contains(t, r.say(ch, "ben", "/fault approve 2"), "you asked for run #2")
	assert.Contains(t, r.say(ch, "ana", "/fault approve 2"), "approved by @ana — starting")
	r.bot.Wait()
	assert.Equal(t, []string{"drain(mode=soft node=ledger-1)", "drain(mode=soft node=ledger-1)"}, fr.Calls())
	assert.Equal(t, bot.RunSucceeded, r.fault(1).Runs[1].Status)

	// An override where none is needed is refused rather than ignored.
	p2 := testPlan()
	p2.Name, p2.Impact = "gentle", bot.P4
	require.NoError(t, r.bot.SetPlans(r.ctx, []*bot.Plan{p, p2}))
	assert.Contains(t, r.say(ch, "ben", `/fault run gentle node=ledger-1 override="x"`), "override is only for a plan more severe than the fault")
}

func TestConcurrentApprovalsStartTheRunOnce(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	p := testPlan()
	p.Approval = bot.Approval{Roles: []bot.Role{bot.RoleCommander, bot.RoleHandler, bot.RoleResponder}, Count: 1, Self: true}
	p.Steps = p.Steps[:1]
	fr := r.withPlans(p)
	ch := r.declare("/fault declare P2 Ledger stuck service=ledger").Channel
	r.say(ch, "ana", "/fault role responder @ben")
	r.say(ch, "ana", "/fault run drain-ledger node=ledger-1")

	var wg sync.WaitGroup
	for _, who := range []string{"dee", "ana", "ben"} {
		wg.Go(func() { r.bot.HandleMessage(r.ctx, bot.Incoming{Channel: ch, User: who, Text: "/fault approve 1"}) })
	}
	wg.Wait()
	r.bot.Wait()
	assert.Equal(t, []string{"drain(mode=soft node=ledger-1)"}, fr.Calls(), "three simultaneous approvals, one run")
	run := r.fault(1).Runs[0]
	assert.Len(t, run.Approvers, 1)
	assert.Equal(t, bot.RunSucceeded, run.Status)
	started := 0
	for _, s := range r.chat.Texts(ch) {
		if strings.Contains(s, "— starting") {
			started++
		}
	}
	assert.Equal(t, 1, started)
}

func TestFailedStepStopsAndRollsBack(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	p := testPlan()
	p.Approval.Self = true
	fr := r.withPlans(p)
	fr.results["drain"] = bot.StepResult{Status: bot.StepFailed, Detail: "exit status 3"}
	ch := r.declare("/fault declare P2 Ledger stuck service=ledger").Channel
	r.say(ch, "dee", "/fault run drain-ledger node=ledger-1")
	r.say(ch, "dee", "/fault approve 1")
	r.bot.Wait()
	assert.Equal(t, []string{"drain(mode=soft node=ledger-1)", "undrain(mode=soft node=ledger-1)"}, fr.Calls())
	run := r.fault(1).Runs[0]
	assert.Equal(t, bot.RunFailed, run.Status)
	assert.Equal(t, "step 1 (drain) failed: exit status 3; rolled back", run.Detail)
	texts := strings.Join(r.chat.Texts(ch), "\n")
	assert.Contains(t, texts, "✖️ run #1 step 1/3 (drain) failed in 0s: exit status 3")
	assert.Contains(t, texts, "▶️ run #1 rollback 1/1 (undrain): run scripts/undrain.sh ledger-1")
	assert.Contains(t, texts, "❌ run #1 (drain-ledger) failed in 0s: step 1 (drain) failed: exit status 3; rolled back")

	// on_failure: continue goes on past the failure; the run still fails.
	p.Steps[0].OnFailure = "continue"
	p.Steps = p.Steps[:2]
	p.Version = "sha256:fedcba987654"
	require.NoError(t, r.bot.SetPlans(r.ctx, []*bot.Plan{p}))
	r.say(ch, "dee", "/fault run drain-ledger node=ledger-2")
	r.say(ch, "dee", "/fault approve 2")
	r.bot.Wait()
	run = r.fault(1).Runs[1]
	assert.Equal(t, bot.RunFailed, run.Status)
	assert.Equal(t, "failed and continued past: drain failed", run.Detail)
	assert.Len(t, run.Steps, 2)
}

func TestChangedPlanIsNotApprovedBlind(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	p := testPlan()
	fr := r.withPlans(p)
	ch := r.declare("/fault declare P2 Ledger stuck service=ledger").Channel
	r.say(ch, "ana", "/fault run drain-ledger node=ledger-1")
	changed := *p
	changed.Version = "sha256:aaaaaaaaaaaa"
	require.NoError(t, r.bot.SetPlans(r.ctx, []*bot.Plan{&changed}))
	assert.Contains(t, r.say(ch, "dee", "/fault approve 1"), "plan drain-ledger changed since run #1 was asked for (sha256:0123456789ab, now sha256:aaaaaaaaaaaa)")
	assert.Empty(t, fr.Calls())
}

func TestStepOutputIsCappedInChat(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	p := testPlan()
	p.Approval.Self = true
	p.Steps = p.Steps[:1]
	fr := r.withPlans(p)
	fr.output["drain"] = strings.Repeat("line of output\n", 1000) // 15,000 bytes
	ch := r.declare("/fault declare P2 Ledger stuck service=ledger").Channel
	r.say(ch, "dee", "/fault run drain-ledger node=ledger-1")
	r.say(ch, "dee", "/fault approve 1")
	r.bot.Wait()
	shown := 0
	var note string
	for _, s := range r.chat.Texts(ch) {
		if strings.HasPrefix(s, "📜 run #1 step 1/1 (drain):\n") {
			shown += strings.Count(s, "line of output")
		}
		if strings.Contains(s, "more bytes of output not shown here") {
			note = s
		}
	}
	assert.Equal(t, 200, shown, "3,000 characters reach the chat")
	assert.Contains(t, note, "12000 more bytes of output not shown here; the whole output is kept: GET /api/incidents/1/runs/1/steps/1/output")
	out, err := r.db.Output(r.ctx, 1, 1, 1)
	require.NoError(t, err)
	assert.Len(t, out, 15000, "the store keeps it whole")
}

func TestRestartMarksARunInFlightInterrupted(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	p := testPlan()
	p.Approval.Self = true
	fr := r.withPlans(p)
	release := make(chan struct{})
	fr.block["drain"] = release
	ch := r.declare("/fault declare P2 Ledger stuck service=ledger").Channel
	r.say(ch, "dee", "/fault run drain-ledger node=ledger-1")
	r.say(ch, "dee", "/fault approve 1")
	<-fr.started // the process "dies" here, mid-step

	// A new process on the same database: the old one's goroutine is still
	// blocked, as a killed process's script would be gone.
	old := r.bot
	r.open()
	fr2 := r.withPlans(p)
	require.NoError(t, r.bot.Start(r.ctx))
	run := r.fault(1).Runs[0]
	assert.Equal(t, bot.RunInterrupted, run.Status)
	assert.Equal(t, "interrupted", string(run.Steps[0].Status))
	assert.Contains(t, strings.Join(r.chat.Texts(ch), "\n"), "⚠️ run #1 (drain-ledger) interrupted")
	assert.Contains(t, run.Detail, "not re-run by itself")
	require.NoError(t, r.bot.Start(r.ctx), "a second start finds nothing to mark")
	assert.Empty(t, fr2.Calls(), "never re-run by itself")

	close(release)
	old.Wait() // the dead process's late result cannot reopen the run
	assert.Equal(t, bot.RunInterrupted, r.fault(1).Runs[0].Status)
}

func TestShutdownStopsARunAndRecordsIt(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	p := testPlan()
	p.Approval.Self = true
	fr := r.withPlans(p)
	fr.block["drain"] = make(chan struct{}) // never released: only shutdown ends it
	ctx, stop := context.WithCancel(r.ctx)
	require.NoError(t, r.bot.Start(ctx))
	ch := r.declare("/fault declare P2 Ledger stuck service=ledger").Channel
	r.say(ch, "dee", "/fault run drain-ledger node=ledger-1")
	r.say(ch, "dee", "/fault approve 1")
	<-fr.started
	stop()
	r.bot.Wait()
	run := r.fault(1).Runs[0]
	assert.Equal(t, bot.RunInterrupted, run.Status)
	assert.Contains(t, run.Detail, "warroom shut down during step drain")
}

func TestResolveSettlesOpenRuns(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.withPlans(testPlan())
	ch := r.declare("/fault declare P2 Ledger stuck service=ledger").Channel
	r.say(ch, "ana", "/fault run drain-ledger node=ledger-1")
	r.say(ch, "ana", "/fault resolve")
	run := r.fault(1).Runs[0]
	assert.Equal(t, bot.RunCancelled, run.Status)
	assert.Contains(t, r.lastPost(ch, bot.KindSummary).Text, "plans run: #1 drain-ledger cancelled")
	assert.Contains(t, r.say(ch, "ana", "/fault timeline"), "the fault was resolved before it was approved", "why is on the timeline")
}

// FuzzRunParams types arbitrary `/fault run` arguments: whatever is bound
// must match its parameter's pattern in whole (or be one of its enum), and
// nothing the pattern refuses ever reaches a run.
func FuzzRunParams(f *testing.F) {
	for _, s := range []string{
		"node=ledger-1", "node=ledger-1;reboot", "node=$(rm -rf /)", "node=`id`", "node=\"ledger-1\nrm\"",
		"node=--help", "node=../../etc/passwd", "node=“ledger-1”", "node='ledger-1' mode=hard", "mode=soft node=ledger-01 x=1",
	} {
		f.Add(s)
	}
	p := testPlan()
	f.Fuzz(func(t *testing.T, s string) {
		a, err := bot.Tokenize(s)
		if err != nil {
			return
		}
		bound, err := p.Bind(a.Options)
		if err != nil {
			return
		}
		require.Regexp(t, `^ledger-[0-9]+$`, bound["node"])
		require.Contains(t, []string{"soft", "hard"}, bound["mode"])
	})
}

// seqChat is a Sequential platform, as the console is.
type seqChat struct{ *memory.Adapter }

func (seqChat) Sequential() bool { return true }

func TestSequentialPlatformFinishesTheRunBeforeTheNextCommand(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	b, err := bot.New(r.db, seqChat{r.chat}, r.clock, testCatalog(), bot.Options{}, nil)
	require.NoError(t, err)
	r.bot = b
	fr := r.withPlans(testPlan())
	ch := r.declare("/fault declare P2 Ledger stuck service=ledger").Channel
	r.say(ch, "ana", "/fault run drain-ledger node=ledger-1")
	r.say(ch, "dee", "/fault approve 1")
	// No Wait: the run went as far as it can before approve returned.
	assert.Equal(t, []string{"drain(mode=soft node=ledger-1)", "rebalance(mode=soft node=ledger-1)"}, fr.Calls())
	r.say(ch, "ana", "/fault done 1")
	assert.Equal(t, bot.RunSucceeded, r.fault(1).Runs[0].Status)
}
