package bot_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/adapters/memory"
	"github.com/warroom/warroom/bot"
)

// authRig is a P2 ledger fault declared by ana: dee commands (on duty), ana
// handles, ben is invited (a contact), cy, eli, fay and gus are outsiders.
// Task #1 is gus's; plan drain-ledger is loaded and run #1 waits for dee.
func authRig(t *testing.T, opts bot.Options) (*rig, *bot.Fault) {
	t.Helper()
	r := &rig{t: t, ctx: t.Context(), clock: bot.NewFakeClock(t0), chat: memory.New(), opts: opts}
	r.open()
	r.withPlans(testPlan())
	f := r.declare("/fault declare P2 Ledger down service=ledger")
	require.Contains(t, r.say(f.Channel, "dee", "/fault task @gus look at the graphs"), "task #1")
	require.Contains(t, r.say(f.Channel, "ana", "/fault run drain-ledger node=ledger-1"), "Run #1")
	return r, r.fault(f.ID)
}

// lastEvent is the newest event on a fault's timeline.
func (r *rig) lastEvent(id int64) bot.Event {
	r.t.Helper()
	evs, err := r.db.Events(r.ctx, id)
	require.NoError(r.t, err)
	return evs[len(evs)-1]
}

func TestEveryRowOfTheAuthorityTable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		command          string // as typed in the war room
		allowed, refused []string
	}{
		{"/fault status", []string{"cy", "ben"}, nil},
		{"/fault roles", []string{"cy"}, nil},
		{"/fault tasks", []string{"cy"}, nil},
		{"/fault timeline", []string{"cy"}, nil},
		{"/fault plans", []string{"cy"}, nil},
		{"/fault runs", []string{"cy"}, nil},
		{"/fault checkin", []string{"cy", "ben"}, nil},
		{"/fault update rolled back", []string{"ben", "dee"}, []string{"cy", "eli"}},
		{"/fault call", []string{"ben"}, []string{"cy"}},
		{"/fault invite @fay", []string{"ben"}, []string{"cy"}},
		{"/fault cause queue", []string{"ben"}, []string{"cy"}},
		{"/fault run drain-ledger node=ledger-2", []string{"ben"}, []string{"cy"}},
		{"/fault role responder @fay", []string{"dee", "ana"}, []string{"ben", "cy"}},
		{"/fault level P1", []string{"dee", "ana"}, []string{"ben", "cy"}},
		{"/fault task @ben check the replica", []string{"dee", "ana"}, []string{"ben", "cy"}},
		{"/fault mitigated", []string{"dee", "ana"}, []string{"ben", "cy"}},
		{"/fault resolve", []string{"dee", "ana"}, []string{"ben", "cy"}},
		{"/fault done 1", []string{"gus", "dee", "ana"}, []string{"ben", "cy"}},
		{"/fault approve 1", []string{"dee"}, []string{"ana", "ben", "cy"}},        // the plan: the commander, not the requester
		{"/fault deny 1 no", []string{"dee", "ana"}, []string{"ben", "cy", "gus"}}, // its approvers, the commander, the requester
	} {
		verb := strings.Fields(tc.command)[1]
		for _, who := range tc.allowed {
			t.Run(verb+"/"+who+"/allowed", func(t *testing.T) {
				t.Parallel()
				r, f := authRig(t, bot.Options{Bridge: "https://meet.test/{id}"})
				got := r.say(f.Channel, who, tc.command)
				assert.NotContains(t, got, "⚠️", tc.command)
				assert.NotEqual(t, bot.EventRefused, r.lastEvent(f.ID).Type)
			})
		}
		for _, who := range tc.refused {
			t.Run(verb+"/"+who+"/refused", func(t *testing.T) {
				t.Parallel()
				r, f := authRig(t, bot.Options{Bridge: "https://meet.test/{id}"})
				got := r.say(f.Channel, who, tc.command)
				require.True(t, strings.HasPrefix(got, "⚠️ "), got)
				assert.NotContains(t, got, "\n")
				assert.Contains(t, got, "only ")
				e := r.lastEvent(f.ID)
				assert.Equal(t, bot.EventRefused, e.Type, "the refusal is on the timeline")
				assert.Equal(t, who, e.Actor)
				assert.Equal(t, verb, e.Via)
				assert.Equal(t, strings.TrimPrefix(got, "⚠️ "), e.Text)
				after := r.fault(f.ID)
				assert.Equal(t, f.Level, after.Level)
				assert.Equal(t, f.Status, after.Status)
				assert.Equal(t, len(f.Tasks), len(after.Tasks))
				assert.Equal(t, len(f.Runs), len(after.Runs))
				assert.Equal(t, f.Runs[0].Status, after.Runs[0].Status)
			})
		}
	}
}

