package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

// A config unlike the shipped example: other people, services and rota.
const testConfig = `
command: fault
adapter: console
people:
  nadia: {name: Nadia Haddad, email: nadia@corp.test}
  omar:  {name: Omar Said}
  pia:   {name: Pia Lund}
  quinn: {name: Quinn Ray}
  rui:   {name: Rui Costa}
  sam:   {name: Sam Ito}
services:
  billing: {contacts: [nadia, omar], stability: omar}
  kafka:   {contacts: [pia]}
duty:
  rotation: daily
  start: 2026-06-01T00:00:00Z
  people: [quinn, rui]
levels:
  P1: {commander: duty, checkin_within: 5m, remind: "*/10 * * * *"}
  P2: {commander: duty, checkin_within: 10m, remind: "*/15 * * * *"}
  P3: {commander: stability, checkin_within: 30m, remind: "0 * * * *"}
  P4: {commander: stability, checkin_within: 2h, remind: "0 */4 * * *"}
`

// start is a Tuesday: day 1 of the daily rota, so rui is on duty.
var start = time.Date(2026, 6, 2, 8, 0, 0, 0, time.UTC)

// step is a console input line and the time (after start) at which the bot
// handles it.
type step struct {
	at   time.Duration
	line string
}

// clockedHandler moves the fake clock to each step's time just before the
// bot handles the event the line produced. Lines that never reach the bot
// (channel switches, comments) are skipped over by the caller.
type clockedHandler struct {
	next  bot.Handler
	clock *bot.FakeClock
	times []time.Duration
	mu    sync.Mutex
}

func (c *clockedHandler) tick() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.times) > 0 {
		c.clock.Set(start.Add(c.times[0]))
		c.times = c.times[1:]
	}
}

func (c *clockedHandler) HandleMessage(ctx context.Context, m bot.Incoming) {
	c.tick()
	c.next.HandleMessage(ctx, m)
}

func (c *clockedHandler) HandleReaction(ctx context.Context, r bot.Reaction) {
	c.tick()
	c.next.HandleReaction(ctx, r)
}

type scenario struct {
	dir   string
	clock *bot.FakeClock
}

func newScenario(t *testing.T) *scenario {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "warroom.yaml"), []byte(testConfig), 0o600))
	return &scenario{dir: dir, clock: bot.NewFakeClock(start)}
}

// play pipes the steps into the binary's run function and returns its
// stdout and exit code.
func (s *scenario) play(t *testing.T, steps []step) (string, int) {
	t.Helper()
	var in strings.Builder
	var times []time.Duration
	for _, st := range steps {
		in.WriteString(st.line + "\n")
		if !strings.HasPrefix(st.line, "#") {
			times = append(times, st.at)
		}
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"-config", filepath.Join(s.dir, "warroom.yaml"), "-db", filepath.Join(s.dir, "w.db"), "-http", "off"}, env{
		stdin: strings.NewReader(in.String()), stdout: &out, stderr: &errb, clock: s.clock,
		wrap: func(h bot.Handler) bot.Handler { return &clockedHandler{next: h, clock: s.clock, times: times} },
	})
	assert.Empty(t, errb.String())
	return out.String(), code
}

