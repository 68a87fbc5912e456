package slack_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warroom/warroom/adapters/adaptertest"
	wslack "github.com/warroom/warroom/adapters/slack"
)

// Socket Mode connections lost and replaced. The fake behaves like Slack:
// what was not acknowledged is sent again (same envelope_id, same event_id,
// retry_attempt+1) on the next connection. No test sleeps: they wait on the
// fake's channels, and the adapter's waits go through the recording
// sleeper, which moves the fake clock.

// checkIn is a ✅ on message ts, as an Events API event.
func checkIn(ts string) map[string]any {
	return map[string]any{"type": "reaction_added", "user": "UBOB", "reaction": "white_check_mark",
		"item": map[string]any{"type": "message", "channel": "C1", "ts": ts}, "event_ts": "1700000000.1"}
}

// running starts Run and returns a stop function that cancels it and
// returns Run's result once every handler it started has returned.
func (h *harness) running(t *testing.T) (stop func() error) {
	ctx, cancel := context.WithCancel(t.Context())
	done := h.Start(ctx, &adaptertest.Recorder{})
	return func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(adaptertest.Timeout):
			t.Fatal("Run did not return")
			return nil
		}
	}
}

func reactedTo(rec *adaptertest.Recorder) []string {
	var out []string
	for _, r := range rec.Reactions() {
		out = append(out, r.Message)
	}
	slices.Sort(out)
	return out
}

// TestSocketModeReconnectLosesNothing: the connection is closed by Slack,
// replaced at Slack's request (disconnect), and dropped at the TCP level;
// each time an envelope is in flight and never arrives. Every event is
// handled exactly once, each loss costs one apps.connections.open, and
// the waits between attempts are the backoff's, through Options.Sleep.
func TestSocketModeReconnectLosesNothing(t *testing.T) {
	t.Parallel()
	h := &harness{env: newEnv(t, nil)}
	f := h.f
	stop := h.running(t)
	f.waitConn(t, 1)

	f.waitAck(t, f.event(t, "EvR1", 0, checkIn("1")))
	lost1 := f.lose("events_api", eventPayload("EvR2", checkIn("2")))
	f.closeSocket() // Slack closes the websocket
	f.waitConn(t, 2)
	f.waitAck(t, lost1)
	f.waitAck(t, f.event(t, "EvR3", 0, checkIn("3")))

	lost2 := f.lose("slash_commands", f.slashPayload("C1", "UBOB", "/fault status"))
	f.send(t, map[string]any{"type": "disconnect", "reason": "refresh_requested"})
	f.waitConn(t, 3)
	f.waitAck(t, lost2)
	f.waitAck(t, f.event(t, "EvR4", 0, checkIn("4")))

	lost3 := f.lose("events_api", eventPayload("EvR5", checkIn("5")))
	f.dropSocket() // the TCP connection goes, no close frame
	f.waitConn(t, 4)
	f.waitAck(t, lost3)
	f.waitAck(t, f.event(t, "EvR6", 0, checkIn("6")))

	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	if got := reactedTo(h.rec); !slices.Equal(got, []string{"1", "2", "3", "4", "5", "6"}) {
		t.Errorf("check-ins handled for %v, want each of 1..6 once", got)
	}
	if got := h.rec.Messages(); len(got) != 1 || got[0].Text != "/fault status" {
		t.Errorf("messages = %+v, want /fault status once", got)
	}
	if got := f.resentIDs(); !slices.Equal(got, []string{lost1, lost2, lost3}) {
		t.Errorf("sent again: %v, want %v", got, []string{lost1, lost2, lost3})
	}
	if n := count(f.methods(), "apps.connections.open"); n != 4 {
		t.Errorf("apps.connections.open called %d times, want 4", n)
	}
	// The first reconnect is immediate; the connections lived no time on
	// the fake clock, so the next ones back off.
	if got := h.sleep.Waits(); !slices.Equal(got, []time.Duration{time.Second, 2 * time.Second}) {
		t.Errorf("waits = %v, want [1s 2s]", got)
	}
}

