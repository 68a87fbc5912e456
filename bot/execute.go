package bot

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/warroom/warroom/bot/redact"
)

// Chat limits for step output: the channel gets the first ChatOutputCap
// characters of each step, posted at most every OutputPace; the store keeps
// the whole output (up to the runner's cap).
const (
	ChatOutputCap = 3000
	OutputPace    = time.Second
	outputChunk   = 1500
)

// A run advances one step at a time. Each decision is taken under the
// fault's lock on the state the timeline gives (nextStep), the step itself
// runs without the lock (scripts take minutes), and its end is recorded
// under the lock again. A manual step leaves the run waiting for its task
// to be done; `done` calls continueRun. So the run's state is always the
// timeline's, and a restart finds it there.

// afterCommand collects work a command started, on Sequential adapters, to
// be done once the command has answered and released the fault's lock.
type afterCommand struct{ fns []func(context.Context) }

type afterKey struct{}

// continueRun advances a run until it ends or waits: in the background, or
// right after the command on a Sequential adapter.
func (b *Bot) continueRun(ctx context.Context, faultID int64, run int) {
	if after, ok := ctx.Value(afterKey{}).(*afterCommand); ok {
		after.fns = append(after.fns, func(ctx context.Context) { b.advance(ctx, faultID, run) })
		return
	}
	b.background(ctx, func(ctx context.Context) { b.advance(ctx, faultID, run) })
}

func (b *Bot) advance(ctx context.Context, faultID int64, run int) {
	if b.plans.runCtx != nil {
		// The process's lifetime, so that shutdown stops scripts rather
		// than waiting out their timeouts.
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(b.plans.runCtx, cancel)()
	}
	for {
		next, ok := b.nextStep(ctx, faultID, run)
		if !ok {
			return
		}
		res := b.execStep(ctx, next)
		if !b.endStep(ctx, next, res) {
			return
		}
	}
}

// stepWork is a step decided on and recorded as started.
type stepWork struct {
	fault   *Fault // as of the decision: channel, id
	plan    *Plan
	run     Run
	num     int // 1-based across steps then rollback
	step    Step
	total   int
	started time.Time
}

// planSteps is a plan's steps followed by its rollback steps.
func planSteps(p *Plan) []Step { return append(append([]Step(nil), p.Steps...), p.Rollback...) }

// nextStep decides what the run does next and records it: a step started,
// or the run's end. It reports whether a script or job step is to be run
// now (false: the run ended or waits for a person).
func (b *Bot) nextStep(ctx context.Context, faultID int64, num int) (stepWork, bool) {
	defer b.lock(faultID)()
	f, err := b.load(ctx, faultID)
	if err != nil {
		b.log.Error("plan run: loading the fault", "fault", faultID, "run", num, "err", err)
		return stepWork{}, false
	}
	run, ok := f.Run(num)
	if !ok || run.Status != RunRunning {
		return stepWork{}, false
	}
	if _, busy := run.Current(); busy {
		return stepWork{}, false // a manual step waits for its task
	}
	p, err := b.plan(run.Plan)
	if err == nil && p.Version != run.Version {
		err = fmt.Errorf("plan %s changed (now %s) since this run was approved (%s)", p.Name, p.Version, run.Version)
	}
	if err != nil {
		b.endRun(ctx, f, run, RunFailed, "not continued: "+ErrorMessage(err))
		return stepWork{}, false
	}
	steps := planSteps(p)
	n, outcome, detail := decide(p, run)
	if n == 0 {
		b.endRun(ctx, f, run, outcome, detail)
		return stepWork{}, false
	}
	w := stepWork{fault: f, plan: p, run: *run, num: n, step: steps[n-1], total: len(p.Steps), started: b.clock.Now()}
	ev := Event{Type: EventStepStarted, Actor: ActorBot, Run: num, Step: n, Text: w.step.Name, Owner: b.self()}
	label := b.stepLabel(w)
	if w.step.Kind() != StepManual {
		if err := b.record(ctx, f, ev); err != nil {
			b.log.Error("plan run: recording a step start", "fault", faultID, "run", num, "err", err)
			return stepWork{}, false
		}
		b.reply(ctx, f.Channel, KindNotice, fmt.Sprintf("▶️ %s: %s", label, stepAction(w.step, run.Params)))
		return w, true
	}
	// A manual step is a checklist item: a task for the requester, whose
	// `done` lets the run go on.
	task := len(f.Tasks) + 1
	ev.Task = task
	text := fmt.Sprintf("run #%d %s: %s", num, w.step.Name, w.step.Manual)
	if err := b.record(ctx, f, ev, Event{Type: EventTaskAdded, Actor: ActorBot, Task: task, Person: run.RequestedBy, Text: text, Run: num, Step: n}); err != nil {
		b.log.Error("plan run: recording a manual step", "fault", faultID, "run", num, "err", err)
		return stepWork{}, false
	}
	b.reply(ctx, f.Channel, KindNotice, fmt.Sprintf("☐ %s is manual, for %s: %s — when it is done: /%s done %d",
		label, b.mention(run.RequestedBy), w.step.Manual, b.opts.Command, task))
	return stepWork{}, false
}

