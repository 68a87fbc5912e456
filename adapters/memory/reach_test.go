package memory_test

import (
	"testing"

	"github.com/warroom/warroom/adapters/adaptertest"
	"github.com/warroom/warroom/adapters/memory"
	"github.com/warroom/warroom/bot"
)

// TestEveryVerbIsReachable: each verb, with every argument, said in a
// channel reaches the core as said.
func TestEveryVerbIsReachable(t *testing.T) {
	t.Parallel()
	rec := &adaptertest.Recorder{}
	h := harness{memory.New()}
	h.Start(t.Context(), rec)
	mention := func(p string) string { return "@" + p }
	adaptertest.Reach(t, "fault", bot.DefaultRegistry(), mention, func(t *testing.T, c adaptertest.Command) string {
		n := rec.Count()
		h.Say(t, "C1", "alice", c.Line("fault", mention))
		rec.Wait(t, n+1)
		return rec.Messages()[n].Text
	})
}
