package bot_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

// The store refuses events by actors it was not told of (issue 15); the
// core tells it of the catalog's people and of whoever it acts for, so
// that nothing warroom itself does is refused.

func TestStartTellsTheStoreTheCatalog(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	require.NoError(t, r.bot.Start(ctx))
	defer r.bot.Wait()

	d := bot.Event{Type: bot.EventDeclared, At: t0, Actor: "eli", Level: bot.P3, Text: "by a catalog person"}
	id, err := r.db.CreateFault(r.ctx, []bot.Event{d})
	require.NoError(t, err, "eli is in the catalog")
	err = r.db.Append(r.ctx, id, 1, []bot.Event{{Type: bot.EventRunApproved, At: t0, Actor: "mallory", Run: 1}})
	assert.Equal(t, `event by unknown actor "mallory" refused: add them to the catalog`, bot.ErrorMessage(err))
}

func TestAPersonNotInTheCatalogMayStillAct(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	reply := r.say("general", "zed", "/fault declare P3 Reports are late service=reports")
	require.Contains(t, reply, "declared fault", "anyone may declare")
	f := r.fault(1)
	assert.Equal(t, "zed", f.DeclaredBy)
	r.say(f.Channel, "yan", "/fault checkin")
	pt, ok := r.fault(1).Participant("yan")
	require.True(t, ok)
	assert.True(t, pt.CheckedIn(), "someone not invited joins as a responder")

	// The store knows them now, and nobody else it was not told of.
	require.NoError(t, r.db.Append(r.ctx, 1, r.fault(1).Seq, []bot.Event{{Type: bot.EventUpdate, At: t0, Actor: "zed", Text: "still late"}}))
	err := r.db.Append(r.ctx, 1, r.fault(1).Seq, []bot.Event{{Type: bot.EventUpdate, At: t0, Actor: "xan"}})
	assert.Equal(t, bot.EINVALID, bot.ErrorCode(err), "%v", err)
}

func TestAnAlertSourceMayAct(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.alerts(bot.AlertBatch{Source: "grafana", Group: "g1", Alerts: []bot.Alert{{Key: "g1", Status: bot.AlertFiring, Level: bot.P3, Title: "Disk full", Service: "ledger"}}})
	f := r.fault(1)
	assert.Equal(t, "grafana", f.DeclaredBy)
	r.alerts(bot.AlertBatch{Source: "grafana", Group: "g1", Alerts: []bot.Alert{{Key: "g1", Status: bot.AlertResolved, Title: "Disk full"}}})
	assert.Equal(t, 0, r.fault(1).FiringAlerts())
}

func TestCatalogActors(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []string{"ana", "ben", "cy", "dee", "eli", "fay", "gus", bot.ActorBot}, bot.CatalogActors(testCatalog()))
	assert.Equal(t, []string{bot.ActorBot}, bot.CatalogActors(nil))
}
