package plans

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/warroom/warroom/bot"
)

// DefaultKillGrace is how long a timed-out script's processes have between
// SIGTERM and SIGKILL.
const DefaultKillGrace = 3 * time.Second

// Runner runs the script and job steps of plans (bot.Runner). The zero
// Runner is ready to use; set its fields before the first Run and leave
// them. Run is safe to call from many goroutines.
//
// A script step runs its argv with no shell: a {{param}} argument becomes
// exactly the value, one argument, whatever it holds. The program is a
// file inside the plan's directory, checked again before every run: what
// runs is a private copy of it, made then and checked against the content
// hash the plan was loaded with (Plan.Scripts), so exactly what the
// version covers runs, or nothing and the step fails saying why. argv[0]
// is the name the plan gives; $0 is the copy's path, so a script finds its
// neighbours from the working directory, the plan's directory. It runs
// there in a process group of its own, with only PATH, HOME, LANG,
// LC_ALL, TZ and TMPDIR from warroom's environment plus WARROOM_FAULT,
// WARROOM_RUN, WARROOM_PLAN and WARROOM_STEP. At its timeout, or when ctx
// ends, the whole group gets SIGTERM, then SIGKILL after KillGrace; when
// the script exits, whatever it left running in its group is killed too,
// so nothing a step started outlives it.
//
// A job step makes one HTTP call: ${VAR}s in its url and headers come from
// Getenv (an unset one fails the step, naming it), {{param}}s are escaped
// for where they go, redirects are never followed (a 3xx fails the step,
// naming where it pointed) and a non-2xx status fails it. GET, PUT and
// DELETE are retried twice on a connection error or a 502, 503 or 504;
// POST and PATCH are never retried, since the first call may have run.
//
// Output (stdout and stderr interleaved, or the response body) goes to out
// as it comes, in whole lines where possible, and into StepResult.Output
// up to MaxOutput; both are redacted of obvious secrets and of the values
// of the ${VAR}s the step used.
type Runner struct {
	// MaxOutput caps the bytes of output kept per step; 0 means
	// DefaultMaxOutput (1 MiB). Past it, output is counted in Dropped.
	MaxOutput int64
	// Getenv supplies job steps' ${VAR}s and the variables scripts
	// inherit; nil means os.Getenv.
	Getenv func(string) string
	// Client makes job calls; nil means a client of its own. Redirects are
	// not followed whatever its CheckRedirect says.
	Client *http.Client
	// KillGrace is the time between SIGTERM and SIGKILL; 0 means
	// DefaultKillGrace.
	KillGrace time.Duration
	// Timeout applies to a step with none (the loader always sets one);
	// 0 means DefaultTimeout.
	Timeout time.Duration
	// ScriptDir is where a script step's checked copy is made and run
	// from, in a new directory per step; "" means os.TempDir(). It must
	// allow programs to run (not be mounted noexec).
	ScriptDir string

	clientOnce sync.Once
	client     *http.Client
}

var _ bot.Runner = (*Runner)(nil)

// Run runs one script or job step to its end. A manual step is not run:
// the core posts it as a checklist item.
func (r *Runner) Run(ctx context.Context, req bot.StepRequest, out func(chunk string)) bot.StepResult {
	if req.Plan == nil {
		return failed("no plan given")
	}
	if err := ctx.Err(); err != nil {
		return failed(fmt.Sprintf("cancelled before it started: %v", err))
	}
	switch req.Step.Kind() {
	case bot.StepScript:
		return r.runScript(ctx, req, out)
	case bot.StepJob:
		return r.runJob(ctx, req, out)
	}
	return failed("a manual step is done by a person; the runner has nothing to run")
}

func failed(detail string) bot.StepResult {
	return bot.StepResult{Status: bot.StepFailed, Detail: detail}
}

func (r *Runner) getenv(k string) string {
	if r.Getenv != nil {
		return r.Getenv(k)
	}
	return os.Getenv(k)
}

func (r *Runner) maxOutput() int64 {
	if r.MaxOutput > 0 {
		return r.MaxOutput
	}
	return DefaultMaxOutput
}

func (r *Runner) grace() time.Duration {
	if r.KillGrace > 0 {
		return r.KillGrace
	}
	return DefaultKillGrace
}

func (r *Runner) timeout(s bot.Step) time.Duration {
	switch {
	case s.Timeout > 0:
		return s.Timeout
	case r.Timeout > 0:
		return r.Timeout
	}
	return DefaultTimeout
}

// param is the value of {{name}} in a step: the bound value, else the
// default, checked again against the parameter's pattern and enum. The
// core binds values with bot.Plan.Bind; checking here as well means no
// path to the runner can hand a script or a job an unchecked value.
func param(req bot.StepRequest, name string) (string, error) {
	for _, prm := range req.Plan.Params {
		if prm.Name != name {
			continue
		}
		v := req.Params[name]
		if v == "" {
			v = prm.Default
		}
		if v == "" {
			if prm.Required {
				return "", fmt.Errorf("parameter %s is required and has no value", name)
			}
			return "", nil
		}
		if err := prm.Check(v); err != nil {
			return "", err
		}
		return v, nil
	}
	return "", fmt.Errorf("{{%s}} is not a parameter of plan %s", name, req.Plan.Name)
}

// deadline gives a step's context and says afterwards whether it ended by
// the step's own timeout rather than by its parent.
func deadline(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc, func() bool) {
	sctx, cancel := context.WithTimeoutCause(ctx, d, errStepTimeout)
	return sctx, cancel, func() bool { return context.Cause(sctx) == errStepTimeout && ctx.Err() == nil }
}

var errStepTimeout = fmt.Errorf("the step's timeout")

func since(d time.Duration) string { return d.Round(time.Millisecond).String() }