// decide is the run's state machine as a plain function: the next step to
// start (1-based), or 0 and how the run ends. A failed step whose plan says
// on_failure: continue does not stop the run; any other failure stops it
// and the rollback steps run, then the run ends failed.
func decide(p *Plan, run *Run) (next int, outcome RunStatus, detail string) {
	var failed []string
	stopped := ""
	for _, st := range run.Steps {
		if st.Num > len(p.Steps) || st.Status == StepOK {
			continue
		}
		failed = append(failed, fmt.Sprintf("%s %s", st.Name, st.Status))
		if p.Steps[st.Num-1].OnFailure != "continue" && stopped == "" {
			stopped = fmt.Sprintf("step %d (%s) %s", st.Num, st.Name, st.Status)
			if st.Detail != "" {
				stopped += ": " + st.Detail
			}
		}
	}
	last := 0
	if n := len(run.Steps); n > 0 {
		last = run.Steps[n-1].Num
	}
	if stopped == "" {
		if last < len(p.Steps) {
			return last + 1, "", ""
		}
		if len(failed) > 0 {
			return 0, RunFailed, "failed and continued past: " + strings.Join(failed, ", ")
		}
		return 0, RunSucceeded, ""
	}
	first := len(p.Steps) + 1
	if last < first && len(p.Rollback) > 0 {
		return first, "", ""
	}
	if last >= first && last < len(p.Steps)+len(p.Rollback) {
		return last + 1, "", ""
	}
	if len(p.Rollback) == 0 {
		return 0, RunFailed, stopped
	}
	for _, st := range run.Steps {
		if st.Num >= first && st.Status != StepOK {
			return 0, RunFailed, stopped + "; rollback step " + st.Name + " " + string(st.Status) + " too"
		}
	}
	return 0, RunFailed, stopped + "; rolled back"
}

func (b *Bot) stepLabel(w stepWork) string {
	if w.num > w.total {
		return fmt.Sprintf("run #%d rollback %d/%d (%s)", w.run.Num, w.num-w.total, len(w.plan.Rollback), w.step.Name)
	}
	return fmt.Sprintf("run #%d step %d/%d (%s)", w.run.Num, w.num, w.total, w.step.Name)
}

// execStep runs a script or job step, streaming its output to the channel.
// The output is kept before the chat has caught up with it: a slow
// platform (Slack posts about once a second) delays the war room's copy,
// never the store's. Whatever the Runner, output, detail and chunks are
// redacted here again (redacting is idempotent), so that chat, store, API
// and log never see a secret a Runner let through.
func (b *Bot) execStep(ctx context.Context, w stepWork) StepResult {
	s := b.newOutputStream(ctx, w.fault.Channel, b.stepLabel(w))
	req := StepRequest{Plan: w.plan, Step: w.step, Params: w.run.Params, FaultID: w.fault.ID, Run: w.run.Num,
		Started: func(p StepProcess) { b.recordProcess(ctx, w, p) }}
	res := b.plans.runner.Run(ctx, req, s.write)
	res.Output, res.Detail = redact.String(res.Output), redact.String(res.Detail)
	if ctx.Err() != nil && res.Status != StepOK {
		res.Status, res.Detail = "interrupted", "warroom was shutting down: "+res.Detail
	}
	sv, keeps := b.store.(StepOutputs)
	if keeps && res.Output != "" {
		out := res.Output
		if res.Dropped > 0 {
			out += fmt.Sprintf("\n[warroom: %d more bytes of output were not kept]\n", res.Dropped)
		}
		if err := sv.SaveOutput(context.WithoutCancel(ctx), w.fault.ID, w.run.Num, w.num, out); err != nil {
			b.log.Error("keeping step output", "fault", w.fault.ID, "run", w.run.Num, "step", w.num, "err", err)
		}
	}
	s.close(w.fault.ID, w.run.Num, w.num, keeps)
	return res
}

