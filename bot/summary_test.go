package bot_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

// TestSummaryLinksThePage: with base_url the resolve summary ends with a
// link to the fault's war-room page; re-grades, a known start and people
// who never checked in are in its few lines; a long timeline points at the
// page too.
func TestSummaryLinksThePage(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.opts = bot.Options{BaseURL: "https://warroom.example.com"}
	r.open()
	f := r.declare("/fault declare P3 Ledger slow service=ledger started=13:48")
	ch := f.Channel
	r.clock.Advance(2 * time.Minute)
	r.say(ch, "ana", "/fault level P2")
	for i := range 100 {
		r.say(ch, "ana", fmt.Sprintf("/fault update step %d", i))
	}
	assert.Contains(t, r.say(ch, "ana", "/fault timeline"), "earlier events; the whole timeline is at https://warroom.example.com/incidents/1)")
	r.clock.Advance(8 * time.Minute)
	r.say(ch, "ana", "/fault resolve")
	sum := r.lastPost(ch, bot.KindSummary)
	lines := strings.Split(sum.Text, "\n")
	require.Len(t, lines, 5, sum.Text)
	assert.Equal(t, "✅ fault 1 resolved: Ledger slow (P2, graded P3 → P2) after 10m0s, declared by @ana", lines[0])
	assert.Equal(t, "Time to declare: 12m0s · time to first check-in: — · to mitigate: 10m0s · to resolve: 10m0s", lines[1])
	assert.Contains(t, lines[2], "· not checked in: @")
	assert.Equal(t, "Updates: 100 · tasks: 0 done, 0 open · plans run: none", lines[3])
	assert.Equal(t, "War-room page, with the timeline and the postmortem draft: https://warroom.example.com/incidents/1", lines[4])
}
