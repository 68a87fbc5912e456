package console_test

import (
	"testing"

	"github.com/warroom/warroom/adapters/adaptertest"
	"github.com/warroom/warroom/bot"
)

// TestEveryVerbIsReachable: each verb, with every argument, typed as a
// console line, reaches the core as typed.
func TestEveryVerbIsReachable(t *testing.T) {
	t.Parallel()
	h := newHarness(t).(*harness)
	h.Start(t.Context(), &adaptertest.Recorder{})
	mention := func(p string) string { return "@" + p }
	adaptertest.Reach(t, "fault", bot.DefaultRegistry(), mention, func(t *testing.T, c adaptertest.Command) string {
		n := h.rec.Count()
		h.Say(t, "fault-1-x", "alice", c.Line("fault", mention))
		return h.rec.Messages()[n].Text
	})
}