func TestScenarioDeclareToResolve(t *testing.T) {
	t.Parallel()
	s := newScenario(t)
	out, code := s.play(t, []step{
		{0, "sam: /fault declare P2 Invoices stuck in pending service=billing cause=kafka"},
		{0, "#fault-1-invoices-stuck-in-pending"},
		{45 * time.Second, "omar: +✅"},
		{2 * time.Minute, "pia: +:white_check_mark:"},
		{3 * time.Minute, "sam: /fault role handler @omar"},
		{4 * time.Minute, "rui: /fault role responder @pia"},
		{5 * time.Minute, "rui: /fault task @pia drain the consumer lag"},
		{9 * time.Minute, "omar: /fault update consumers restarted; backlog draining"},
		{12 * time.Minute, "pia: /fault done 1"},
		{20 * time.Minute, "omar: /fault mitigated new invoices flow"},
		{31 * time.Minute, "omar: /fault resolve backlog cleared"},
	})
	require.Equal(t, 0, code, out)
	room := "[#fault-1-invoices-stuck-in-pending] warroom: "
	for _, want := range []string{
		"* created #fault-1-invoices-stuck-in-pending",
		"* invited @nadia, @omar, @pia, @rui, @sam to #fault-1-invoices-stuck-in-pending",
		room + "🚨 P2 fault 1: Invoices stuck in pending",
		room + "Commander: @rui · Handler: @sam · Responders: nobody",
		"[#general] warroom: 🚨 declared fault 1 (P2): Invoices stuck in pending — war room #fault-1-invoices-stuck-in-pending, 5 invited",
		room + "✅ @omar checked in (+45s) — 2 of 5 checked in",
		room + "✅ @pia checked in (+2m0s) — 3 of 5 checked in",
		room + "@omar is now handler (was @sam)",
		room + "📋 task #1 for @pia: drain the consumer lag (close it with /fault done 1)",
		room + "✅ fault 1 resolved: Invoices stuck in pending (P2) after 31m0s, declared by @sam",
		room + "Time to first check-in: 45s (@omar) · to mitigate: 20m0s · to resolve: 31m0s",
		room + "Check-in rate: 4/5 (80%) · not checked in: @nadia",
		room + "Updates: 1 · tasks: 1 done, 0 open · plans run: none",
		room + "/fault timeline shows the whole timeline; set base_url in the config (e.g. base_url: https://warroom.example.com) for a link to the war-room page",
	} {
		assert.Contains(t, out, want+"\n")
	}

	// A second run on the same database sees the first run's fault.
	out, code = s.play(t, []step{
		{40 * time.Minute, "#fault-1-invoices-stuck-in-pending"},
		{40 * time.Minute, "nadia: /fault status"},
		{41 * time.Minute, "nadia: /fault declare P3 Ledger export slow service=billing"},
	})
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, room+"P2 fault 1: Invoices stuck in pending — resolved in 31m0s\n")
	assert.Contains(t, out, room+"Checked in (4/5): @omar (+45s), @pia (+2m0s), @rui (+4m0s), @sam (+0s)\n")
	assert.Contains(t, out, "* created #fault-2-ledger-export-slow\n")
	assert.Contains(t, out, "* invited @nadia, @omar to #fault-2-ledger-export-slow\n", "P3: the stability contact omar commands")
}

