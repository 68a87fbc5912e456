//go:build !linux

package plans

import (
	"errors"
	"runtime"

	"github.com/warroom/warroom/bot"
)

// Finding a step's processes after a restart reads /proc: Linux only.
var errNoProc = errors.New("finding a step's processes after a restart is done on Linux only, not on " + runtime.GOOS)

func processID(int, bot.StepRequest) string { return "" }

// Survivors implements bot.ProcessFinder; here it cannot tell.
func (r *Runner) Survivors(bot.StepProcess) ([]bot.Survivor, error) { return nil, errNoProc }

// Stop implements bot.ProcessFinder; here it cannot tell.
func (r *Runner) Stop(bot.StepProcess) ([]bot.Survivor, error) { return nil, errNoProc }

var _ bot.ProcessFinder = (*Runner)(nil)
