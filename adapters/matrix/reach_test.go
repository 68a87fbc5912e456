package matrix_test

import (
	"strings"
	"testing"

	"github.com/warroom/warroom/adapters/adaptertest"
	"github.com/warroom/warroom/bot"
)

// TestEveryVerbIsReachable: each verb, with every argument, typed as
// `!fault …` with people as pills, reaches the core as its /fault line
// with people as the core reads a platform's mention, `<@user id>`.
func TestEveryVerbIsReachable(t *testing.T) {
	t.Parallel()
	h := newHarness(t).(*harness)
	h.Start(t.Context(), &adaptertest.Recorder{})
	ch, err := h.a.CreateChannel(t.Context(), "fault-1-reach")
	if err != nil {
		t.Fatal(err)
	}
	uid := func(p string) string { return h.f.User(p) }
	core := func(p string) string { return "<@" + uid(p) + ">" }
	pill := func(p string) string { return `<a href="https://matrix.to/#/` + uid(p) + `">` + p + `</a>` }
	adaptertest.Reach(t, "fault", bot.DefaultRegistry(), core, func(t *testing.T, c adaptertest.Command) string {
		n := h.rec.Count()
		plain := "!" + strings.TrimPrefix(c.Line("fault", func(p string) string { return p }), "/")
		html := "!" + strings.TrimPrefix(c.Line("fault", pill), "/")
		h.f.SayHTML(ch.ID, uid("alice"), plain, html)
		h.rec.Wait(t, n+1)
		return h.rec.Messages()[n].Text
	})
}