// TestScenarioApprovalsCannotBeGamed plays the approval rules on the
// console: an approval stops counting when its approver loses the role, a
// re-grade between request and start is seen, and approvals in a row start
// one run.
func TestScenarioApprovalsCannotBeGamed(t *testing.T) {
	t.Parallel()
	s := newScenario(t)
	plans := filepath.Join(s.dir, "plans")
	require.NoError(t, os.Mkdir(plans, 0o755))
	for name, body := range map[string]string{
		"two-keys.yaml": `name: two-keys
title: Fail billing over to the standby
faults: [billing-down]
services: [billing]
impact: P2
approval: {roles: [commander, handler], count: 2, self: false}
steps:
  - {name: confirm, manual: billing answers from the standby}
`,
		"drain.yaml": `name: drain
title: Drain the billing consumers
services: [billing]
impact: P2
approval: {roles: [commander, handler, responder], count: 1, self: false}
steps:
  - {name: confirm, manual: consumers drained}
`,
	} {
		require.NoError(t, os.WriteFile(filepath.Join(plans, name), []byte(body), 0o600))
	}
	cfg, err := os.ReadFile(filepath.Join(s.dir, "warroom.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(s.dir, "warroom.yaml"), append(cfg, "plans: plans/\n"...), 0o600))

	out, code := s.play(t, []step{
		{0, "sam: /fault declare P2 Invoices stuck service=billing"}, // rui commands, sam handles
		{0, "#fault-1-invoices-stuck"},
		{time.Minute, "omar: /fault run two-keys"},
		{2 * time.Minute, "sam: /fault approve 1"},
		{3 * time.Minute, "rui: /fault role handler @nadia"},
		{4 * time.Minute, "rui: /fault approve 1"},
		{5 * time.Minute, "nadia: /fault approve 1"},
		{6 * time.Minute, "omar: /fault run drain"},
		{7 * time.Minute, "nadia: /fault level P3"},
		{8 * time.Minute, "nadia: /fault approve 2"},
		{9 * time.Minute, "nadia: /fault level P2"},
		{10 * time.Minute, "nadia: /fault role responder @pia"},
		{11 * time.Minute, "nadia: /fault approve 2"},
		{11 * time.Minute, "rui: /fault approve 2"},
		{11 * time.Minute, "pia: /fault approve 2"},
		{12 * time.Minute, "nadia: /fault runs"},
	})
	require.Equal(t, 0, code, out)
	room := "[#fault-1-invoices-stuck] warroom: "
	for _, want := range []string{
		room + "👍 @sam approved run #1 (two-keys): 1 more approval needed, from @rui\n",
		room + "👍 @rui approved run #1 (two-keys): 1 more approval needed, from @nadia (@sam's approval no longer counts: no longer commander or handler)\n",
		room + "✅ run #1 (two-keys) approved by @rui, @nadia — starting\n",
		room + "re-graded P2 → P3; commander @rui → @omar (P3: stability contact rule)\n",
		room + `⚠️ run #2 cannot start: fault 1 is now P3, and plan drain may itself cause P2-level impact; deny it and ask again with override="<reason>"` + "\n",
		room + "✅ run #2 (drain) approved by @nadia — starting\n",
	} {
		assert.Contains(t, out, want)
	}
	assert.Equal(t, 1, strings.Count(out, "(drain) approved by"), "three approvals in a row start one run")
	assert.Equal(t, 2, strings.Count(out, "⚠️ run #2 was approved (by @nadia) and is running"), out)
}

func TestScenarioRestartKeepsOpenFault(t *testing.T) {
	t.Parallel()
	s := newScenario(t)
	_, code := s.play(t, []step{
		{0, "nadia: /fault declare P1 Card payments failing service=billing"},
		{0, "#fault-1-card-payments-failing"},
		{time.Minute, "omar: /fault checkin"},
		{2 * time.Minute, "rui: /fault task @quinn call the acquirer"},
	})
	require.Equal(t, 0, code)
	out, code := s.play(t, []step{
		{5 * time.Minute, "#fault-1-card-payments-failing"},
		{5 * time.Minute, "nadia: /fault status"},
		{5 * time.Minute, "nadia: /fault roles"},
		{6 * time.Minute, "quinn: +✅"},
		{7 * time.Minute, "quinn: /fault done 1"},
	})
	require.Equal(t, 0, code)
	room := "[#fault-1-card-payments-failing] warroom: "
	assert.Contains(t, out, room+"P1 fault 1: Card payments failing — open for 5m0s\n")
	assert.Contains(t, out, room+"  #1 @quinn: call the acquirer\n")
	assert.Contains(t, out, room+"✅ @quinn checked in (+6m0s) — 4 of 4 checked in\n", "nadia declared, omar checked in, rui typed a command")
	assert.Contains(t, out, room+"☑️ task #1 done: call the acquirer — 0 open\n")
}

func TestBadLinesAndCommandsKeepRunning(t *testing.T) {
	t.Parallel()
	s := newScenario(t)
	out, code := s.play(t, []step{
		{0, "nobody: /fault declare P1 x"},
		{0, "this is not a line"},
		{0, "nadia: /fault declare P9 Broken"},
		{0, "nadia: /fault status"},
		{0, "nadia: /fault declare P4 Typo service=biling"},
	})
	require.Equal(t, 0, code)
	assert.Contains(t, out, `* unknown person "nobody"`)
	assert.Contains(t, out, `* cannot read line 2: "this is not a line"`)
	assert.Contains(t, out, `[#general] warroom: ⚠️ unknown level "P9"`)
	assert.Contains(t, out, "[#general] warroom: ⚠️ /fault status works in a fault's war room, and this channel is not one")
	assert.Contains(t, out, `[#general] warroom: ⚠️ service=biling: no such service; did you mean billing?`)
}

func TestHTTPAPI(t *testing.T) {
	t.Parallel()
	s := newScenario(t)
	pr, pw := io.Pipe()
	addrc := make(chan string, 1)
	var out, errb syncBuffer
	done := make(chan int)
	handled := make(chan struct{}, 16)
	go func() {
		done <- run(context.Background(), []string{"-config", filepath.Join(s.dir, "warroom.yaml"), "-db", filepath.Join(s.dir, "w.db"), "-http", "127.0.0.1:0"}, env{
			stdin: pr, stdout: &out, stderr: &errb, clock: s.clock, ready: func(a string) { addrc <- a },
			wrap: func(h bot.Handler) bot.Handler { return &notifyingHandler{next: h, handled: handled} },
		})
	}()
	addr := <-addrc
	_, err := io.WriteString(pw, "nadia: /fault declare P2 Invoices stuck service=billing\n#fault-1-invoices-stuck\nomar: /fault checkin\nomar: /fault status\n")
	require.NoError(t, err)
	for range 3 { // declare, checkin, status handled
		<-handled
	}
	assert.Contains(t, out.String(), "Not checked in")

	get := func(path string) (int, []byte) {
		resp, err := http.Get("http://" + addr + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, body
	}
	code, body := get("/healthz")
	assert.Equal(t, 200, code)
	assert.Equal(t, "ok leader\n", string(body))

	// The binary's own metrics: the declaration heard, the open fault counted.
	code, body = get("/metrics")
	require.Equal(t, 200, code)
	assert.Contains(t, string(body), `warroom_faults_declared_total{`)
	assert.Contains(t, string(body), `warroom_faults_open{level="P2",status="open"} 1`)

	code, body = get("/api/incidents")
	require.Equal(t, 200, code)
	var list struct {
		Incidents []struct {
			ID        int64
			Title     string
			Level     string
			Status    string
			Channel   string
			Commander string
			CheckedIn int `json:"checked_in"`
		}
	}
	require.NoError(t, json.Unmarshal(body, &list))
	require.Len(t, list.Incidents, 1)
	assert.Equal(t, "Invoices stuck", list.Incidents[0].Title)
	assert.Equal(t, "fault-1-invoices-stuck", list.Incidents[0].Channel)
	assert.Equal(t, "rui", list.Incidents[0].Commander)
	assert.Equal(t, 2, list.Incidents[0].CheckedIn, "nadia by declaring, omar by checkin")

	code, body = get("/api/incidents/1")
	require.Equal(t, 200, code)
	var inc map[string]any
	require.NoError(t, json.Unmarshal(body, &inc))
	for _, k := range []string{"fault", "roles", "participants", "tasks", "runs", "timeline", "metrics"} {
		assert.Contains(t, inc, k)
	}
	assert.Len(t, inc["participants"], 3, "nadia (contact and declarer), omar, rui (commander)")

	// The pages are mounted beside the API, open on loopback.
	code, body = get("/incidents/1")
	require.Equal(t, 200, code)
	assert.Contains(t, string(body), "Invoices stuck")
	assert.Contains(t, string(body), "@rui")
	code, body = get("/")
	require.Equal(t, 200, code)
	assert.Contains(t, string(body), "Invoices stuck")

	code, body = get("/api/incidents/99")
	assert.Equal(t, 404, code)
	assert.Contains(t, string(body), "fault 99 not found")
	code, _ = get("/api/incidents/abc")
	assert.Equal(t, 400, code)
	code, _ = get("/api/incidents?status=bogus")
	assert.Equal(t, 400, code)

	// The postmortem draft is served as Markdown, people named from the catalog.
	code, body = get("/incidents/1/postmortem.md")
	require.Equal(t, 200, code, string(body))
	assert.Contains(t, string(body), "# Postmortem draft: fault 1 — Invoices stuck\n")
	assert.Contains(t, string(body), "Omar Said (@omar)")
	code, body = get("/incidents/99/postmortem.md")
	assert.Equal(t, 404, code)
	assert.Equal(t, "fault 99 not found; GET /api/incidents lists the faults\n", string(body))

	require.NoError(t, pw.Close())
	assert.Equal(t, 0, <-done)
}

func TestCheckAndFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("adaptor: console\nlevels:\n  P2: {checkin_within: soon}\n"), 0o600))
	var out, errb bytes.Buffer
	e := env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, clock: bot.NewFakeClock(start)}

	assert.Equal(t, 0, run(context.Background(), []string{"check"}, e))
	assert.Contains(t, out.String(), "embedded example config: ok")

	assert.Equal(t, 1, run(context.Background(), []string{"check", "-config", bad}, e))
	assert.Contains(t, errb.String(), `bad.yaml:1: unknown key "adaptor"; did you mean adapter?`)
	assert.Contains(t, errb.String(), "bad.yaml:3:")

	errb.Reset()
	assert.Equal(t, 1, run(context.Background(), []string{"-config", bad, "-http", "off", "-db", filepath.Join(dir, "x.db")}, e), "a bad config stops the start")
	assert.Contains(t, errb.String(), "adaptor")
	assert.NoFileExists(t, filepath.Join(dir, "x.db"), "nothing is created before the config is good")

	assert.Equal(t, 2, run(context.Background(), []string{"-bogus"}, e))
	assert.Equal(t, 2, run(context.Background(), []string{"export"}, e))
	assert.Equal(t, 1, run(context.Background(), []string{"export", "-db", filepath.Join(dir, "none.db"), "1"}, e))
	assert.NoFileExists(t, filepath.Join(dir, "none.db"))
}

