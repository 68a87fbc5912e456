package pager_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/pager"
)

func newPagerDuty(t *testing.T, api string, w *waits, levels ...bot.Level) *pager.PagerDuty {
	t.Helper()
	d, err := pager.NewPagerDuty(pager.PagerDutyConfig{RoutingKey: rkey, Levels: levels, APIURL: api}, opts(w))
	require.NoError(t, err)
	return d
}

// pdAccepted is the Events API's answer to an accepted event.
func pdAccepted(int, *http.Request) answer {
	return answer{status: http.StatusAccepted, body: `{"status": "success", "message": "Event processed", "dedup_key": "warroom-fault-7"}`}
}

// pdEvent checks an Events API request and returns its JSON body.
func pdEvent(t *testing.T, g got) map[string]any {
	t.Helper()
	assert.Equal(t, http.MethodPost, g.Method)
	assert.Equal(t, "/v2/enqueue", g.Path)
	assert.Equal(t, "application/json", g.Header.Get("Content-Type"))
	assert.Empty(t, g.Header.Get("Authorization"), "the routing key is the credential")
	var m map[string]any
	require.NoError(t, json.Unmarshal(g.Body, &m), "%s", g.Body)
	return m
}

// One fault is one PagerDuty alert: declare triggers it, a page is one more
// trigger on the same dedup key, resolve resolves it.
func TestPagerDutyFollowsTheFault(t *testing.T) {
	t.Parallel()
	api := newFake(t, pdAccepted)
	d := newPagerDuty(t, api.URL, &waits{})
	ctx := context.Background()
	require.NoError(t, d.Opened(ctx, bot.Page{FaultID: 7, Level: bot.P1, Text: "P1 fault 7: Checkout API 5xx", Dedup: "warroom-fault-7"}))
	require.NoError(t, d.Page(ctx, page(alice, bot.P1)))
	require.NoError(t, d.Closed(ctx, bot.Page{FaultID: 7, Level: bot.P1, Text: "resolved", Dedup: "warroom-fault-7"}))

	reqs := api.requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, map[string]any{
		"routing_key":  rkey,
		"event_action": "trigger",
		"dedup_key":    "warroom-fault-7",
		"payload": map[string]any{
			"summary":        "P1 fault 7: Checkout API 5xx",
			"source":         "warroom",
			"severity":       "critical",
			"timestamp":      "2026-03-02T09:00:00Z",
			"custom_details": map[string]any{"fault": 7.0, "level": "P1"},
		},
	}, pdEvent(t, reqs[0]))
	assert.Equal(t, map[string]any{
		"routing_key":  rkey,
		"event_action": "trigger",
		"dedup_key":    "warroom-fault-7",
		"payload": map[string]any{
			"summary":        page(alice, bot.P1).Text,
			"source":         "warroom",
			"severity":       "critical",
			"timestamp":      "2026-03-02T09:00:00Z",
			"custom_details": map[string]any{"fault": 7.0, "level": "P1", "person": "alice", "name": "Alice Chen"},
		},
	}, pdEvent(t, reqs[1]))
	assert.Equal(t, map[string]any{
		"routing_key":  rkey,
		"event_action": "resolve",
		"dedup_key":    "warroom-fault-7",
	}, pdEvent(t, reqs[2]))
}

