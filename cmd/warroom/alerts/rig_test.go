package alerts_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/adapters/memory"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/alerts"
	"github.com/warroom/warroom/store/memstore"
)

// t0 is a Wednesday; dee is on duty.
var t0 = time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC)

const (
	token  = "alert-token-3f9a2c"
	secret = "grafana-hmac-secret"
)

func testCatalog() *bot.Catalog {
	return &bot.Catalog{
		People: map[string]bot.Person{"ana": {ID: "ana"}, "ben": {ID: "ben"}, "cy": {ID: "cy"}, "dee": {ID: "dee"}},
		Services: map[string]bot.Service{
			"checkout": {Name: "checkout", Contacts: []string{"ana", "ben"}, Stability: "ben"},
			"payments": {Name: "payments", Contacts: []string{"cy"}},
		},
		Duty: bot.Duty{Rotation: bot.Weekly, Start: t0.Add(-48 * time.Hour), People: []string{"dee"}},
		Levels: map[bot.Level]bot.LevelPolicy{
			bot.P1: {Commander: "duty"}, bot.P2: {Commander: "duty"}, bot.P3: {Commander: "stability"}, bot.P4: {Commander: "stability"},
		},
	}
}

// testConfig is the alerts: section's defaults, with a token and a
// Grafana secret.
func testConfig() alerts.Config {
	return alerts.Config{
		Token:        token,
		Grafana:      alerts.Grafana{Secret: secret, TimestampHeader: "X-Grafana-Alerting-Timestamp"},
		Levels:       alerts.Levels{Label: "severity", Map: map[string]bot.Level{"critical": bot.P1, "error": bot.P2, "warning": bot.P3, "info": bot.P4}, Default: bot.P3},
		ServiceLabel: "service", CauseLabel: "cause", KindLabel: "alertname",
	}
}

type rig struct {
	t     *testing.T
	ctx   context.Context
	clock *bot.FakeClock
	db    *memstore.Store
	chat  *memory.Adapter
	bot   *bot.Bot
	hooks *alerts.Hooks
	srv   *httptest.Server
}

func newRig(t *testing.T, cfg alerts.Config, wrap ...func(bot.Store) bot.Store) *rig {
	t.Helper()
	r := &rig{t: t, ctx: t.Context(), clock: bot.NewFakeClock(t0), db: memstore.New(), chat: memory.New()}
	var s bot.Store = r.db
	for _, w := range wrap {
		s = w(s)
	}
	var err error
	r.bot, err = bot.New(s, r.chat, r.clock, testCatalog(), bot.Options{}, nil)
	require.NoError(t, err)
	require.NoError(t, r.bot.Start(r.ctx))
	r.hooks, err = alerts.New(cfg, r.bot, r.clock, nil)
	require.NoError(t, err)
	mux := http.NewServeMux()
	for p, h := range r.hooks.Routes() {
		mux.Handle(p, h)
	}
	r.srv = httptest.NewServer(mux)
	t.Cleanup(r.srv.Close)
	return r
}