// TestSocketModeRedeliveredOnce: envelopes the adapter acted on but whose
// ack was lost with the connection come again on the next one
// (retry_attempt 1, same envelope_id and event_id): acknowledged, not acted
// on again.
func TestSocketModeRedeliveredOnce(t *testing.T) {
	t.Parallel()
	h := &harness{env: newEnv(t, nil)}
	f := h.f
	stop := h.running(t)
	f.waitConn(t, 1)

	f.set(func(f *fake) { f.loseAck = true })
	ev := f.event(t, "EvONCE", 0, checkIn("1"))
	h.rec.Wait(t, 1)
	f.waitConn(t, 2)
	f.waitAck(t, ev)

	f.set(func(f *fake) { f.loseAck = true })
	cmd := f.slash(t, "C1", "UBOB", "/fault checkin")
	h.rec.Wait(t, 2)
	f.waitConn(t, 3)
	f.waitAck(t, cmd)

	// Envelopes are read in order: once this one is acknowledged, the
	// redeliveries before it have been dealt with.
	f.waitAck(t, f.event(t, "EvAFTER", 0, checkIn("2")))
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	if got := f.resentIDs(); !slices.Equal(got, []string{ev, cmd}) {
		t.Fatalf("sent again: %v, want %v", got, []string{ev, cmd})
	}
	if got := reactedTo(h.rec); !slices.Equal(got, []string{"1", "2"}) {
		t.Errorf("check-ins handled for %v, want 1 and 2 once each", got)
	}
	if got := h.rec.Messages(); len(got) != 1 {
		t.Errorf("messages = %+v, want /fault checkin once", got)
	}
}

// TestSocketModeBackoff: apps.connections.open failing (not for auth) is
// retried after 1s, 2s, 4s... up to a minute; a connection that stayed up
// 30s resets the backoff, so its loss is followed by an immediate
// reconnect.
func TestSocketModeBackoff(t *testing.T) {
	t.Parallel()
	var e *env
	e = newEnv(t, func(o *wslack.Options) {
		sleep := o.Sleep
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			err := sleep(ctx, d)
			if len(e.sleep.Waits()) == 8 {
				e.f.set(func(f *fake) { delete(f.fail, "apps.connections.open") })
			}
			return err
		}
	})
	e.f.set(func(f *fake) { f.fail["apps.connections.open"] = "internal_error" })
	h := &harness{env: e}
	stop := h.running(t)
	h.f.waitConn(t, 1)
	s := time.Second
	want := []time.Duration{s, 2 * s, 4 * s, 8 * s, 16 * s, 32 * s, time.Minute, time.Minute}
	if got := e.sleep.Waits(); !slices.Equal(got, want) {
		t.Errorf("waits = %v, want %v", got, want)
	}
	if n := count(e.f.methods(), "apps.connections.open"); n != 10 {
		t.Errorf("apps.connections.open called %d times, want 10", n)
	}

	h.f.waitAck(t, h.f.event(t, nextEventID(), 0, checkIn("1"))) // the hello was read
	e.clock.Advance(30 * time.Second)
	h.f.dropSocket()
	h.f.waitConn(t, 2)
	h.f.waitAck(t, h.f.event(t, nextEventID(), 0, checkIn("2")))
	h.f.dropSocket() // at once: this one was not stable
	h.f.waitConn(t, 3)
	if got := e.sleep.Waits()[len(want):]; !slices.Equal(got, []time.Duration{time.Second}) {
		t.Errorf("waits after the reset = %v, want [1s]", got)
	}
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
}

// TestSocketModeOpenRetryAfter: a 429 on apps.connections.open, at start
// or on a reconnect, is waited out for its Retry-After.
func TestSocketModeOpenRetryAfter(t *testing.T) {
	t.Parallel()
	h := &harness{env: newEnv(t, nil)}
	f := h.f
	f.set(func(f *fake) { f.storm["apps.connections.open"] = 2 })
	stop := h.running(t)
	f.waitConn(t, 1)
	if got := h.sleep.Waits(); !slices.Equal(got, []time.Duration{2 * time.Second, 2 * time.Second}) {
		t.Errorf("waits at start = %v, want [2s 2s]", got)
	}
	f.set(func(f *fake) { f.storm["apps.connections.open"] = 1 })
	f.dropSocket()
	f.waitConn(t, 2)
	if got := h.sleep.Waits()[2:]; !slices.Equal(got, []time.Duration{2 * time.Second}) {
		t.Errorf("waits on reconnect = %v, want [2s] (Retry-After, no backoff before the first reconnect)", got)
	}
	if n := count(f.methods(), "apps.connections.open"); n != 5 {
		t.Errorf("apps.connections.open called %d times, want 5", n)
	}
	h.React(t, "C1", "1.2", "bob", "white_check_mark")
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
}

