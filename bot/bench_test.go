package bot_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/warroom/warroom/adapters/memory"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store"
)

// BenchmarkDeclare measures declare → channel created + everyone invited +
// kickoff posted (and pinned, topic set) on the in-memory adapter, with the
// real SQLite store on disk underneath. Target: under 1 ms per fault.
func BenchmarkDeclare(b *testing.B) {
	ctx := context.Background()
	w := benchBot(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		f, err := w.Declare(ctx, bot.DeclareRequest{Actor: "ana", Level: bot.P2, Title: fmt.Sprintf("Ledger down %d", i), Service: "ledger", Cause: "queue"})
		if err != nil || f.Kickoff == "" || len(f.Participants) != 4 {
			b.Fatalf("declare: %v %+v", err, f)
		}
	}
}

// BenchmarkCheckin measures a ✅ reaction on the kickoff turning into a
// recorded check-in and its reply.
func BenchmarkCheckin(b *testing.B) {
	ctx := context.Background()
	w := benchBot(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		f, err := w.Declare(ctx, bot.DeclareRequest{Actor: "ana", Level: bot.P2, Title: "x", Service: "ledger"})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		w.HandleReaction(ctx, bot.Reaction{Channel: f.Channel, Message: f.Kickoff, User: "ben", Emoji: "✅"})
	}
}

// benchBot is a bot on the memory adapter over a SQLite file.
func benchBot(b *testing.B) *bot.Bot {
	clock := bot.NewFakeClock(t0)
	db, err := store.Open(filepath.Join(b.TempDir(), "bench.db"), clock)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	w, err := bot.New(db, memory.New(), clock, testCatalog(), bot.Options{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	return w
}
