package postgres_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/adapters/memory"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store"
	"github.com/warroom/warroom/store/postgres"
	"github.com/warroom/warroom/store/postgres/pgtest"
)

// catalog reminds P2 faults every minute; nobody is chased.
func catalog() *bot.Catalog {
	return &bot.Catalog{
		People:   map[string]bot.Person{"ana": {ID: "ana"}, "ben": {ID: "ben"}, "dee": {ID: "dee"}},
		Services: map[string]bot.Service{"ledger": {Name: "ledger", Contacts: []string{"ana", "ben"}, Stability: "ben"}},
		Duty:     bot.Duty{Rotation: bot.Weekly, Start: time.Date(2026, 4, 6, 9, 0, 0, 0, time.UTC), People: []string{"dee"}},
		Levels:   map[bot.Level]bot.LevelPolicy{bot.P2: {Commander: "duty", Remind: "* * * * *"}},
	}
}

func reminders(chats []*memory.Adapter, channel string) int {
	n := 0
	for _, c := range chats {
		for _, text := range c.Texts(channel) {
			if strings.HasPrefix(text, "⏰") {
				n++
			}
		}
	}
	return n
}

// Two cores on one database, ticking at the same moment (as two leaders
// would, were the election to fail): each reminder is recorded and posted
// once. The due index hands both the fault; the optimistic append on
// (fault, seq) lets one record it, and the other, refused, posts nothing.
func TestTwoCoresRemindOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.Get(t).NewDatabase(t)
	clock := bot.NewFakeClock(time.Date(2026, 4, 7, 10, 0, 0, 0, time.UTC))
	var cores []*bot.Bot
	var chats []*memory.Adapter
	for range 2 {
		db, err := postgres.Open(ctx, url, clock)
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })
		chat := memory.New()
		b, err := bot.New(db, chat, clock, catalog(), bot.Options{}, nil)
		require.NoError(t, err)
		require.NoError(t, b.Start(ctx))
		cores, chats = append(cores, b), append(chats, chat)
	}
	f, err := cores[0].Declare(ctx, bot.DeclareRequest{Actor: "ana", Level: bot.P2, Title: "Ledger down", Service: "ledger"})
	require.NoError(t, err)
	const rounds = 5
	for range rounds {
		clock.Advance(time.Minute)
		var wg sync.WaitGroup
		for _, b := range cores {
			wg.Go(func() { _ = b.Tick(ctx) }) // the loser's conflict is its error
		}
		wg.Wait()
	}
	events, err := cores[1].Store().Events(ctx, f.ID)
	require.NoError(t, err)
	recorded := 0
	for _, e := range events {
		if e.Type == bot.EventReminded {
			recorded++
		}
	}
	assert.Equal(t, rounds, recorded, "one reminder a minute, recorded once")
	assert.Equal(t, rounds, reminders(chats, f.Channel), "and posted once")
}

// The benchmarks compare the core on each store: declare (room, invites,
// kickoff, on the memory adapter) and a tick with 100 faults due.
func benchStores(b *testing.B, run func(b *testing.B, db bot.Store, clock *bot.FakeClock)) {
	b.Run("store=sqlite", func(b *testing.B) {
		clock := bot.NewFakeClock(time.Date(2026, 4, 7, 10, 0, 0, 0, time.UTC))
		db, err := store.Open(filepath.Join(b.TempDir(), "bench.db"), clock)
		require.NoError(b, err)
		defer db.Close()
		run(b, db, clock)
	})
	b.Run("store=postgres", func(b *testing.B) {
		clock := bot.NewFakeClock(time.Date(2026, 4, 7, 10, 0, 0, 0, time.UTC))
		db, err := postgres.Open(context.Background(), pgtest.Get(b).NewDatabase(b), clock)
		require.NoError(b, err)
		defer db.Close()
		run(b, db, clock)
	})
}

func BenchmarkDeclare(b *testing.B) {
	benchStores(b, func(b *testing.B, db bot.Store, clock *bot.FakeClock) {
		ctx := context.Background()
		w, err := bot.New(db, memory.New(), clock, catalog(), bot.Options{}, nil)
		require.NoError(b, err)
		require.NoError(b, w.Start(ctx))
		for i := 0; b.Loop(); i++ {
			if _, err := w.Declare(ctx, bot.DeclareRequest{Actor: "ana", Level: bot.P2, Title: fmt.Sprintf("Ledger down %d", i), Service: "ledger"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkTick is one tick that finds 100 faults due and reminds each
// (a load, an append and a post per fault).
func BenchmarkTick(b *testing.B) {
	benchStores(b, func(b *testing.B, db bot.Store, clock *bot.FakeClock) {
		ctx := context.Background()
		w, err := bot.New(db, memory.New(), clock, catalog(), bot.Options{}, nil)
		require.NoError(b, err)
		require.NoError(b, w.Start(ctx))
		for i := range 100 {
			_, err := w.Declare(ctx, bot.DeclareRequest{Actor: "ana", Level: bot.P2, Title: fmt.Sprintf("Ledger down %d", i), Service: "ledger"})
			require.NoError(b, err)
		}
		for b.Loop() {
			clock.Advance(time.Minute) // all 100 due: a tick reminds each
			if err := w.Tick(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(100, "faults-due")
	})
}
