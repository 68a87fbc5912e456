package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

const group = `{}:{alertname="LedgerErrors", service="ledger"}`

// alert is a firing alert of the ledger group, told apart by its instance.
func alert(instance string, lvl bot.Level) bot.Alert {
	return bot.Alert{
		Key: group, Fingerprint: "fp-" + instance, Status: bot.AlertFiring, Level: lvl,
		Title: "Ledger 5xx above 5%", Service: "ledger", Kind: "LedgerErrors",
		Labels:  map[string]string{"alertname": "LedgerErrors", "service": "ledger", "instance": instance},
		Details: "Error rate on the ledger API above 5% for 5m",
	}
}

func resolved(a bot.Alert) bot.Alert {
	a.Status = bot.AlertResolved
	return a
}

func batch(alerts ...bot.Alert) bot.AlertBatch {
	return bot.AlertBatch{Source: "alertmanager", Group: group, Alerts: alerts}
}

func (r *rig) alerts(b bot.AlertBatch) []bot.AlertResult {
	r.t.Helper()
	res, err := r.bot.Alerts(r.ctx, b)
	require.NoError(r.t, err)
	return res
}

func (r *rig) faults() []*bot.Fault {
	r.t.Helper()
	all, err := r.db.Faults(r.ctx, bot.FaultFilter{})
	require.NoError(r.t, err)
	return all
}

// types lists a fault's event types from seq on.
func (r *rig) types(id int64, from int) []bot.EventType {
	r.t.Helper()
	evs, err := r.db.Events(r.ctx, id)
	require.NoError(r.t, err)
	var out []bot.EventType
	for _, e := range evs[from-1:] {
		out = append(out, e.Type)
	}
	return out
}

func TestAFiringAlertDeclares(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	res := r.alerts(batch(alert("ledger-1", bot.P3), alert("ledger-2", bot.P2)))
	require.Len(t, res, 1)
	assert.Equal(t, bot.AlertResult{Key: group, Fault: 1, Declared: true, Firing: 2}, res[0])

	f := r.fault(1)
	assert.Equal(t, bot.P2, f.Level, "the most severe alert's level")
	assert.Equal(t, "Ledger 5xx above 5%", f.Title)
	assert.Equal(t, "ledger", f.Service)
	assert.Equal(t, "LedgerErrors", f.Kind)
	assert.Equal(t, "alertmanager", f.DeclaredBy)
	assert.Empty(t, f.Handler, "the first to check in takes it")
	assert.Equal(t, "dee", f.Commander)
	assert.False(t, f.Invited("alertmanager"))
	assert.Equal(t, [][]string{{"ana", "ben", "dee"}}, r.chat.Invites(f.Channel))
	require.Len(t, f.Alerts, 2)
	assert.True(t, f.Alerts[0].Firing)
	assert.Equal(t, map[string]string{"alertname": "LedgerErrors", "service": "ledger", "instance": "ledger-1"}, f.Alerts[0].Labels)

	texts := r.chat.Texts(f.Channel)
	require.Len(t, texts, 2, "the kickoff, then the alerts")
	assert.Contains(t, texts[0], "🚨 P2 fault 1: Ledger 5xx above 5%")
	assert.Equal(t, "🔔 declared by alertmanager: 2 alerts firing: Ledger 5xx above 5% (instance=ledger-1, P3); Ledger 5xx above 5% (instance=ledger-2)\n"+
		"Details: Error rate on the ledger API above 5% for 5m\n"+
		"Nobody handles it yet: the first to check in (/fault checkin) becomes the handler", texts[1])
	assert.Equal(t, []bot.EventType{bot.EventDeclared, bot.EventRoleAssigned, bot.EventAlertFiring, bot.EventAlertFiring, bot.EventAlertsTold,
		bot.EventChannelCreated, bot.EventInvited, bot.EventInvited, bot.EventInvited, bot.EventKickoffPosted}, r.types(1, 1))

	assert.Contains(t, r.say(f.Channel, "ben", "/fault checkin"), "the handler now (the first to check in)")
	assert.Equal(t, bot.AlertCount{Processed: 2, Declared: 1}, r.bot.AlertCounts()["alertmanager"])
}

