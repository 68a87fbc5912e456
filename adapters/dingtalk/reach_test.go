package dingtalk_test

import (
	"testing"

	"github.com/warroom/warroom/adapters/adaptertest"
	"github.com/warroom/warroom/bot"
)

// TestEveryVerbIsReachable: each verb, with every argument, typed to the
// robot the way DingTalk delivers it (a real mention is "@nickname" in the
// text with the userid in atUsers), reaches the core as that line with
// persons as <@userid>.
func TestEveryVerbIsReachable(t *testing.T) {
	t.Parallel()
	h := newHarness(t).(*harness)
	h.Start(t.Context(), &adaptertest.Recorder{})
	nick := map[string]string{"alice": "Alice", "bob": "鲍勃"}
	adaptertest.Reach(t, "fault", bot.DefaultRegistry(), func(p string) string { return "<@" + users[p] + ">" },
		func(t *testing.T, c adaptertest.Command) string {
			var at []string
			for _, a := range c.Verb.Args {
				if a.Kind == bot.ArgPerson {
					for _, p := range c.Values[a.Option()] {
						at = append(at, users[p])
					}
				}
			}
			n := h.rec.Count()
			id := h.f.Say(t, "cidWAR==", users["carol"], c.Line("fault", func(p string) string { return "@" + nick[p] }), at...)
			h.rec.Wait(t, n+1)
			h.f.WaitAck(t, id)
			return h.rec.Messages()[n].Text
		})
}
