package bot_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

// pager records pages; failNext makes the next page fail.
type pager struct {
	mu       sync.Mutex
	pages    []bot.Page
	failNext error
}

func (p *pager) Page(_ context.Context, pg bot.Page) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.failNext; err != nil {
		p.failNext = nil
		return err
	}
	p.pages = append(p.pages, pg)
	return nil
}

// pagesTo are the pages sent to a person.
func (p *pager) pagesTo(id string) []bot.Page {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []bot.Page
	for _, pg := range p.pages {
		if pg.Person.ID == id {
			out = append(out, pg)
		}
	}
	return out
}

// notices returns the notices posted in a channel since index from, each
// prefixed with the minute after t0 at which the test saw it.
func noticesAt(r *rig, ch string, from int, minute int) ([]string, int) {
	posts := r.chat.Posts(ch)
	var out []string
	for _, p := range posts[from:] {
		if p.Kind == bot.KindNotice || p.Kind == bot.KindError {
			out = append(out, fmt.Sprintf("+%dm %s", minute, p.Text))
		}
	}
	return out, len(posts)
}

// TestP1Hour fast-forwards through the first hour of a P1, a minute at a
// time, and checks every reminder, escalation, DM, page, report and digest.
func TestP1Hour(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	pg := r.withPolicy(bot.P1, func(p *bot.LevelPolicy) { p.Notify = recipients("#exec"); p.Digest = 20 * time.Minute })
	f := r.declare("/fault declare P1 Ledger down service=ledger cause=queue")
	ch := f.Channel
	// ana (declarer, handler), ben, cy (cause contact), dee (commander on duty).
	var seen []string
	n := len(r.chat.Posts(ch))
	for minute := 1; minute <= 60; minute++ {
		r.clock.Set(t0.Add(time.Duration(minute) * time.Minute))
		switch minute {
		case 1:
			r.say(ch, "ben", "/fault checkin")
		case 2:
			r.say(ch, "dee", "/fault checkin")
		case 25:
			r.say(ch, "ana", "/fault update failover done, replaying the queue")
		}
		require.NoError(t, r.bot.Tick(r.ctx))
		require.NoError(t, r.bot.Tick(r.ctx), "a second tick at the same moment")
		var got []string
		got, n = noticesAt(r, ch, n, minute)
		seen = append(seen, got...)
	}
	remind := func(m int, since string) string {
		return fmt.Sprintf("+%dm ⏰ @ana, time for a progress update on fault 1 (nothing since %s): /fault update <text>", m, since)
	}
	escalate := func(m int, at string) string {
		return fmt.Sprintf("+%dm ⏫ @dee: no progress update on fault 1 (P1 Ledger down) since the reminder at %s; @ana is handling it.", m, at)
	}
	assert.Equal(t, []string{
		remind(10, "the declaration"),
		"+15m 📋 @dee: not checked in: @cy (invited 15m0s ago; a DM and a page reached them)",
		remind(20, "the declaration"),
		escalate(20, "14:10:00"),
		remind(30, "the last update, 5m0s ago"),
		remind(40, "the last update, 15m0s ago"),
		escalate(40, "14:30:00"),
		remind(50, "the last update, 25m0s ago"),
		escalate(50, "14:40:00"),
		remind(60, "the last update, 35m0s ago"),
		escalate(60, "14:50:00"),
	}, seen)

	dms := r.chat.DMs("cy")
	require.Len(t, dms, 1, "cy is DMed once, after one check-in window")
	assert.Contains(t, dms[0].Text, "you were invited to the war room of fault 1 (P1 Ledger down) 5m0s ago and have not checked in")
	require.Len(t, pg.pages, 1, "then paged once, after two")
	assert.Equal(t, "cy", pg.pages[0].Person.ID)
	assert.Equal(t, "warroom-fault-1", pg.pages[0].Dedup)
	assert.Len(t, r.chat.DMs("dee"), 4, "each escalation also DMs the commander")
	assert.Empty(t, r.chat.DMs("ben"), "people who checked in are left alone")
	exec := r.chat.Texts("#exec")
	require.Len(t, exec, 5, "declare, the update at +25m, and digests at +20m, +40m, +60m")
	assert.Contains(t, exec[1], "status digest: open for 20m0s; commander @dee, handler @ana; 3 of 4 checked in; no update yet")
	assert.Contains(t, exec[2], "update from @ana: failover done")
	assert.Contains(t, exec[3], "status digest: open for 40m0s")
	assert.Contains(t, exec[4], "status digest: open for 1h0m0s; commander @dee, handler @ana; 3 of 4 checked in; last update 35m0s ago: failover done")

	f = r.fault(f.ID)
	assert.Equal(t, 6, f.Reminders)
	assert.Equal(t, 4, f.Escalations)
	r.say(ch, "ana", "/fault resolve")
	sum := r.chat.Posts(ch)[len(r.chat.Posts(ch))-1].Text
	assert.Contains(t, sum, "Updates: 1, reminders 6, escalations 4 · ")
	assert.Contains(t, sum, "not checked in: @cy (chased: dm, page, commander)")

	r.clock.Advance(time.Hour)
	n = len(r.chat.Posts(ch))
	require.NoError(t, r.bot.Tick(r.ctx))
	assert.Len(t, r.chat.Posts(ch), n, "resolve stops reminders")
}