func TestTheSameKeyJoinsItsFault(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.alerts(batch(alert("ledger-1", bot.P3)))
	f := r.fault(1)
	posts := len(r.chat.Texts(f.Channel))

	// Alertmanager sends the group again (group_interval, or a retry):
	// nothing new, nothing recorded, nothing said.
	res := r.alerts(batch(alert("ledger-1", bot.P3)))
	assert.Equal(t, bot.AlertResult{Key: group, Fault: 1, Repeats: 1}, res[0])
	assert.Equal(t, f.Seq, r.fault(1).Seq)
	assert.Len(t, r.chat.Texts(f.Channel), posts)

	// A new alert of the group joins; the war room heard a moment ago, so
	// it hears when the minute is up.
	r.clock.Advance(20 * time.Second)
	res = r.alerts(batch(alert("ledger-1", bot.P3), alert("ledger-2", bot.P3)))
	assert.Equal(t, bot.AlertResult{Key: group, Fault: 1, Firing: 1, Repeats: 1}, res[0])
	assert.Len(t, r.faults(), 1, "one fault per key")
	assert.Len(t, r.chat.Texts(f.Channel), posts, "at most once a minute")
	require.NoError(t, r.bot.Tick(r.ctx))
	assert.Len(t, r.chat.Texts(f.Channel), posts, "not yet")

	r.clock.Advance(25 * time.Second)
	r.alerts(batch(resolved(alert("ledger-1", bot.P3)), alert("ledger-2", bot.P3), alert("ledger-3", bot.P3)))
	r.clock.Advance(15 * time.Second)
	require.NoError(t, r.bot.Tick(r.ctx))
	texts := r.chat.Texts(f.Channel)
	require.Len(t, texts, posts+1, "what changed within the minute, told together")
	assert.Equal(t, "🔔 alertmanager: 2 alerts began firing: Ledger 5xx above 5% (instance=ledger-2); Ledger 5xx above 5% (instance=ledger-3) · "+
		"1 alert resolved: Ledger 5xx above 5% (instance=ledger-1) — 2 of 3 firing now", texts[posts])
	require.NoError(t, r.bot.Tick(r.ctx))
	assert.Len(t, r.chat.Texts(f.Channel), posts+1, "told once")

	// A minute on, news is told at once.
	r.clock.Advance(time.Minute)
	r.alerts(batch(resolved(alert("ledger-3", bot.P3))))
	assert.Equal(t, "🔔 alertmanager: 1 alert resolved: Ledger 5xx above 5% (instance=ledger-3) — 1 of 3 firing now", last(r.chat.Texts(f.Channel)))

	fs := r.fault(1)
	assert.Equal(t, 1, fs.FiringAlerts())
	assert.Equal(t, bot.AlertCount{Processed: 8, Declared: 1, Deduplicated: 7}, r.bot.AlertCounts()["alertmanager"])
	assert.Contains(t, r.say(f.Channel, "ana", "/fault timeline"), "alertmanager: alert resolved: Ledger 5xx above 5%")
}

