package httpapi_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/httpapi"
)

func TestWritesNeedAValidToken(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	id := r.declare()
	before := r.fault(id).Seq
	for _, tc := range []struct{ name, auth, want string }{
		{"no header", "", "this needs a token"},
		{"wrong token", "Bearer tok-ana-000000000000", "that token is not one of api_tokens"},
		{"a valid token's prefix", "Bearer " + token("ana")[:10], "that token is not one of api_tokens"},
		{"a valid token, longer", "Bearer " + token("ana") + "x", "that token is not one of api_tokens"},
		{"another scheme", "Basic " + token("ana"), "this needs a token"},
		{"empty bearer", "Bearer ", "this needs a token"},
	} {
		for _, path := range []string{"/api/incidents", "/api/incidents/1/update"} {
			req, err := http.NewRequest(http.MethodPost, r.url+path, strings.NewReader(`{"text":"x","level":"P1","title":"x"}`))
			require.NoError(t, err)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			a := r.do(req)
			assert.Equal(t, http.StatusUnauthorized, a.Status, tc.name)
			assert.Equal(t, "Bearer", a.Header.Get("WWW-Authenticate"), tc.name)
			assert.Contains(t, a.Error, tc.want, tc.name)
			assert.Contains(t, a.Error, "api_tokens in warroom's config", tc.name)
			assert.Equal(t, "unauthorized", a.Code)
			assert.NotContains(t, a.Raw, "tok-", "the token is never echoed")
		}
	}
	assert.Equal(t, before, r.fault(id).Seq, "nothing was recorded")
	faults, err := r.db.Faults(r.ctx, bot.FaultFilter{})
	require.NoError(t, err)
	assert.Len(t, faults, 1, "nothing was declared")

	assert.Equal(t, http.StatusOK, r.cmd("ana", id, "update", `{"text":"rolled back"}`).Status)
	logs := r.logs.String()
	assert.Contains(t, logs, "api write without a valid token")
	assert.Contains(t, logs, "token_name=ci-ana", "a valid write logs the token's name")
	assert.NotContains(t, logs, "tok-", "no token, right or wrong, is ever logged")
}

func TestWritesWithoutACore(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	srv := &httpapi.Server{Store: r.db, Tokens: []bot.APIToken{{Name: "ci", Token: token("ana"), Person: "ana"}}}
	for _, path := range []string{"/api/incidents", "/api/incidents/1/update"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(`{}`))
		req.Header.Set("Authorization", "Bearer "+token("ana"))
		srv.Handler().ServeHTTP(rec, req)
		assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
		assert.Contains(t, rec.Body.String(), "this server has no core to run commands")
	}
}