func TestPagerDutyLevels(t *testing.T) {
	t.Parallel()
	api := newFake(t, pdAccepted)
	d := newPagerDuty(t, api.URL, &waits{}) // default P1, P2
	ctx := context.Background()

	assert.NoError(t, d.CanPage(page(alice, bot.P2)))
	assert.EqualError(t, d.CanPage(page(alice, bot.P3)), "pagerduty: P3 faults are not sent to PagerDuty (levels P1, P2)")
	assert.EqualError(t, d.Page(ctx, page(alice, bot.P3)), "pagerduty: P3 faults are not sent to PagerDuty (levels P1, P2)")
	notify := page(alice, bot.P1)
	notify.Notify = true
	assert.EqualError(t, d.CanPage(notify), "pagerduty: stakeholder notifications are not sent to PagerDuty")
	require.NoError(t, d.Opened(ctx, bot.Page{FaultID: 8, Level: bot.P4, Dedup: "warroom-fault-8"}))
	assert.Empty(t, api.requests(), "nothing sent for P3 and P4")

	// A resolve goes whatever the level: the fault may have been P1 when
	// its alert was triggered.
	require.NoError(t, d.Closed(ctx, bot.Page{FaultID: 8, Level: bot.P4, Dedup: "warroom-fault-8"}))
	require.Len(t, api.requests(), 1)
	assert.Equal(t, "resolve", pdEvent(t, api.requests()[0])["event_action"])

	only3 := newPagerDuty(t, api.URL, &waits{}, bot.P3)
	assert.NoError(t, only3.CanPage(page(alice, bot.P3)))
	assert.Error(t, only3.CanPage(page(alice, bot.P1)))
}

func TestPagerDutySeverity(t *testing.T) {
	t.Parallel()
	for l, want := range map[bot.Level]string{bot.P1: "critical", bot.P2: "error", bot.P3: "warning", bot.P4: "info"} {
		assert.Equal(t, want, pager.Severity(l), l)
	}
	api := newFake(t, pdAccepted)
	d := newPagerDuty(t, api.URL, &waits{}, bot.Levels...)
	require.NoError(t, d.Page(context.Background(), page(alice, bot.P4)))
	assert.Equal(t, "info", pdEvent(t, api.requests()[0])["payload"].(map[string]any)["severity"])
}

func TestPagerDutyDedupFallsBackToTheFault(t *testing.T) {
	t.Parallel()
	api := newFake(t, pdAccepted)
	p := page(alice, bot.P1)
	p.Dedup = ""
	require.NoError(t, newPagerDuty(t, api.URL, &waits{}).Page(context.Background(), p))
	assert.Equal(t, "warroom-fault-7", pdEvent(t, api.requests()[0])["dedup_key"])
}

func TestPagerDuty400IsNotRetried(t *testing.T) {
	t.Parallel()
	api := newFake(t, always(http.StatusBadRequest, `{"status": "invalid event", "message": "Event object is invalid", "errors": ["Length of 'routing_key' is incorrect (should be 32 characters)"]}`))
	w := &waits{}
	err := newPagerDuty(t, api.URL, w).Page(context.Background(), page(alice, bot.P1))
	assert.EqualError(t, err, "pagerduty: trigger: HTTP 400 Bad Request: Event object is invalid: Length of 'routing_key' is incorrect (should be 32 characters)")
	assert.Len(t, api.requests(), 1)
	assert.Empty(t, w.all())
}

// 429 is retried after what Retry-After asks, as seconds or as a date.
func TestPagerDuty429HonoursRetryAfter(t *testing.T) {
	t.Parallel()
	for name, retryAfter := range map[string]string{
		"seconds": "5",
		"date":    now.Add(5 * time.Second).Format(http.TimeFormat),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			api := newFake(t, func(n int, r *http.Request) answer {
				if n == 0 {
					return answer{status: http.StatusTooManyRequests, header: map[string]string{"Retry-After": retryAfter}, body: `{"status": "throttle event", "message": "Requests for this service are arriving too quickly."}`}
				}
				return pdAccepted(n, r)
			})
			w := &waits{}
			require.NoError(t, newPagerDuty(t, api.URL, w).Page(context.Background(), page(alice, bot.P1)))
			assert.Len(t, api.requests(), 2)
			assert.Equal(t, []time.Duration{5 * time.Second}, w.all())
			assert.Equal(t, api.requests()[0].Body, api.requests()[1].Body, "a retry sends the same event")
		})
	}
}

func TestNewPagerDutyNeedsARoutingKey(t *testing.T) {
	t.Parallel()
	_, err := pager.NewPagerDuty(pager.PagerDutyConfig{}, pager.Options{})
	assert.EqualError(t, err, "pagerduty: no routing key")
}