func last(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

func TestAMoreSevereAlertRegradesUpNeverDown(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.opts.Permissions = bot.DefaultPermissions().With(bot.Permissions{"level": {"commander"}})
	r.open()
	r.alerts(batch(alert("ledger-1", bot.P3)))
	f := r.fault(1)
	assert.Equal(t, bot.P3, f.Level)
	assert.Equal(t, "ben", f.Commander, "P3: the stability contact")

	r.alerts(batch(alert("ledger-1", bot.P3), alert("ledger-2", bot.P4)))
	assert.Equal(t, bot.P3, r.fault(1).Level, "a less severe alert does not re-grade down")

	r.alerts(batch(alert("ledger-1", bot.P3), alert("ledger-3", bot.P1)))
	f = r.fault(1)
	assert.Equal(t, bot.P1, f.Level, "a more severe one re-grades up, whatever permissions: says of people")
	assert.Equal(t, "dee", f.Commander, "the new level's commander rule")
	assert.Contains(t, r.chat.Texts(f.Channel), "re-graded P3 → P1; commander @ben → @dee (P1: on duty rule); invited @dee")

	// A person grades it down: the alerts they have seen do not undo it.
	assert.Contains(t, r.say(f.Channel, "dee", "/fault level P2"), "re-graded P1 → P2")
	r.alerts(batch(alert("ledger-1", bot.P3), alert("ledger-3", bot.P1)))
	assert.Equal(t, bot.P2, r.fault(1).Level, "a person's grading stands against the alerts they saw")
	// A new alert as severe as the one they saw does.
	r.alerts(batch(alert("ledger-4", bot.P1)))
	assert.Equal(t, bot.P1, r.fault(1).Level)

	// Regrade itself keeps an alert to "up".
	res, err := r.bot.Regrade(r.ctx, bot.Actor{Person: bot.Person{ID: "alertmanager"}, Via: bot.ViaAlert}, 1, bot.P4)
	require.NoError(t, err)
	assert.Empty(t, res.Text)
	assert.Equal(t, bot.P1, r.fault(1).Level)
}

func TestAnAlertMayDoOnlyWhatTheSpecGivesIt(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.alerts(batch(alert("ledger-1", bot.P3)))
	a := bot.Actor{Person: bot.Person{ID: "alertmanager"}, Via: bot.ViaAlert}
	_, err := r.bot.Resolve(r.ctx, a, 1, "")
	assert.Equal(t, bot.EFORBIDDEN, bot.ErrorCode(err), "%v", err)
	assert.Contains(t, bot.ErrorMessage(err), "an alert may not /fault resolve")
	_, err = r.bot.AddTask(r.ctx, a, 1, "ana", "look")
	assert.Equal(t, bot.EFORBIDDEN, bot.ErrorCode(err), "%v", err)
	assert.True(t, r.fault(1).Open())
	assert.Contains(t, r.say(r.fault(1).Channel, "ana", "/fault timeline"), "@alertmanager was refused resolve (over alert)")

	// Nor may anyone declare with a service the catalog does not know: only
	// an alert's label gets through.
	assert.Contains(t, r.say("general", "ana", "/fault declare P2 Mystery down service=mystery"), "service=mystery: no such service")
	_, err = r.bot.Declare(r.ctx, bot.DeclareRequest{Actor: "api", Via: bot.ViaAPI, Level: bot.P2, Title: "x", Service: "mystery"})
	assert.Equal(t, bot.EINVALID, bot.ErrorCode(err))
	_, err = r.bot.Declare(r.ctx, bot.DeclareRequest{Actor: "alertmanager", Via: bot.ViaAlert, Level: bot.P2, Title: "x", Service: "mystery"})
	assert.Equal(t, bot.EINVALID, bot.ErrorCode(err), "Declare itself keeps the check; Alerts lets a label through")
}

func TestAllResolvedIsToldAndAutoMitigates(t *testing.T) {
	t.Parallel()
	for _, auto := range []bool{false, true} {
		t.Run(map[bool]string{false: "told", true: "auto_mitigate"}[auto], func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			r.bot.UseAlertPolicy(bot.AlertPolicy{AutoMitigate: auto})
			r.alerts(batch(alert("ledger-1", bot.P2), alert("ledger-2", bot.P2)))
			r.clock.Advance(2 * time.Minute)
			r.alerts(batch(resolved(alert("ledger-1", bot.P2))))
			assert.Equal(t, bot.StatusOpen, r.fault(1).Status, "one still firing")

			r.clock.Advance(2 * time.Minute)
			r.alerts(batch(resolved(alert("ledger-2", bot.P2))))
			f := r.fault(1)
			texts := r.chat.Texts(f.Channel)
			if !auto {
				assert.Equal(t, bot.StatusOpen, f.Status, "a person resolves it")
				assert.Equal(t, "✅ alertmanager: every alert has resolved (2 of 2) — last 1 alert resolved: Ledger 5xx above 5% (instance=ledger-2); /fault resolve when recovery is complete", last(texts))
				return
			}
			assert.Equal(t, bot.StatusMitigated, f.Status)
			assert.Equal(t, "alertmanager", lastEvent(r, 1, bot.EventMitigated).Actor)
			assert.Contains(t, last(texts), "🩹 fault 1 mitigated after 4m0s (every alert has resolved; alerts.auto_mitigate is on)")
			assert.Contains(t, texts[len(texts)-2], "✅ alertmanager: every alert has resolved (2 of 2)")

			// Firing again while mitigated: the same fault hears of it.
			r.clock.Advance(2 * time.Minute)
			r.alerts(batch(alert("ledger-1", bot.P2)))
			assert.Len(t, r.faults(), 1)
			assert.Contains(t, last(r.chat.Texts(f.Channel)), "1 alert began firing, though the fault is marked mitigated")
		})
	}
}

