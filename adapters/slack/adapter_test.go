package slack_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warroom/warroom/adapters/adaptertest"
	wslack "github.com/warroom/warroom/adapters/slack"
	"github.com/warroom/warroom/bot"
)

func TestPacingAndRetryAfter(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := t.Context()
	ch, err := e.a.CreateChannel(ctx, "fault-1-pace")
	if err != nil {
		t.Fatal(err)
	}
	e.f.set(func(f *fake) { f.storm["chat.postMessage"] = 3 })
	var want []string
	for i := range 5 {
		text := strings.Repeat("x", i+1)
		want = append(want, text)
		if _, err := e.a.Post(ctx, ch.ID, bot.Message{Kind: bot.KindNotice, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.f.texts(ch.ID); !slices.Equal(got, want) {
		t.Fatalf("posts = %q, want %q", got, want)
	}
	// Three Retry-After waits of 2s for the first post, then 1s apart.
	wantWaits := []time.Duration{2 * time.Second, 2 * time.Second, 2 * time.Second, time.Second, time.Second, time.Second, time.Second}
	if got := e.sleep.Waits(); !slices.Equal(got, wantWaits) {
		t.Fatalf("waits = %v, want %v", got, wantWaits)
	}
}

func TestRetryBoundedByContext(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.f.set(func(f *fake) { f.storm["conversations.create"] = 1000 })
	ctx, cancel := context.WithCancel(t.Context())
	n := 0
	e.sleep.clock = bot.NewFakeClock(t0)
	a, _ := wslack.New(wslack.Options{BotToken: "x", AppToken: "y", APIURL: e.f.url(), MaxRetries: 1000,
		Sleep: func(ctx context.Context, d time.Duration) error {
			if n++; n == 3 {
				cancel()
			}
			return ctx.Err()
		}})
	_, err := a.CreateChannel(ctx, "fault-2")
	if !errors.Is(err, context.Canceled) || n != 3 {
		t.Fatalf("err = %v after %d waits, want context.Canceled after 3", err, n)
	}
	var rl interface{ Retryable() bool }
	if !errors.As(err, &rl) {
		t.Errorf("err %v does not keep the rate-limit error", err)
	}
}

func TestCreateChannelNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	long := "fault-3-" + strings.Repeat("very-long-title-", 10)
	var names []string
	for range 3 {
		ch, err := e.a.CreateChannel(t.Context(), long)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, ch.Name)
		if len(ch.Name) > 80 {
			t.Errorf("%q is longer than 80", ch.Name)
		}
	}
	if !strings.HasSuffix(names[1], "-2") || !strings.HasSuffix(names[2], "-3") || names[0] == names[1] {
		t.Errorf("names = %q", names)
	}
}

func TestInviteFallsBackOneByOne(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := t.Context()
	ch, _ := e.a.CreateChannel(ctx, "fault-4")
	e.f.set(func(f *fake) { f.fail["conversations.invite UBOB"] = "user_is_restricted" })
	people := []bot.Person{e.people["alice"], e.people["bob"], e.people["carol"], {ID: "zed", Email: "zed@example.com"}, {ID: "nobody"}}
	err := e.a.Invite(ctx, ch.ID, people)
	if err == nil {
		t.Fatal("Invite succeeded")
	}
	for _, want := range []string{"bob (user_is_restricted)", "zed (no Slack user with zed@example.com)", "nobody (no Slack id or email"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if got := e.f.channel(ch.ID).members; !slices.Equal(got, []string{"UALICE", "UCAROL"}) {
		t.Errorf("members = %v", got)
	}
	calls := e.f.methods()
	if i := slices.Index(calls, "conversations.invite"); count(calls[i:], "conversations.invite") != 4 {
		t.Errorf("calls = %v, want one batch then three single invites", calls)
	}
	// carol's id is cached: a second invite looks nobody up.
	before := count(e.f.methods(), "users.lookupByEmail")
	_ = e.a.Invite(ctx, ch.ID, []bot.Person{e.people["carol"]})
	if after := count(e.f.methods(), "users.lookupByEmail"); after != before {
		t.Errorf("lookupByEmail not cached: %d → %d", before, after)
	}
	if m := e.a.Mention(e.people["carol"]); m != "<@UCAROL>" {
		t.Errorf("Mention(carol) = %q", m)
	}
}

func TestUserEmailCached(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for range 2 {
		if got, err := e.a.UserEmail(t.Context(), "UBOB"); err != nil || got != "bob@example.com" {
			t.Fatalf("UserEmail = %q, %v", got, err)
		}
	}
	if n := count(e.f.methods(), "users.info"); n != 1 {
		t.Errorf("users.info called %d times", n)
	}
}

func TestInvalidAuthAtStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.f.set(func(f *fake) { f.authErr = "invalid_auth" })
	err := e.a.Connect(t.Context())
	var ae *wslack.AuthError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "slack.bot_token") {
		t.Fatalf("Connect = %v, want an error naming slack.bot_token", err)
	}
	if err := e.a.Run(t.Context(), &adaptertest.Recorder{}); !errors.As(err, &ae) {
		t.Fatalf("Run = %v", err)
	}
}

