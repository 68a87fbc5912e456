package discord_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/warroom/warroom/adapters/discord/discordfake"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store"
)

// BenchmarkDeclare times the core's Declare on Discord — create the private
// channel (with its overwrites), then the invitations' overwrites beside the
// kickoff — against the fake with 50 ms per REST call. The API critical
// path is two round trips: POST channel, then PUT overwrites ∥ POST
// message (topic, pin and DMs run in the background). x-limit is the time
// over that path; the goal is ≤ 1.1.
func BenchmarkDeclare(b *testing.B) {
	const latency = 50 * time.Millisecond
	f := discordfake.New(b)
	a := newAdapter(b, f)
	clock := bot.NewFakeClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	st, err := store.Open(filepath.Join(b.TempDir(), "warroom.db"), clock)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	core, err := bot.New(st, a, clock, catalog(), bot.Options{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	req := bot.DeclareRequest{Actor: "erin", Level: bot.P2, Title: "Checkout API 5xx", Service: "checkout"}
	if _, err := core.Declare(ctx, req); err != nil { // lists the guild, makes the category
		b.Fatal(err)
	}
	core.Wait()
	a.Wait()
	f.SetLatency(latency)
	for b.Loop() {
		if _, err := core.Declare(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(perOp/float64(2*latency.Nanoseconds()), "x-limit")
	core.Wait()
	a.Wait()
}

// BenchmarkDeclareSlash times declares typed as the `/fault declare`
// application command, through the gateway, the real core and SQLite,
// against the fake Discord answering every REST call after 50 ms. n
// declares are typed at once, by one person in one channel. Per declare,
// from the interaction sent:
//
//   - answer: until the declarer's answer replaced "thinking..." (the
//     interaction's @original edited);
//   - ready: until the war room is ready (its channel made, every
//     invitation's overwrite set, the kickoff posted).
//
// Reported as p50 and p99 in ms. x-2rt (one declare) is ready-p99 over
// the two-round-trip limit; x-series (n declares) is ready-p99 over n
// channel creates one after another (Discord's per-route limit: discordgo
// holds a route's bucket for the whole of a request) plus the two round
// trips of one declare. Run it with -benchtime=1x: an iteration of 100 is
// long.
func BenchmarkDeclareSlash(b *testing.B) {
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchDeclares(b, n) })
	}
}

func benchDeclares(b *testing.B, n int) {
	const latency = 50 * time.Millisecond
	f := discordfake.New(b)
	a := newAdapter(b, f)
	st, err := store.Open(filepath.Join(b.TempDir(), "warroom.db"), bot.SystemClock{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	core, err := bot.New(st, a, bot.SystemClock{}, catalog(), bot.Options{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	h := &countingHandler{Handler: core}
	ctx, cancel := context.WithCancel(context.Background())
	done := startRun(b, ctx, a, h)
	b.Cleanup(func() { cancel(); <-done; core.Wait() })
	// The first declare lists the guild and makes the category.
	if _, err := core.Declare(ctx, bot.DeclareRequest{Actor: "erin", Level: bot.P2, Title: "warm up", Service: "checkout"}); err != nil {
		b.Fatal(err)
	}
	core.Wait()
	a.Wait()
	f.SetLatency(latency)

	var answers, ready []time.Duration
	b.ResetTimer()
	for iter := 0; b.Loop(); iter++ {
		origin := f.AddChannel(discordgo.Channel{Name: fmt.Sprintf("general-%d", iter), Type: discordgo.ChannelTypeGuildText})
		before := len(f.Calls())
		sent := make([]time.Time, n)
		tokens := make([]string, n)
		h.wg.Add(n)
		for i := range n {
			sent[i] = time.Now()
			_, tokens[i] = f.Slash(origin, users["erin"], "fault", "declare",
				discordfake.Str("level", "P2"), discordfake.Str("title", fmt.Sprintf("load r%dn%d", iter, i)), discordfake.Str("service", "checkout"))
		}
		h.wg.Wait()
		b.StopTimer()
		core.Wait()
		a.Wait() // invitation DMs, in the background
		calls := f.Calls()[before:]
		for i := range n {
			a, r := declared(b, f, calls, tokens[i], fmt.Sprintf("load r%dn%d", iter, i))
			answers, ready = append(answers, a.Sub(sent[i])), append(ready, r.Sub(sent[i]))
		}
		b.StartTimer()
	}
	b.StopTimer()
	reportLatencies(b, "answer", answers)
	reportLatencies(b, "ready", ready)
	if n == 1 {
		b.ReportMetric(float64(percentile(ready, 0.99))/float64(2*latency), "x-2rt")
	} else {
		b.ReportMetric(float64(percentile(ready, 0.99))/float64(time.Duration(n+2)*latency), "x-series")
	}
}

// countingHandler tells when the handlers of the messages it was told to
// expect (wg.Add) have all returned.
type countingHandler struct {
	bot.Handler
	wg sync.WaitGroup
}

func (h *countingHandler) HandleMessage(ctx context.Context, m bot.Incoming) {
	defer h.wg.Done()
	h.Handler.HandleMessage(ctx, m)
}

// declared finds the declare of title answered through the interaction
// token: when its answer was in, and when its war room was ready.
func declared(b *testing.B, f *discordfake.Server, calls []discordfake.Call, token, title string) (answer, ready time.Time) {
	b.Helper()
	slug := "-" + strings.ReplaceAll(title, " ", "-")
	room := ""
	for _, c := range f.Channels() {
		if strings.HasSuffix(c.Name, slug) {
			room = c.ID
		}
	}
	kickoff := false
	for _, c := range calls {
		switch {
		case c.Method == "PATCH" && strings.Contains(c.Path, "/"+token+"/") && answer.IsZero():
			if s, _ := c.Body["content"].(string); strings.Contains(s, "declared") {
				answer = c.At
			}
		case c.Method == "POST" && c.Path == "/channels/"+room+"/messages" && !kickoff:
			kickoff = true
			ready = later(ready, c.At)
		case c.Method == "PUT" && strings.HasPrefix(c.Path, "/channels/"+room+"/permissions/"):
			ready = later(ready, c.At)
		}
	}
	if room == "" || answer.IsZero() || !kickoff {
		b.Fatalf("%q: room %q, answer at %v, kickoff posted %v", title, room, answer, kickoff)
	}
	return answer, ready
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// reportLatencies reports the median and 99th percentile of ds in ms.
func reportLatencies(b *testing.B, name string, ds []time.Duration) {
	b.ReportMetric(float64(percentile(ds, 0.5))/float64(time.Millisecond), name+"-p50-ms")
	b.ReportMetric(float64(percentile(ds, 0.99))/float64(time.Millisecond), name+"-p99-ms")
}

// percentile is the p-th of ds (nearest rank).
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return s[max(i, 0)]
}
