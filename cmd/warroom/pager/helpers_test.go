package pager_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/pager"
)

// now is the fake clock's time in every test.
var now = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const (
	sid    = "AC0123456789abcdef0123456789abcdef"
	token  = "twilio-auth-token"
	from   = "+15550199"
	rkey   = "R0123456789ABCDEF0123456789ABCDE"
	secret = "whsec-test"
)

var (
	alice = bot.Person{ID: "alice", Name: "Alice Chen", Email: "alice@example.com", Phone: "+15550100"}
	erin  = bot.Person{ID: "erin", Name: "Erin Walsh", Email: "erin@example.com"} // no phone
)

func page(p bot.Person, l bot.Level) bot.Page {
	return bot.Page{Person: p, FaultID: 7, Level: l, Text: "warroom " + string(l) + " fault 7: Checkout API 5xx. War room #fault-7-checkout-api-5xx", Dedup: "warroom-fault-7"}
}

// got is one request a fake service received.
type got struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

// Form parses a form body.
func (g got) Form(t testing.TB) url.Values {
	t.Helper()
	v, err := url.ParseQuery(string(g.Body))
	if err != nil {
		t.Fatalf("form body %q: %v", g.Body, err)
	}
	return v
}

// answer is what a fake service says to its n-th request (0-based).
type answer struct {
	status int
	header map[string]string
	body   string
}

// fake is a local stand-in for a paging service: it records every request
// and answers as told.
type fake struct {
	*httptest.Server
	mu      sync.Mutex
	reqs    []got
	answers func(n int, r *http.Request) answer
}

// newFake starts a fake on loopback; answers nil means 2xx with "{}".
func newFake(t testing.TB, answers func(n int, r *http.Request) answer) *fake {
	f := &fake{answers: answers}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		n := len(f.reqs)
		f.reqs = append(f.reqs, got{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		f.mu.Unlock()
		f.mu.Lock()
		answers := f.answers
		f.mu.Unlock()
		a := answer{status: http.StatusAccepted, body: "{}"}
		if answers != nil {
			a = answers(n, r)
		}
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(f.Close)
	return f
}

// answer changes how the fake answers.
func (f *fake) answer(answers func(n int, r *http.Request) answer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers = answers
}

func (f *fake) requests() []got {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]got(nil), f.reqs...)
}

// always answers every request the same.
func always(status int, body string, header ...string) func(int, *http.Request) answer {
	h := map[string]string{}
	for i := 0; i+1 < len(header); i += 2 {
		h[header[i]] = header[i+1]
	}
	return func(int, *http.Request) answer { return answer{status: status, body: body, header: h} }
}

// waits records the retry waits instead of sleeping.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
	// hook, when set, runs on each wait (a test cancels its ctx there).
	hook func()
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.d = append(w.d, d)
	hook := w.hook
	w.mu.Unlock()
	if hook != nil {
		hook()
	}
	return ctx.Err()
}

func (w *waits) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.d...)
}

// opts are provider options with a fake clock and no real waiting.
func opts(w *waits) pager.Options {
	return pager.Options{Clock: bot.NewFakeClock(now), Sleep: w.sleep}
}