func TestLevelChangeSwitchesScheduleAtOnce(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	f := r.declare("/fault declare P2 Ledger down service=ledger") // */15
	for _, p := range []string{"ana", "ben"} {
		r.say(f.Channel, p, "/fault checkin")
	}
	r.clock.Set(t0.Add(10 * time.Minute))
	require.NoError(t, r.bot.Tick(r.ctx))
	n := len(r.chat.Posts(f.Channel))
	r.say(f.Channel, "ana", "/fault level P1") // */10: 14:10 is due now
	n++
	require.NoError(t, r.bot.Tick(r.ctx))
	got, _ := noticesAt(r, f.Channel, n, 10)
	require.Len(t, got, 1, "dee, not checked in, is chased without a channel warning: no pager is configured")
	assert.Contains(t, got[0], "⏰ @ana, time for a progress update")
	assert.Len(t, r.chat.DMs("dee"), 1)
}

// TestRestartFiresOverdueReminderOnce: the bot was down through three
// reminder slots and two chase stages; after the restart each fires once.
func TestRestartFiresOverdueReminderOnce(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	pg := &pager{failNext: errors.New("twilio: 503")}
	f := r.declare("/fault declare P1 Ledger down service=ledger")
	r.say(f.Channel, "ana", "/fault checkin")
	r.say(f.Channel, "dee", "/fault checkin")

	r.clock.Set(t0.Add(35 * time.Minute)) // down since declare
	r.open()
	r.bot.UseNotifier(pg)
	n := len(r.chat.Posts(f.Channel))
	require.NoError(t, r.bot.Tick(r.ctx))
	require.NoError(t, r.bot.Tick(r.ctx))
	got, _ := noticesAt(r, f.Channel, n, 35)
	assert.Equal(t, []string{
		"+35m ⏰ @ana, time for a progress update on fault 1 (nothing since the declaration): /fault update <text>",
		"+35m ⚠️ could not page @ben: twilio: 503",
		"+35m 📋 @dee: not checked in: @ben (invited 35m0s ago; a DM reached them; a page failed: twilio: 503)",
	}, got)
	assert.Len(t, r.chat.DMs("ben"), 1)

	r.clock.Set(t0.Add(40 * time.Minute))
	require.NoError(t, r.bot.Tick(r.ctx))
	got, _ = noticesAt(r, f.Channel, n+3, 40)
	assert.Equal(t, []string{
		"+40m ⏰ @ana, time for a progress update on fault 1 (nothing since the declaration): /fault update <text>",
		"+40m ⏫ @dee: no progress update on fault 1 (P1 Ledger down) since the reminder at 14:35:00; @ana is handling it.",
	}, got, "the next slot is counted from the catch-up reminder")
	evs, err := r.db.Events(r.ctx, f.ID)
	require.NoError(t, err)
	var chased []string
	for _, e := range evs {
		if e.Type == bot.EventChased {
			chased = append(chased, e.Via+":"+e.Text)
		}
	}
	assert.Equal(t, []string{"dm:", "page:twilio: 503", "commander:"}, chased, "the failed page is on the timeline")
}

func TestStakeholdersHearUntilResolved(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	pg := r.withPolicy(bot.P2, func(p *bot.LevelPolicy) { p.Notify = recipients("#status", "fay", "+15550199") })

	f := r.declare("/fault declare P2 Ledger down service=ledger")
	r.say(f.Channel, "ana", "/fault update failing over")
	pg.failNext = errors.New("twilio: 401 authenticate")
	assert.Contains(t, r.say(f.Channel, "ana", "/fault level P1"), "⚠️ stakeholders not reached: +15550199 (twilio: 401 authenticate)")
	r.say(f.Channel, "ana", "/fault level P2")
	r.say(f.Channel, "ana", "/fault resolve")

	status := r.chat.Texts("#status")
	require.Len(t, status, 5, "declare, update, both re-grades (the old level hears too), resolve")
	assert.Equal(t, "📣 P2 fault 1: Ledger down — declared by @ana; commander @dee (status open; war room #fault-1-ledger-down)", status[0])
	assert.Contains(t, status[1], "update from @ana: failing over")
	assert.Contains(t, status[2], "re-graded P2 → P1")
	assert.Contains(t, status[3], "re-graded P1 → P2")
	assert.Contains(t, status[4], "resolved after 0s (status resolved")
	assert.Len(t, r.chat.DMs("fay"), 5)
	assert.Len(t, pg.pages, 4, "the SMS recipient hears the rest despite one failure")
	assert.Equal(t, "+15550199", pg.pages[0].Person.Phone)
	evs, err := r.db.Events(r.ctx, f.ID)
	require.NoError(t, err)
	var failed int
	for _, e := range evs {
		if e.Type == bot.EventNotifyFailed {
			failed++
		}
	}
	assert.Equal(t, 1, failed, "the failure is on the timeline")
}

