package plans

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/bot/yamlnode"
)

const (
	// flushAfter: a partial line ("Progress: 40%") is passed on once the
	// script has been quiet this long.
	flushAfter = 200 * time.Millisecond
	// drainDelay bounds the wait for the output pipe to close after the
	// script's group is gone: a process that left the group (setsid) may
	// hold it open forever.
	drainDelay = 500 * time.Millisecond
	// defaultPATH is what a script gets when warroom has no PATH.
	defaultPATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// inherited is the allowlist of warroom's environment a script sees:
// enough to find programs and speak the locale, none of warroom's secrets.
var inherited = []string{"PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR"}

func (r *Runner) runScript(ctx context.Context, req bot.StepRequest, out func(string)) bot.StepResult {
	st := req.Step
	if req.Plan.Dir == "" {
		return failed("the plan has no directory to run its scripts in")
	}
	path, cleanup, err := r.approvedCopy(req.Plan, st.Script[0])
	if err != nil {
		return failed(err.Error())
	}
	defer cleanup()
	argv := make([]string, len(st.Script))
	argv[0] = st.Script[0]
	for i, a := range st.Script[1:] {
		if name, ok := wholeParam(a); ok {
			v, err := param(req, name)
			if err != nil {
				return failed(err.Error())
			}
			if strings.ContainsRune(v, 0) {
				return failed(fmt.Sprintf("parameter %s has a NUL byte, which no argument can carry", name))
			}
			a = v
		} else if strings.Contains(a, "{{") {
			return failed(fmt.Sprintf("argument %q: a parameter must be a whole argument", yamlnode.Clip(a)))
		}
		argv[i+1] = a
	}

	env := make([]string, 0, len(inherited)+4)
	for _, k := range inherited {
		if v := r.getenv(k); v != "" {
			env = append(env, k+"="+v)
		} else if k == "PATH" {
			env = append(env, "PATH="+defaultPATH)
		}
	}
	env = append(env,
		"WARROOM_FAULT="+strconv.FormatInt(req.FaultID, 10),
		"WARROOM_RUN="+strconv.Itoa(req.Run),
		"WARROOM_PLAN="+req.Plan.Name,
		"WARROOM_STEP="+st.Name)

	// One pipe for stdout and stderr, so they interleave as written. The
	// child gets the write end as a file, not through an io.Writer, so
	// Wait returns when the script exits rather than when the last holder
	// of the pipe closes it; the runner then deals with the holders itself.
	pr, pw, err := os.Pipe()
	if err != nil {
		return failed(fmt.Sprintf("cannot start %s: %v", st.Script[0], err))
	}
	defer pr.Close()
	var cmd *exec.Cmd
	for attempt := 0; ; attempt++ {
		cmd = &exec.Cmd{
			Path:   path,
			Args:   argv,
			Dir:    req.Plan.Dir,
			Env:    env,
			Stdout: pw,
			Stderr: pw,
			// Its own process group, so that a timeout kills what it
			// started as well.
			SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
		}
		err = cmd.Start()
		// ETXTBSY: another goroutine's fork briefly holds the script open
		// for writing (golang.org/issue/22315) just after it was written.
		if err == nil || !errors.Is(err, syscall.ETXTBSY) || attempt == 9 {
			break
		}
		time.Sleep(time.Duration(attempt+1) * 10 * time.Millisecond)
	}
	pw.Close()
	if err != nil {
		why := unwrapPathError(err)
		if errors.Is(err, syscall.EACCES) {
			return failed(fmt.Sprintf("cannot start %s: %v: it runs as a checked copy in %s, which may be mounted noexec (set TMPDIR, or the runner's ScriptDir, to a directory where programs may run)",
				st.Script[0], why, filepath.Dir(path)))
		}
		return failed(fmt.Sprintf("cannot start %s: %v", st.Script[0], why))
	}
	pgid := cmd.Process.Pid

	sink := newSink(r.maxOutput(), newRedactor(nil), out)
	defer sink.finish()
	read := make(chan struct{})
	go func() {
		defer close(read)
		readAll(pr, sink)
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	if req.Started != nil {
		// While the output is read: the core records the group, so that
		// a warroom restarted after a kill -9 finds what is left of it.
		req.Started(bot.StepProcess{PGID: pgid, ID: processID(pgid, req)})
	}

	timeout := r.timeout(st)
	sctx, cancel, timedOut := deadline(ctx, timeout)
	defer cancel()

	var waitErr error
	ended := "" // "timeout" or "cancelled" when the runner stopped it
	select {
	case waitErr = <-exited:
	case <-sctx.Done():
		select {
		case waitErr = <-exited: // it finished just in time
		default:
			ended = "cancelled"
			if timedOut() {
				ended = "timeout"
			}
			waitErr = terminate(pgid, exited, read, r.grace())
		}
	}

	// The script has exited. Whatever is left in its group, it left
	// running: the same SIGTERM, grace (while they hold the output),
	// SIGKILL, so that nothing a step started outlives it. An empty group
	// is not signalled: its id is free to be reused.
	leftover := false
	if ended == "" && syscall.Kill(-pgid, 0) == nil {
		leftover = true
		terminate(pgid, nil, read, r.grace())
	}
	if syscall.Kill(-pgid, 0) == nil {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}

	cut := false
	select {
	case <-read:
	case <-time.After(drainDelay):
		// Held by a process that left the group: stop reading.
		pr.Close()
		<-read
		cut = true
	}

	res := bot.StepResult{Status: bot.StepOK, Detail: "exit status 0"}
	var ee *exec.ExitError
	switch {
	case ended == "timeout":
		res.Status, res.Detail = bot.StepTimeout, "killed after "+since(timeout)
	case ended == "cancelled":
		res.Status, res.Detail = bot.StepFailed, "cancelled; killed"
	case errors.As(waitErr, &ee):
		res.Status, res.Detail = bot.StepFailed, exitDetail(ee)
	case waitErr != nil:
		res.Status, res.Detail = bot.StepFailed, waitErr.Error()
	}
	if leftover {
		res.Detail += "; processes it left running were killed"
	}
	if cut {
		res.Detail += "; output cut off: a process that left its process group still holds it"
	}
	res.Output, res.Dropped = sink.text.String(), sink.dropped
	return res
}

// approvedCopy is what a script step executes: a private copy of the
// script's content, made now and checked against the hash the plan was
// loaded with, so that what runs is exactly what the plan's version (and so
// the approval) covers. The script is found again first (resolveScript: in
// the plan's directory, a regular executable file), then copied to a new
// directory only warroom can write, hashing what is copied; a different
// hash is a refusal saying so, and nothing runs. Checking the original and
// then running it would leave a window in which it could be replaced.
// cleanup removes the copy.
func (r *Runner) approvedCopy(p *bot.Plan, name string) (path string, cleanup func(), err error) {
	src, err := resolveScript(p.Dir, name)
	if err != nil {
		return "", nil, err
	}
	want, ok := p.Scripts[name]
	if !ok {
		return "", nil, fmt.Errorf("plan %s was not loaded with the content of %s, so there is nothing to check it against; it is not run (plans.Load records it)", p.Name, name)
	}
	in, err := os.Open(src)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %v", name, unwrapPathError(err))
	}
	defer in.Close()
	dir, err := os.MkdirTemp(r.ScriptDir, "warroom-step-")
	if err != nil {
		return "", nil, fmt.Errorf("a directory for the checked copy of %s: %v", name, err)
	}
	cleanup = func() { _ = os.RemoveAll(dir) }
	path = filepath.Join(dir, filepath.Base(src))
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o700)
	if err == nil {
		h := sha256.New()
		_, err = io.Copy(io.MultiWriter(out, h), in)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != want {
				err = fmt.Errorf("%w: it is not run; if the new script is meant, reload the plans (warroom plans reload) and ask for a new run", changedScript(p, name, want, got))
			}
		}
	}
	if err != nil {
		cleanup()
		return "", nil, err
	}
	return path, cleanup, nil
}

