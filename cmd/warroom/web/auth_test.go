package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

func last(evs []bot.Event) bot.Event { return evs[len(evs)-1] }

// TestFormsRunTheCore: on loopback a form names whom it acts as, runs the
// API's command through the core, and answers 303 back to the page.
func TestFormsRunTheCore(t *testing.T) {
	t.Parallel()
	r := newRig(t, false)
	r.fixture()
	b := r.browser()
	csrf := b.csrf("/incidents/1")

	p := b.post("/incidents/1/checkin", url.Values{"csrf": {csrf}, "as": {"cy"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	assert.Equal(t, "/incidents/1", p.Header.Get("Location"))
	f, err := bot.LoadFault(r.ctx, r.db, 1)
	require.NoError(t, err)
	for _, pt := range f.Participants {
		if pt.Person == "cy" {
			assert.Equal(t, bot.CheckinWeb, pt.CheckinVia)
		}
	}
	require.Equal(t, http.StatusSeeOther, b.post("/incidents/1/update", url.Values{"csrf": {csrf}, "as": {"ben"}, "text": {"writes back"}}).Status)
	e := last(r.events(1))
	assert.Equal(t, bot.EventUpdate, e.Type)
	assert.Equal(t, "ben", e.Actor)
	assert.Equal(t, "writes back", e.Text)
	assert.Contains(t, section(t, b.get("/incidents/1").Body, "timeline"), "writes back")

	require.Equal(t, http.StatusSeeOther, b.post("/incidents/1/mitigated", url.Values{"csrf": {csrf}, "as": {"dee"}, "note": {"errors gone"}}).Status)
	require.Equal(t, http.StatusSeeOther, b.post("/incidents/1/resolve", url.Values{"csrf": {csrf}, "as": {"dee"}, "note": {"pool size"}}).Status)
	r.bot.Wait()
	f, err = bot.LoadFault(r.ctx, r.db, 1)
	require.NoError(t, err)
	assert.Equal(t, bot.StatusResolved, f.Status)
	assert.False(t, f.MitigatedAt.IsZero())

	// Refused by the core: the page again, saying why, nothing recorded.
	n := len(r.events(1))
	p = b.post("/incidents/1/update", url.Values{"csrf": {csrf}, "as": {"ben"}, "text": {"late"}})
	assert.Equal(t, http.StatusConflict, p.Status)
	assert.Contains(t, section(t, p.Body, "error"), "fault 1 was resolved")
	assert.Len(t, r.events(1), n)
}

func TestFormsNeedAPerson(t *testing.T) {
	t.Parallel()
	r := newRig(t, false)
	r.fixture()
	b := r.browser()
	csrf := b.csrf("/incidents/1")
	n := len(r.events(1))
	p := b.post("/incidents/1/update", url.Values{"csrf": {csrf}, "text": {"who?"}})
	assert.Equal(t, http.StatusBadRequest, p.Status)
	assert.Contains(t, p.Body, "say who you are")
	p = b.post("/incidents/1/update", url.Values{"csrf": {csrf}, "as": {"mallory"}, "text": {"who?"}})
	assert.Equal(t, http.StatusBadRequest, p.Status)
	assert.Contains(t, p.Body, `&#34;mallory&#34; is not in the catalog`)
	assert.Equal(t, http.StatusNotFound, b.post("/incidents/1/approve", url.Values{"csrf": {csrf}, "as": {"dee"}}).Status)
	assert.Len(t, r.events(1), n, "nothing was recorded")
}

// TestCSRF: a form POST without the token, with a wrong one, or with one
// made for another browser is refused and changes nothing.
func TestCSRF(t *testing.T) {
	t.Parallel()
	r := newRig(t, false)
	r.fixture()
	b, other := r.browser(), r.browser()
	good := b.csrf("/incidents/1")
	theirs := other.csrf("/incidents/1")
	require.NotEqual(t, good, theirs)
	n := len(r.events(1))
	for name, form := range map[string]url.Values{
		"none":    {"as": {"ben"}, "text": {"forged"}},
		"empty":   {"csrf": {""}, "as": {"ben"}, "text": {"forged"}},
		"wrong":   {"csrf": {strings.Repeat("A", len(good))}, "as": {"ben"}, "text": {"forged"}},
		"another": {"csrf": {theirs}, "as": {"ben"}, "text": {"forged"}},
	} {
		p := b.post("/incidents/1/update", form)
		assert.Equal(t, http.StatusForbidden, p.Status, name)
		assert.Contains(t, p.Body, "nothing was done", name)
	}
	// A browser with no CSRF cookie at all (a cross-site POST, SameSite
	// aside) with a token copied from someone's page.
	p := r.browser().post("/incidents/1/update", url.Values{"csrf": {good}, "as": {"ben"}, "text": {"forged"}})
	assert.Equal(t, http.StatusForbidden, p.Status)
	p = b.post("/logout", url.Values{})
	assert.Equal(t, http.StatusForbidden, p.Status, "logout takes the token too")
	p = b.post("/login", url.Values{"token": {token("ana")}})
	assert.Equal(t, http.StatusForbidden, p.Status, "login takes the token too")
	assert.Len(t, r.events(1), n, "nothing was recorded")
	assert.NotContains(t, b.get("/incidents/1").Body, "forged")

	require.Equal(t, http.StatusSeeOther, b.post("/incidents/1/update", url.Values{"csrf": {good}, "as": {"ben"}, "text": {"real"}}).Status)
	assert.Len(t, r.events(1), n+1)
}

// TestLoginSession: off loopback every page needs a login; the login takes
// a token once and sets an HttpOnly, SameSite=Strict cookie; forms then act
// as the token's person; logout ends the session.
func TestLoginSession(t *testing.T) {
	t.Parallel()
	r := newRig(t, true)
	r.fixture()
	b := r.browser()
	for _, path := range []string{"/", "/incidents/1", "/plans", "/plans/drain-ledger", "/incidents/1/live"} {
		p := b.get(path)
		require.Equal(t, http.StatusSeeOther, p.Status, path)
		assert.Equal(t, "/login?next="+url.QueryEscape(path), p.Header.Get("Location"), path)
	}
	assert.Equal(t, http.StatusUnauthorized, b.get("/api/incidents/1").Status, "the API's reads too")
	assert.Equal(t, http.StatusOK, b.get("/healthz").Status, "health stays open")

	csrf := b.csrf("/login?next=/incidents/1")
	n := len(r.events(1))
	p := b.post("/incidents/1/update", url.Values{"csrf": {csrf}, "as": {"ben"}, "text": {"no login"}})
	assert.Equal(t, http.StatusUnauthorized, p.Status, "off loopback a form cannot just name a person")
	assert.Len(t, r.events(1), n)

	p = b.post("/login", url.Values{"csrf": {csrf}, "token": {"tok-nobody"}, "next": {"/incidents/1"}})
	assert.Equal(t, http.StatusUnauthorized, p.Status)
	assert.Contains(t, p.Body, "not one of api_tokens")
	assert.Empty(t, p.Header.Values("Set-Cookie"), "no session for a wrong token")

	p = b.post("/login", url.Values{"csrf": {csrf}, "token": {token("ben")}, "next": {"/incidents/1"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	assert.Equal(t, "/incidents/1", p.Header.Get("Location"))
	cookie := p.Header.Get("Set-Cookie")
	assert.Contains(t, cookie, "warroom_session=")
	assert.Contains(t, cookie, "HttpOnly")
	assert.Contains(t, cookie, "SameSite=Strict")
	assert.NotContains(t, cookie, token("ben"), "the cookie names a session, not the token")

	page := b.get("/incidents/1")
	require.Equal(t, http.StatusOK, page.Status)
	assert.Contains(t, page.Body, "As @ben")
	assert.NotContains(t, page.Body, `name="as"`, "a login says who you are")
	assert.Equal(t, http.StatusOK, b.get("/api/incidents/1").Status, "the session reads the API")
	assert.Equal(t, http.StatusOK, b.get("/api/incidents/1/runs/1/steps/1/output").Status, "so the output links work")

	require.Equal(t, http.StatusSeeOther, b.post("/incidents/1/update", url.Values{"csrf": {csrf}, "as": {"dee"}, "text": {"as ben"}}).Status)
	e := last(r.events(1))
	assert.Equal(t, "ben", e.Actor, "the login's person, whatever the form says")
	assert.Equal(t, "as ben", e.Text)

	// An open redirect is not: next stays on this site.
	p = b.post("/login", url.Values{"csrf": {csrf}, "token": {token("ben")}, "next": {"//evil.test/x"}})
	assert.Equal(t, "/", p.Header.Get("Location"))

	p = b.post("/logout", url.Values{"csrf": {csrf}})
	require.Equal(t, http.StatusSeeOther, p.Status)
	assert.Equal(t, http.StatusSeeOther, b.get("/incidents/1").Status, "logged out")
	assert.Equal(t, http.StatusUnauthorized, b.get("/api/incidents/1").Status)
}

// TestSessionExpires: a session lasts SessionFor on the injected clock.
func TestSessionExpires(t *testing.T) {
	t.Parallel()
	r := newRig(t, true)
	b := r.browser()
	csrf := b.csrf("/login")
	require.Equal(t, http.StatusSeeOther, b.post("/login", url.Values{"csrf": {csrf}, "token": {token("ana")}}).Status)
	assert.Equal(t, http.StatusOK, b.get("/").Status)
	r.clock.Advance(13 * 3600e9)
	assert.Equal(t, http.StatusSeeOther, b.get("/").Status, "expired")
}

// TestLoopbackReadsAreOpen: on loopback the pages and API reads need no
// login.
func TestLoopbackReadsAreOpen(t *testing.T) {
	t.Parallel()
	r := newRig(t, false)
	r.fixture()
	b := r.browser()
	for _, path := range []string{"/", "/incidents/1", "/plans", "/api/incidents/1", "/login"} {
		assert.Equal(t, http.StatusOK, b.get(path).Status, path)
	}
}

// Several warroom processes behind one load balancer (PostgreSQL): a login
// made at one is a login at the others, and a form one served is taken by
// another; a token changed in the config ends its sessions.
func TestSessionsAndFormsHoldAcrossProcesses(t *testing.T) {
	t.Parallel()
	r := newRig(t, true)
	r.fixture()
	_, other := r.serve(r.tokens) // the same config, another process
	b := r.browser()              // cookies are the host's, whatever the port: as behind one address
	csrf := b.csrf("/login")
	require.Equal(t, http.StatusSeeOther, b.post("/login", url.Values{"csrf": {csrf}, "token": {token("ben")}}).Status)

	first := r.url
	r.url = other
	page := b.get("/incidents/1")
	require.Equal(t, http.StatusOK, page.Status, "the other process takes the session")
	assert.Contains(t, page.Body, "As @ben")
	require.Equal(t, http.StatusSeeOther, b.post("/incidents/1/update", url.Values{"csrf": {csrf}, "text": {"from the other process"}}).Status,
		"and the form the first one served")
	assert.Equal(t, "from the other process", last(r.events(1)).Text)

	changed := append([]bot.APIToken(nil), r.tokens...)
	for i := range changed {
		if changed[i].Person == "ben" {
			changed[i].Token = "tok-ben-rotated-0f3e9a"
		}
	}
	_, rotated := r.serve(changed)
	r.url = rotated
	assert.Equal(t, http.StatusSeeOther, b.get("/incidents/1").Status, "ben's token changed: his session ended")

	r.url = first
	require.Equal(t, http.StatusSeeOther, b.post("/logout", url.Values{"csrf": {csrf}}).Status)
	assert.Equal(t, http.StatusSeeOther, b.get("/incidents/1").Status)
}

// A logged-out session cookie replayed to the process that logged it out
// is refused, though it is signed right.
func TestLoggedOutSessionIsRefused(t *testing.T) {
	t.Parallel()
	r := newRig(t, true)
	b := r.browser()
	csrf := b.csrf("/login")
	p := b.post("/login", url.Values{"csrf": {csrf}, "token": {token("ana")}})
	require.Equal(t, http.StatusSeeOther, p.Status)
	var session *http.Cookie
	for _, c := range (&http.Response{Header: p.Header}).Cookies() {
		if c.Name == "warroom_session" {
			session = c
		}
	}
	require.NotNil(t, session)
	require.Equal(t, http.StatusSeeOther, b.post("/logout", url.Values{"csrf": {csrf}}).Status)
	req, err := http.NewRequest(http.MethodGet, r.url+"/", nil)
	require.NoError(t, err)
	req.AddCookie(session)
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "replayed after logout")
}
