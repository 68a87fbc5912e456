package matrix_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warroom/warroom/adapters/adaptertest"
	"github.com/warroom/warroom/adapters/matrix"
	"github.com/warroom/warroom/adapters/matrix/matrixfake"
	"github.com/warroom/warroom/bot"
)

// sleeps records the waits the adapter asked for and returns at once.
type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

func newAdapter(t testing.TB, f *matrixfake.Server, opts ...func(*matrix.Config)) *matrix.Adapter {
	t.Helper()
	s := &sleeps{}
	cfg := matrix.Config{Homeserver: f.URL, User: f.Bot, Token: f.Token, Sleep: s.sleep}
	for _, o := range opts {
		o(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := matrix.New(ctx, cfg)
	if err != nil {
		t.Fatalf("matrix.New: %v", err)
	}
	return a
}

type harness struct {
	f   *matrixfake.Server
	a   *matrix.Adapter
	rec *adaptertest.Recorder
}

func newHarness(t *testing.T) adaptertest.Harness {
	f := matrixfake.New(t)
	return &harness{f: f, a: newAdapter(t, f)}
}

func (h *harness) Adapter() bot.Adapter { return h.a }

func (h *harness) Person(id string) bot.Person {
	return bot.Person{ID: id, Accounts: map[string]string{"matrix": h.f.User(id)}}
}

func (h *harness) Start(ctx context.Context, hd bot.Handler) <-chan error {
	h.rec = &adaptertest.Recorder{Then: hd}
	done := make(chan error, 1)
	go func() { done <- h.a.Run(ctx, h.rec) }()
	return done
}

func (h *harness) Say(t *testing.T, ch, person, text string) {
	n := h.rec.Count()
	h.f.Say(ch, h.f.User(person), text)
	h.rec.Wait(t, n+1)
}

func (h *harness) React(t *testing.T, ch, msg, person, emoji string) {
	n := h.rec.Count()
	if emoji == "white_check_mark" {
		emoji = "✅" // Matrix reactions are the character
	}
	h.f.React(ch, msg, h.f.User(person), emoji)
	h.rec.Wait(t, n+1)
}

func (h *harness) local(uid string) string {
	return strings.TrimSuffix(strings.TrimPrefix(uid, "@"), ":"+h.f.Name)
}

func (h *harness) Members(_ *testing.T, ch string) []string {
	var out []string
	for _, u := range h.f.Members(ch) {
		out = append(out, h.local(u))
	}
	return out
}

func (h *harness) Posts(_ *testing.T, ch string) []string {
	var out []string
	for _, m := range h.f.Messages(ch) {
		out = append(out, m.Body())
	}
	return out
}

func (h *harness) DMs(_ *testing.T, person string) []string {
	var out []string
	for _, m := range h.f.DMs(h.f.User(person)) {
		out = append(out, m.Body())
	}
	return out
}

func (h *harness) Topic(_ *testing.T, ch string) string {
	rm, _ := h.f.Room(ch)
	return rm.Topic
}

func TestContract(t *testing.T) {
	t.Parallel()
	adaptertest.Run(t, newHarness)
}
