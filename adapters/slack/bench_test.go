package slack_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store"
)

// BenchmarkDeclare measures declare → channel created + everyone invited +
// kickoff posted, through the real core, against the fake Slack answering
// every call after 50 ms. The limit is two round trips (create, then
// invite ∥ post): x-limit is the time over 100 ms; the target is ≤ 1.1.
func BenchmarkDeclare(b *testing.B) {
	const latency = 50 * time.Millisecond
	e := newEnv(b, nil)
	db, err := store.Open(b.TempDir()+"/warroom.db", bot.SystemClock{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	people := map[string]bot.Person{}
	for _, id := range []string{"alice", "bob", "dave", "erin"} {
		people[id] = bot.Person{ID: id, Accounts: map[string]string{"slack": "U" + id}}
		e.f.addUser("U"+id, id+"@example.com")
	}
	catalog := &bot.Catalog{
		People:   people,
		Services: map[string]bot.Service{"checkout": {Name: "checkout", Contacts: []string{"bob", "dave", "erin"}}},
		Duty:     bot.Duty{Rotation: bot.Weekly, Start: t0, People: []string{"alice"}},
		Levels:   map[bot.Level]bot.LevelPolicy{bot.P2: {Commander: bot.CommanderDuty}},
	}
	core, err := bot.New(db, e.a, bot.SystemClock{}, catalog, bot.Options{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	e.f.set(func(f *fake) { f.latency = latency })
	var total time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		f, err := core.Declare(b.Context(), bot.DeclareRequest{Actor: "alice", Level: bot.P2, Title: fmt.Sprint("checkout 5xx ", i), Service: "checkout"})
		total += time.Since(start)
		if err != nil || f.Kickoff == "" || len(f.Participants) != 4 {
			b.Fatalf("declare: %v (kickoff %q, %d participants)", err, f.Kickoff, len(f.Participants))
		}
		b.StopTimer()
		core.Wait() // topic and pin, in the background
		b.StartTimer()
	}
	b.ReportMetric(float64(total)/float64(b.N)/float64(2*latency), "x-limit")
}