func TestTheGroupResolvedResolvesAlertsItLeftOut(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	// max_alerts: 1 — the second alert is never listed.
	b := batch(alert("ledger-1", bot.P2))
	r.alerts(b)
	b = batch(alert("ledger-2", bot.P2))
	b.Truncated = 1
	r.alerts(b)
	require.Equal(t, 2, r.fault(1).FiringAlerts())
	b = batch(resolved(alert("ledger-1", bot.P2)))
	b.Resolved, b.Truncated = true, 1
	r.clock.Advance(time.Minute)
	res := r.alerts(b)
	assert.Equal(t, 2, res[0].Resolved)
	assert.Equal(t, 0, r.fault(1).FiringAlerts())
	assert.Contains(t, last(r.chat.Texts(r.fault(1).Channel)), "every alert has resolved (2 of 2)")
}

func TestFiringAgainAfterResolveIsANewFault(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.alerts(batch(alert("ledger-1", bot.P2)))
	f := r.fault(1)
	r.clock.Advance(10 * time.Minute)
	r.say(f.Channel, "dee", "/fault resolve fixed the pool")
	assert.Contains(t, strings.Join(r.chat.Texts(f.Channel), "\n"), "after 10m0s, declared by an alert from alertmanager\n", "the summary names the source")

	// A late "resolved" tells nobody: the fault is closed.
	res := r.alerts(batch(resolved(alert("ledger-1", bot.P2))))
	assert.Equal(t, bot.AlertResult{Key: group, Repeats: 1}, res[0])
	assert.Len(t, r.faults(), 1)

	r.clock.Advance(time.Hour)
	res = r.alerts(batch(alert("ledger-1", bot.P2)))
	assert.Equal(t, bot.AlertResult{Key: group, Fault: 2, Declared: true, Earlier: 1, Firing: 1}, res[0])
	g := r.fault(2)
	assert.NotEqual(t, f.Channel, g.Channel)
	assert.Contains(t, r.chat.Texts(g.Channel)[1], "↩ these alerts fired before: fault 1 (Ledger 5xx above 5%), resolved at 14:10:00; this is a new fault")
	assert.Contains(t, r.say(g.Channel, "ana", "/fault timeline"), "↩ these alerts fired before: fault 1", "on the timeline too")
	assert.True(t, r.fault(1).Status == bot.StatusResolved)
}

