package web_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

// section cuts the element with id out of a page, roughly: from the id to
// the next </section>.
func section(t *testing.T, body, id string) string {
	t.Helper()
	i := strings.Index(body, `id="`+id+`"`)
	require.GreaterOrEqual(t, i, 0, "no #%s in %s", id, body)
	rest := body[i:]
	if j := strings.Index(rest, "</section>"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

func TestFrontPage(t *testing.T) {
	t.Parallel()
	r := newRig(t, false)
	r.fixture()
	p := r.browser().get("/")
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	open, recent := section(t, p.Body, "open"), section(t, p.Body, "recent")
	assert.Contains(t, open, "Ledger down")
	assert.Contains(t, open, "@dee", "its commander")
	assert.Contains(t, open, "<td>24m0s</td>", "its age: 4m, then 20m of fault 2")
	assert.Contains(t, open, "3/4 (75%)", "its check-in rate: ana by declaring, ben, dee; not cy")
	assert.NotContains(t, open, "Queue stuck")
	assert.Contains(t, recent, "Queue stuck")
	assert.Contains(t, recent, "resolved")
	assert.Contains(t, recent, "20m0s", "how long it lasted")
	assert.Less(t, strings.Index(p.Body, "Ledger down"), strings.Index(p.Body, "Queue stuck"), "open faults first")

	m := section(t, p.Body, "mtta")
	for _, days := range []string{"Last 7 days", "Last 30 days", "Last 90 days"} {
		assert.Contains(t, m, days)
	}
	assert.Contains(t, m, "2m0s <span class=\"muted\">n=1</span>", "P2's MTTA: ben after 2m (the declarer's own check-in aside)")
	assert.Contains(t, m, "5m0s <span class=\"muted\">n=1</span>", "P3's MTTA")
	assert.Contains(t, m, "20m0s <span class=\"muted\">n=1</span>", "P3's MTTR")

	// 8 days on, the week window has nothing; 30 days still has both.
	r.clock.Advance(8 * 24 * 3600e9)
	m = section(t, r.browser().get("/").Body, "mtta")
	week := m[:strings.Index(m, "Last 30 days")]
	assert.NotContains(t, week, "n=1", "nothing declared in the last 7 days")
	assert.Contains(t, m[strings.Index(m, "Last 30 days"):], "20m0s")
}

func TestIncidentPage(t *testing.T) {
	t.Parallel()
	r := newRig(t, false)
	r.fixture()
	p := r.browser().get("/incidents/1")
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	assert.Contains(t, p.Body, "<title>fault 1 Ledger down · warroom</title>")
	h := section(t, p.Body, "header")
	assert.Contains(t, h, "lvl-P2")
	assert.Contains(t, h, "open")
	assert.Contains(t, h, "24m0s", "age")
	assert.Contains(t, h, "ledger", "services")
	roles := section(t, p.Body, "roles")
	assert.Contains(t, roles, "Commander</th><td>@dee")
	assert.Contains(t, roles, "Handler</th><td>@ana")
	c := section(t, p.Body, "checkins")
	assert.Regexp(t, `@ben</td>.*\n<td>checked in 14:02:00 <span class="muted">&#43;2m0s \(command\)`, c)
	assert.Regexp(t, `@cy</td>.*\n<td><span class="failed">not checked in`, c)
	assert.Contains(t, section(t, p.Body, "tasks"), "look at the graphs")
	runs := section(t, p.Body, "runs")
	assert.Contains(t, runs, "Run 1: <a href=\"/plans/drain-ledger\">drain-ledger</a>")
	assert.Contains(t, runs, "ok")
	assert.Contains(t, runs, `href="/api/incidents/1/runs/1/steps/1/output">whole output`)
	tl := section(t, p.Body, "timeline")
	assert.Contains(t, tl, "declared P2")
	assert.Contains(t, tl, "node 3 drained, errors falling")
	met := section(t, p.Body, "metrics")
	assert.Contains(t, met, "Time to first check-in</th><td>2m0s (@ben)")
	assert.Contains(t, met, "Check-in rate</th><td>3/4 (75%)")
	assert.Contains(t, p.Body, `hx-get="/incidents/1/live" hx-trigger="every 3s"`, "live while open")
	assert.Contains(t, p.Body, `href="/incidents/1/postmortem.md"`)
	assert.NotContains(t, p.Body, `id="chart"`, "no chart without a Chart func")
	for _, form := range []string{"checkin", "update", "mitigated", "resolve"} {
		assert.Contains(t, p.Body, `action="/incidents/1/`+form+`"`)
	}
	assert.Contains(t, p.Body, `<select name="as" required>`, "on loopback without a login a form asks who you are")

	// The whole output behind the link.
	out := r.browser().get("/api/incidents/1/runs/1/steps/1/output")
	assert.Equal(t, http.StatusOK, out.Status)
	assert.Contains(t, out.Body, "drained")

	// The live part alone, for htmx.
	live := r.browser().get("/incidents/1/live")
	require.Equal(t, http.StatusOK, live.Status)
	assert.True(t, strings.HasPrefix(strings.TrimSpace(live.Body), `<div id="live"`), live.Body)
	assert.NotContains(t, live.Body, "<html")
	assert.Contains(t, live.Body, "node 3 drained")

	// A resolved fault's page stops polling and has no forms.
	q := r.browser().get("/incidents/2")
	assert.Contains(t, q.Body, "lasted 20m0s")
	assert.NotContains(t, q.Body, "hx-get")
	assert.NotContains(t, q.Body, `action="/incidents/2/update"`)

	assert.Equal(t, http.StatusNotFound, r.browser().get("/incidents/99").Status)
	assert.Equal(t, http.StatusBadRequest, r.browser().get("/incidents/x").Status)
}

func TestIncidentChart(t *testing.T) {
	t.Parallel()
	r := newRig(t, false)
	var got int
	r.web.Chart = func(events []bot.Event) ([]byte, error) {
		got = len(events)
		return []byte(`<svg xmlns="http://www.w3.org/2000/svg"><text>timeline</text></svg>`), nil
	}
	r.fixture()
	p := r.browser().get("/incidents/1")
	assert.Contains(t, section(t, p.Body, "chart"), `<img alt="the timeline on a time axis" src="/incidents/1/chart?n=`)
	svg := r.browser().get("/incidents/1/chart")
	require.Equal(t, http.StatusOK, svg.Status)
	assert.Equal(t, "image/svg+xml", svg.Header.Get("Content-Type"))
	assert.Contains(t, svg.Body, "<text>timeline</text>")
	assert.Equal(t, len(r.events(1)), got, "the chart is drawn from the whole timeline")
}

func TestPlanPages(t *testing.T) {
	t.Parallel()
	r := newRig(t, false)
	r.fixture()
	r.clock.Advance(3600e9)
	p2 := *r.bot.Plans()[0]
	p2.Version = "sha256:fedcba987654"
	require.NoError(t, r.bot.SetPlans(r.ctx, []*bot.Plan{&p2}))

	list := r.browser().get("/plans")
	require.Equal(t, http.StatusOK, list.Status)
	pl := section(t, list.Body, "plans")
	assert.Contains(t, pl, `<a href="/plans/drain-ledger">drain-ledger</a>`)
	assert.Contains(t, pl, "Drain a ledger node")
	assert.Contains(t, pl, "1 approval(s) by commander, not the requester; lapses after 15m0s")
	assert.Contains(t, pl, "<td>2</td><td>1</td>", "two versions, one run")

	p := r.browser().get("/plans/drain-ledger")
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	assert.Contains(t, section(t, p.Body, "plan"), "drain: run scripts/drain.sh {{node}}")
	assert.Contains(t, section(t, p.Body, "plan"), "lvl-P3")
	v := section(t, p.Body, "versions")
	assert.Contains(t, v, "<code>sha256:0123456789ab</code></td><td>plans/drain-ledger.yaml</td><td>2026-04-08 14:00:00</td>")
	assert.Contains(t, v, "<code>sha256:fedcba987654</code> <strong>loaded now</strong></td><td>plans/drain-ledger.yaml</td><td>2026-04-08 15:24:00</td>")
	runs := section(t, p.Body, "plan-runs")
	assert.Contains(t, runs, `<a href="/incidents/1">1: Ledger down</a>`)
	assert.Contains(t, runs, "sha256:0123456789ab", "the version the run ran")
	assert.Equal(t, http.StatusNotFound, r.browser().get("/plans/nope").Status)
}

// TestHtmxIsTheVendoredRelease: the checked-in htmx is byte for byte the
// npm release its VERSION file names.
func TestHtmxIsTheVendoredRelease(t *testing.T) {
	t.Parallel()
	js, err := os.ReadFile("static/htmx.min.js")
	require.NoError(t, err)
	ver, err := os.ReadFile("static/htmx.VERSION")
	require.NoError(t, err)
	sum := sha256.Sum256(js)
	assert.Contains(t, string(ver), "htmx.org 2.0.11")
	assert.Contains(t, string(ver), "sha256: "+hex.EncodeToString(sum[:]))
	assert.Equal(t, "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717", hex.EncodeToString(sum[:]))
	r := newRig(t, false)
	p := r.browser().get("/static/htmx.min.js")
	assert.Equal(t, http.StatusOK, p.Status)
	assert.Equal(t, string(js), p.Body, "served as checked in")
}
