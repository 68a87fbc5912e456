package slack_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/warroom/warroom/adapters/adaptertest"
	wslack "github.com/warroom/warroom/adapters/slack"
	"github.com/warroom/warroom/bot"
)

const secret = "8f742231b10e8888abcd99yyyzzz85a5"

func sign(secret string, at time.Time, body string) (ts, sig string) {
	ts = fmt.Sprint(at.Unix())
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":" + body))
	return ts, "v0=" + hex.EncodeToString(mac.Sum(nil))
}

type httpEnv struct {
	*env
	srv *httptest.Server
	rec *adaptertest.Recorder
}

func newHTTPEnv(t *testing.T) *httpEnv { return newHTTPEnvWith(t, nil) }

// newHTTPEnvWith is newHTTPEnv with the handler then behind the recorder.
func newHTTPEnvWith(t *testing.T, then bot.Handler) *httpEnv {
	e := newEnv(t, func(o *wslack.Options) { o.AppToken, o.SigningSecret = "", secret })
	mux := http.NewServeMux()
	for p, h := range e.a.Routes() {
		mux.Handle(p, h)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	he := &httpEnv{env: e, srv: srv, rec: &adaptertest.Recorder{Then: then}}
	go func() { _ = e.a.Run(t.Context(), he.rec) }()
	// Run has started once a signed request stops answering 503.
	for deadline := time.Now().Add(adaptertest.Timeout); ; {
		if he.send(t, "/slack/commands", "command=%2Ffault&text=&channel_id=C0&user_id=U0", e.clock.Now(), secret, nil) == 200 {
			he.rec.Wait(t, 1)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run never started")
		}
	}
	return he
}

// send posts a signed body (signed at `at` with key; key "" = unsigned).
func (he *httpEnv) send(t *testing.T, path, body string, at time.Time, key string, hdr map[string]string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, he.srv.URL+path, strings.NewReader(body))
	if key != "" {
		ts, sig := sign(key, at, body)
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", sig)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

func TestHTTPSignature(t *testing.T) {
	t.Parallel()
	he := newHTTPEnv(t)
	now := he.clock.Now()
	body := "command=%2Ffault&text=status&channel_id=C1&user_id=UALICE&response_url=x"
	for name, c := range map[string]struct {
		at  time.Time
		key string
	}{
		"forged":   {now, "not-the-secret"},
		"stale":    {now.Add(-5*time.Minute - time.Second), secret},
		"future":   {now.Add(6 * time.Minute), secret},
		"unsigned": {now, ""},
	} {
		if code := he.send(t, "/slack/commands", body, c.at, c.key, nil); code != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", name, code)
		}
	}
	// A valid request signed 4 minutes ago is accepted, and is the only one
	// the handler sees.
	if code := he.send(t, "/slack/commands", body, now.Add(-4*time.Minute), secret, nil); code != 200 {
		t.Fatalf("valid: status %d", code)
	}
	he.rec.Wait(t, 2)
	msgs := he.rec.Messages()
	if len(msgs) != 2 || msgs[1].Text != "/fault status" || msgs[1].User != "UALICE" || msgs[1].Channel != "C1" {
		t.Fatalf("messages = %+v", msgs)
	}
}

func TestHTTPEvents(t *testing.T) {
	t.Parallel()
	he := newHTTPEnv(t)
	now := he.clock.Now()
	challenge := `{"token":"x","challenge":"c-123","type":"url_verification"}`
	req, _ := http.NewRequest(http.MethodPost, he.srv.URL+"/slack/events", strings.NewReader(challenge))
	ts, sig := sign(secret, now, challenge)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", sig)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(got) != "c-123" {
		t.Errorf("challenge answer = %q", got)
	}
	reaction := func(id, ts string) string {
		return `{"token":"x","team_id":"T1","api_app_id":"A1","type":"event_callback","event_id":"` + id +
			`","event_time":1,"event":{"type":"reaction_added","user":"UBOB","reaction":"white_check_mark","item":{"type":"message","channel":"C1","ts":"` + ts + `"}}}`
	}
	if code := he.send(t, "/slack/events", reaction("Ev1", "1.1"), now, secret, nil); code != 200 {
		t.Fatalf("status %d", code)
	}
	if code := he.send(t, "/slack/events", reaction("Ev1", "1.1"), now, secret, map[string]string{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}); code != 200 {
		t.Fatalf("retry: status %d", code)
	}
	if code := he.send(t, "/slack/events", `{"type":"event_callback","event_id":"Ev9","event":{"type":"brand_new"}}`, now, secret, nil); code != 200 {
		t.Fatalf("unknown event: status %d", code)
	}
	if code := he.send(t, "/slack/events", reaction("Ev2", "1.2"), now, secret, nil); code != 200 {
		t.Fatalf("status %d", code)
	}
	he.rec.Wait(t, 3) // the probe command and two reactions
	rs := he.rec.Reactions()
	if len(rs) != 2 || rs[0].Message != "1.1" || rs[1].Message != "1.2" {
		t.Fatalf("reactions = %+v, want 1.1 once then 1.2", rs)
	}
	// A click through /slack/interactions.
	payload := `{"type":"block_actions","user":{"id":"UALICE"},"channel":{"id":"C1"},"actions":[{"type":"button","action_id":"warroom_cmd_0","block_id":"warroom_actions","value":"/fault approve 3"}]}`
	if code := he.send(t, "/slack/interactions", "payload="+url.QueryEscape(payload), now, secret, nil); code != 200 {
		t.Fatalf("interaction: status %d", code)
	}
	he.rec.Wait(t, 4)
	if m := he.rec.Messages(); m[len(m)-1].Text != "/fault approve 3" || m[len(m)-1].User != "UALICE" {
		t.Fatalf("messages = %+v", m)
	}
}