func TestAnUnknownServiceStillDeclares(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	a := alert("web-1", bot.P2)
	a.Service, a.Cause = "mystery", "queue"
	r.alerts(bot.AlertBatch{Source: "generic", Group: "k", Alerts: []bot.Alert{{Key: "k", Status: bot.AlertFiring, Level: bot.P2, Title: "Mystery down", Service: "mystery", Cause: "enigma"}}})
	f := r.fault(1)
	assert.Equal(t, "mystery", f.Service, "the label's value noted")
	assert.Equal(t, "enigma", f.Cause)
	assert.Equal(t, [][]string{{"dee"}}, r.chat.Invites(f.Channel), "no contacts to invite: the commander only")
	texts := r.chat.Texts(f.Channel)
	assert.Contains(t, texts[0], "Services: affected mystery · suspected cause enigma")
	assert.Contains(t, texts[1], `⚠️ the alert's service "mystery" is not in the catalog, so nobody was invited as its contact: add it under services: in the config, or /fault invite @person`)
	assert.Contains(t, texts[1], `⚠️ the alert's cause "enigma" is not in the catalog`)

	// Known services are not flagged.
	r.alerts(batch(alert("ledger-1", bot.P2)))
	assert.NotContains(t, r.chat.Texts(r.fault(2).Channel)[1], "not in the catalog")
}

func TestPerAlertKeysAreFaultsOfTheirOwn(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	a, b := alert("ledger-1", bot.P2), alert("ledger-2", bot.P3)
	a.Key, b.Key = a.Fingerprint, b.Fingerprint // group: alert
	res := r.alerts(batch(a, b))
	require.Len(t, res, 2)
	assert.True(t, res[0].Declared && res[1].Declared)
	assert.Len(t, r.faults(), 2)
	r.alerts(batch(a, resolved(b)))
	assert.Len(t, r.faults(), 2)
	assert.Equal(t, 0, r.fault(2).FiringAlerts())
	assert.Equal(t, 1, r.fault(1).FiringAlerts())
}

func TestConcurrentDeliveriesOfANewGroupMakeOneFault(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			_, err := r.bot.Alerts(r.ctx, batch(alert("ledger-1", bot.P2), alert([]string{"ledger-2", "ledger-3"}[i%2], bot.P2)))
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	r.bot.Wait()
	require.Len(t, r.faults(), 1)
	assert.Equal(t, 3, r.fault(1).FiringAlerts())
	c := r.bot.AlertCounts()["alertmanager"]
	assert.Equal(t, bot.AlertCount{Processed: 40, Declared: 1, Deduplicated: 38}, c)
}

func TestBadBatchesAreRefused(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	for name, b := range map[string]bot.AlertBatch{
		"no source":    {Group: "g", Alerts: []bot.Alert{alert("a", bot.P2)}},
		"bad source":   {Source: "Alert Manager", Alerts: []bot.Alert{alert("a", bot.P2)}},
		"no alerts":    {Source: "alertmanager"},
		"no key":       batch(bot.Alert{Status: bot.AlertFiring, Level: bot.P2}),
		"bad status":   batch(bot.Alert{Key: "k", Status: "pending", Level: bot.P2}),
		"no level":     batch(bot.Alert{Key: "k", Status: bot.AlertFiring}),
		"bad level":    batch(bot.Alert{Key: "k", Status: bot.AlertFiring, Level: "P0"}),
		"negative cut": {Source: "alertmanager", Alerts: []bot.Alert{alert("a", bot.P2)}, Truncated: -1},
	} {
		_, err := r.bot.Alerts(r.ctx, b)
		assert.Equal(t, bot.EINVALID, bot.ErrorCode(err), "%s: %v", name, err)
		assert.Equal(t, bot.EINVALID, bot.ErrorCode(r.bot.TakeAlerts(r.ctx, b)), name)
	}
	_, err := r.bot.Alerts(r.ctx, batch(bot.Alert{Key: "k", Status: bot.AlertResolved}))
	assert.NoError(t, err, "a resolved alert needs no level")
	assert.Empty(t, r.faults())
}

