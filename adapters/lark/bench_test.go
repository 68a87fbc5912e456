package lark_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/warroom/warroom/adapters/lark/larkfake"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store"
)

// BenchmarkDeclare times the core's Declare on Lark against the fake with
// 50 ms per API call. The critical path is two round trips: create the
// chat, then add its members ∥ post the kickoff card (description and pin
// run in the background; the tenant token is cached). x-limit is the time
// over that path; the goal is ≤ 1.1.
func BenchmarkDeclare(b *testing.B) {
	const latency = 50 * time.Millisecond
	f := larkfake.New(b)
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
	if _, err := core.Declare(ctx, req); err != nil { // lists the bot's chats once
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
