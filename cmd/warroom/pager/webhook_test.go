package pager_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/pager"
)

func newWebhook(t *testing.T, u string, w *waits) *pager.Webhook {
	t.Helper()
	wh, err := pager.NewWebhook(pager.WebhookConfig{URL: u, Secret: secret}, opts(w))
	require.NoError(t, err)
	return wh
}

func TestWebhookPageIsSigned(t *testing.T) {
	t.Parallel()
	hook := newFake(t, always(http.StatusNoContent, ""))
	require.NoError(t, newWebhook(t, hook.URL+"/warroom?via=test", &waits{}).Page(context.Background(), page(alice, bot.P1)))

	reqs := hook.requests()
	require.Len(t, reqs, 1)
	g := reqs[0]
	assert.Equal(t, http.MethodPost, g.Method)
	assert.Equal(t, "/warroom", g.Path)
	assert.Equal(t, "application/json", g.Header.Get("Content-Type"))
	assert.Equal(t, "1772442000", g.Header.Get("X-Warroom-Timestamp"), "the fake clock's now, in Unix seconds")
	assert.JSONEq(t, `{
		"event": "page", "fault": 7, "level": "P1",
		"person": {"id": "alice", "name": "Alice Chen", "email": "alice@example.com", "phone": "+15550100"},
		"text": "warroom P1 fault 7: Checkout API 5xx. War room #fault-7-checkout-api-5xx",
		"dedup": "warroom-fault-7", "at": "2026-03-02T09:00:00Z"}`, string(g.Body))

	// A receiver verifies it as the documentation says.
	assert.Equal(t, pager.Sign(secret, "1772442000", g.Body), g.Header.Get("X-Warroom-Signature"))
	assert.NoError(t, pager.Verify(secret, g.Header, g.Body, now.Add(time.Minute), 5*time.Minute))
	assert.EqualError(t, pager.Verify("other-secret", g.Header, g.Body, now, 5*time.Minute), "X-Warroom-Signature does not match the body")
	tampered := []byte(strings.Replace(string(g.Body), `"P1"`, `"P4"`, 1))
	assert.EqualError(t, pager.Verify(secret, g.Header, tampered, now, 5*time.Minute), "X-Warroom-Signature does not match the body")
	assert.EqualError(t, pager.Verify(secret, g.Header, g.Body, now.Add(time.Hour), 5*time.Minute), "X-Warroom-Timestamp is 1h0m0s away from now, more than 5m0s")
	h := g.Header.Clone()
	h.Set("X-Warroom-Timestamp", "1772442001") // the timestamp is signed too
	assert.EqualError(t, pager.Verify(secret, h, g.Body, now, 5*time.Minute), "X-Warroom-Signature does not match the body")
}

// The signature scheme, pinned by a value computed independently:
// printf '%s' '1772442000.{"event":"page"}' | openssl dgst -sha256 -hmac whsec-test
func TestSignKnownValue(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "sha256=30d4c54abc06fb93ecc524908d5263836fd1bc9886e6210fde6d9fd21575b46e",
		pager.Sign("whsec-test", "1772442000", []byte(`{"event":"page"}`)))
}

func TestWebhookEvents(t *testing.T) {
	t.Parallel()
	hook := newFake(t, always(http.StatusOK, "ok"))
	wh := newWebhook(t, hook.URL, &waits{})
	ctx := context.Background()
	notify := bot.Page{Person: bot.Person{ID: "+15550142", Phone: "+15550142"}, FaultID: 7, Level: bot.P2, Text: "resolved", Dedup: "warroom-fault-7", Notify: true}
	require.NoError(t, wh.Page(ctx, notify))
	require.NoError(t, wh.Opened(ctx, bot.Page{FaultID: 7, Level: bot.P2, Text: "declared", Dedup: "warroom-fault-7"}))
	require.NoError(t, wh.Closed(ctx, bot.Page{FaultID: 7, Level: bot.P2, Text: "resolved", Dedup: "warroom-fault-7"}))

	var events []map[string]any
	for _, g := range hook.requests() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(g.Body, &m))
		events = append(events, m)
		assert.NoError(t, pager.Verify(secret, g.Header, g.Body, now, time.Minute))
	}
	require.Len(t, events, 3)
	assert.Equal(t, "notify", events[0]["event"])
	assert.Equal(t, map[string]any{"id": "+15550142", "phone": "+15550142"}, events[0]["person"])
	assert.Equal(t, "opened", events[1]["event"])
	assert.NotContains(t, events[1], "person")
	assert.Equal(t, "closed", events[2]["event"])
	assert.Equal(t, "warroom-fault-7", events[2]["dedup"])
}

func TestWebhookRedirectIsNotFollowed(t *testing.T) {
	t.Parallel()
	hook := newFake(t, always(http.StatusFound, "", "Location", "/elsewhere"))
	w := &waits{}
	err := newWebhook(t, hook.URL, w).Page(context.Background(), page(alice, bot.P1))
	assert.EqualError(t, err, "webhook: page: HTTP 302 Found: redirects are not followed; configure the URL it redirects to")
	assert.Len(t, hook.requests(), 1)
	assert.Empty(t, w.all())
}

// A network error is retried, and its message leaves out the URL, which
// may carry a token.
func TestWebhookNetworkErrorHidesTheURL(t *testing.T) {
	t.Parallel()
	hangUp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close() // no answer at all
		}
	}))
	defer hangUp.Close()
	w := &waits{}
	err := newWebhook(t, hangUp.URL+"/hook?token=sekrit", w).Page(context.Background(), page(alice, bot.P1))
	assert.EqualError(t, err, "webhook: page: network error: EOF (3 tries)")
	assert.NotContains(t, err.Error(), "sekrit")
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second}, w.all())
}

func TestVerifyRejectsMalformedHeaders(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	assert.EqualError(t, pager.Verify(secret, h, nil, now, time.Minute), `X-Warroom-Timestamp "" is not Unix seconds`)
	h.Set("X-Warroom-Timestamp", "1772442000")
	h.Set("X-Warroom-Signature", "md5=abc")
	assert.EqualError(t, pager.Verify(secret, h, nil, now, time.Minute), "X-Warroom-Signature is not sha256=<hex>")
}

func TestNewWebhookNeedsURLAndSecret(t *testing.T) {
	t.Parallel()
	_, err := pager.NewWebhook(pager.WebhookConfig{Secret: secret}, pager.Options{})
	assert.EqualError(t, err, "webhook: no URL")
	_, err = pager.NewWebhook(pager.WebhookConfig{URL: "http://127.0.0.1/"}, pager.Options{})
	assert.EqualError(t, err, "webhook: no secret")
}
