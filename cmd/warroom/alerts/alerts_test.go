package alerts_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/alerts"
)

func TestAlertmanagerDeclaresJoinsAndResolves(t *testing.T) {
	t.Parallel()
	r := newRig(t, testConfig())
	code, body := r.post("/hooks/alertmanager", []byte(amFiring))
	require.Equal(t, http.StatusAccepted, code, "%v", body)
	assert.Equal(t, map[string]any{"status": "accepted", "alerts": 2.0}, body)

	all := r.faults()
	require.Len(t, all, 1)
	f := all[0]
	assert.Equal(t, bot.P1, f.Level, "severity P1 is a level itself")
	assert.Equal(t, "5xx above 5%", f.Title)
	assert.Equal(t, "checkout", f.Service)
	assert.Equal(t, "HighErrorRate", f.Kind)
	assert.Equal(t, "alertmanager", f.DeclaredBy)
	require.Len(t, f.Alerts, 2)
	assert.Equal(t, "b71abb45177f2578", f.Alerts[0].Fingerprint)
	texts := r.chat.Texts(f.Channel)
	require.Len(t, texts, 2)
	assert.Equal(t, "🔔 declared by alertmanager: 2 alerts firing: 5xx above 5% (instance=web-1); 5xx above 5% (instance=web-2)\n"+
		"Details: source: http://prom.local/graph\n"+
		"(alertmanager left 1 more alerts of this group out of its message)\n"+
		"Nobody handles it yet: the first to check in (/fault checkin) becomes the handler", texts[1])

	// The same group again: deduplicated.
	code, _ = r.post("/hooks/alertmanager", []byte(amFiring))
	require.Equal(t, http.StatusAccepted, code)
	assert.Len(t, r.faults(), 1)

	r.clock.Advance(2 * time.Minute)
	code, _ = r.post("/hooks/alertmanager", []byte(amResolved))
	require.Equal(t, http.StatusAccepted, code, "unknown fields (notification_reason, routeLabels) are ignored")
	f = r.fault(f.ID)
	assert.Equal(t, 0, f.FiringAlerts())
	assert.Equal(t, bot.StatusOpen, f.Status, "a person resolves it")
	assert.Contains(t, last(r.chat.Texts(f.Channel)), "✅ alertmanager: every alert has resolved (2 of 2)")

	c := r.hooks.Counts()[alerts.SourceAlertmanager]
	assert.Equal(t, alerts.Counts{Requests: 3, Received: 6, Deduplicated: 4, Declared: 1, Rejected: map[int]int64{}}, c)
}

