package main

import (
	"bytes"
	"context"
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
	"github.com/warroom/warroom/cmd/warroom/config"
	"github.com/warroom/warroom/cmd/warroom/pager"
)

func TestNewNotifierWithNothingConfigured(t *testing.T) {
	t.Parallel()
	n, err := newNotifier(config.Default(), bot.NewFakeClock(start), nil)
	require.NoError(t, err)
	assert.Nil(t, n, "the embedded example pages nobody: a nil interface, not a typed nil")
}

// recorder is a local stand-in for one paging service.
type recorder struct {
	*httptest.Server
	status int
	mu     sync.Mutex
	reqs   []*http.Request
	bodies []string
}

func newRecorder(t *testing.T, status int) *recorder {
	r := &recorder{status: status}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, req)
		r.bodies = append(r.bodies, string(body))
		r.mu.Unlock()
		w.WriteHeader(r.status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) got() ([]*http.Request, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*http.Request(nil), r.reqs...), append([]string(nil), r.bodies...)
}

// The config's paging section becomes one notifier over every provider,
// each pointed where the config says, on the injected clock.
func TestNewNotifierFromConfig(t *testing.T) {
	t.Parallel()
	twilio, pd, hook := newRecorder(t, http.StatusCreated), newRecorder(t, http.StatusAccepted), newRecorder(t, http.StatusNoContent)
	env := map[string]string{
		"TWILIO_AUTH_TOKEN":      "tw-token",
		"PAGERDUTY_ROUTING_KEY":  "R0123456789ABCDEF0123456789ABCDE",
		"WARROOM_WEBHOOK_SECRET": "0123456789abcdef0123",
	}
	data := `people:
  alice: {name: Alice Chen, phone: "+15550100"}
paging:
  twilio: {account_sid: AC0123456789abcdef0123456789abcdef, auth_token: "${TWILIO_AUTH_TOKEN}", from: "+15550199", voice: true, api_url: "` + twilio.URL + `"}
  pagerduty: {routing_key: "${PAGERDUTY_ROUTING_KEY}", api_url: "` + pd.URL + `"}
  webhook: {url: "` + hook.URL + `/warroom", secret: "${WARROOM_WEBHOOK_SECRET}"}
`
	cfg, err := config.Parse([]byte(data), "warroom.yaml", func(k string) string { return env[k] })
	require.NoError(t, err)
	clock := bot.NewFakeClock(start)
	n, err := newNotifier(cfg, clock, nil)
	require.NoError(t, err)
	require.NotNil(t, n)
	_, tracks := n.(bot.FaultTracker)
	assert.True(t, tracks, "PagerDuty and the webhook follow faults")

	p := bot.Page{Person: cfg.Catalog.People["alice"], FaultID: 4, Level: bot.P1, Text: "warroom P1 fault 4: Checkout down", Dedup: "warroom-fault-4"}
	require.NoError(t, n.Page(context.Background(), p))

	reqs, _ := twilio.got()
	require.Len(t, reqs, 2, "a text and a call")
	assert.Equal(t, "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json", reqs[0].URL.Path)
	assert.Equal(t, "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Calls.json", reqs[1].URL.Path)
	reqs, bodies := pd.got()
	require.Len(t, reqs, 1)
	assert.Contains(t, bodies[0], `"timestamp":"2026-06-02T08:00:00Z"`, "PagerDuty's timestamp is the injected clock's")
	reqs, bodies = hook.got()
	require.Len(t, reqs, 1)
	assert.Equal(t, "/warroom", reqs[0].URL.Path)
	assert.Equal(t, "1780387200", reqs[0].Header.Get("X-Warroom-Timestamp"))
	assert.NoError(t, pager.Verify(env["WARROOM_WEBHOOK_SECRET"], reqs[0].Header, []byte(bodies[0]), start, time.Minute))
}

// An unknown person in a level's page or notify list stops the start-up
// with the key and line, before anything is opened.
func TestUnknownRecipientStopsStartup(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ levels, want string }{
		{"  P1: {page: [nadia, nadja]}\n", `warroom.yaml:5: levels.P1.page: unknown person "nadja"; did you mean nadia?`},
		{"  P2: {notify: [\"#status\", omer]}\n", `warroom.yaml:5: levels.P2.notify: "omer" is not a #channel, a known person or a +phone number; did you mean omar?`},
	} {
		dir := t.TempDir()
		cfg := "people:\n  nadia: {}\n  omar: {}\nlevels:\n" + tt.levels
		require.NoError(t, os.WriteFile(filepath.Join(dir, "warroom.yaml"), []byte(cfg), 0o600))
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"-config", filepath.Join(dir, "warroom.yaml"), "-db", filepath.Join(dir, "w.db"), "-http", "off"},
			env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, clock: bot.NewFakeClock(start)})
		assert.Equal(t, 1, code)
		assert.Contains(t, errb.String(), filepath.Join(dir, tt.want))
		assert.NoFileExists(t, filepath.Join(dir, "w.db"), "stopped before the database was opened")
	}
}