func TestRefusalSaysWhoMayAndIsNotToldToStakeholders(t *testing.T) {
	t.Parallel()
	r, f := authRig(t, bot.Options{})
	r.withPolicy(bot.P2, func(p *bot.LevelPolicy) { p.Notify = recipients("#status") })
	before := len(r.chat.Texts("#status"))
	assert.Equal(t, "⚠️ you may not /fault level: only the commander (@dee) or the handler (@ana) may; ask one of them",
		r.say(f.Channel, "ben", "/fault level P1"))
	assert.Equal(t, "⚠️ you may not /fault update: only participants (invited, or checked in with /fault checkin) may; ask one of them",
		r.say(f.Channel, "cy", "/fault update hello"))
	assert.Equal(t, before, len(r.chat.Texts("#status")), "a refusal is an audit row, not news")
	assert.Contains(t, r.say(f.Channel, "ana", "/fault timeline"), "@cy was refused update: you may not /fault update")
}

func TestTheHijackIsRefused(t *testing.T) {
	t.Parallel()
	r, f := authRig(t, bot.Options{})
	// cy was never invited and holds no role.
	got := r.say(f.Channel, "cy", "/fault role commander @cy")
	assert.Equal(t, "⚠️ you may not /fault role: only the commander (@dee) or the handler (@ana) may; anyone may take a role nobody holds, and commander is @dee's; ask one of them", got)
	assert.Contains(t, r.say(f.Channel, "cy", "/fault approve 1"), "only the commander may approve run #1")
	f = r.fault(f.ID)
	assert.Equal(t, "dee", f.Commander)
	assert.Equal(t, bot.RunPending, f.Runs[0].Status)
	assert.False(t, f.Invited("cy"), "a refused command does not bring one in")
}

func TestAnyoneMayTakeARoleNobodyHoldsAndTheFirstCheckinHandlesAnAlert(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	f, err := r.bot.Declare(r.ctx, bot.DeclareRequest{Actor: "alertmanager", Via: bot.ViaAlert, Level: bot.P2, Title: "Ledger 5xx", Service: "ledger"})
	require.NoError(t, err)
	assert.Empty(t, f.Handler, "an alert is not a human handler")
	assert.False(t, f.Invited("alertmanager"))
	assert.Contains(t, r.say(f.Channel, "ben", "/fault checkin"), "@ben checked in (+0s) — 1 of 3 checked in; the handler now (the first to check in)")
	assert.Equal(t, "ben", r.fault(f.ID).Handler)
	assert.Contains(t, r.chat.Topic(f.Channel), "handler @ben")

	// Nobody is a responder yet: anyone may take that role, even from outside.
	assert.Equal(t, "@eli is now responder", r.say(f.Channel, "eli", "/fault role responder @eli"))
	assert.Contains(t, r.say(f.Channel, "fay", "/fault role responder @fay"), "you may not /fault role", "the role is held now")
	assert.Contains(t, r.say(f.Channel, "fay", "/fault role responder @gus"), "you may not /fault role", "taking is for oneself")

	// Someone not invited who checks in joins as a responder.
	assert.Contains(t, r.say(f.Channel, "gus", "/fault checkin"), "@gus checked in (+0s) — 2 of 5 checked in; joined as a responder")
	assert.True(t, r.fault(f.ID).HasRole("gus", bot.RoleResponder))
}

