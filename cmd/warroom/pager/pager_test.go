package pager_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/pager"
)

// --- retries, through the webhook (the simplest request) ---

func TestRetry5xxThenFail(t *testing.T) {
	t.Parallel()
	hook := newFake(t, always(http.StatusServiceUnavailable, "upstream down\n"))
	w := &waits{}
	err := newWebhook(t, hook.URL, w).Page(context.Background(), page(alice, bot.P1))
	assert.EqualError(t, err, "webhook: page: HTTP 503 Service Unavailable: upstream down (3 tries)")
	assert.Len(t, hook.requests(), 3)
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second}, w.all(), "exponential backoff")
}

func TestRetry5xxThenSucceed(t *testing.T) {
	t.Parallel()
	hook := newFake(t, func(n int, _ *http.Request) answer {
		if n < 2 {
			return answer{status: http.StatusBadGateway}
		}
		return answer{status: http.StatusOK}
	})
	w := &waits{}
	require.NoError(t, newWebhook(t, hook.URL, w).Page(context.Background(), page(alice, bot.P1)))
	reqs := hook.requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, reqs[0].Body, reqs[2].Body)
	assert.Equal(t, reqs[0].Header.Get("X-Warroom-Signature"), reqs[2].Header.Get("X-Warroom-Signature"), "a retry is the same delivery")
}

func TestRetry4xxIsFinal(t *testing.T) {
	t.Parallel()
	for _, code := range []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusUnprocessableEntity} {
		hook := newFake(t, always(code, `{"error": "no"}`))
		w := &waits{}
		err := newWebhook(t, hook.URL, w).Page(context.Background(), page(alice, bot.P1))
		assert.EqualError(t, err, fmt.Sprintf(`webhook: page: HTTP %d %s: {"error": "no"}`, code, http.StatusText(code)))
		assert.Len(t, hook.requests(), 1, "%d", code)
		assert.Empty(t, w.all())
	}
}

// The caller's ctx ends the tries, even mid-wait.
func TestRetryBoundedByCtx(t *testing.T) {
	t.Parallel()
	hook := newFake(t, always(http.StatusServiceUnavailable, ""))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &waits{hook: cancel} // the caller gives up during the first wait
	err := newWebhook(t, hook.URL, w).Page(ctx, page(alice, bot.P1))
	assert.EqualError(t, err, "webhook: page: context canceled after 1 try (last: HTTP 503 Service Unavailable)")
	assert.Len(t, hook.requests(), 1)

	// A ctx that is already done sends nothing.
	err = newWebhook(t, hook.URL, &waits{}).Page(ctx, page(alice, bot.P1))
	assert.EqualError(t, err, "webhook: page: context canceled after 1 try")
	assert.Len(t, hook.requests(), 1)
}

// A Retry-After beyond the retry budget ends the tries at once rather than
// holding the page for minutes.
func TestRetryAfterBeyondTheBudget(t *testing.T) {
	t.Parallel()
	hook := newFake(t, always(http.StatusTooManyRequests, "slow down", "Retry-After", "120"))
	w := &waits{}
	err := newWebhook(t, hook.URL, w).Page(context.Background(), page(alice, bot.P1))
	assert.EqualError(t, err, "webhook: page: HTTP 429 Too Many Requests: slow down; Retry-After 2m0s is beyond the retry budget of 10s (1 try)")
	assert.Len(t, hook.requests(), 1)
	assert.Empty(t, w.all())
}

func TestRetryBudget(t *testing.T) {
	t.Parallel()
	hook := newFake(t, always(http.StatusInternalServerError, ""))
	w := &waits{}
	o := opts(w)
	o.Retry = pager.Retry{Tries: 10, Backoff: time.Second, MaxWait: 5 * time.Second}
	wh, err := pager.NewWebhook(pager.WebhookConfig{URL: hook.URL, Secret: secret}, o)
	require.NoError(t, err)
	err = wh.Page(context.Background(), page(alice, bot.P1))
	assert.EqualError(t, err, "webhook: page: HTTP 500 Internal Server Error (3 tries, retry budget of 5s spent)")
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second}, w.all(), "1s+2s+4s would be beyond 5s")
}

// Retry.Total bounds a call in wall-clock time whatever the server does.
func TestRetryTotalBound(t *testing.T) {
	t.Parallel()
	hook := newFake(t, func(_ int, r *http.Request) answer {
		<-r.Context().Done() // never answers
		return answer{status: http.StatusOK}
	})
	w := &waits{}
	o := opts(w)
	o.Retry.Total = 50 * time.Millisecond
	wh, err := pager.NewWebhook(pager.WebhookConfig{URL: hook.URL, Secret: secret}, o)
	require.NoError(t, err)
	err = wh.Page(context.Background(), page(alice, bot.P1))
	assert.EqualError(t, err, "webhook: page: context deadline exceeded after 1 try")
	assert.Empty(t, w.all())
}

