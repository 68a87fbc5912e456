package alerts_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/alerts"
)

// seeds are bodies to start the fuzzers from: the real senders' bodies, and
// the edges the parsers decide on.
var seeds = []string{
	amFiring, amResolved, grafanaFiring, genericFiring,
	``, `{}`, `null`, `[]`, `"x"`, `{"version":"4"}`, `{"version":"1","groupKey":"g"}`,
	`{"version":"4","groupKey":"g","status":"firing","alerts":[{"status":"firing"}]}`,
	`{"version":"4","groupKey":"g","status":"resolved","truncatedAlerts":-3,"alerts":[{"status":"resolved","labels":null,"annotations":{"summary":null}}]}`,
	`{"version":"4","groupKey":"` + strings.Repeat("k", 600) + `","alerts":[{"status":"firing","fingerprint":"` + strings.Repeat("f", 600) + `"}]}`,
	`{"version":"4","groupKey":"g","alerts":[{"status":"firing","labels":{"severity":1e400,"service":"\u0000","alertname":"\ud800"}}]}`,
	`{"version":"4","groupKey":"g","alerts":[{"status":"firing","labels":{"a":[1]}}]}`,
	`{"version":"4","groupKey":"g","alerts":[{"status":"firing","annotations":{"summary":"\n\n"},"startsAt":"yesterday"}]}`,
	`{"version":"4","groupKey":" ","alerts":[]}`, `{"version":"4","groupKey":"g","truncatedAlerts":1.5}`,
	`{"key":"k","status":"resolved"}`, `{"key":" ","status":"firing"}`, `{"key":"k","status":"firing","level":"p1","details":null}`,
	`{"key":"k","status":"firing","level":"CRITICAL","details":[1,{"a":"b"}],"title":"` + strings.Repeat("é", 200) + `"}`,
	`{"key":"k","status":"firing","details":"x"} trailing`, `{"key":1,"status":"firing"}`,
}

func fuzzConfig() alerts.Config {
	cfg := testConfig()
	cfg.Grafana = alerts.Grafana{}
	return cfg
}

// checkBatch is what every parsed body must give: a batch the core takes
// (or none), from the right source.
func checkBatch(t *testing.T, b bot.AlertBatch, source string) {
	t.Helper()
	if len(b.Alerts) == 0 {
		return
	}
	require.Equal(t, source, b.Source)
	require.NoError(t, b.Validate())
	for _, a := range b.Alerts {
		require.LessOrEqual(t, len(a.Key), 600)
		require.NotEmpty(t, a.Fingerprint)
		if a.Status == bot.AlertFiring {
			_, err := bot.ParseLevel(string(a.Level))
			require.NoError(t, err)
		}
	}
}

func fuzzMessage(f *testing.F, source string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := alerts.ParseMessage(body, source)
		if err != nil {
			require.Nil(t, m)
			require.NotEmpty(t, err.Error())
			return
		}
		for _, perAlert := range []bool{false, true} {
			cfg := fuzzConfig()
			cfg.PerAlert = perAlert
			checkBatch(t, cfg.Batch(m, source), source)
		}
	})
}

func FuzzAlertmanager(f *testing.F) { fuzzMessage(f, alerts.SourceAlertmanager) }

func FuzzGrafana(f *testing.F) { fuzzMessage(f, alerts.SourceGrafana) }

func FuzzGeneric(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := fuzzConfig().ParseGeneric(body)
		if err != nil {
			require.NotEmpty(t, err.Error())
			return
		}
		require.Len(t, b.Alerts, 1)
		checkBatch(t, b, alerts.SourceGeneric)
	})
}

// takeOnly is a core that keeps nothing, and counts what it was given.
type takeOnly struct {
	mu sync.Mutex
	n  int
}

func (c *takeOnly) TakeAlerts(_ context.Context, b bot.AlertBatch) error {
	if err := b.Validate(); err != nil {
		return err
	}
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return nil
}

func (c *takeOnly) AlertCounts() map[string]bot.AlertCount { return nil }

// FuzzHooks drives the handlers: whatever comes, only the promised statuses,
// a one-line JSON error, and nothing taken without the token.
func FuzzHooks(f *testing.F) {
	for i, s := range seeds {
		f.Add(alerts.Sources[i%3], "Bearer "+token, []byte(s))
	}
	f.Add("alertmanager", "Bearer wrong", []byte(amFiring))
	f.Add("generic", "", []byte(genericFiring))
	f.Add("grafana", "bearer "+token+" ", []byte(grafanaFiring))
	core := &takeOnly{}
	hooks, err := alerts.New(fuzzConfig(), core, bot.NewFakeClock(t0), nil)
	require.NoError(f, err)
	mux := http.NewServeMux()
	for p, h := range hooks.Routes() {
		mux.Handle(p, h)
	}
	f.Fuzz(func(t *testing.T, source, auth string, body []byte) {
		if !slices.Contains(alerts.Sources, source) {
			source = alerts.SourceGeneric
		}
		core.mu.Lock()
		before := core.n
		core.mu.Unlock()
		req := httptest.NewRequest(http.MethodPost, "/hooks/"+source, bytes.NewReader(body))
		req.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		require.Contains(t, []int{202, 400, 401, 413}, w.Code, w.Body.String())
		if w.Code != 202 {
			require.Regexp(t, `^\{"code":"[a-z_]+","error":"[^\n]*"\}\n$`, w.Body.String())
		}
		core.mu.Lock()
		taken := core.n - before
		core.mu.Unlock()
		if w.Code != 202 {
			require.Zero(t, taken, "refused, yet taken")
		}
		if !strings.Contains(auth, token) {
			require.Equal(t, 401, w.Code, "no token, nothing but 401")
		}
	})
}