func TestAnInviteeTypingIsCheckedIn(t *testing.T) {
	t.Parallel()
	r, f := authRig(t, bot.Options{})
	p, _ := f.Participant("ben")
	require.False(t, p.CheckedIn())
	r.clock.Advance(90e9)
	r.say(f.Channel, "ben", "/fault status")
	p, _ = r.fault(f.ID).Participant("ben")
	assert.Equal(t, bot.CheckinPresence, p.CheckinVia)
	assert.Equal(t, t0.Add(90e9), p.CheckedInAt)
	assert.Contains(t, r.say(f.Channel, "ben", "/fault checkin"), "checked in already")
	r.say(f.Channel, "cy", "/fault status")
	assert.False(t, r.fault(f.ID).Invited("cy"), "reading as an outsider is not joining")
}

func TestPermissionsConfigChangesARow(t *testing.T) {
	t.Parallel()
	perms := bot.DefaultPermissions().With(bot.Permissions{
		"resolve": {"commander"}, "level": {"commander", "handler", "responder"}, "update": {"@gus", "handler"}, "declare": {"ana"},
	})
	r, f := authRig(t, bot.Options{Permissions: perms})
	assert.Contains(t, r.say(f.Channel, "ana", "/fault resolve"), "you may not /fault resolve: only the commander (@dee) may")
	assert.Contains(t, r.say(f.Channel, "ben", "/fault update x"), "only @gus or the handler (@ana) may")
	assert.Contains(t, r.say(f.Channel, "gus", "/fault update from gus"), "update #1 from @gus")
	r.say(f.Channel, "ana", "/fault role responder @cy")
	assert.Contains(t, r.say(f.Channel, "cy", "/fault level P3"), "re-graded P2 → P3")
	assert.Contains(t, r.say("general", "ben", "/fault declare P4 x"), "you may not /fault declare: only @ana may")
	assert.Contains(t, r.say(f.Channel, "ben", "/fault resolve"), "resolved", "P3: ben, the stability contact, commands now")
}

func TestAStaleApprovalDoesNotCount(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	p := testPlan()
	p.Approval = bot.Approval{Roles: []bot.Role{bot.RoleCommander, bot.RoleHandler}, Count: 2}
	p.Steps = p.Steps[:1]
	fr := r.withPlans(p)
	ch := r.declare("/fault declare P2 Ledger down service=ledger").Channel
	r.say(ch, "ben", "/fault run drain-ledger node=ledger-1")
	assert.Contains(t, r.say(ch, "ana", "/fault approve 1"), "@ana approved run #1 (drain-ledger): 1 more approval needed, from @dee")
	r.say(ch, "dee", "/fault role handler @fay") // ana no longer handles
	assert.Contains(t, r.say(ch, "dee", "/fault approve 1"),
		"@dee approved run #1 (drain-ledger): 1 more approval needed, from @fay (@ana's approval no longer counts: no longer commander or handler)")
	r.bot.Wait()
	assert.Empty(t, fr.Calls())
	assert.Equal(t, bot.RunPending, r.fault(1).Runs[0].Status)
	assert.Contains(t, r.say(ch, "fay", "/fault approve 1"), "approved by @dee, @fay — starting")
	r.bot.Wait()
	assert.Len(t, fr.Calls(), 1)
}

