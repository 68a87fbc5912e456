package metrics_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/adapters"
	"github.com/warroom/warroom/adapters/memory"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/alerts"
	"github.com/warroom/warroom/cmd/warroom/metrics"
	"github.com/warroom/warroom/cmd/warroom/pager"
	"github.com/warroom/warroom/store/memstore"
)

// t0 is a Wednesday, on the hour: the P2 reminders fall at :10 and :20.
var t0 = time.Date(2026, 4, 8, 14, 0, 0, 0, time.UTC)

func catalog() *bot.Catalog {
	return &bot.Catalog{
		People: map[string]bot.Person{"ana": {ID: "ana"}, "ben": {ID: "ben"}, "dee": {ID: "dee"}, "eli": {ID: "eli", Phone: "+15550100"}},
		Services: map[string]bot.Service{
			"ledger": {Name: "ledger", Contacts: []string{"ana", "ben"}, Stability: "ben"},
		},
		Duty: bot.Duty{Rotation: bot.Weekly, Start: time.Date(2026, 4, 6, 9, 0, 0, 0, time.UTC), People: []string{"dee"}},
		Levels: map[bot.Level]bot.LevelPolicy{
			bot.P1: {Commander: "duty", CheckinWithin: 5 * time.Minute},
			bot.P2: {Commander: "duty", CheckinWithin: time.Hour, Remind: "*/10 * * * *", Page: []string{"eli"}},
			bot.P3: {Commander: "duty", CheckinWithin: time.Hour},
			bot.P4: {Commander: "duty", CheckinWithin: time.Hour},
		},
	}
}

func plan() *bot.Plan {
	return &bot.Plan{
		Name: "drain", Title: "Drain a node", Services: []string{"ledger"}, Impact: bot.P3,
		Approval: bot.Approval{Roles: []bot.Role{bot.RoleCommander}, Count: 1, Expires: 10 * time.Minute},
		Steps:    []bot.Step{{Name: "drain", Script: []string{"drain.sh"}, Timeout: time.Minute}},
		Version:  "sha256:feedfacefeed",
	}
}

// okRunner runs every step, ok.
type okRunner struct{}

func (okRunner) Run(context.Context, bot.StepRequest, func(string)) bot.StepResult {
	return bot.StepResult{Status: bot.StepOK}
}

// phone is a paging provider that takes every page.
type phone struct {
	mu sync.Mutex
	n  int
}

func (p *phone) Name() string           { return "phone" }
func (p *phone) CanPage(bot.Page) error { return nil }
func (p *phone) Page(context.Context, bot.Page) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	return nil
}

type rig struct {
	t     *testing.T
	ctx   context.Context
	clock *bot.FakeClock
	chat  *memory.Adapter
	db    *memstore.Store
	bot   *bot.Bot
	hooks *alerts.Hooks
	m     *metrics.Metrics
}

// newRig is the real core on the memory store and chat, observed by the
// metrics as the binary wires them: the core, the pager's fan-out and the
// alert hooks.
func newRig(t *testing.T) *rig {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &rig{t: t, ctx: ctx, clock: bot.NewFakeClock(t0), chat: memory.New(), db: memstore.New()}
	var err error
	r.bot, err = bot.New(r.db, r.chat, r.clock, catalog(), bot.Options{}, nil)
	require.NoError(t, err)
	r.hooks, err = alerts.New(alerts.Config{Token: "hook-token"}, r.bot, r.clock, nil)
	require.NoError(t, err)
	r.m = metrics.New(metrics.Options{Store: r.db, Alerts: r.hooks.Counts})
	r.bot.Observe(r.m)
	fan := pager.New(nil, &phone{})
	fan.Observe(r.m)
	r.bot.UseNotifier(fan)
	require.NoError(t, r.bot.SetPlans(ctx, []*bot.Plan{plan()}))
	r.bot.UseRunner(okRunner{})
	require.NoError(t, r.bot.Start(ctx))
	t.Cleanup(func() { cancel(); r.bot.Wait() })
	return r
}