// --- the fan-out, over fake providers ---

type fakeProvider struct {
	name   string
	cannot error // CanPage's answer
	err    error // Page's answer
	mu     sync.Mutex
	pages  []bot.Page
	events []string
}

func (f *fakeProvider) Name() string           { return f.name }
func (f *fakeProvider) CanPage(bot.Page) error { return f.cannot }
func (f *fakeProvider) record(ev string, p bot.Page) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pages = append(f.pages, p)
	f.events = append(f.events, ev)
}

func (f *fakeProvider) Page(_ context.Context, p bot.Page) error {
	f.record("page", p)
	return f.err
}

func (f *fakeProvider) got() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.events...)
}

// fakeTracker also follows faults.
type fakeTracker struct{ fakeProvider }

func (f *fakeTracker) Opened(_ context.Context, p bot.Page) error {
	f.record("opened", p)
	return f.err
}

func (f *fakeTracker) Closed(_ context.Context, p bot.Page) error {
	f.record("closed", p)
	return f.err
}

func TestFanoutOneFailingDoesNotStopTheOthers(t *testing.T) {
	t.Parallel()
	a := &fakeProvider{name: "twilio", err: errors.New("twilio: SMS to +15550100: HTTP 400 Bad Request: not a mobile number")}
	b := &fakeProvider{name: "pagerduty"}
	c := &fakeProvider{name: "webhook", err: errors.New("HTTP 503 Service Unavailable (3 tries)")}
	f := pager.New(nil, a, b, c)
	err := f.Page(context.Background(), page(alice, bot.P1))
	assert.EqualError(t, err, "twilio: SMS to +15550100: HTTP 400 Bad Request: not a mobile number; webhook: HTTP 503 Service Unavailable (3 tries) (sent by pagerduty)")
	var perr *pager.Error
	require.ErrorAs(t, err, &perr)
	assert.Equal(t, []string{"pagerduty"}, perr.Sent)
	require.Len(t, perr.Failed, 2)
	assert.Equal(t, "twilio", perr.Failed[0].Provider)
	assert.Equal(t, "webhook", perr.Failed[1].Provider)
	assert.ErrorIs(t, err, c.err)
	for _, p := range []*fakeProvider{a, b, c} {
		assert.Equal(t, []string{"page"}, p.got(), p.name)
	}
}

func TestFanoutSkipsProvidersThatCannotTakeThePage(t *testing.T) {
	t.Parallel()
	a := &fakeProvider{name: "twilio", cannot: errors.New("twilio: erin has no phone number")}
	b := &fakeProvider{name: "webhook"}
	require.NoError(t, pager.New(nil, a, b).Page(context.Background(), page(erin, bot.P1)))
	assert.Empty(t, a.got())
	assert.Equal(t, []string{"page"}, b.got())

	// When no provider can, each says why.
	c := &fakeProvider{name: "pagerduty", cannot: errors.New("P3 faults are not sent to PagerDuty (levels P1, P2)")}
	err := pager.New(nil, a, c).Page(context.Background(), page(erin, bot.P3))
	assert.EqualError(t, err, "twilio: erin has no phone number; pagerduty: P3 faults are not sent to PagerDuty (levels P1, P2)")
}

func TestFanoutOpenedAndClosedGoToTrackers(t *testing.T) {
	t.Parallel()
	a := &fakeProvider{name: "twilio"}
	b := &fakeTracker{fakeProvider{name: "pagerduty"}}
	c := &fakeTracker{fakeProvider{name: "webhook", err: errors.New("webhook: closed: HTTP 500 Internal Server Error (3 tries)")}}
	f := pager.New(nil, a, b, c)
	ctx := context.Background()
	p := bot.Page{FaultID: 7, Level: bot.P1, Dedup: "warroom-fault-7"}
	require.NoError(t, pager.New(nil, a, b).Opened(ctx, p))
	assert.EqualError(t, f.Closed(ctx, p), "webhook: closed: HTTP 500 Internal Server Error (3 tries) (sent by pagerduty)")
	assert.Empty(t, a.got(), "Twilio does not follow faults")
	assert.Equal(t, []string{"opened", "closed"}, b.got())
	assert.Equal(t, []string{"closed"}, c.got())
}

func TestFanoutWithNothingConfigured(t *testing.T) {
	t.Parallel()
	f := pager.New(nil)
	assert.EqualError(t, f.Page(context.Background(), page(alice, bot.P1)), "no pager is configured")
	assert.NoError(t, f.Opened(context.Background(), bot.Page{FaultID: 1}))
	assert.Empty(t, f.Providers())
}

