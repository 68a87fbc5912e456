package plans

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/warroom/warroom/bot"
)

// A script step's process group outlives warroom when warroom is killed
// (kill -9, a crash, the OOM killer): it is a group of its own, so nothing
// signals it. The core records the group as the step starts (processID);
// a restarted warroom asks Survivors and Stop about it.
//
// A group id is a process id, and numbers are reused. So the identity
// recorded is the boot, the leader's start time (in clock ticks since
// boot) and the fault, run and step; a process counts as the step's only if
// it is in the group and either the group's leader is still the same
// process (same start time) or, the leader gone, it carries the step's
// WARROOM_FAULT, WARROOM_RUN and WARROOM_STEP in its environment, which
// every process the script started inherits unless it cleared it. After a
// reboot nothing of it can be left.

const procDir = "/proc"

// processID is the identity of a step's process group whose leader is pid.
func processID(pid int, req bot.StepRequest) string {
	v := url.Values{}
	v.Set("boot", bootID())
	if st, err := readStat(pid); err == nil {
		v.Set("start", strconv.FormatUint(st.start, 10))
	}
	v.Set("fault", strconv.FormatInt(req.FaultID, 10))
	v.Set("run", strconv.Itoa(req.Run))
	v.Set("step", req.Step.Name)
	return v.Encode()
}

func bootID() string {
	b, err := os.ReadFile(procDir + "/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// stat is what warroom reads of /proc/<pid>/stat.
type stat struct {
	comm  string
	state byte
	pgrp  int
	start uint64
}

func readStat(pid int) (stat, error) {
	b, err := os.ReadFile(procDir + "/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return stat{}, err
	}
	// pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt
	// majflt cmajflt utime stime cutime cstime priority nice threads
	// itrealvalue starttime ...: comm may hold spaces and parentheses.
	s := string(b)
	open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || close < open {
		return stat{}, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, s)
	}
	f := strings.Fields(s[close+1:])
	if len(f) < 20 {
		return stat{}, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	pgrp, err1 := strconv.Atoi(f[2])
	start, err2 := strconv.ParseUint(f[19], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return stat{}, fmt.Errorf("/proc/%d/stat: %v", pid, err)
	}
	return stat{comm: s[open+1 : close], state: f[0][0], pgrp: pgrp, start: start}, nil
}

// hasEnv reports whether process pid's environment holds every one of
// want ("KEY=value").
func hasEnv(pid int, want []string) bool {
	b, err := os.ReadFile(procDir + "/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return false
	}
	have := map[string]bool{}
	for _, kv := range strings.Split(string(b), "\x00") {
		have[kv] = true
	}
	for _, kv := range want {
		if !have[kv] {
			return false
		}
	}
	return true
}

// survivors lists the step's processes still running in group p, and
// whether its leader is the step's own (so that the whole group may be
// signalled).
func survivors(p bot.StepProcess) (alive []bot.Survivor, leader bool, err error) {
	id, err := url.ParseQuery(p.ID)
	if err != nil || p.PGID <= 1 || id.Get("boot") == "" {
		return nil, false, fmt.Errorf("process group %d was not recorded in a form this warroom can check (%q)", p.PGID, p.ID)
	}
	if id.Get("boot") != bootID() {
		return nil, false, nil // the machine has restarted since: nothing of it is left
	}
	entries, err := os.ReadDir(procDir)
	if err != nil {
		return nil, false, fmt.Errorf("listing processes: %v", err)
	}
	env := []string{"WARROOM_FAULT=" + id.Get("fault"), "WARROOM_RUN=" + id.Get("run"), "WARROOM_STEP=" + id.Get("step")}
	var members []bot.Survivor
	reused := false
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := readStat(pid)
		if err != nil || st.pgrp != p.PGID || st.state == 'Z' || st.state == 'X' {
			continue
		}
		if pid == p.PGID {
			if strconv.FormatUint(st.start, 10) == id.Get("start") {
				leader = true
			} else {
				reused = true // the number leads another group now
			}
		}
		members = append(members, bot.Survivor{PID: pid, Command: st.comm})
	}
	if reused {
		return nil, false, nil
	}
	sort.Slice(members, func(i, j int) bool { // the leader first, then by pid
		if (members[i].PID == p.PGID) != (members[j].PID == p.PGID) {
			return members[i].PID == p.PGID
		}
		return members[i].PID < members[j].PID
	})
	if leader {
		return members, true, nil
	}
	for _, m := range members {
		if hasEnv(m.PID, env) {
			alive = append(alive, m)
		}
	}
	return alive, false, nil
}

// Survivors implements bot.ProcessFinder.
func (r *Runner) Survivors(p bot.StepProcess) ([]bot.Survivor, error) {
	alive, _, err := survivors(p)
	return alive, err
}

// Stop implements bot.ProcessFinder: SIGTERM, then SIGKILL to what is left
// after KillGrace; the group as a whole while its leader is the step's,
// else each of the step's processes in it. It returns what still runs a
// moment after SIGKILL.
func (r *Runner) Stop(p bot.StepProcess) ([]bot.Survivor, error) {
	signal := func(sig syscall.Signal) ([]bot.Survivor, error) {
		alive, leader, err := survivors(p)
		if err != nil || len(alive) == 0 {
			return alive, err
		}
		if leader {
			_ = syscall.Kill(-p.PGID, sig)
		} else {
			for _, s := range alive {
				_ = syscall.Kill(s.PID, sig)
			}
		}
		return alive, nil
	}
	wait := func(d time.Duration) ([]bot.Survivor, error) {
		deadline := time.Now().Add(d)
		for {
			alive, _, err := survivors(p)
			if err != nil || len(alive) == 0 || time.Now().After(deadline) {
				return alive, err
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if alive, err := signal(syscall.SIGTERM); err != nil || len(alive) == 0 {
		return alive, err
	}
	if alive, err := wait(r.grace()); err != nil || len(alive) == 0 {
		return alive, err
	}
	if alive, err := signal(syscall.SIGKILL); err != nil || len(alive) == 0 {
		return alive, err
	}
	return wait(2 * time.Second)
}

var _ bot.ProcessFinder = (*Runner)(nil)