func TestExport(t *testing.T) {
	t.Parallel()
	s := newScenario(t)
	_, code := s.play(t, []step{{0, "nadia: /fault declare P2 Invoices stuck service=billing"}})
	require.Equal(t, 0, code)
	var out, errb bytes.Buffer
	code = run(context.Background(), []string{"export", "-config", filepath.Join(s.dir, "warroom.yaml"), "-db", filepath.Join(s.dir, "w.db"), "1"},
		env{stdout: &out, stderr: &errb, clock: s.clock})
	require.Equal(t, 0, code, errb.String())
	var inc struct {
		Fault    struct{ Title string }
		Timeline []struct{ Type, Description string }
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &inc))
	assert.Equal(t, "Invoices stuck", inc.Fault.Title)
	assert.Equal(t, "declared", inc.Timeline[0].Type)
}

// syncBuffer is a bytes.Buffer safe to read while the bot writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// notifyingHandler says when the bot has handled each event.
type notifyingHandler struct {
	next    bot.Handler
	handled chan<- struct{}
}

func (n *notifyingHandler) HandleMessage(ctx context.Context, m bot.Incoming) {
	n.next.HandleMessage(ctx, m)
	n.handled <- struct{}{}
}

func (n *notifyingHandler) HandleReaction(ctx context.Context, r bot.Reaction) {
	n.next.HandleReaction(ctx, r)
	n.handled <- struct{}{}
}