// --- the fan-out over the three real providers ---

type services struct {
	twilio, pagerduty, webhook *fake
	fanout                     *pager.Fanout
	providers                  []pager.Provider
}

func newServices(t testing.TB, w *waits) *services {
	t.Helper()
	s := &services{
		twilio:    newFake(t, twilioCreated),
		pagerduty: newFake(t, pdAccepted),
		webhook:   newFake(t, always(http.StatusNoContent, "")),
	}
	o := opts(w)
	tw, err := pager.NewTwilio(pager.TwilioConfig{AccountSID: sid, AuthToken: token, From: from, Voice: true, APIURL: s.twilio.URL}, o)
	require.NoError(t, err)
	pd, err := pager.NewPagerDuty(pager.PagerDutyConfig{RoutingKey: rkey, APIURL: s.pagerduty.URL}, o)
	require.NoError(t, err)
	wh, err := pager.NewWebhook(pager.WebhookConfig{URL: s.webhook.URL, Secret: secret}, o)
	require.NoError(t, err)
	s.providers = []pager.Provider{tw, pd, wh}
	s.fanout = pager.New(nil, s.providers...)
	return s
}

func paths(reqs []got) []string {
	var out []string
	for _, g := range reqs {
		out = append(out, g.Path)
	}
	return out
}

func TestFanoutOverTheRealProviders(t *testing.T) {
	t.Parallel()
	s := newServices(t, &waits{})
	f := s.fanout
	ctx := context.Background()
	assert.Equal(t, []string{"twilio", "pagerduty", "webhook"}, f.Providers())

	// Declared: PagerDuty and the webhook hear of the fault.
	require.NoError(t, f.Opened(ctx, bot.Page{FaultID: 7, Level: bot.P1, Text: "declared", Dedup: "warroom-fault-7"}))
	// A page: a text and a call, a trigger, a page event.
	require.NoError(t, f.Page(ctx, page(alice, bot.P1)))
	// A person without a phone: Twilio cannot, the others can.
	require.NoError(t, f.Page(ctx, page(erin, bot.P1)))
	// A stakeholder notification: a text only, and the webhook.
	require.NoError(t, f.Page(ctx, bot.Page{Person: bot.Person{ID: "+15550142", Phone: "+15550142"}, FaultID: 7, Level: bot.P1, Text: "update", Dedup: "warroom-fault-7", Notify: true}))
	require.NoError(t, f.Closed(ctx, bot.Page{FaultID: 7, Level: bot.P1, Text: "resolved", Dedup: "warroom-fault-7"}))

	tw := s.twilio.requests()
	assert.Equal(t, []string{"/2010-04-01/Accounts/" + sid + "/Messages.json", "/2010-04-01/Accounts/" + sid + "/Calls.json", "/2010-04-01/Accounts/" + sid + "/Messages.json"}, paths(tw))
	assert.Equal(t, "+15550142", tw[2].Form(t).Get("To"))

	var actions []string
	for _, g := range s.pagerduty.requests() {
		actions = append(actions, pdEvent(t, g)["event_action"].(string))
	}
	assert.Equal(t, []string{"trigger", "trigger", "trigger", "resolve"}, actions, "opened, alice, erin, closed")

	var events []string
	for _, g := range s.webhook.requests() {
		require.NoError(t, pager.Verify(secret, g.Header, g.Body, now, time.Minute))
		var ev pager.WebhookEvent
		require.NoError(t, json.Unmarshal(g.Body, &ev))
		events = append(events, ev.Event)
	}
	assert.Equal(t, []string{"opened", "page", "page", "notify", "closed"}, events)
}

func TestFanoutNamesEachFailedProvider(t *testing.T) {
	t.Parallel()
	w := &waits{}
	s := newServices(t, w)
	s.twilio.answer(always(http.StatusBadRequest, `{"code": 21211, "message": "Invalid 'To' Phone Number"}`))
	s.pagerduty.answer(always(http.StatusServiceUnavailable, ""))
	err := s.fanout.Page(context.Background(), page(alice, bot.P1))
	assert.EqualError(t, err, "twilio: SMS to +15550100: HTTP 400 Bad Request: Invalid 'To' Phone Number (Twilio error 21211); call to +15550100: HTTP 400 Bad Request: Invalid 'To' Phone Number (Twilio error 21211); pagerduty: trigger: HTTP 503 Service Unavailable (3 tries) (sent by webhook)")
	assert.Len(t, s.webhook.requests(), 1)
	assert.Len(t, s.pagerduty.requests(), 3)
}
