package plans_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/plans"
)

// stubborn is a step that outlives warroom: it ignores SIGTERM (as do the
// children it starts) and sleeps, printing nothing, so that losing its
// reader does not end it either.
const stubborn = "#!/bin/sh\ntrap '' TERM\nwhile :; do sleep 1; done\n"

// TestHelperWarroom is not a test: run by TestLeftRunningAfterKill9 as a
// process of its own, it is a warroom running one step, which prints the
// step's process group as the core would record it, and waits to be
// killed.
func TestHelperWarroom(t *testing.T) {
	dir := os.Getenv("WARROOM_TEST_HELPER_DIR")
	if dir == "" {
		t.Skip("only run by TestLeftRunningAfterKill9")
	}
	set, probs := plans.Load(dir)
	if len(probs) > 0 || len(set.Plans) != 1 {
		t.Fatalf("plans: %v", probs)
	}
	p := set.Plans[0]
	req := bot.StepRequest{Plan: p, Step: p.Steps[0], FaultID: 3, Run: 1, Started: func(sp bot.StepProcess) {
		b, _ := json.Marshal(sp)
		os.Stdout.Write(append(b, '\n'))
	}}
	(&plans.Runner{Getenv: noEnv}).Run(context.Background(), req, nil)
	t.Fatal("the step ended before warroom was killed")
}

// TestLeftRunningAfterKill9 (issue 15, finding 9): warroom is killed with
// SIGKILL while a step runs; the step's process group lives on. A new
// Runner finds it from what was recorded and stops it, SIGTERM being
// ignored, with SIGKILL after the grace.
func TestLeftRunningAfterKill9(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("processes are found through /proc")
	}
	dir := planDir(t, map[string]string{
		"stubborn.yaml":   "name: stubborn\ntitle: Stubborn\nimpact: P4\nsteps: [{name: hold, script: [scripts/hold.sh], timeout: 1h}]\n",
		"scripts/hold.sh": stubborn,
	})
	helper := exec.Command(os.Args[0], "-test.run=^TestHelperWarroom$", "-test.v=false")
	helper.Env = append(os.Environ(), "WARROOM_TEST_HELPER_DIR="+dir)
	out, err := helper.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, helper.Start())
	line, err := bufio.NewReader(out).ReadBytes('\n')
	require.NoError(t, err)
	var sp bot.StepProcess
	require.NoError(t, json.Unmarshal(line, &sp))
	require.NotZero(t, sp.PGID)
	t.Cleanup(func() { _ = syscall.Kill(-sp.PGID, syscall.SIGKILL) })

	require.NoError(t, helper.Process.Signal(syscall.SIGKILL)) // kill -9 warroom
	_ = helper.Wait()

	r := &plans.Runner{KillGrace: 100 * time.Millisecond}
	alive, err := r.Survivors(sp)
	require.NoError(t, err)
	require.NotEmpty(t, alive, "the step outlived warroom")
	assert.Equal(t, sp.PGID, alive[0].PID, "the group's leader first: the script")
	assert.Equal(t, "hold.sh", alive[0].Command)

	// Another group, even one that carried the number, is not the step's.
	other := sp
	other.ID = "boot=elsewhere&fault=3&run=1&step=hold&start=1"
	none, err := r.Survivors(other)
	require.NoError(t, err)
	assert.Empty(t, none, "after a reboot nothing of it is left")

	still, err := r.Stop(sp)
	require.NoError(t, err)
	assert.Empty(t, still)
	for _, s := range alive {
		assert.True(t, gone(s.PID), "pid %d (%s) is still running", s.PID, s.Command)
	}
	alive, err = r.Survivors(sp)
	require.NoError(t, err)
	assert.Empty(t, alive)
}