func (r *rig) say(channel, user, text string) {
	r.t.Helper()
	r.bot.HandleMessage(r.ctx, bot.Incoming{Channel: channel, User: user, Text: text})
	r.bot.Wait()
}

func (r *rig) advance(d time.Duration) {
	r.t.Helper()
	r.clock.Advance(d)
	require.NoError(r.t, r.bot.Tick(r.ctx))
	r.bot.Wait()
}

// alert posts one generic alert to its hook, and waits until it is acted on.
func (r *rig) alert(key string) {
	r.t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/hooks/generic", strings.NewReader(`{"key":"`+key+`","status":"firing","level":"P3","title":"disk full"}`))
	req.Header.Set("Authorization", "Bearer hook-token")
	w := httptest.NewRecorder()
	r.hooks.Routes()["POST /hooks/generic"].ServeHTTP(w, req)
	require.Equal(r.t, http.StatusAccepted, w.Code, w.Body.String())
	r.bot.Wait()
}

// One fault through its life (declare, check-in, update, two reminders and
// an escalation on the fake clock, a plan run, mitigate, resolve) and an
// alert sent twice: each counter says what happened, once.
func TestAFaultsLifeInTheCounters(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.say("general", "ana", "/fault declare P2 Ledger down service=ledger")
	f, err := bot.LoadFault(r.ctx, r.db, 1)
	require.NoError(t, err)
	ch := f.Channel
	r.clock.Advance(2 * time.Minute)
	r.say(ch, "ben", "/fault checkin")
	r.clock.Advance(time.Minute)
	r.say(ch, "ana", "/fault update rolled the config back")
	r.say(ch, "ana", "/fault run drain")
	r.say(ch, "dee", "/fault approve 1")
	r.advance(7 * time.Minute)  // 14:10: reminded
	r.advance(10 * time.Minute) // 14:20: reminded again, and escalated
	r.alert("disk-full")
	r.alert("disk-full")
	r.clock.Advance(5 * time.Minute)
	r.say(ch, "ana", "/fault mitigated")
	r.clock.Advance(5 * time.Minute)
	r.say(ch, "ana", "/fault resolve")

	got, err := bot.LoadFault(r.ctx, r.db, 1)
	require.NoError(t, err)
	require.Equal(t, bot.StatusResolved, got.Status)
	require.Equal(t, 2, got.Reminders, "the scenario reminds twice")

	m := r.m
	reg := m.Registry()
	value := func(name string, labels ...string) float64 {
		t.Helper()
		n, err := testutil.GatherAndCount(reg, name)
		require.NoError(t, err)
		require.NotZero(t, n, "%s is served", name)
		return gathered(t, reg, name, labels...)
	}
	assert.Equal(t, 1.0, value("warroom_faults_declared_total", "source", "chat", "level", "P2"))
	assert.Equal(t, 1.0, value("warroom_faults_declared_total", "source", "alert", "level", "P3"))
	assert.Equal(t, 2.0, value("warroom_reminders_total", "level", "P2"))
	assert.Equal(t, 1.0, value("warroom_escalations_total", "level", "P2"))
	assert.Equal(t, 1.0, value("warroom_plan_runs_total", "plan", "drain", "outcome", "succeeded"))
	assert.Equal(t, 2.0, value("warroom_alerts_received_total", "source", "generic"))
	assert.Equal(t, 1.0, value("warroom_alerts_deduplicated_total", "source", "generic"))
	assert.Equal(t, 2.0, value("warroom_alert_deliveries_total", "source", "generic"))
	assert.GreaterOrEqual(t, value("warroom_pages_total", "provider", "phone", "kind", "page", "outcome", "sent"), 1.0, "eli is paged at declare")

	// The times, as the summary gives them: ben 2 min after the
	// declaration (ana's own check-in by declaring aside), mitigated at
	// +25 min, resolved at +30 min.
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP warroom_time_to_first_checkin_seconds From a fault's declaration to its first check-in other than the declarer's own, by level then.
# TYPE warroom_time_to_first_checkin_seconds histogram
warroom_time_to_first_checkin_seconds_bucket{level="P2",le="15"} 0
warroom_time_to_first_checkin_seconds_bucket{level="P2",le="30"} 0
warroom_time_to_first_checkin_seconds_bucket{level="P2",le="60"} 0
warroom_time_to_first_checkin_seconds_bucket{level="P2",le="120"} 1
warroom_time_to_first_checkin_seconds_bucket{level="P2",le="300"} 1
warroom_time_to_first_checkin_seconds_bucket{level="P2",le="600"} 1
warroom_time_to_first_checkin_seconds_bucket{level="P2",le="900"} 1
warroom_time_to_first_checkin_seconds_bucket{level="P2",le="1800"} 1
warroom_time_to_first_checkin_seconds_bucket{level="P2",le="3600"} 1
warroom_time_to_first_checkin_seconds_bucket{level="P2",le="7200"} 1
warroom_time_to_first_checkin_seconds_bucket{level="P2",le="+Inf"} 1
warroom_time_to_first_checkin_seconds_sum{level="P2"} 120
warroom_time_to_first_checkin_seconds_count{level="P2"} 1
`), "warroom_time_to_first_checkin_seconds"))
	assert.Equal(t, []float64{1, 1500}, histogram(t, reg, "warroom_time_to_mitigate_seconds", "P2"))
	assert.Equal(t, []float64{1, 1800}, histogram(t, reg, "warroom_time_to_resolve_seconds", "P2"))

	// Fault 1 resolved; the alert's fault is open.
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP warroom_faults_open Faults not resolved, by level and status (open, mitigated), as the store holds them at the scrape.
# TYPE warroom_faults_open gauge
warroom_faults_open{level="P1",status="mitigated"} 0
warroom_faults_open{level="P1",status="open"} 0
warroom_faults_open{level="P2",status="mitigated"} 0
warroom_faults_open{level="P2",status="open"} 0
warroom_faults_open{level="P3",status="mitigated"} 0
warroom_faults_open{level="P3",status="open"} 1
warroom_faults_open{level="P4",status="mitigated"} 0
warroom_faults_open{level="P4",status="open"} 0
`), "warroom_faults_open"))
}