// TestDemoScript keeps the README's demo true: the shipped scenario runs on
// the embedded example config from declare to the summary, with the demo
// clock's real times, a chase and a reminder, and runs again on the same
// database.
func TestDemoScript(t *testing.T) {
	t.Parallel()
	s := playDemoTwice(t, "demo.txt", nil)
	assert.NotContains(t, s, "⚠️", "the demo makes no mistakes")
	room := "[#fault-1-checkout-api-5xx] warroom: "
	for _, want := range []string{
		"* war room #fault-1-checkout-api-5xx is open: type #new (or #fault-1-checkout-api-5xx) to go there; you are in #general",
		"* you are in #fault-1-checkout-api-5xx",
		"* clock 08:00:00 → 08:01:12 (+1m12s)",
		room + "✅ @carol checked in (+1m12s) — 2 of 4 checked in",
		"[@bob] warroom: 🚨 you were invited to the war room of fault 1 (P2 Checkout API 5xx) 10m5s ago and have not checked in",
		room + "⏰ @alice, time for a progress update on fault 1 (nothing since the declaration): /fault update <text>",
		room + "✅ fault 1 resolved: Checkout API 5xx (P2) after 25m30s, declared by @alice",
		room + "Time to first check-in: 1m12s (@carol) · to mitigate: 19m30s · to resolve: 25m30s",
		room + "War-room page, with the timeline and the postmortem draft: http://127.0.0.1:8080/incidents/1",
	} {
		assert.Contains(t, s, want)
	}
}