func TestARegradeBetweenRequestAndStartIsSeen(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	p := testPlan()
	p.Impact, p.Approval.Roles, p.Steps = bot.P2, []bot.Role{bot.RoleHandler}, p.Steps[:1]
	fr := r.withPlans(p)
	ch := r.declare("/fault declare P2 Ledger down service=ledger").Channel
	r.say(ch, "ben", "/fault run drain-ledger node=ledger-1") // P2 on a P2 fault: no override needed
	r.say(ch, "ana", "/fault level P3")
	got := r.say(ch, "ana", "/fault approve 1")
	assert.Equal(t, `⚠️ run #1 cannot start: fault 1 is now P3, and plan drain-ledger may itself cause P2-level impact; deny it and ask again with override="<reason>"`, got)
	assert.Equal(t, bot.EventRefused, r.lastEvent(1).Type)
	assert.Equal(t, bot.RunPending, r.fault(1).Runs[0].Status)
	r.say(ch, "ana", "/fault level P2")
	assert.Contains(t, r.say(ch, "ana", "/fault approve 1"), "starting")
	r.bot.Wait()
	assert.Len(t, fr.Calls(), 1)
}

func TestSimultaneousApprovalsStartOneRun(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	p := testPlan()
	p.Steps = p.Steps[:1]
	p.Approval = bot.Approval{Roles: []bot.Role{bot.RoleCommander, bot.RoleHandler, bot.RoleResponder}, Count: 1}
	fr := r.withPlans(p)
	f := r.declare("/fault declare P2 Ledger down service=ledger")
	r.say(f.Channel, "ana", "/fault role responder @cy")
	r.say(f.Channel, "ben", "/fault run drain-ledger node=ledger-1")
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, who := range []string{"dee", "ana", "cy"} {
		wg.Go(func() {
			_, err := r.bot.Approve(r.ctx, bot.Actor{Person: bot.Person{ID: who}, Via: bot.ViaAPI}, f.ID, 1)
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		})
	}
	wg.Wait()
	r.bot.Wait()
	var ok int
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			// The others find it running, or done already if the runner was quick.
			assert.Regexp(t, `run #1 (was approved \(by @\w+\) and is running|is over: succeeded)`, bot.ErrorMessage(err))
		}
	}
	assert.Equal(t, 1, ok)
	evs, err := r.db.Events(r.ctx, f.ID)
	require.NoError(t, err)
	started := 0
	for _, e := range evs {
		if e.Type == bot.EventRunStarted {
			started++
		}
	}
	assert.Equal(t, 1, started)
	assert.Len(t, fr.Calls(), 1)
}

func TestUseCasesOutsideChat(t *testing.T) {
	t.Parallel()
	r, f := authRig(t, bot.Options{})
	api := func(id string) bot.Actor { return bot.Actor{Person: bot.Person{ID: id}, Via: bot.ViaAPI} }

	_, err := r.bot.Update(r.ctx, api("cy"), f.ID, "hello")
	assert.Equal(t, bot.EFORBIDDEN, bot.ErrorCode(err))
	e := r.lastEvent(f.ID)
	assert.Equal(t, "api", e.Origin, "the audit row says where the command came from")
	assert.Contains(t, e.Describe(), "@cy was refused update (over api): you may not")

	res, err := r.bot.Regrade(r.ctx, api("dee"), f.ID, "p1")
	require.NoError(t, err)
	assert.Equal(t, bot.P1, res.Fault.Level, "the level is normalised before it is recorded")
	assert.Equal(t, "re-graded P2 → P1; commander stays @dee", res.Text)
	_, err = r.bot.Update(r.ctx, api("ben"), f.ID, "from the CI")
	require.NoError(t, err)
	p, _ := r.fault(f.ID).Participant("ben")
	assert.False(t, p.CheckedIn(), "an API call is not presence in the war room")

	_, err = r.bot.ResolvePerson(r.ctx, "<@U999>")
	assert.Equal(t, bot.EINVALID, bot.ErrorCode(err), "outside chat a mention names no one the catalog knows")
	_, err = r.bot.RequestRun(r.ctx, api("cy"), f.ID, bot.RunRequest{Plan: "no-such-plan"})
	assert.Equal(t, bot.EFORBIDDEN, bot.ErrorCode(err), "who may comes before what exists")
	_, err = r.bot.Update(r.ctx, api("ben"), 99, "x")
	assert.Equal(t, bot.ENOTFOUND, bot.ErrorCode(err))
}