func TestDeclareOverHTTP(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	req, err := http.NewRequest(http.MethodPost, r.url+"/api/incidents",
		strings.NewReader(`{"level":"p2","title":"Ledger writes time out","service":"ledger","cause":"queue","kind":"db-data-error"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token("ben"))
	req.Header.Set("Content-Type", "text/plain") // a JSON body is what counts
	a := r.do(req)
	require.Equal(t, http.StatusCreated, a.Status, a.Raw)
	inc := a.Incident
	require.NotNil(t, inc)
	assert.Equal(t, int64(1), inc.Fault.ID)
	assert.Equal(t, bot.P2, inc.Fault.Level, "the level is read as chat reads it")
	assert.Equal(t, "Ledger writes time out", inc.Fault.Title)
	assert.Equal(t, "queue", inc.Fault.Cause)
	assert.Equal(t, "db-data-error", inc.Fault.Kind)
	assert.Equal(t, "ben", inc.Fault.DeclaredBy)
	assert.Equal(t, "ben", inc.Roles.Handler)
	assert.Equal(t, "dee", inc.Roles.Commander)
	assert.Equal(t, "fault-1-ledger-writes-time-out", inc.Fault.Channel)
	assert.NotEmpty(t, inc.Timeline)

	// The same document as GET /api/incidents/1.
	resp, err := http.Get(r.url + "/api/incidents/1")
	require.NoError(t, err)
	var got httpapi.Incident
	require.NoError(t, jsonDecode(resp, &got))
	assert.Equal(t, *inc, got)

	for _, tc := range []struct{ body, want string }{
		{`{"level":"P5","title":"x"}`, `level: unknown level "P5": use P1, P2, P3 or P4`},
		{`{"title":"x"}`, "level: a level is needed"},
		{`{"level":"P2"}`, "a title is needed"},
		{`{"level":"P2","title":"x","service":"ledgr"}`, `service=ledgr: no such service; did you mean ledger?`},
		{`{"level":"P2","title":"x","sevice":"ledger"}`, `unknown field "sevice"; POST /api/incidents takes the fields level, title, service, cause, kind`},
	} {
		a := r.post("ana", "/api/incidents", tc.body)
		assert.Equal(t, http.StatusBadRequest, a.Status, tc.body)
		assert.Contains(t, a.Error, tc.want, tc.body)
		assert.Equal(t, "invalid", a.Code)
	}

	// The platform failing does not undo the declaration: 201, with a warning.
	r.chat.FailNext("CreateChannel", errors.New("missing_scope"))
	a = r.post("ana", "/api/incidents", `{"level":"P3","title":"Queue slow","service":"queue"}`)
	assert.Equal(t, http.StatusCreated, a.Status)
	assert.Contains(t, a.Warning, "declared fault 2 (P3) but its war-room channel could not be created: missing_scope")
	assert.Equal(t, int64(2), a.Incident.Fault.ID)
}

func TestBodiesAndRoutes(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	id := r.declare()
	for _, tc := range []struct {
		command, body string
		status        int
		want          string
	}{
		{"update", `{"txt":"x"}`, 400, `unknown field "txt"; POST /api/incidents/{id}/update takes the fields text`},
		{"checkin", `{"now":true}`, 400, `unknown field "now"; POST /api/incidents/{id}/checkin takes no fields: send {} or nothing`},
		{"update", `{"text":`, 400, "the body is not JSON"},
		{"update", `["x"]`, 400, "the body is a JSON array; POST /api/incidents/{id}/update takes an object: the fields text"},
		{"update", `{"text":"a"} {"text":"b"}`, 400, "more than one JSON value"},
		{"done", `{"task":"one"}`, 400, "task: a number is needed, not a JSON string"},
		{"update", `{"text":"` + strings.Repeat("x", 64<<10) + `"}`, 413, "the body is over 64 KiB"},
		{"update", ``, 400, "the update's text is needed" /* empty body = {} */},
		{"page", `{}`, 404, `there is no command "page" to POST; the commands are approve, call, cause, checkin, deny, done, invite, level, mitigated, resolve, role, run, task, update`},
		{"status", `{}`, 404, "reads are GET /api/incidents/1"},
		{"role", `{"role":"responder","person":"@benn"}`, 400, `person: unknown person "benn"; did you mean ben?`},
		{"invite", `{"people":["cy","anna"]}`, 400, `people: unknown person "anna"; did you mean ana?`},
		{"role", `{"role":"comander","person":"cy"}`, 400, `unknown role "comander"; did you mean commander?`},
	} {
		a := r.cmd("ana", id, tc.command, tc.body)
		assert.Equal(t, tc.status, a.Status, tc.command+" "+tc.body[:min(len(tc.body), 40)])
		assert.Contains(t, a.Error, tc.want)
	}
	a := r.post("ana", "/api/incidents/x/update", `{"text":"x"}`)
	assert.Equal(t, http.StatusBadRequest, a.Status)
	assert.Contains(t, a.Error, `"x" is not a fault id`)
	assert.Equal(t, http.StatusOK, r.cmd("ana", id, "update", `{"text":"rolled back"}`).Status, "the person's @ is optional, a body may be JSON of any content type")
}

func TestEveryCommandOverHTTP(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.withPlan(bot.P3, bot.Approval{Roles: []bot.Role{bot.RoleCommander}, Count: 1})
	id := r.declare() // dee commands, ana handles, ben invited
	for _, tc := range []struct{ person, command, body, want string }{
		{"ben", "checkin", ``, "✅ @ben checked in (+0s) — 2 of 3 checked in"},
		{"ana", "role", `{"role":"responder","person":"@cy"}`, "@cy is now responder"},
		{"ana", "invite", `{"people":["fay","@gus"]}`, "invited @fay, @gus"},
		{"ben", "invite", `{"service":"reports"}`, "everyone named is already in the war room"},
		{"ben", "cause", `{"service":"queue"}`, "suspected cause: — → queue; its contacts are already here"},
		{"dee", "level", `{"level":"p1"}`, "re-graded P2 → P1; commander stays @dee"},
		{"dee", "task", `{"person":"gus","text":"look at the graphs"}`, "📋 task #1 for @gus: look at the graphs"},
		{"gus", "done", `{"task":1}`, "☑️ task #1 done: look at the graphs — 0 open"},
		{"ben", "update", `{"text":"rolled back"}`, "📣 update #1 from @ben: rolled back"},
		{"cy", "call", `{}`, "🎧 conference bridge for fault 1: https://meet.test/1"},
		{"ana", "run", `{"plan":"drain-ledger","params":{"node":"ledger-1"}}`, "Run #1: plan drain-ledger"},
		{"dee", "deny", `{"run":1,"reason":"wrong node"}`, "🚫 run #1 (drain-ledger) denied by @dee: wrong node"},
		{"ana", "run", `{"plan":"drain-ledger","params":{"node":"ledger-2"}}`, "Run #2"},
		{"dee", "approve", `{"run":2}`, "✅ run #2 (drain-ledger) approved by @dee — starting"},
		{"ana", "mitigated", `{"note":"writes succeed"}`, "🩹 fault 1 mitigated after 0s (writes succeed)"},
		{"ana", "resolve", `{"note":"pool size"}`, "fault 1 resolved: Ledger down (P1, graded P2 → P1)"},
	} {
		a := r.cmd(tc.person, id, tc.command, tc.body)
		require.Equal(t, http.StatusOK, a.Status, "%s %s: %s", tc.person, tc.command, a.Raw)
		assert.Contains(t, a.Text, tc.want, tc.command)
		require.NotNil(t, a.Incident, tc.command)
		assert.Equal(t, id, a.Incident.Fault.ID)
	}
	r.bot.Wait()
	assert.Equal(t, 1, r.runner.Calls(), "the approved run ran")
	f := r.fault(id)
	assert.Equal(t, bot.StatusResolved, f.Status)
	assert.Equal(t, []string{"cy"}, f.Responders)
	assert.Equal(t, "queue", f.Cause)
	assert.Equal(t, bot.P1, f.Level, "the level is normalised as chat does")
	for _, e := range r.events(id, bot.EventCheckedIn) {
		if e.Person == "ben" {
			assert.Equal(t, bot.CheckinAPI, e.Via)
		}
	}
	texts := strings.Join(r.chat.Texts(f.Channel), "\n")
	assert.Contains(t, texts, "📣 update #1 from @ben: rolled back", "the war room was told")
}

func TestErrorsMapToStatuses(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	id := r.declare()

	a := r.cmd("ana", 99, "update", `{"text":"x"}`)
	assert.Equal(t, http.StatusNotFound, a.Status)
	assert.Equal(t, "not_found", a.Code)
	assert.Contains(t, a.Error, "fault 99 not found")

	// A bad level: the very message chat gives.
	ch := r.fault(id).Channel
	r.bot.HandleMessage(r.ctx, bot.Incoming{Channel: ch, User: "ana", Text: "/fault level P0"})
	texts := r.chat.Texts(ch)
	chat := strings.TrimPrefix(texts[len(texts)-1], "⚠️ ")
	a = r.cmd("ana", id, "level", `{"level":"P0"}`)
	assert.Equal(t, http.StatusBadRequest, a.Status)
	assert.Equal(t, chat, a.Error)
	assert.Equal(t, `unknown level "P0": use P1, P2, P3 or P4 (P1 is the worst). Type: /fault level P1|P2|P3|P4`, a.Error)

	// The summary cannot be posted: resolved and recorded, 200 with a warning.
	r.chat.FailNext("Post", errors.New("channel_not_found"))
	a = r.cmd("ana", id, "resolve", `{}`)
	assert.Equal(t, http.StatusOK, a.Status)
	assert.Equal(t, "fault 1 resolved after 0s", a.Text)
	assert.Contains(t, a.Warning, "fault 1 is resolved, but the summary could not be posted: channel_not_found")
	assert.Equal(t, bot.StatusResolved, a.Incident.Fault.Status)

	a = r.cmd("ana", id, "update", `{"text":"more"}`)
	assert.Equal(t, http.StatusConflict, a.Status)
	assert.Equal(t, "conflict", a.Code)
	assert.Contains(t, a.Error, "fault 1 was resolved at 14:00:00")

	// Nothing done: a failure that is not a warning is 503.
	r = newRigWith(t, false)
	r.withPlan(bot.P3, bot.Approval{Roles: []bot.Role{bot.RoleCommander}, Count: 1})
	id = r.declare()
	a = r.cmd("ana", id, "run", `{"plan":"drain-ledger","params":{"node":"ledger-1"}}`)
	assert.Equal(t, http.StatusServiceUnavailable, a.Status)
	assert.Equal(t, "unavailable", a.Code)
	assert.Contains(t, a.Error, "plans cannot run here")
}
