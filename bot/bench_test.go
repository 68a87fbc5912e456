package bot_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// BenchmarkTickTenThousandOpenFaults measures one scheduler tick over 10,000
// open faults with nothing due (the steady state) and reports the process
// RSS. Issue 6's targets: RSS < 150 MB, re-arming everything < 1 s.
func BenchmarkTickTenThousandOpenFaults(b *testing.B) {
	if testing.Short() {
		b.Skip("declares 10,000 faults")
	}
	ctx := context.Background()
	w := benchBot(b)
	for i := range 10_000 {
		if _, err := w.Declare(ctx, bot.DeclareRequest{Actor: "ana", Level: bot.P3, Title: fmt.Sprintf("Reports late %d", i), Service: "reports"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if err := w.Tick(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if data, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
				b.ReportMetric(kb/1024, "peak-rss-MB")
			}
		}
	}
}