// recordProcess puts a step's process group on the timeline as it starts,
// with what the plan says to do with it should warroom restart meanwhile.
func (b *Bot) recordProcess(ctx context.Context, w stepWork, p StepProcess) {
	ctx = context.WithoutCancel(ctx)
	defer b.lock(w.fault.ID)()
	f, err := b.load(ctx, w.fault.ID)
	if err == nil {
		err = b.record(ctx, f, Event{Type: EventStepProcess, Actor: ActorBot, Run: w.run.Num, Step: w.num,
			PID: p.PGID, Text: p.ID, Via: onRestart(w.plan)})
	}
	if err != nil {
		b.log.Error("plan run: recording a step's process group", "fault", w.fault.ID, "run", w.run.Num, "step", w.num, "pgid", p.PGID, "err", err)
	}
}

func onRestart(p *Plan) string {
	if p.OnRestart == OnRestartKill {
		return OnRestartKill
	}
	return OnRestartLeave
}

// endStep records how a step ended and reports whether the run goes on.
func (b *Bot) endStep(ctx context.Context, w stepWork, res StepResult) bool {
	ctx = context.WithoutCancel(ctx) // what happened is recorded even at shutdown
	defer b.lock(w.fault.ID)()
	f, err := b.load(ctx, w.fault.ID)
	if err != nil {
		b.log.Error("plan run: loading the fault", "fault", w.fault.ID, "err", err)
		return false
	}
	took := b.clock.Now().Sub(w.started)
	if err := b.record(ctx, f, Event{Type: EventStepEnded, Actor: ActorBot, Run: w.run.Num, Step: w.num, Via: string(res.Status), Text: res.Detail}); err != nil {
		b.log.Error("plan run: recording a step end", "fault", f.ID, "err", err)
		return false
	}
	mark := "✔️"
	if res.Status != StepOK {
		mark = "✖️"
	}
	b.reply(ctx, f.Channel, KindNotice, fmt.Sprintf("%s %s %s in %s%s", mark, b.stepLabel(w), res.Status, Dur(took), colon(res.Detail)))
	if res.Status == "interrupted" {
		run, _ := f.Run(w.run.Num)
		b.endRun(ctx, f, run, RunInterrupted, "warroom shut down during step "+w.step.Name+"; not re-run by itself")
		return false
	}
	return true
}

// endRun records a run's end and announces it.
func (b *Bot) endRun(ctx context.Context, f *Fault, run *Run, outcome RunStatus, detail string) {
	if err := b.record(ctx, f, Event{Type: EventRunEnded, Actor: ActorBot, Run: run.Num, Via: string(outcome), Text: detail}); err != nil {
		b.log.Error("plan run: recording its end", "fault", f.ID, "run", run.Num, "err", err)
		return
	}
	mark := map[RunStatus]string{RunSucceeded: "🏁", RunFailed: "❌", RunInterrupted: "⚠️", RunCancelled: "⏹️"}[outcome]
	took := ""
	if !run.StartedAt.IsZero() {
		took = " in " + Dur(run.EndedAt.Sub(run.StartedAt))
	}
	b.reply(ctx, f.Channel, KindNotice, fmt.Sprintf("%s run #%d (%s) %s%s%s", mark, run.Num, run.Plan, outcome, took, colon(detail)))
}

// doneManualStep completes the manual step a task stood for and lets the
// run go on. Called by `done` under the fault's lock.
func (b *Bot) doneManualStep(ctx context.Context, f *Fault, t Task, by string) error {
	run, ok := f.Run(t.Run)
	if !ok || run.Status != RunRunning {
		return nil
	}
	cur, busy := run.Current()
	if !busy || cur.Num != t.Step {
		return nil
	}
	if err := b.record(ctx, f, Event{Type: EventStepEnded, Actor: by, Run: run.Num, Step: t.Step, Via: string(StepOK), Text: "done by @" + by}); err != nil {
		return err
	}
	b.continueRun(ctx, f.ID, run.Num)
	return nil
}

// settleRuns ends what a resolve leaves behind: requests nobody approved and
// runs waiting on a manual step. A step in flight finishes on its own.
func (b *Bot) settleRuns(ctx context.Context, f *Fault) {
	for i := range f.Runs {
		run := &f.Runs[i]
		switch run.Status {
		case RunPending:
			b.endRun(ctx, f, run, RunCancelled, "the fault was resolved before it was approved")
		case RunRunning:
			if cur, busy := run.Current(); busy && cur.Task != 0 {
				if err := b.record(ctx, f, Event{Type: EventStepEnded, Actor: ActorBot, Run: run.Num, Step: cur.Num, Via: "cancelled", Text: "the fault was resolved"}); err == nil {
					b.endRun(ctx, f, run, RunCancelled, "the fault was resolved during manual step "+cur.Name)
				}
			}
		}
	}
}

