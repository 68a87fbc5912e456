package discord_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/warroom/warroom/adapters/adaptertest"
	"github.com/warroom/warroom/adapters/discord"
	"github.com/warroom/warroom/adapters/discord/discordfake"
	"github.com/warroom/warroom/bot"
)

// users are the Discord ids of the test people.
var users = map[string]string{
	"alice": "100000000000000011", "bob": "100000000000000012", "carol": "100000000000000013",
	"dave": "100000000000000014", "erin": "100000000000000015",
}

func catalogID(uid string) string {
	for id, u := range users {
		if u == uid {
			return id
		}
	}
	return uid
}

// noSleep is the injected wait: 429s are retried at once (discordgo's own
// bucket still waits out the few milliseconds the fake asks for).
func noSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

func newAdapter(t testing.TB, f *discordfake.Server, opts ...func(*discord.Config)) *discord.Adapter {
	t.Helper()
	cfg := discord.Config{Token: f.Token, Guild: f.Guild, APIURL: f.URL, Sleep: noSleep}
	for _, o := range opts {
		o(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := discord.New(ctx, cfg)
	if err != nil {
		t.Fatalf("discord.New: %v", err)
	}
	t.Cleanup(a.Close)
	return a
}

// startRun runs a.Run in the background and returns once the gateway is
// open (events sent before would be lost, as on Discord), or Run ended.
func startRun(t testing.TB, ctx context.Context, a *discord.Adapter, h bot.Handler) <-chan error {
	t.Helper()
	done, ran := make(chan error, 1), make(chan error, 1)
	go func() { err := a.Run(ctx, h); done <- err; ran <- err }()
	select {
	case <-a.Opened():
		return done
	case err := <-ran:
		t.Fatalf("Run ended before the gateway opened: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the gateway did not open within 10s")
	}
	return done
}

type harness struct {
	t   testing.TB
	f   *discordfake.Server
	a   *discord.Adapter
	rec *adaptertest.Recorder
}

func newHarness(t *testing.T) adaptertest.Harness {
	f := discordfake.New(t)
	return &harness{t: t, f: f, a: newAdapter(t, f)}
}

func (h *harness) Adapter() bot.Adapter { return h.a }

func (h *harness) Person(id string) bot.Person {
	return bot.Person{ID: id, Accounts: map[string]string{"discord": users[id]}}
}

func (h *harness) Start(ctx context.Context, hd bot.Handler) <-chan error {
	h.rec = &adaptertest.Recorder{Then: hd}
	return startRun(h.t, ctx, h.a, h.rec)
}

// Say sends a bare `/fault <verb>` as a slash command, anything else as a
// typed message.
func (h *harness) Say(t *testing.T, ch, person, text string) {
	n := h.rec.Count()
	if verb, ok := strings.CutPrefix(text, "/fault "); ok && !strings.Contains(verb, " ") {
		h.f.Slash(ch, users[person], "fault", verb)
	} else {
		h.f.Say(ch, users[person], text)
	}
	h.rec.Wait(t, n+1)
}

func (h *harness) React(t *testing.T, ch, msg, person, emoji string) {
	n := h.rec.Count()
	if emoji == "white_check_mark" {
		emoji = "✅" // Discord sends the character
	}
	h.f.React(ch, msg, users[person], emoji)
	h.rec.Wait(t, n+1)
}

func (h *harness) Members(_ *testing.T, ch string) []string {
	var out []string
	for _, u := range h.f.Members(ch) {
		out = append(out, catalogID(u))
	}
	return out
}

func (h *harness) Posts(_ *testing.T, ch string) []string {
	var out []string
	for _, m := range h.f.Messages(ch) {
		out = append(out, m.Text())
	}
	return out
}

func (h *harness) DMs(_ *testing.T, person string) []string {
	h.a.Wait()
	var out []string
	for _, m := range h.f.DMs(users[person]) {
		out = append(out, m.Text())
	}
	return out
}

func (h *harness) Topic(_ *testing.T, ch string) string { return h.f.Channel(ch).Topic }

func TestContract(t *testing.T) {
	t.Parallel()
	adaptertest.Run(t, newHarness)
}