// A byte-identical signed command or click sent again within the window
// is a replay: refused, and acted on once.
func TestHTTPReplayIsActedOnOnce(t *testing.T) {
	t.Parallel()
	he := newHTTPEnv(t)
	now := he.clock.Now()
	body := "command=%2Ffault&text=declare+P2+x&channel_id=C1&user_id=UALICE&response_url=x"
	if code := he.send(t, "/slack/commands", body, now, secret, nil); code != 200 {
		t.Fatalf("first: status %d", code)
	}
	if code := he.send(t, "/slack/commands", body, now, secret, nil); code != http.StatusConflict {
		t.Fatalf("replay: status %d, want 409", code)
	}
	click := "payload=" + url.QueryEscape(`{"type":"block_actions","user":{"id":"UALICE"},"channel":{"id":"C1"},"actions":[{"action_id":"approve","value":"/fault approve 1"}]}`)
	he.send(t, "/slack/interactions", click, now, secret, nil)
	if code := he.send(t, "/slack/interactions", click, now, secret, nil); code != http.StatusConflict {
		t.Fatalf("replayed click: status %d, want 409", code)
	}
	// The same command signed again later is a new request.
	if code := he.send(t, "/slack/commands", body, now.Add(time.Second), secret, nil); code != 200 {
		t.Fatalf("re-signed: status %d", code)
	}
	he.rec.Wait(t, 3)
	n := 0
	for _, m := range he.rec.Messages() {
		if m.Text == "/fault declare P2 x" {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("declare handled %d times, want 2 (the original and the re-signed one)", n)
	}
}

// Requests that no retry will make good say so to Slack.
func TestHTTPHopelessRequestsAreNotRetried(t *testing.T) {
	t.Parallel()
	he := newHTTPEnv(t)
	now := he.clock.Now()
	for _, c := range []struct{ path, body string }{
		{"/slack/events", "{not json"},
		{"/slack/commands", "%zz"},
		{"/slack/interactions", "payload=%7Bnot+json"},
	} {
		req, _ := http.NewRequest(http.MethodPost, he.srv.URL+c.path, strings.NewReader(c.body))
		ts, sig := sign(secret, now, c.body)
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", sig)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest || res.Header.Get("X-Slack-No-Retry") != "1" {
			t.Errorf("%s %q: %d, X-Slack-No-Retry %q; want 400 and 1", c.path, c.body, res.StatusCode, res.Header.Get("X-Slack-No-Retry"))
		}
	}
}