// post sends body to a hook with the token (unless headers say otherwise)
// and returns the status and the answer; the core has acted on it by then.
func (r *rig) post(path string, body []byte, headers ...string) (int, map[string]any) {
	r.t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.srv.URL+path, bytes.NewReader(body))
	require.NoError(r.t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := r.srv.Client().Do(req)
	require.NoError(r.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(r.t, err)
	var out map[string]any
	if len(raw) > 0 {
		require.NoError(r.t, json.Unmarshal(raw, &out), "%s", raw)
	}
	r.bot.Wait()
	return resp.StatusCode, out
}

func (r *rig) faults() []*bot.Fault {
	r.t.Helper()
	all, err := r.db.Faults(r.ctx, bot.FaultFilter{})
	require.NoError(r.t, err)
	return all
}

func (r *rig) fault(id int64) *bot.Fault {
	r.t.Helper()
	f, err := bot.LoadFault(r.ctx, r.db, id)
	require.NoError(r.t, err)
	return f
}

// sign is Grafana's signature of body at unix time ts ("" for none).
func sign(key, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(key))
	if ts != "" {
		mac.Write([]byte(ts + ":"))
	}
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// Bodies as the real senders post them. amFiring is what Alertmanager 0.25
// sent in the verified run (integrations note 1): max_alerts 2 cut one.
const amFiring = `{"receiver":"warroom","status":"firing","alerts":[` +
	`{"status":"firing","labels":{"alertname":"HighErrorRate","instance":"web-1","service":"checkout","severity":"P1"},"annotations":{"summary":"5xx above 5%"},"startsAt":"2026-12-01T21:31:09.84Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prom.local/graph","fingerprint":"b71abb45177f2578"},` +
	`{"status":"firing","labels":{"alertname":"HighErrorRate","instance":"web-2","service":"checkout","severity":"P1"},"annotations":{"summary":"5xx above 5%"},"startsAt":"2026-12-01T21:31:09.84Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prom.local/graph","fingerprint":"985dd3a56e15dd61"}],` +
	`"groupLabels":{"alertname":"HighErrorRate","service":"checkout"},"commonLabels":{"alertname":"HighErrorRate","service":"checkout","severity":"P1"},"commonAnnotations":{"summary":"5xx above 5%"},` +
	`"externalURL":"http://vm:9093","version":"4","groupKey":"{}:{alertname=\"HighErrorRate\", service=\"checkout\"}","truncatedAlerts":1}`

const amResolved = `{"receiver":"warroom","status":"resolved","alerts":[` +
	`{"status":"resolved","labels":{"alertname":"HighErrorRate","instance":"web-1","service":"checkout","severity":"P1"},"annotations":{"summary":"5xx above 5%"},"startsAt":"2026-12-01T21:31:09.84Z","endsAt":"2026-12-01T21:31:19.84Z","generatorURL":"http://prom.local/graph","fingerprint":"b71abb45177f2578"},` +
	`{"status":"resolved","labels":{"alertname":"HighErrorRate","instance":"web-2","service":"checkout","severity":"P1"},"annotations":{"summary":"5xx above 5%"},"startsAt":"2026-12-01T21:31:09.84Z","endsAt":"2026-12-01T21:31:19.84Z","generatorURL":"http://prom.local/graph","fingerprint":"985dd3a56e15dd61"}],` +
	`"groupLabels":{"alertname":"HighErrorRate","service":"checkout"},"commonLabels":{"alertname":"HighErrorRate","service":"checkout","severity":"P1"},"commonAnnotations":{"summary":"5xx above 5%"},` +
	`"externalURL":"http://vm:9093","version":"4","groupKey":"{}:{alertname=\"HighErrorRate\", service=\"checkout\"}","truncatedAlerts":1,` +
	`"notification_reason":"resolved","routeLabels":{"team":"web"}}`

// grafanaFiring is a Grafana contact point's body (grafana/alerting
// receivers/webhook webhookMessage), with its extra fields.
const grafanaFiring = `{"receiver":"warroom","status":"firing","orgId":1,"alerts":[{"status":"firing",` +
	`"labels":{"alertname":"Payments latency","grafana_folder":"Payments","service":"payments","severity":"critical"},` +
	`"annotations":{"summary":"p99 latency above 2s","description":"The payments API p99 has been above 2s for 5m","runbook_url":"https://runbooks.example.com/payments"},` +
	`"startsAt":"2026-12-02T13:58:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"https://grafana.example.com/alerting/grafana/abc/view",` +
	`"fingerprint":"4a4b6e7c2d1f0e9a","silenceURL":"https://grafana.example.com/alerting/silence/new","dashboardURL":"https://grafana.example.com/d/pay",` +
	`"panelURL":"https://grafana.example.com/d/pay?viewPanel=2","values":{"B":2.4,"C":1},"valueString":"[ var='B' value=2.4 ]","imageURL":""}],` +
	`"groupLabels":{"alertname":"Payments latency"},"commonLabels":{"alertname":"Payments latency","service":"payments","severity":"critical"},` +
	`"commonAnnotations":{"summary":"p99 latency above 2s"},"externalURL":"https://grafana.example.com/","version":"1",` +
	`"groupKey":"{}/{severity=\"critical\"}:{alertname=\"Payments latency\"}","truncatedAlerts":0,"title":"[FIRING:1] Payments latency","state":"alerting","message":"**Firing**"}`

const genericFiring = `{"key":"db-replica-lag","status":"firing","level":"P2","title":"Replica lag over 30s","service":"payments","cause":"checkout","kind":"db-data-error","details":{"lag_s":42,"replica":"db-2"}}`
