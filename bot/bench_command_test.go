//go:build cgo

package bot_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/warroom/warroom/bot"
)

// BenchmarkUpdateCommand measures one chat command end to end: parse, find
// the war room, lock, load, authorise, record, reply and notify. A fresh
// fault every 50 updates keeps the timeline (replayed on each load) short.
func BenchmarkUpdateCommand(b *testing.B) {
	ctx := context.Background()
	w := benchBot(b)
	var f *bot.Fault
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%50 == 0 {
			b.StopTimer()
			var err error
			if f, err = w.Declare(ctx, bot.DeclareRequest{Actor: "ana", Level: bot.P2, Title: "x", Service: "ledger"}); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		w.HandleMessage(ctx, bot.Incoming{Channel: f.Channel, User: "ana", Text: "/fault update progress " + strconv.Itoa(i)})
	}
	b.StopTimer()
	if got, err := bot.LoadFault(ctx, w.Store(), f.ID); err != nil || got.Updates == 0 {
		b.Fatalf("no update recorded: %v", err)
	}
}

// BenchmarkStatusCommand measures a read command: find, lock, load,
// authorise, render, reply, on a fault with a working timeline (~30 events:
// its length, not the layer, dominates a load).
func BenchmarkStatusCommand(b *testing.B) {
	ctx := context.Background()
	w := benchBot(b)
	f, err := w.Declare(ctx, bot.DeclareRequest{Actor: "ana", Level: bot.P2, Title: "x", Service: "ledger"})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 20 {
		w.HandleMessage(ctx, bot.Incoming{Channel: f.Channel, User: "ana", Text: "/fault update progress " + strconv.Itoa(i)})
	}
	b.ReportAllocs()
	for b.Loop() {
		w.HandleMessage(ctx, bot.Incoming{Channel: f.Channel, User: "ana", Text: "/fault status"})
	}
}