func last(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

func TestGrafanaContactPoint(t *testing.T) {
	t.Parallel()
	r := newRig(t, testConfig())
	body := []byte(grafanaFiring)
	ts := unix(r.clock.Now())
	code, out := r.post("/hooks/grafana", body, "X-Grafana-Alerting-Signature", sign(secret, ts, body), "X-Grafana-Alerting-Timestamp", ts)
	require.Equal(t, http.StatusAccepted, code, "%v", out)
	f := r.faults()[0]
	assert.Equal(t, bot.P1, f.Level, "critical → P1")
	assert.Equal(t, "p99 latency above 2s", f.Title)
	assert.Equal(t, "payments", f.Service)
	assert.Equal(t, "Payments latency", f.Kind)
	assert.Equal(t, "grafana", f.DeclaredBy)
	assert.Contains(t, r.chat.Texts(f.Channel)[1], "Details: The payments API p99 has been above 2s for 5m · runbook: https://runbooks.example.com/payments · source: https://grafana.example.com/d/pay")
}

func TestGenericJSON(t *testing.T) {
	t.Parallel()
	r := newRig(t, testConfig())
	code, out := r.post("/hooks/generic", []byte(genericFiring))
	require.Equal(t, http.StatusAccepted, code, "%v", out)
	f := r.faults()[0]
	assert.Equal(t, bot.P2, f.Level)
	assert.Equal(t, "Replica lag over 30s", f.Title)
	assert.Equal(t, "payments", f.Service)
	assert.Equal(t, "checkout", f.Cause)
	assert.Equal(t, "db-data-error", f.Kind)
	assert.Contains(t, r.chat.Texts(f.Channel)[1], `Details: {"lag_s":42,"replica":"db-2"}`)

	// A level the map knows; the same key joins; resolved resolves.
	code, _ = r.post("/hooks/generic", []byte(`{"key":"db-replica-lag","status":"firing","level":"critical"}`))
	require.Equal(t, http.StatusAccepted, code)
	assert.Len(t, r.faults(), 1)
	assert.Equal(t, bot.P2, r.fault(f.ID).Level, "the same alert (the key is its fingerprint) again: nothing new")
	code, _ = r.post("/hooks/generic", []byte(`{"key":"db-replica-lag","status":"resolved"}`))
	require.Equal(t, http.StatusAccepted, code)
	assert.Equal(t, 0, r.fault(f.ID).FiringAlerts())

	// Only a key and a status are needed.
	code, _ = r.post("/hooks/generic", []byte(`{"key":"disk-full-db-3","status":"firing","details":"94% used"}`))
	require.Equal(t, http.StatusAccepted, code)
	g := r.faults()[0]
	assert.Equal(t, "disk-full-db-3", g.Title)
	assert.Equal(t, bot.P3, g.Level, "the default level")
}

func TestLabelMapping(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Levels = alerts.Levels{Label: "priority", Map: map[string]bot.Level{"Page": bot.P1, "ticket": bot.P4}, Default: bot.P2}
	cfg.ServiceLabel, cfg.CauseLabel, cfg.KindLabel = "app", "upstream", "rule"
	m, err := alerts.ParseMessage([]byte(`{"version":"4","groupKey":"g","status":"firing","alerts":[
		{"status":"firing","labels":{"priority":"page","app":"checkout","upstream":"payments","rule":"Down","n":3,"ok":true,"gone":null},"annotations":{"summary":"Checkout down\nmore lines"}},
		{"status":"firing","labels":{"priority":"TICKET"}},
		{"status":"firing","labels":{"priority":"P1"}},
		{"status":"firing","labels":{"priority":"whatever","alertname":"Odd","app":"x"}},
		{"status":"resolved","labels":{}}]}`), alerts.SourceAlertmanager)
	require.NoError(t, err)
	b := cfg.Batch(m, alerts.SourceAlertmanager)
	require.Len(t, b.Alerts, 5)
	a := b.Alerts[0]
	assert.Equal(t, bot.P1, a.Level, "map values match without case")
	assert.Equal(t, "checkout", a.Service)
	assert.Equal(t, "payments", a.Cause)
	assert.Equal(t, "Down", a.Kind)
	assert.Equal(t, "Checkout down", a.Title, "the summary's first line")
	assert.Equal(t, map[string]string{"priority": "page", "app": "checkout", "upstream": "payments", "rule": "Down", "n": "3", "ok": "true"}, a.Labels, "lenient labels")
	assert.Equal(t, "g", a.Key)
	assert.NotEmpty(t, a.Fingerprint, "computed from the labels when missing")
	assert.Equal(t, bot.P4, b.Alerts[1].Level)
	assert.Equal(t, bot.P1, b.Alerts[2].Level, "a level itself")
	assert.Equal(t, bot.P2, b.Alerts[3].Level, "an unknown value: the default")
	assert.Equal(t, "Odd on x", b.Alerts[3].Title, "no summary: the alert name and service")
	assert.NotEqual(t, b.Alerts[1].Fingerprint, b.Alerts[4].Fingerprint)
	assert.False(t, b.Resolved)
	require.NoError(t, b.Validate())

	cfg.CauseLabel = ""
	assert.Empty(t, cfg.Batch(m, alerts.SourceAlertmanager).Alerts[0].Cause, "no cause label")

	cfg.PerAlert = true
	m.Status = "resolved"
	b = cfg.Batch(m, alerts.SourceAlertmanager)
	assert.Equal(t, b.Alerts[0].Fingerprint, b.Alerts[0].Key, "group: alert: the fingerprint is the key")
	assert.Equal(t, "g", b.Group, "still ordered by group")
	assert.False(t, b.Resolved, "a group's status does not stand for per-alert keys")
}

func TestPerAlertFaults(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.PerAlert = true
	r := newRig(t, cfg)
	code, _ := r.post("/hooks/alertmanager", []byte(amFiring))
	require.Equal(t, http.StatusAccepted, code)
	assert.Len(t, r.faults(), 2, "one per fingerprint")
	code, _ = r.post("/hooks/alertmanager", []byte(amResolved))
	require.Equal(t, http.StatusAccepted, code)
	for _, f := range r.faults() {
		assert.Equal(t, 0, f.FiringAlerts())
	}
}

// failingStore cannot keep anything in its inbox.
type failingStore struct{ bot.Store }

func (failingStore) Put(context.Context, bot.InboxItem) (bool, error) {
	return false, errors.New("database is locked")
}
func (failingStore) Pending(context.Context, string, int) ([]bot.InboxItem, error) { return nil, nil }
func (failingStore) Done(context.Context, string, string) error                    { return nil }

func TestStatuses(t *testing.T) {
	t.Parallel()
	r := newRig(t, testConfig())
	big := `{"version":"4","groupKey":"g","status":"firing","alerts":[{"status":"firing","labels":{"x":"` + strings.Repeat("a", alerts.MaxBody) + `"}}]}`
	// A body of exactly 1 MiB is taken.
	exact := `{"key":"padded","status":"firing"}`
	exact += strings.Repeat(" ", alerts.MaxBody-len(exact))
	tests := []struct {
		name    string
		path    string
		body    string
		headers []string
		want    int
		msg     string
	}{
		{"no token", "/hooks/alertmanager", amFiring, []string{"Authorization", ""}, 401, "this hook needs alerts.token"},
		{"wrong token", "/hooks/alertmanager", amFiring, []string{"Authorization", "Bearer nope"}, 401, "that token is not alerts.token"},
		{"token prefix", "/hooks/alertmanager", amFiring, []string{"Authorization", "Bearer " + token[:5]}, 401, "that token is not alerts.token"},
		{"basic auth", "/hooks/generic", genericFiring, []string{"Authorization", "Basic " + token}, 401, "this hook needs alerts.token"},
		{"bearer, lower case", "/hooks/generic", genericFiring, []string{"Authorization", "bearer " + token}, 202, ""},
		{"malformed JSON", "/hooks/alertmanager", `{"version":"4",`, nil, 400, "malformed JSON"},
		{"not an object", "/hooks/alertmanager", `[1,2]`, nil, 400, "malformed JSON: expected an object, got array"},
		{"more after the object", "/hooks/generic", genericFiring + `{}`, nil, 400, "malformed JSON: more after the object"},
		{"wrong type", "/hooks/alertmanager", `{"version":"4","groupKey":"g","alerts":{}}`, nil, 400, "malformed JSON: alerts: expected []alerts.Entry, got object"},
		{"label not a scalar", "/hooks/alertmanager", `{"version":"4","groupKey":"g","alerts":[{"status":"firing","labels":{"a":{"b":1}}}]}`, nil, 400, `label "a": expected a string, got an object`},
		{"version 3", "/hooks/alertmanager", strings.Replace(amFiring, `"version":"4"`, `"version":"3"`, 1), nil, 400, `unsupported version "3": this hook takes version 4`},
		{"no version", "/hooks/alertmanager", strings.Replace(amFiring, `"version":"4",`, ``, 1), nil, 400, `unsupported version ""`},
		{"grafana's version at alertmanager", "/hooks/alertmanager", strings.Replace(amFiring, `"version":"4"`, `"version":"1"`, 1), nil, 400, "unsupported version"},
		{"no group key", "/hooks/alertmanager", `{"version":"4","alerts":[]}`, nil, 400, "no groupKey"},
		{"bad alert status", "/hooks/alertmanager", `{"version":"4","groupKey":"g","alerts":[{"status":"pending"}]}`, nil, 400, `alerts[0].status "pending": expected firing or resolved`},
		{"no alerts", "/hooks/alertmanager", `{"version":"4","groupKey":"g","status":"firing","alerts":[]}`, nil, 202, ""},
		{"generic without key", "/hooks/generic", `{"status":"firing"}`, nil, 400, `no "key"`},
		{"generic bad status", "/hooks/generic", `{"key":"k","status":"on"}`, nil, 400, `"status" "on": expected firing or resolved`},
		{"generic unknown level", "/hooks/generic", `{"key":"k","status":"firing","level":"urgent"}`, nil, 400, `"level" "urgent": expected P1, P2, P3, P4 or one of the level map's values (critical, error, info, warning)`},
		{"over 1 MiB", "/hooks/alertmanager", big, nil, 413, "at most 1 MiB"},
		{"exactly 1 MiB", "/hooks/generic", exact, nil, 202, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out := r.post(tc.path, []byte(tc.body), tc.headers...)
			require.Equal(t, tc.want, code, "%v", out)
			if tc.msg != "" {
				assert.Contains(t, out["error"], tc.msg)
			}
		})
	}

	// A body over 1 MiB without a Content-Length (chunked) is cut off too.
	req, err := http.NewRequest(http.MethodPost, r.srv.URL+"/hooks/alertmanager", strings.NewReader(big))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.ContentLength = -1
	resp, err := r.srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)

	resp, err = r.srv.Client().Get(r.srv.URL + "/hooks/alertmanager")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)

	rej := r.hooks.Counts()
	assert.Equal(t, int64(4), rej[alerts.SourceAlertmanager].Rejected[401]+rej[alerts.SourceGeneric].Rejected[401])
	assert.Equal(t, int64(2), rej[alerts.SourceAlertmanager].Rejected[413])

	// The store cannot keep it: 503, and Alertmanager retries.
	f := newRig(t, testConfig(), func(s bot.Store) bot.Store { return failingStore{s} })
	code, out := f.post("/hooks/alertmanager", []byte(amFiring))
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "the store cannot keep alerts now; send them again", out["error"])
	assert.Empty(t, f.faults())
	assert.Equal(t, int64(1), f.hooks.Counts()[alerts.SourceAlertmanager].Rejected[503])
}