func TestATitleIsMadeAndKeptShort(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.alerts(bot.AlertBatch{Source: "alertmanager", Group: "g1", Alerts: []bot.Alert{{Key: "g1", Status: bot.AlertFiring, Level: bot.P3, Kind: "DiskFull", Service: "ledger"}}})
	assert.Equal(t, "DiskFull on ledger", r.fault(1).Title, "no summary: the alert name and service")
	r.alerts(bot.AlertBatch{Source: "alertmanager", Group: "g2", Alerts: []bot.Alert{{Key: "g2", Status: bot.AlertFiring, Level: bot.P3, Title: strings.Repeat("é", 400)}}})
	assert.LessOrEqual(t, len(r.fault(2).Title), 300)
	assert.True(t, strings.HasSuffix(r.fault(2).Title, "…"))
}

func TestTakeAlertsKeepsThenActs(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	require.NoError(t, r.bot.Start(ctx))
	for range 3 {
		require.NoError(t, r.bot.TakeAlerts(ctx, batch(alert("ledger-1", bot.P2))))
	}
	r.bot.Wait()
	assert.Len(t, r.faults(), 1)
	pending, err := r.db.Pending(r.ctx, bot.InboxAlerts, 0)
	require.NoError(t, err)
	assert.Empty(t, pending, "all done")
}

// failingInbox is a store whose inbox cannot take anything.
type failingInbox struct{ bot.Store }

func (failingInbox) Put(context.Context, bot.InboxItem) (bool, error) {
	return false, errors.New("disk I/O error")
}
func (failingInbox) Pending(context.Context, string, int) ([]bot.InboxItem, error) { return nil, nil }
func (failingInbox) Done(context.Context, string, string) error                    { return nil }

func TestTakeAlertsWhenTheStoreCannotKeepThem(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	b, err := bot.New(failingInbox{r.db}, r.chat, r.clock, testCatalog(), bot.Options{}, nil)
	require.NoError(t, err)
	err = b.TakeAlerts(r.ctx, batch(alert("ledger-1", bot.P2)))
	assert.Equal(t, bot.EUNAVAILABLE, bot.ErrorCode(err))
	assert.Equal(t, "the store cannot keep alerts now; send them again", bot.ErrorMessage(err), "no internals shown")

	b, err = bot.New(struct{ bot.Store }{r.db}, r.chat, r.clock, testCatalog(), bot.Options{}, nil)
	require.NoError(t, err)
	assert.Equal(t, bot.EUNAVAILABLE, bot.ErrorCode(b.TakeAlerts(r.ctx, batch(alert("ledger-1", bot.P2)))), "no inbox")
	_, err = b.Alerts(r.ctx, batch(alert("ledger-1", bot.P2)))
	assert.Equal(t, bot.EUNAVAILABLE, bot.ErrorCode(err), "no alert index")
}

func TestARestartActsOnWhatWasKeptOnce(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	// The last process kept a delivery (and answered 2xx), then died
	// before acting on it; and one it had acted on.
	kept := func(id string, b bot.AlertBatch) {
		payload, err := json.Marshal(b)
		require.NoError(t, err)
		_, err = r.db.Put(r.ctx, bot.InboxItem{Source: bot.InboxAlerts, ID: id, Payload: payload, Received: r.clock.Now()})
		require.NoError(t, err)
	}
	kept("done-before", batch(alert("ledger-9", bot.P1)))
	require.NoError(t, r.db.Done(r.ctx, bot.InboxAlerts, "done-before"))
	kept("first", batch(alert("ledger-1", bot.P2)))
	kept("second", batch(alert("ledger-1", bot.P2), alert("ledger-2", bot.P2)))
	kept("third", batch(resolved(alert("ledger-1", bot.P2)), alert("ledger-2", bot.P2)))
	_, err := r.db.Put(r.ctx, bot.InboxItem{Source: bot.InboxAlerts, ID: "garbage", Payload: []byte("{not json"), Received: r.clock.Now()})
	require.NoError(t, err)

	start := func() {
		ctx, cancel := context.WithCancel(r.ctx)
		require.NoError(t, r.bot.Start(ctx))
		r.bot.Wait()
		cancel()
	}
	r.open()
	start()
	all := r.faults()
	require.Len(t, all, 1, "acted on, in order")
	f := all[0]
	assert.Equal(t, bot.P2, f.Level, "the delivery done before was not acted on again")
	require.Len(t, f.Alerts, 2)
	assert.False(t, f.Alerts[0].Firing, "first's firing, then third's resolve")
	assert.True(t, f.Alerts[1].Firing)
	seq := f.Seq
	pending, err := r.db.Pending(r.ctx, bot.InboxAlerts, 0)
	require.NoError(t, err)
	assert.Empty(t, pending, "an unreadable delivery is dropped, not retried for ever")

	r.open()
	start()
	assert.Len(t, r.faults(), 1)
	assert.Equal(t, seq, r.fault(f.ID).Seq, "once: nothing acted on twice")
}