// changedScript is the refusal of a script whose content is not the one
// the plan's version was made with.
func changedScript(p *bot.Plan, name, want, got string) error {
	return fmt.Errorf("%s changed since plan %s version %s was loaded (its content is now %s, not %s)",
		name, p.Name, p.Version, shortHash(got), shortHash(want))
}

func shortHash(h string) string {
	if len(h) > len("sha256:")+12 {
		return h[:len("sha256:")+12]
	}
	return h
}

// CheckPlan implements bot.PlanChecker: every script the plan runs still
// has the content its version was made with. The core asks before a run
// is requested and before each approval, so that nobody approves a plan
// whose scripts changed on disk since it was loaded; the run itself checks
// each script again as it copies it (approvedCopy).
func (r *Runner) CheckPlan(p *bot.Plan) error {
	names := make([]string, 0, len(p.Scripts))
	for name := range p.Scripts {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		src, err := resolveScript(p.Dir, name)
		if err != nil {
			return err
		}
		got, err := hashFile(src)
		if err != nil {
			return fmt.Errorf("%s: %v", name, unwrapPathError(err))
		}
		if got != p.Scripts[name] {
			return changedScript(p, name, p.Scripts[name], got)
		}
	}
	return nil
}

var _ bot.PlanChecker = (*Runner)(nil)

// terminate stops a process group: SIGTERM, then SIGKILL once grace has
// passed without the leader exiting (exited; nil: it already has) and the
// output pipe closing. It returns the leader's Wait error.
func terminate(pgid int, exited <-chan error, read <-chan struct{}, grace time.Duration) (waitErr error) {
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	leaderDone := exited == nil
	readDone := false
	for !leaderDone || !readDone {
		select {
		case waitErr = <-exited:
			leaderDone, exited = true, nil
		case <-read:
			readDone, read = true, nil
		case <-t.C:
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			if !leaderDone {
				waitErr = <-exited
			}
			return waitErr
		}
	}
	return waitErr
}

// readAll copies a script's output into the sink, passing on a partial
// line once the script has gone quiet.
func readAll(f *os.File, s *sink) {
	buf := make([]byte, 32<<10)
	for {
		if len(s.pending) > 0 {
			_ = f.SetReadDeadline(time.Now().Add(flushAfter))
		} else {
			_ = f.SetReadDeadline(time.Time{})
		}
		n, err := f.Read(buf)
		if n > 0 {
			s.Write(buf[:n])
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			s.flush()
			continue
		}
		if err != nil {
			break
		}
	}
	s.flush()
}

func exitDetail(ee *exec.ExitError) string {
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return "killed by signal " + ws.Signal().String()
	}
	return "exit status " + strconv.Itoa(ee.ExitCode())
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