// interruptRuns marks the runs a dead process left mid-step: their script
// or job may or may not have finished, so nobody can say, and warroom never
// re-runs one by itself. A run waiting on a manual step is not in flight and
// carries on when its task is done.
func (b *Bot) interruptRuns(ctx context.Context, f *Fault) {
	for i := range f.Runs {
		run := &f.Runs[i]
		if run.Status != RunRunning || b.runsElsewhere(ctx, run) {
			continue
		}
		cur, busy := run.Current()
		if busy && cur.Task != 0 {
			continue
		}
		var evs []Event
		what := "between steps"
		if busy {
			what = "during step " + cur.Name
			detail := "warroom stopped while it ran"
			if left := b.leftRunning(ctx, f, run, cur); left != "" {
				detail += "; " + left
			}
			evs = append(evs, Event{Type: EventStepEnded, Actor: ActorBot, Run: run.Num, Step: cur.Num, Via: "interrupted", Text: detail})
		}
		if err := b.record(ctx, f, evs...); err != nil {
			b.log.Error("marking a run interrupted", "fault", f.ID, "run", run.Num, "err", err)
			continue
		}
		b.endRun(ctx, f, run, RunInterrupted, fmt.Sprintf("warroom stopped %s; not re-run by itself: check what it did, then ask again if needed (%s)", what, b.runCommand(run)))
	}
}

// leftRunning deals with what a step the last process lost track of left
// running: its process group's survivors are named in the war room, and
// stopped if the plan said on_restart: kill. It returns what to add to the
// step's detail ("" when nothing was running or nobody can tell).
func (b *Bot) leftRunning(ctx context.Context, f *Fault, run *Run, cur *RunStep) string {
	pf, ok := b.plans.runner.(ProcessFinder)
	if cur.Process == nil || !ok {
		return ""
	}
	p := *cur.Process
	label := fmt.Sprintf("run #%d step %d (%s)", run.Num, cur.Num, cur.Name)
	alive, err := pf.Survivors(p)
	if err != nil {
		b.log.Warn("looking for a step's processes after a restart", "fault", f.ID, "run", run.Num, "pgid", p.PGID, "err", err)
		b.reply(ctx, f.Channel, KindNotice, fmt.Sprintf("⚠️ %s was running in process group %d when warroom stopped, and whether it still is cannot be told here (%v): check, and stop it with kill -TERM -- -%d if need be",
			label, p.PGID, err, p.PGID))
		return fmt.Sprintf("could not tell whether process group %d still runs: %v", p.PGID, err)
	}
	if len(alive) == 0 {
		return ""
	}
	names := survivorNames(alive)
	if cur.OnRestart != OnRestartKill {
		b.reply(ctx, f.Channel, KindNotice, fmt.Sprintf("⚠️ %s was running when warroom stopped, and its processes still are: %s in process group %d. The plan says on_restart: %s, so they are left running, unwatched and past any timeout: check what they do, and stop them with kill -TERM -- -%d",
			label, names, p.PGID, onRestartOr(cur.OnRestart), p.PGID))
		return fmt.Sprintf("its processes were still running (%s, process group %d) and were left so (on_restart: %s)", names, p.PGID, onRestartOr(cur.OnRestart))
	}
	still, err := pf.Stop(p)
	if err != nil || len(still) > 0 {
		why := ""
		if err != nil {
			why = fmt.Sprintf(" (%v)", err)
		}
		b.reply(ctx, f.Channel, KindNotice, fmt.Sprintf("⚠️ %s was running when warroom stopped, and its processes still were: %s in process group %d. The plan says on_restart: kill, but %s would not stop%s: stop them by hand with kill -KILL -- -%d",
			label, names, p.PGID, survivorNames(still), why, p.PGID))
		return fmt.Sprintf("its processes were still running (%s, process group %d); stopping them failed: %s still ran%s", names, p.PGID, survivorNames(still), why)
	}
	b.reply(ctx, f.Channel, KindNotice, fmt.Sprintf("⚠️ %s was running when warroom stopped, and its processes still were: %s in process group %d. The plan says on_restart: kill: they have been stopped",
		label, names, p.PGID))
	return fmt.Sprintf("its processes were still running (%s, process group %d) and were killed (on_restart: kill)", names, p.PGID)
}

func onRestartOr(s string) string {
	if s == "" {
		return OnRestartLeave
	}
	return s
}