func TestATakenDeliveryBeforeStartIsActedOnAtStart(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	// The HTTP server listens before the bot starts: what it takes then is
	// kept, and acted on by Start.
	require.NoError(t, r.bot.TakeAlerts(r.ctx, batch(alert("ledger-1", bot.P2))))
	r.bot.Wait()
	assert.Empty(t, r.faults())
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	require.NoError(t, r.bot.Start(ctx))
	r.bot.Wait()
	assert.Len(t, r.faults(), 1)
}

// flakyStore fails Events a few times: acting on alerts fails, and Tick
// tries again.
type flakyStore struct {
	bot.Store
	mu    sync.Mutex
	fails int
}

func (s *flakyStore) Events(ctx context.Context, id int64) ([]bot.Event, error) {
	s.mu.Lock()
	fail := s.fails > 0
	if fail {
		s.fails--
	}
	s.mu.Unlock()
	if fail {
		return nil, errors.New("database is locked")
	}
	return s.Store.Events(ctx, id)
}

func (s *flakyStore) AlertFault(ctx context.Context, source, key string) (int64, error) {
	return s.Store.(bot.AlertKeys).AlertFault(ctx, source, key)
}

func (s *flakyStore) CreateAlertFault(ctx context.Context, source, key string, events []bot.Event) (int64, bool, error) {
	return s.Store.(bot.AlertKeys).CreateAlertFault(ctx, source, key, events)
}

func (s *flakyStore) Put(ctx context.Context, item bot.InboxItem) (bool, error) {
	return s.Store.(bot.Inbox).Put(ctx, item)
}

func (s *flakyStore) Pending(ctx context.Context, source string, limit int) ([]bot.InboxItem, error) {
	return s.Store.(bot.Inbox).Pending(ctx, source, limit)
}

func (s *flakyStore) Done(ctx context.Context, source, id string) error {
	return s.Store.(bot.Inbox).Done(ctx, source, id)
}

func TestAFailedDeliveryIsTriedAgainOnTick(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.alerts(batch(alert("ledger-1", bot.P2)))
	fs := &flakyStore{Store: r.db}
	b, err := bot.New(fs, r.chat, r.clock, testCatalog(), bot.Options{}, nil)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	require.NoError(t, b.Start(ctx))
	fs.mu.Lock()
	fs.fails = 1
	fs.mu.Unlock()
	require.NoError(t, b.TakeAlerts(ctx, batch(alert("ledger-2", bot.P2))))
	b.Wait()
	assert.Equal(t, 1, r.fault(1).FiringAlerts(), "acting failed")
	pending, err := r.db.Pending(r.ctx, bot.InboxAlerts, 0)
	require.NoError(t, err)
	require.Len(t, pending, 1, "still kept")

	require.NoError(t, b.Tick(ctx))
	b.Wait()
	assert.Equal(t, 2, r.fault(1).FiringAlerts(), "tried again")
	pending, err = r.db.Pending(r.ctx, bot.InboxAlerts, 0)
	require.NoError(t, err)
	assert.Empty(t, pending)
}