func TestRetryAfterAndAuthenticateHeaders(t *testing.T) {
	t.Parallel()
	f := newRig(t, testConfig(), func(s bot.Store) bot.Store { return failingStore{s} })
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/hooks/generic", strings.NewReader(genericFiring))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := f.srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "5", resp.Header.Get("Retry-After"))
	req, _ = http.NewRequest(http.MethodPost, f.srv.URL+"/hooks/generic", strings.NewReader(genericFiring))
	resp, err = f.srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "Bearer", resp.Header.Get("WWW-Authenticate"))
}

func TestGrafanaSignature(t *testing.T) {
	t.Parallel()
	body := []byte(grafanaFiring)
	type try struct {
		name    string
		headers func(now time.Time) []string
		want    int
		msg     string
	}
	sig := "X-Grafana-Alerting-Signature"
	tsh := "X-Grafana-Alerting-Timestamp"
	run := func(t *testing.T, cfg alerts.Config, tries []try) {
		for _, tc := range tries {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				r := newRig(t, cfg)
				code, out := r.post("/hooks/grafana", body, tc.headers(r.clock.Now())...)
				require.Equal(t, tc.want, code, "%v", out)
				if tc.msg != "" {
					assert.Contains(t, out["error"], tc.msg)
				}
				if tc.want == http.StatusAccepted {
					assert.Len(t, r.faults(), 1)
				} else {
					assert.Empty(t, r.faults(), "nothing taken")
				}
			})
		}
	}
	t.Run("default", func(t *testing.T) {
		t.Parallel()
		run(t, testConfig(), []try{
			{"right, with a timestamp", func(now time.Time) []string { ts := unix(now); return []string{sig, sign(secret, ts, body), tsh, ts} }, 202, ""},
			{"right, body alone", func(time.Time) []string { return []string{sig, sign(secret, "", body)} }, 202, ""},
			{"the other header name", func(time.Time) []string { return []string{"X-Grafana-Alert-Signature", sign(secret, "", body)} }, 202, ""},
			{"4m old: within the window", func(now time.Time) []string {
				ts := unix(now.Add(-4 * time.Minute))
				return []string{sig, sign(secret, ts, body), tsh, ts}
			}, 202, ""},
			{"wrong secret", func(now time.Time) []string { ts := unix(now); return []string{sig, sign("other", ts, body), tsh, ts} }, 401, "the signature does not match"},
			{"signed another body", func(now time.Time) []string {
				ts := unix(now)
				return []string{sig, sign(secret, ts, []byte(grafanaFiring+" ")), tsh, ts}
			}, 401, "the signature does not match"},
			{"signed with a timestamp, sent without", func(now time.Time) []string { return []string{sig, sign(secret, unix(now), body)} }, 401, "the signature does not match"},
			{"another timestamp than signed", func(now time.Time) []string {
				return []string{sig, sign(secret, unix(now), body), tsh, unix(now.Add(time.Second))}
			}, 401, "the signature does not match"},
			{"stale", func(now time.Time) []string {
				ts := unix(now.Add(-6 * time.Minute))
				return []string{sig, sign(secret, ts, body), tsh, ts}
			}, 401, "the signed timestamp is 6m0s from warroom's clock, more than 5m0s"},
			{"from the future", func(now time.Time) []string {
				ts := unix(now.Add(10 * time.Minute))
				return []string{sig, sign(secret, ts, body), tsh, ts}
			}, 401, "the signed timestamp is 10m0s from warroom's clock"},
			{"timestamp not a number", func(time.Time) []string { return []string{sig, sign(secret, "x", body), tsh, "x"} }, 401, "is not a unix time"},
			{"no signature", func(time.Time) []string { return nil }, 401, "no signature in X-Grafana-Alerting-Signature or X-Grafana-Alert-Signature"},
			{"not hex", func(time.Time) []string { return []string{sig, "zz"} }, 401, "the signature does not match"},
			{"no token, right signature", func(time.Time) []string { return []string{sig, sign(secret, "", body), "Authorization", ""} }, 401, "needs alerts.token"},
		})
	})
	t.Run("configured header, timestamp required", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig()
		cfg.Grafana.Header, cfg.Grafana.TimestampHeader, cfg.Grafana.TimestampRequired = "X-Sig", "X-Ts", true
		run(t, cfg, []try{
			{"right", func(now time.Time) []string {
				ts := unix(now)
				return []string{"X-Sig", sign(secret, ts, body), "X-Ts", ts}
			}, 202, ""},
			{"a default header name", func(now time.Time) []string {
				ts := unix(now)
				return []string{sig, sign(secret, ts, body), "X-Ts", ts}
			}, 401, "no signature in X-Sig"},
			{"no timestamp", func(time.Time) []string { return []string{"X-Sig", sign(secret, "", body)} }, 401, "no X-Ts header"},
		})
	})
	t.Run("no secret", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig()
		cfg.Grafana = alerts.Grafana{}
		run(t, cfg, []try{
			{"unsigned", func(time.Time) []string { return nil }, 202, ""},
			{"still the token", func(time.Time) []string { return []string{"Authorization", "Bearer x"} }, 401, ""},
		})
	})
}

func TestOffRoutes(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	for p, h := range alerts.OffRoutes() {
		mux.Handle(p, h)
	}
	for _, s := range alerts.Sources {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/hooks/"+s, strings.NewReader("{}")))
		assert.Equal(t, http.StatusNotFound, w.Code)
		assert.Contains(t, w.Body.String(), "the alert hooks are off: add an alerts: section")
	}
	_, err := alerts.New(alerts.Config{}, nil, nil, nil)
	assert.Error(t, err, "no token")
}