func TestPagesAtDeclare(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	pg := r.withPolicy(bot.P1, func(p *bot.LevelPolicy) { p.Page = []string{"eli", "dee"} })
	f := r.declare("/fault declare P1 Ledger down service=ledger")
	texts := r.chat.Texts(f.Channel)
	assert.Contains(t, texts, "📟 paged @eli, @dee")
	require.Len(t, pg.pages, 2)
	assert.Equal(t, "warroom P1 fault 1: Ledger down. War room #fault-1-ledger-down", pg.pages[0].Text)

	f = r.declare("/fault declare P2 Ledger slow service=ledger")
	assert.NotContains(t, r.chat.Texts(f.Channel), "📟 paged @eli, @dee", "P2 pages nobody here")
}

// withPolicy restarts the rig's bot with one level's policy changed and a
// recording pager, which it returns.
func (r *rig) withPolicy(l bot.Level, change func(*bot.LevelPolicy)) *pager {
	r.t.Helper()
	cat := testCatalog()
	p := cat.Levels[l]
	change(&p)
	cat.Levels[l] = p
	return r.withCatalog(cat)
}

// withCatalog restarts the rig's bot on cat with a recording pager, which
// it returns.
func (r *rig) withCatalog(cat *bot.Catalog) *pager {
	r.t.Helper()
	b, err := bot.New(r.db, r.chat, r.clock, cat, r.opts, nil)
	require.NoError(r.t, err)
	pg := &pager{}
	b.UseNotifier(pg)
	r.bot = b
	return pg
}

// tracker is a pager that also follows faults, as PagerDuty does.
type tracker struct {
	pager
	opened, closed []bot.Page
	failClose      error
}

func (p *tracker) Opened(_ context.Context, pg bot.Page) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.opened = append(p.opened, pg)
	return nil
}

func (p *tracker) Closed(_ context.Context, pg bot.Page) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failClose != nil {
		return p.failClose
	}
	p.closed = append(p.closed, pg)
	return nil
}

func TestDigestKeepsStakeholdersHearingUntilResolved(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.withPolicy(bot.P2, func(p *bot.LevelPolicy) {
		p.Notify = recipients("#status", "+15550188")
		p.Digest = 30 * time.Minute
		p.Remind = ""
	})
	tr := &tracker{}
	r.bot.UseNotifier(tr)
	f := r.declare("/fault declare P2 Ledger down service=ledger")
	require.Len(t, tr.opened, 1)
	assert.Equal(t, "warroom-fault-1", tr.opened[0].Dedup)
	r.clock.Advance(10 * time.Minute)
	r.say(f.Channel, "ana", "/fault update failing over")

	// A tick a minute, for 95 minutes: a digest at +30, +60 and +90 only.
	var at []int
	for m := 11; m <= 95; m++ {
		r.clock.Set(t0.Add(time.Duration(m) * time.Minute))
		n := len(r.chat.Texts("#status"))
		require.NoError(t, r.bot.Tick(r.ctx))
		require.NoError(t, r.bot.Tick(r.ctx), "a second tick at the same moment sends nothing")
		if len(r.chat.Texts("#status")) > n {
			at = append(at, m)
		}
	}
	assert.Equal(t, []int{30, 60, 90}, at)
	status := r.chat.Texts("#status")
	last := status[len(status)-1]
	assert.Contains(t, last, "status digest: open for 1h30m")
	assert.Contains(t, last, "commander @dee, handler @ana; 1 of 3 checked in; last update 1h20m0s ago: failing over")
	var sms int
	for _, pg := range tr.pages {
		if pg.Person.Phone == "+15550188" {
			assert.True(t, pg.Notify, "a stakeholder SMS is a notification, not a page")
			sms++
		}
	}
	assert.Equal(t, 5, sms, "declare, update and three digests")

	tr.failClose = errors.New("pagerduty: HTTP 503")
	r.say(f.Channel, "ana", "/fault resolve")
	assert.Contains(t, r.chat.Texts(f.Channel), "⚠️ the paging service was not told the fault closed: pagerduty: HTTP 503")
	assert.Equal(t, bot.EventNotifyFailed, lastEvent(r, f.ID, bot.EventNotifyFailed).Type, "and the timeline has it")
	r.clock.Advance(2 * time.Hour)
	n := len(r.chat.Texts("#status"))
	require.NoError(t, r.bot.Tick(r.ctx))
	assert.Len(t, r.chat.Texts("#status"), n, "nothing after resolve")
}

func lastEvent(r *rig, id int64, typ bot.EventType) bot.Event {
	r.t.Helper()
	evs, err := r.db.Events(r.ctx, id)
	require.NoError(r.t, err)
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type == typ {
			return evs[i]
		}
	}
	return bot.Event{}
}
