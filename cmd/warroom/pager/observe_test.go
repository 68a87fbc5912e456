package pager_test

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/pager"
)

// outcomes is a pager.Observer that keeps what it heard.
type outcomes struct {
	mu  sync.Mutex
	got []string
}

func (o *outcomes) Paged(provider, kind, outcome string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got = append(o.got, provider+" "+kind+" "+outcome)
}

func (o *outcomes) sorted() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := append([]string(nil), o.got...)
	sort.Strings(out)
	return out
}

// The observer hears each provider's outcome for each page: sent, failed,
// or skipped when the provider cannot take it; a stakeholder's text is a
// notify, and opening and closing reach the providers that follow faults.
func TestFanoutTellsTheObserverEachOutcome(t *testing.T) {
	t.Parallel()
	twilio := &fakeProvider{name: "twilio", cannot: errors.New("twilio: erin has no phone number")}
	pd := &fakeTracker{fakeProvider{name: "pagerduty", err: errors.New("HTTP 503 Service Unavailable (3 tries)")}}
	hook := &fakeTracker{fakeProvider{name: "webhook"}}
	f := pager.New(nil, twilio, pd, hook)
	obs := &outcomes{}
	f.Observe(obs)
	ctx := context.Background()

	require.Error(t, f.Page(ctx, page(erin, bot.P1)))
	notify := page(alice, bot.P2)
	notify.Notify = true
	twilio.cannot = nil
	require.Error(t, f.Page(ctx, notify))
	require.Error(t, f.Opened(ctx, bot.Page{FaultID: 1, Level: bot.P1}))
	pd.err = nil
	require.NoError(t, f.Closed(ctx, bot.Page{FaultID: 1, Level: bot.P1}))

	assert.Equal(t, []string{
		"pagerduty closed sent",
		"pagerduty notify failed",
		"pagerduty opened failed",
		"pagerduty page failed",
		"twilio notify sent",
		"twilio page skipped",
		"webhook closed sent",
		"webhook notify sent",
		"webhook opened sent",
		"webhook page sent",
	}, obs.sorted())
}
