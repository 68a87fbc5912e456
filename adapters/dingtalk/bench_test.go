package dingtalk_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/warroom/warroom/adapters/dingtalk"
	"github.com/warroom/warroom/adapters/dingtalk/dingtalkfake"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store"
)

// BenchmarkDeclare times the core's Declare on DingTalk against the fake
// answering every call after 50 ms: scenegroup/create, then member/add ∥
// the kickoff card (the adapter is Concurrent). The critical path is two
// round trips; x-limit is the time over it (goal ≤ 1.1).
func BenchmarkDeclare(b *testing.B) {
	const latency = 50 * time.Millisecond
	f := dingtalkfake.New(b)
	cat := catalog()
	a := newAdapter(b, f, func(c *dingtalk.Config) { c.Catalog = cat })
	clock := bot.NewFakeClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	st, err := store.Open(filepath.Join(b.TempDir(), "warroom.db"), clock)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	core, err := bot.New(st, a, clock, cat, bot.Options{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	req := bot.DeclareRequest{Actor: "erin", Level: bot.P2, Title: "Checkout API 5xx", Service: "checkout"}
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
}

// BenchmarkInbound is one robot message from the fake's websocket to the
// handler: pushed, read, parsed, kept (a plain handler keeps nothing), handed on.
func BenchmarkInbound(b *testing.B) {
	f := dingtalkfake.New(b)
	a := newAdapter(b, f)
	r := &countingHandler{n: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = a.Run(ctx, r) }()
	f.WaitConnected(b, 1)
	for b.Loop() {
		f.Say(b, "cidG==", "alice01", "/fault status")
		<-r.n
	}
}

type countingHandler struct{ n chan struct{} }

func (h *countingHandler) HandleMessage(context.Context, bot.Incoming)  { h.n <- struct{}{} }
func (h *countingHandler) HandleReaction(context.Context, bot.Reaction) {}