// A denied run and an expired one are outcomes too.
func TestDeniedAndExpiredRuns(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.say("general", "ana", "/fault declare P2 Ledger down service=ledger")
	f, err := bot.LoadFault(r.ctx, r.db, 1)
	require.NoError(t, err)
	r.say(f.Channel, "ana", "/fault run drain")
	r.say(f.Channel, "dee", "/fault deny 1 not now")
	r.say(f.Channel, "ana", "/fault run drain")
	r.advance(11 * time.Minute)
	reg := r.m.Registry()
	assert.Equal(t, 1.0, gathered(t, reg, "warroom_plan_runs_total", "plan", "drain", "outcome", "denied"))
	assert.Equal(t, 1.0, gathered(t, reg, "warroom_plan_runs_total", "plan", "drain", "outcome", "expired"))
}

// A chat platform's client, as adapters.Env builds it for the binary,
// counts each call by status and each 429.
func TestChatAPICallsAndRateLimits(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/busy" {
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	t.Cleanup(srv.Close)
	m := metrics.New(metrics.Options{})
	c := adapters.Env{Calls: m}.HTTPClient("slack", 5*time.Second)
	for _, p := range []string{"/ok", "/ok", "/busy"} {
		resp, err := c.Get(srv.URL + p)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	reg := m.Registry()
	assert.Equal(t, 2.0, gathered(t, reg, "warroom_chat_api_calls_total", "platform", "slack", "status", "200"))
	assert.Equal(t, 1.0, gathered(t, reg, "warroom_chat_api_calls_total", "platform", "slack", "status", "429"))
	assert.Equal(t, 1.0, gathered(t, reg, "warroom_chat_api_rate_limited_total", "platform", "slack"))
}
