package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

// A re-grade applies the new level's whole policy: its paging list is
// paged (once), and the stakeholders of every level the fault has been at
// keep hearing until it is resolved.
func TestRegradeAppliesTheNewLevelsWholePolicy(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	cat := testCatalog()
	p1 := cat.Levels[bot.P1]
	p1.Page, p1.Notify = []string{"eli"}, []bot.Recipient{{Kind: bot.RecipientChannel, Name: "exec"}}
	cat.Levels[bot.P1] = p1
	p2 := cat.Levels[bot.P2]
	p2.Notify = []bot.Recipient{{Kind: bot.RecipientChannel, Name: "status"}}
	cat.Levels[bot.P2] = p2
	pg := r.withCatalog(cat)

	f := r.declare("/fault declare P2 Ledger down service=ledger")
	assert.Empty(t, pg.pagesTo("eli"), "P2 pages nobody")
	r.say(f.Channel, "ana", "/fault level P1")
	assert.Len(t, pg.pagesTo("eli"), 1, "P1's paging list is paged at the re-grade")
	assert.Contains(t, r.chat.Texts("#exec")[0], "re-graded P2 → P1")
	assert.Contains(t, r.chat.Texts("#status")[1], "re-graded P2 → P1", "the old level's stakeholders hear too")
	r.say(f.Channel, "ana", "/fault level P2")
	r.say(f.Channel, "ana", "/fault level P1")
	assert.Len(t, pg.pagesTo("eli"), 1, "a page that reached someone is not sent again")

	r.say(f.Channel, "ana", "/fault level P4")
	r.say(f.Channel, "ana", "/fault resolve")
	for _, ch := range []string{"#exec", "#status"} {
		texts := r.chat.Texts(ch)
		assert.Contains(t, texts[len(texts)-1], "resolved after", "%s heard of it at P1/P2, so hears of the resolve at P4", ch)
	}
}

// The commander's report says what of the chase really reached each
// person, and a commander who has not checked in is reported to the
// handler, not to himself.
func TestTheChaseReportSaysWhatReachedThem(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	pg := r.withPolicy(bot.P2, func(*bot.LevelPolicy) {})
	f := r.declare("/fault declare P2 Ledger down service=ledger") // dee commands, ana handles; ben and dee not checked in
	r.chat.FailNext("DM", errors.New("cannot DM this user"))
	r.clock.Set(t0.Add(10 * time.Minute))
	require.NoError(t, r.bot.Tick(r.ctx))
	pg.failNext = errors.New("twilio: 503")
	r.clock.Set(t0.Add(20 * time.Minute))
	require.NoError(t, r.bot.Tick(r.ctx))
	r.clock.Set(t0.Add(30 * time.Minute))
	require.NoError(t, r.bot.Tick(r.ctx))
	var reports []string
	for _, s := range r.chat.Texts(f.Channel) {
		if strings.HasPrefix(s, "📋") {
			reports = append(reports, s)
		}
	}
	require.Len(t, reports, 2, "%q", reports)
	assert.Contains(t, reports[0], "📋 @dee: not checked in: @ben (invited 30m0s ago; ")
	assert.Contains(t, reports[1], "📋 @ana: not checked in: @dee (invited 30m0s ago; ", "the commander is reported to the handler")
	all := strings.Join(reports, "\n")
	assert.Contains(t, all, "a DM failed: cannot DM this user")
	assert.Contains(t, all, "a page failed: twilio: 503")
	assert.NotContains(t, all, "despite")
}

// panicker is a pager with a bug for one person.
type panicker struct {
	pager
	onFor string
}

func (p *panicker) Page(ctx context.Context, pg bot.Page) error {
	if pg.Person.ID == p.onFor {
		panic("index out of range [3] with length 3")
	}
	return p.pager.Page(ctx, pg)
}

// A bug in one fault's timed work is contained: logged, recorded once on
// that fault's timeline, said in its war room, and every other job and
// fault of the tick still runs.
func TestAPanickingTimedJobIsContained(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	pk := &panicker{onFor: "cy"}
	r.bot.UseNotifier(pk)
	bad := r.declare("/fault declare P2 Queue stuck service=queue")   // cy is invited: paging cy panics
	good := r.declare("/fault declare P2 Ledger down service=ledger") // ben is invited
	r.clock.Set(t0.Add(20 * time.Minute))                             // DM and page stages are due
	require.NotPanics(t, func() { require.NoError(t, r.bot.Tick(r.ctx)) })
	require.NoError(t, r.bot.Tick(r.ctx))
	r.clock.Set(t0.Add(35 * time.Minute))
	require.NoError(t, r.bot.Tick(r.ctx))

	var panicked []bot.Event
	evs, err := r.db.Events(r.ctx, bad.ID)
	require.NoError(t, err)
	for _, e := range evs {
		if e.Type == bot.EventJobPanicked {
			panicked = append(panicked, e)
		}
	}
	require.Len(t, panicked, 1, "recorded once, though it recurs every tick")
	assert.Equal(t, "chase", panicked[0].Via)
	assert.Contains(t, panicked[0].Text, "index out of range")
	assert.Contains(t, strings.Join(r.chat.Texts(bad.Channel), "\n"), "warroom's chase work for fault 1 failed")
	assert.NotEmpty(t, pk.pagesTo("ben"), "the other fault's chase still paged ben")
	assert.Contains(t, strings.Join(r.chat.Texts(good.Channel), "\n"), "⏰", "the other fault's reminders went on")
}