func survivorNames(ps []Survivor) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = fmt.Sprintf("pid %d (%s)", p.PID, p.Command)
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// expireRuns ends the requests whose approval window has passed.
func (b *Bot) expireRuns(ctx context.Context, f *Fault, now time.Time) error {
	for i := range f.Runs {
		run := &f.Runs[i]
		if !run.Expired(now) {
			continue
		}
		if err := b.record(ctx, f, Event{Type: EventRunExpired, Actor: ActorBot, Run: run.Num}); err != nil {
			return err
		}
		b.reply(ctx, f.Channel, KindNotice, fmt.Sprintf("⌛ run #%d (%s) expired unapproved; ask again if it is still wanted: %s", run.Num, run.Plan, b.runCommand(run)))
	}
	return nil
}

// outputStream posts a step's output in the channel as it comes: paced, in
// chunks, and capped at ChatOutputCap characters; the rest is summarised
// with where to read it whole. What to post is decided as output arrives
// (so a transcript is the same however fast the platform is), and the posts
// are made by a goroutine of their own: write never waits for the platform,
// so a Runner that calls it from the goroutine reading a script's output is
// never held up by chat pacing.
type outputStream struct {
	b       *Bot
	ctx     context.Context
	channel string
	label   string
	red     *redact.Redactor

	mu     sync.Mutex
	buf    strings.Builder
	shown  int
	hidden int
	last   time.Time
	queue  []string // decided, not yet posted
	closed bool

	wake chan struct{} // the poster has work (capacity 1)
	done chan struct{} // closed when the poster has posted all after close
}

func (b *Bot) newOutputStream(ctx context.Context, channel, label string) *outputStream {
	s := &outputStream{b: b, ctx: context.WithoutCancel(ctx), channel: channel, label: label, red: redact.New(),
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	go s.post()
	return s
}

func (s *outputStream) write(chunk string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return // a Runner that calls out after Run returned
	}
	if s.shown < ChatOutputCap {
		chunk = s.red.Redact(chunk) // what is not shown needs no second look
	}
	if room := ChatOutputCap - s.shown; room < len(chunk) {
		if room > 0 {
			cut := room
			for cut > 0 && !utf8Start(chunk[cut]) {
				cut--
			}
			s.buf.WriteString(chunk[:cut])
			s.shown += cut
			s.hidden += len(chunk) - cut
		} else {
			s.hidden += len(chunk)
		}
	} else {
		s.buf.WriteString(chunk)
		s.shown += len(chunk)
	}
	now := s.b.clock.Now()
	if s.buf.Len() >= outputChunk || now.Sub(s.last) >= OutputPace {
		s.flush(now)
	}
}

func utf8Start(c byte) bool { return c&0xC0 != 0x80 }

// flush queues what is buffered as a post. s.mu is held.
func (s *outputStream) flush(now time.Time) {
	if s.buf.Len() == 0 {
		return
	}
	text := strings.TrimRight(s.buf.String(), "\n")
	s.buf.Reset()
	s.last = now
	if text == "" {
		return
	}
	s.enqueue(fmt.Sprintf("📜 %s:\n%s", s.label, text))
}

// enqueue hands a post to the poster. s.mu is held.
func (s *outputStream) enqueue(text string) {
	s.queue = append(s.queue, text)
	select {
	case s.wake <- struct{}{}:
	default: // it has been woken already
	}
}

// post makes the queued posts in order, until the stream is closed and
// nothing is left.
func (s *outputStream) post() {
	defer close(s.done)
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return
			}
			<-s.wake
			continue
		}
		text := s.queue[0]
		s.queue = s.queue[1:]
		s.mu.Unlock()
		s.b.reply(s.ctx, s.channel, KindNotice, text)
	}
}

// close queues the rest, and the pointer to the whole output when some was
// not shown here (kept says the store keeps it), and waits for the posts.
func (s *outputStream) close(faultID int64, run, step int, kept bool) {
	s.mu.Lock()
	s.flush(s.b.clock.Now())
	if s.hidden > 0 {
		where := fmt.Sprintf("the whole output is kept: GET /api/incidents/%d/runs/%d/steps/%d/output", faultID, run, step)
		if !kept {
			where = "this store does not keep step output"
		}
		s.enqueue(fmt.Sprintf("📜 %s: %d more bytes of output not shown here; %s", s.label, s.hidden, where))
	}
	s.closed = true
	select {
	case s.wake <- struct{}{}:
	default:
	}
	s.mu.Unlock()
	<-s.done
}
