package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/adapters"
	"github.com/warroom/warroom/adapters/adaptertest"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/config"
)

// toy is a whole chat platform in a few dozen lines: it registers itself,
// reads its own config section and checks its own account ids, and keeps
// the adapter contract, without a line changed in bot/ or in the config
// reader. It is what a new platform's package looks like.
type toy struct {
	greeting string
	mu       sync.Mutex
	n        int
	names    map[string]bool
	members  map[string][]string
	posts    map[string][]string
	in       chan func(bot.Handler)
}

func (a *toy) Platform() string { return "toy" }
func (a *toy) next(p string) string {
	a.n++
	return fmt.Sprintf("%s%d", p, a.n)
}
func (a *toy) CreateChannel(_ context.Context, name string) (bot.Channel, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for base, i := name, 2; a.names[name]; i++ { // a taken name gets a suffix
		name = fmt.Sprintf("%s-%d", base, i)
	}
	a.names[name] = true
	return bot.Channel{ID: a.next("C"), Name: name}, nil
}
func (a *toy) Invite(_ context.Context, ch string, people []bot.Person) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, p := range people {
		a.members[ch] = append(a.members[ch], p.ID)
	}
	return nil
}
func (a *toy) Post(_ context.Context, ch string, m bot.Message) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.posts[ch] = append(a.posts[ch], m.Text)
	return a.next("M"), nil
}
func (a *toy) DM(ctx context.Context, p bot.Person, m bot.Message) error {
	_, err := a.Post(ctx, "@"+p.Account("toy"), m)
	return err
}
func (a *toy) Run(ctx context.Context, h bot.Handler) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case deliver := <-a.in:
			deliver(h)
		}
	}
}

func init() {
	adapters.Register(adapters.Platform{
		Name: "toy", Keys: []string{"greeting"},
		Section: func(s adapters.Section, used bool) any {
			if used && !s.Has("greeting") {
				s.Errorf("greeting", "adapter is toy but says nothing; add greeting: hello")
			}
			return s.String("greeting")
		},
		Account: func(id string) string {
			if strings.HasPrefix(id, "T") {
				return ""
			}
			return "a toy id (T and digits)"
		},
		Open: func(_ context.Context, settings any, _ adapters.Env) (bot.Adapter, error) {
			return &toy{greeting: settings.(string), names: map[string]bool{}, members: map[string][]string{}, posts: map[string][]string{}, in: make(chan func(bot.Handler))}, nil
		},
	})
}

const toyConfig = `adapter: toy
toy: {greeting: hello}
people:
  alice: {name: Alice, toy: T1}
  bob:   {toy: T2}
  carol: {toy: T3}
`

// toyHarness drives the toy for the adapter contract.
type toyHarness struct {
	a   *toy
	cat *bot.Catalog
}

func (h *toyHarness) Adapter() bot.Adapter        { return h.a }
func (h *toyHarness) Person(id string) bot.Person { return h.cat.People[id] }
func (h *toyHarness) Start(ctx context.Context, hd bot.Handler) <-chan error {
	done := make(chan error, 1)
	go func() { done <- h.a.Run(ctx, hd) }()
	return done
}
func (h *toyHarness) deliver(fn func(bot.Handler)) {
	handled := make(chan struct{})
	h.a.in <- func(hd bot.Handler) { fn(hd); close(handled) }
	<-handled
}
func (h *toyHarness) Say(_ *testing.T, ch, person, text string) {
	h.deliver(func(hd bot.Handler) {
		hd.HandleMessage(context.Background(), bot.Incoming{Channel: ch, User: h.Person(person).Account("toy"), Text: text})
	})
}
func (h *toyHarness) React(_ *testing.T, ch, msg, person, emoji string) {
	h.deliver(func(hd bot.Handler) {
		hd.HandleReaction(context.Background(), bot.Reaction{Channel: ch, Message: msg, User: h.Person(person).Account("toy"), Emoji: emoji})
	})
}
func (h *toyHarness) Members(_ *testing.T, ch string) []string { return h.snapshot(h.a.members[ch]) }
func (h *toyHarness) Posts(_ *testing.T, ch string) []string   { return h.snapshot(h.a.posts[ch]) }
func (h *toyHarness) DMs(_ *testing.T, person string) []string {
	return h.snapshot(h.a.posts["@"+h.Person(person).Account("toy")])
}
func (h *toyHarness) snapshot(s []string) []string {
	h.a.mu.Lock()
	defer h.a.mu.Unlock()
	return slices.Clone(s)
}

func TestAToyPlatformIsOnePackageAndOneRegistration(t *testing.T) {
	t.Parallel()
	open := func(t *testing.T) (*toy, *config.Config) {
		cfg, err := config.Parse([]byte(toyConfig), "t.yaml", nil)
		require.NoError(t, err)
		a, err := openAdapter(t.Context(), cfg, env{}, nil, nil, nil)
		require.NoError(t, err)
		return a.(*toy), cfg
	}
	a, cfg := open(t)
	assert.Equal(t, "hello", a.greeting, "the toy read its own section")
	assert.Equal(t, "T1", cfg.Catalog.People["alice"].Account("toy"), "an account keyed by the platform's name")

	_, err := config.Parse([]byte("adapter: toy\npeople:\n  alice: {toy: X9}\n"), "t.yaml", nil)
	assert.EqualError(t, err, "t.yaml:1: toy.greeting: adapter is toy but says nothing; add greeting: hello\n"+
		`t.yaml:3: people.alice.toy: "X9" is not a toy id (T and digits)`)

	adaptertest.Run(t, func(t *testing.T) adaptertest.Harness {
		a, cfg := open(t)
		return &toyHarness{a: a, cat: cfg.Catalog}
	})
}
