package httpapi_test

import (
	"net/http"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

// The permissions table, through HTTP: on a fresh fault each (dee commands,
// ana handles, ben is a participant with no role, cy is not invited), one
// person who may gets 200, one who may not 403 and a refusal on the
// timeline.
func TestAuthorityTableOverHTTP(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.withPlan(bot.P3, bot.Approval{Roles: []bot.Role{bot.RoleCommander}, Count: 1})
	for _, tc := range []struct {
		command, body string
		setup         func(id int64)
		may, mayNot   []string
	}{
		// participants
		{command: "update", body: `{"text":"x"}`, may: []string{"ben"}, mayNot: []string{"cy"}},
		{command: "call", body: `{}`, may: []string{"ben"}, mayNot: []string{"cy"}},
		{command: "invite", body: `{"people":["fay"]}`, may: []string{"ben"}, mayNot: []string{"cy"}},
		{command: "cause", body: `{"service":"reports"}`, may: []string{"ben"}, mayNot: []string{"cy"}},
		{command: "run", body: `{"plan":"drain-ledger","params":{"node":"ledger-1"}}`, may: []string{"ben"}, mayNot: []string{"cy"}},
		// the commander or the handler
		{command: "role", body: `{"role":"responder","person":"gus"}`, may: []string{"dee"}, mayNot: []string{"ben", "cy"}},
		{command: "role", body: `{"role":"commander","person":"gus"}`, may: []string{"ana"}},
		{command: "level", body: `{"level":"P1"}`, may: []string{"dee"}, mayNot: []string{"ben", "cy"}},
		{command: "level", body: `{"level":"P3"}`, may: []string{"ana"}},
		{command: "task", body: `{"person":"gus","text":"x"}`, may: []string{"dee", "ana"}, mayNot: []string{"ben", "cy"}},
		{command: "mitigated", body: `{}`, may: []string{"dee"}, mayNot: []string{"ben", "cy"}},
		{command: "resolve", body: `{}`, may: []string{"ana"}, mayNot: []string{"ben", "cy"}},
		// the task's assignee, the commander or the handler
		{command: "done", body: `{"task":1}`, setup: r.tasksFor("gus"), may: []string{"gus"}, mayNot: []string{"ben", "cy"}},
		{command: "done", body: `{"task":1}`, setup: r.tasksFor("gus"), may: []string{"dee"}},
		{command: "done", body: `{"task":1}`, setup: r.tasksFor("gus"), may: []string{"ana"}},
	} {
		id := r.declare()
		if tc.setup != nil {
			tc.setup(id)
		}
		for _, p := range tc.mayNot {
			a := r.cmd(p, id, tc.command, tc.body)
			assert.Equal(t, http.StatusForbidden, a.Status, "%s %s: %s", p, tc.command, a.Raw)
			assert.Equal(t, "forbidden", a.Code)
			assert.Contains(t, a.Error, "you may not /fault "+tc.command+": only ")
			assert.True(t, r.refused(id, p, tc.command), "%s %s: a refusal on the timeline", p, tc.command)
		}
		for _, p := range tc.may {
			a := r.cmd(p, id, tc.command, tc.body)
			assert.Equal(t, http.StatusOK, a.Status, "%s %s: %s", p, tc.command, a.Raw)
			assert.False(t, r.refused(id, p, tc.command), "%s %s", p, tc.command)
		}
		// The timeline over GET shows the refusals too.
		resp, err := http.Get(r.url + incidentPath(id))
		require.NoError(t, err)
		var inc struct{ Timeline []bot.Event }
		require.NoError(t, jsonDecode(resp, &inc))
		n := 0
		for _, e := range inc.Timeline {
			if e.Type == bot.EventRefused {
				n++
			}
		}
		assert.Equal(t, len(tc.mayNot), n, tc.command)
	}
}

// tasksFor gives person task #1 on a fault, as its commander.
func (r *rig) tasksFor(person string) func(id int64) {
	return func(id int64) {
		r.t.Helper()
		a := r.cmd("dee", id, "task", `{"person":"`+person+`","text":"look at the graphs"}`)
		require.Equal(r.t, http.StatusOK, a.Status, a.Raw)
	}
}

func TestAnyoneMayTakeAVacantRole(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	// An alert's fault: the policy's commander (dee), no handler.
	f, err := r.bot.Declare(r.ctx, bot.DeclareRequest{Actor: "alertmanager", Level: bot.P2, Title: "5xx on ledger", Service: "ledger", Via: bot.ViaAlert})
	require.NoError(t, err)
	require.Empty(t, f.Handler)

	a := r.cmd("cy", f.ID, "role", `{"role":"handler","person":"cy"}`)
	assert.Equal(t, http.StatusOK, a.Status, a.Raw)
	assert.Equal(t, "cy", a.Incident.Roles.Handler)

	// A role someone holds is not taken by asking.
	a = r.cmd("eli", f.ID, "role", `{"role":"commander","person":"eli"}`)
	assert.Equal(t, http.StatusForbidden, a.Status, a.Raw)
	assert.Contains(t, a.Error, "anyone may take a role nobody holds, and commander is @dee's")
	assert.True(t, r.refused(f.ID, "eli", "role"))
	// Nor is a vacant role given to someone else by one who may not.
	a = r.cmd("eli", f.ID, "role", `{"role":"handler","person":"gus"}`)
	assert.Equal(t, http.StatusForbidden, a.Status, a.Raw)
	assert.Equal(t, "dee", r.fault(f.ID).Commander)
	assert.Equal(t, "cy", r.fault(f.ID).Handler)
}

func TestStaleApprovalDoesNotCount(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.withPlan(bot.P3, bot.Approval{Roles: []bot.Role{bot.RoleCommander, bot.RoleHandler}, Count: 2})
	id := r.declare()
	require.Equal(t, http.StatusOK, r.cmd("ben", id, "run", `{"plan":"drain-ledger","params":{"node":"ledger-1"}}`).Status)

	a := r.cmd("ana", id, "approve", `{"run":1}`)
	require.Equal(t, http.StatusOK, a.Status, a.Raw)
	assert.Contains(t, a.Text, "1 more approval needed")
	a = r.cmd("dee", id, "role", `{"role":"handler","person":"cy"}`) // ana is no longer handler
	require.Equal(t, http.StatusOK, a.Status, a.Raw)

	a = r.cmd("dee", id, "approve", `{"run":1}`)
	require.Equal(t, http.StatusOK, a.Status, a.Raw)
	assert.Contains(t, a.Text, "1 more approval needed")
	assert.Contains(t, a.Text, "@ana's approval no longer counts")
	assert.Empty(t, r.events(id, bot.EventRunStarted), "the run does not start")
	assert.Equal(t, bot.RunPending, a.Incident.Runs[0].Status)
	r.bot.Wait()
	assert.Zero(t, r.runner.Calls())
}

func TestRegradeIsJudgedAgainAtApproval(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.withPlan(bot.P2, bot.Approval{Roles: []bot.Role{bot.RoleCommander}, Count: 1})
	id := r.declare() // P2: a P2 plan needs no override
	require.Equal(t, http.StatusOK, r.cmd("ana", id, "run", `{"plan":"drain-ledger","params":{"node":"ledger-1"}}`).Status)
	a := r.cmd("ana", id, "level", `{"level":"P3"}`)
	require.Equal(t, http.StatusOK, a.Status, a.Raw)
	require.Equal(t, "ben", a.Incident.Roles.Commander, "P3: the stability contact commands")

	a = r.cmd("ben", id, "approve", `{"run":1}`)
	assert.Equal(t, http.StatusForbidden, a.Status, a.Raw)
	assert.Contains(t, a.Error, "run #1 cannot start: fault 1 is now P3, and plan drain-ledger may itself cause P2-level impact")
	assert.True(t, r.refused(id, "ben", "approve"))
	assert.Empty(t, r.events(id, bot.EventRunStarted))
	r.bot.Wait()
	assert.Zero(t, r.runner.Calls())
}

func TestSimultaneousApprovalsStartOneRun(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.withPlan(bot.P3, bot.Approval{Roles: []bot.Role{bot.RoleCommander, bot.RoleHandler, bot.RoleResponder}, Count: 1, Self: true})
	id := r.declare()
	require.Equal(t, http.StatusOK, r.cmd("ana", id, "role", `{"role":"responder","person":"ben"}`).Status)
	require.Equal(t, http.StatusOK, r.cmd("ana", id, "run", `{"plan":"drain-ledger","params":{"node":"ledger-1"}}`).Status)

	release := r.runner.Hold() // the run stays running while the others ask
	t.Cleanup(release)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		statuses []int
	)
	for _, p := range []string{"dee", "ana", "ben"} {
		wg.Go(func() {
			a := r.cmd(p, id, "approve", `{"run":1}`)
			mu.Lock()
			statuses = append(statuses, a.Status)
			mu.Unlock()
		})
	}
	wg.Wait()
	release()
	r.bot.Wait()
	sort.Ints(statuses)
	assert.Equal(t, []int{http.StatusOK, http.StatusConflict, http.StatusConflict}, statuses, "one approves; the others find it running")
	assert.Len(t, r.events(id, bot.EventRunStarted), 1)
	assert.Len(t, r.events(id, bot.EventRunApproved), 1)
	assert.Equal(t, 1, r.runner.Calls())
}