// TestTokenRevokedLater: a Web API call answering that the bot token is
// no longer good ends Run with an error naming slack.bot_token, without
// touching the Socket Mode connection again.
func TestTokenRevokedLater(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"token_revoked", "invalid_auth", "account_inactive"} {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			h := &harness{env: newEnv(t, nil)}
			done := h.Start(t.Context(), &adaptertest.Recorder{})
			h.f.waitConn(t, 1)
			h.f.set(func(f *fake) { f.fail["chat.postMessage"] = code })
			if _, err := h.a.Post(t.Context(), "C1", bot.Message{Text: "x"}); err == nil {
				t.Fatal("Post succeeded")
			}
			select {
			case err := <-done:
				var ae *wslack.AuthError
				if !errors.As(err, &ae) || ae.Key != "slack.bot_token" || !strings.Contains(err.Error(), "slack.bot_token") || !strings.Contains(err.Error(), code) {
					t.Fatalf("Run = %v", err)
				}
			case <-time.After(adaptertest.Timeout):
				t.Fatalf("Run did not stop on %s", code)
			}
			if n := count(h.f.methods(), "apps.connections.open"); n != 1 {
				t.Errorf("apps.connections.open called %d times, want 1", n)
			}
		})
	}
}

func TestSocketModeRetriedEventOnce(t *testing.T) {
	t.Parallel()
	h := &harness{env: newEnv(t, nil)}
	stop := h.running(t)
	ev := map[string]any{"type": "reaction_added", "user": "UBOB", "reaction": "white_check_mark",
		"item": map[string]any{"type": "message", "channel": "C1", "ts": "1.2"}}
	h.f.waitAck(t, h.f.event(t, "EvSAME", 0, ev))
	h.f.waitAck(t, h.f.event(t, "EvSAME", 1, ev)) // Slack's retry: acked, not acted on
	h.f.waitAck(t, h.f.event(t, "EvOTHER", 0, map[string]any{"type": "reaction_removed", "user": "UBOB", "reaction": "white_check_mark",
		"item": map[string]any{"type": "message", "channel": "C1", "ts": "1.2"}}))
	h.f.waitAck(t, h.f.event(t, "EvUNKNOWN", 0, map[string]any{"type": "brand_new_event"}))
	h.React(t, "C1", "1.3", "alice", "white_check_mark") // a later event, to know the earlier ones were dispatched
	_ = stop()                                           // and handled: Run waits for its handlers
	if got := reactedTo(h.rec); !slices.Equal(got, []string{"1.2", "1.3"}) {
		t.Fatalf("reactions to %v, want 1.2 once and 1.3 (handlers run concurrently: any order)", got)
	}
}

func TestButtonClickIsACommand(t *testing.T) {
	t.Parallel()
	h := &harness{env: newEnv(t, nil)}
	h.Start(t.Context(), &adaptertest.Recorder{})
	ch, _ := h.a.CreateChannel(t.Context(), "fault-5")
	_, err := h.a.Post(t.Context(), ch.ID, bot.Message{Kind: bot.KindApproval, Title: "Run #3: restart", Text: "Approve run #3? /fault approve 3",
		Buttons: []bot.Button{{Label: "Approve", Command: "/fault approve 3", Style: "primary"}, {Label: "Deny", Command: "/fault deny 3", Style: "danger"}}})
	if err != nil {
		t.Fatal(err)
	}
	blocks := h.f.channel(ch.ID).posts[0].blocks
	for _, want := range []string{`"actions"`, `"value":"/fault approve 3"`, `"style":"danger"`, `"header"`} {
		if !strings.Contains(blocks, want) {
			t.Errorf("blocks lack %s: %s", want, blocks)
		}
	}
	id := h.f.push(t, "interactive", map[string]any{"type": "block_actions", "user": map[string]any{"id": "UBOB"},
		"channel": map[string]any{"id": ch.ID}, "response_url": "http://x/response",
		"actions": []map[string]any{{"type": "button", "action_id": "warroom_cmd_1", "block_id": "warroom_actions", "value": "/fault deny 3"}}}, 0)
	h.f.waitAck(t, id)
	h.rec.Wait(t, 1)
	want := bot.Incoming{Channel: ch.ID, User: "UBOB", Text: "/fault deny 3"}
	if got := h.rec.Messages(); !slices.Equal(got, []bot.Incoming{want}) {
		t.Fatalf("messages = %+v, want %+v", got, want)
	}
}

// The adapter's own HTTP client keeps a burst's connections: a second
// burst of 50 calls at once opens (next to) none.
func TestBurstsReuseConnections(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ch, err := e.a.CreateChannel(t.Context(), "fault-1-burst")
	if err != nil {
		t.Fatal(err)
	}
	e.f.set(func(f *fake) { f.latency = 20 * time.Millisecond })
	const n = 50
	for range 2 {
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				if err := e.a.SetTopic(t.Context(), ch.ID, "topic"); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	if got := e.f.clients(); got > n+n/10 {
		t.Fatalf("%d connections for two bursts of %d calls", got, n)
	}
}