// TestAuthorityScript plays the hijack of issue 10 on the console: someone
// never invited tries to take the war room over and is refused, on the
// record, while what anyone may do still works. It runs again on the same
// database.
func TestAuthorityScript(t *testing.T) {
	t.Parallel()
	getenv := func(k string) string {
		switch k {
		case "JOBS_URL":
			return "http://127.0.0.1:9" // never called: the run is denied
		case "JOBS_TOKEN":
			return "demo"
		}
		return os.Getenv(k)
	}
	s := playDemoTwice(t, "authority.txt", getenv)
	ch := "[#fault-1-web-servers-not-answering] warroom: "
	for _, want := range []string{
		ch + "🔐 Run #1: plan server-breakdown",
		ch + "⚠️ you may not /fault role: only the commander (@erin) or the handler (@alice) may; anyone may take a role nobody holds, and commander is @erin's; ask one of them\n",
		ch + "⚠️ only the commander or handler may approve run #1",
		ch + "⚠️ you may not /fault level: only the commander (@erin) or the handler (@alice) may; ask one of them\n",
		ch + "⚠️ you may not /fault update: only participants (invited, or checked in with /fault checkin) may; ask one of them\n",
		ch + "⚠️ you may not /fault resolve: only the commander (@erin) or the handler (@alice) may; ask one of them\n",
		ch + "P2 fault 1: Web servers not answering — open for 1m40s\n",
		ch + "✅ @dave checked in (+3m40s) — 3 of 4 checked in; joined as a responder\n",
		ch + "📣 update #1 from @dave: looking at the load balancer\n",
		ch + "🚫 run #1 (server-breakdown) denied by @alice: the restore job is down for maintenance\n",
		" +1m40s @dave was refused role: you may not /fault role",
		" +1m40s @dave was refused approve: only the commander or handler may approve run #1",
		" +1m40s @dave was refused resolve: you may not /fault resolve",
		ch + "✅ fault 1 resolved: Web servers not answering (P2)",
	} {
		assert.Contains(t, s, want)
	}
	assert.NotContains(t, s, "▶️ run #1", "no step of the plan ran")
	assert.Equal(t, 2, strings.Count(s, "warroom: ⚠️ only the commander or handler may approve run #1"), "dave's approvals, before and after checking in")
}

// TestPlansDemoScript runs the server-breakdown example plan on the console
// from request to summary: a real script, a job against a local job runner,
// and a manual step.
func TestPlansDemoScript(t *testing.T) {
	t.Parallel()
	var (
		mu   sync.Mutex
		jobs []string
	)
	jobsSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		jobs = append(jobs, fmt.Sprintf("%s %s %s %s", r.Method, r.URL.Path, r.Header.Get("Authorization"), body))
		mu.Unlock()
		fmt.Fprintf(w, `{"id": 42, "status": "running", "echo": %q}`, r.Header.Get("Authorization"))
	}))
	t.Cleanup(jobsSrv.Close)
	getenv := func(k string) string {
		switch k {
		case "JOBS_URL":
			return jobsSrv.URL
		case "JOBS_TOKEN":
			return "s3cr3t-token-value"
		}
		return os.Getenv(k)
	}
	s := playDemoTwice(t, "plans-demo.txt", getenv)
	ch := "[#fault-1-web-servers-not-answering] warroom: "
	for _, want := range []string{
		ch + "Plans that fit fault 1 (affected web · suspected cause — · kind server-down):",
		ch + "  server-breakdown — Restart a broken web server and restore its session data (impact P3; approval: 1 of commander/handler, not the requester) host=<host>",
		`host="web-3;reboot" does not match web-[0-9]{1,3}`,
		ch + "🔐 Run #1: plan server-breakdown",
		"only the commander or handler may approve run #1",
		ch + "Expires: 08:15:45 (in 15m0s)",
		"* clock 08:00:45 → 08:16:45 (+16m)",
		ch + "⌛ run #1 (server-breakdown) expired unapproved; ask again if it is still wanted: /fault run server-breakdown host=web-3",
		ch + "⚠️ run #1 expired unapproved at 08:15:45; ask again: /fault run server-breakdown host=web-3",
		ch + "🔐 Run #2: plan server-breakdown",
		ch + "✅ run #2 (server-breakdown) approved by @alice — starting",
		ch + "▶️ run #2 step 1/3 (restart): run scripts/restart-server.sh web-3",
		"[demo] would take web-3 out of the load balancer pool",
		ch + "✔️ run #2 step 1/3 (restart) ok",
		ch + "✔️ run #2 step 2/3 (restore-data) ok",
		ch + "☐ run #2 step 3/3 (verify) is manual, for @carol",
		ch + "🏁 run #2 (server-breakdown) succeeded in 5m0s\n",
		"plans run: #1 server-breakdown expired, #2 server-breakdown succeeded in 5m0s\n",
	} {
		assert.Contains(t, s, want)
	}
	assert.NotContains(t, s, "s3cr3t-token-value", "the job's token is redacted from chat")
	require.Len(t, jobs, 2, "one job per run of the demo")
	assert.Equal(t, `POST /api/job/restore-sessions/run Bearer s3cr3t-token-value {"host": "web-3", "from": "latest-snapshot"}`, jobs[0])
}