// TestSocketModeOpenRetryBoundedByContext: an endless 429 on
// apps.connections.open is waited out only until Run's context ends.
func TestSocketModeOpenRetryBoundedByContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	var waits []time.Duration
	e := newEnv(t, func(o *wslack.Options) {
		o.MaxRetries = 1000
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			if waits = append(waits, d); len(waits) == 3 {
				cancel()
			}
			return ctx.Err()
		}
	})
	e.f.set(func(f *fake) { f.storm["apps.connections.open"] = 1000 })
	err := e.a.Run(ctx, &adaptertest.Recorder{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	if n := count(e.f.methods(), "apps.connections.open"); n != 3 || len(waits) != 3 {
		t.Errorf("apps.connections.open called %d times, %d waits; want 3 and 3", n, len(waits))
	}
}

// TestAppTokenRejected: apps.connections.open refusing the app token, at
// start or on a reconnect, ends Run with an error naming slack.app_token,
// after one call and no wait: no reconnect loop.
func TestAppTokenRejected(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code  string
		later bool
	}{
		{"invalid_auth", false}, {"not_allowed_token_type", false}, {"missing_scope", false},
		{"token_revoked", true}, {"invalid_auth", true}, {"not_authed", true},
	} {
		name := tc.code + map[bool]string{false: "/at start", true: "/on reconnect"}[tc.later]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := &harness{env: newEnv(t, nil)}
			f := h.f
			opens := 1
			if !tc.later {
				f.set(func(f *fake) { f.fail["apps.connections.open"] = tc.code })
			}
			done := h.Start(t.Context(), &adaptertest.Recorder{})
			if tc.later {
				f.waitConn(t, 1)
				f.set(func(f *fake) { f.fail["apps.connections.open"] = tc.code })
				f.dropSocket()
				opens = 2
			}
			var err error
			select {
			case err = <-done:
			case <-time.After(adaptertest.Timeout):
				t.Fatal("Run did not stop")
			}
			var ae *wslack.AuthError
			if !errors.As(err, &ae) || ae.Key != "slack.app_token" || ae.Code != tc.code ||
				!strings.Contains(err.Error(), "slack.app_token") || !strings.Contains(err.Error(), tc.code) {
				t.Fatalf("Run = %v, want an *AuthError naming slack.app_token and %s", err, tc.code)
			}
			if n := count(f.methods(), "apps.connections.open"); n != opens {
				t.Errorf("apps.connections.open called %d times, want %d", n, opens)
			}
			if w := h.sleep.Waits(); len(w) != 0 {
				t.Errorf("waits = %v, want none", w)
			}
		})
	}
}

// TestSocketModeSilentConnection: a connection that goes quiet (no frame,
// no pong to our pings) is replaced after SocketTimeout. This one test
// runs on the wall clock, because a read deadline is a network deadline:
// it takes about SocketTimeout.
func TestSocketModeSilentConnection(t *testing.T) {
	t.Parallel()
	h := &harness{env: newEnv(t, func(o *wslack.Options) { o.SocketTimeout = 300 * time.Millisecond })}
	f := h.f
	stop := h.running(t)
	f.waitConn(t, 1)
	f.waitAck(t, f.event(t, nextEventID(), 0, checkIn("1")))
	lost := f.lose("events_api", eventPayload(nextEventID(), checkIn("2")))
	f.silence()
	f.waitConn(t, 2)
	f.waitAck(t, lost)
	h.React(t, "C1", "3", "bob", "white_check_mark")
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	if got := reactedTo(h.rec); !slices.Equal(got, []string{"1", "2", "3"}) {
		t.Errorf("check-ins handled for %v, want 1, 2, 3", got)
	}
}

// syncBuffer is a log destination safe for concurrent writers.
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

// TestSocketModeUnknownIgnored: an envelope type, an event type and a
// message the adapter does not know are acknowledged (so Slack does not
// send them again), logged at debug, and change nothing.
func TestSocketModeUnknownIgnored(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	h := &harness{env: newEnv(t, func(o *wslack.Options) {
		o.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})}
	f := h.f
	stop := h.running(t)
	f.waitConn(t, 1)
	f.waitAck(t, f.push(t, "brand_new_envelope", map[string]any{"x": 1}, 0))
	f.waitAck(t, f.event(t, nextEventID(), 0, map[string]any{"type": "brand_new_event"}))
	f.send(t, "not an envelope")
	h.React(t, "C1", "1.2", "bob", "white_check_mark")
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	if n := h.rec.Count(); n != 1 {
		t.Errorf("handled %d events, want only the ✅", n)
	}
	out := logs.String()
	for _, want := range []string{
		`level=DEBUG msg="slack: ignoring an envelope" type=brand_new_envelope`,
		`level=DEBUG msg="slack: ignoring an event"`,
		`level=DEBUG msg="slack: ignoring a socket mode message that does not parse"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "level=WARN") || strings.Contains(out, "level=ERROR") {
		t.Errorf("unknown input logged above debug:\n%s", out)
	}
}
