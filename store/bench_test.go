package store_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

// timeline is a realistic 20-event life of fault n, still open: declared,
// channel_created, invited×5, kickoff_posted, checked_in×5, role_assigned×2,
// task_added, task_done, update×3.
func timeline(n int) []bot.Event {
	at := t0.Add(time.Duration(n) * time.Minute)
	ev := func(typ bot.EventType, actor string, mod func(*bot.Event)) bot.Event {
		at = at.Add(17 * time.Second)
		e := bot.Event{At: at, Type: typ, Actor: actor}
		if mod != nil {
			mod(&e)
		}
		return e
	}
	people := []string{"alice", "bob", "carol", "dave", "erin"}
	events := []bot.Event{
		ev(bot.EventDeclared, "alice", func(e *bot.Event) {
			e.Level, e.Text, e.Service, e.Cause, e.Kind = bot.P2, fmt.Sprintf("checkout returns 500 for some EU customers (%d)", n), "checkout", "payments", "server-down"
		}),
		ev(bot.EventChannelCreated, bot.ActorBot, func(e *bot.Event) {
			e.Channel, e.Text = fmt.Sprintf("C%08d", n), fmt.Sprintf("fault-%d-checkout-returns-500", n)
		}),
	}
	for _, p := range people {
		events = append(events, ev(bot.EventInvited, bot.ActorBot, func(e *bot.Event) { e.Person, e.Text = p, "contact of checkout" }))
	}
	events = append(events, ev(bot.EventKickoffPosted, bot.ActorBot, func(e *bot.Event) { e.Message = fmt.Sprintf("1700000000.%06d", n) }))
	for _, p := range people {
		events = append(events, ev(bot.EventCheckedIn, p, func(e *bot.Event) { e.Person, e.Via = p, "reaction" }))
	}
	events = append(events,
		ev(bot.EventRoleAssigned, bot.ActorBot, func(e *bot.Event) { e.Person, e.Role, e.Text = "dave", bot.RoleCommander, "policy" }),
		ev(bot.EventRoleAssigned, "dave", func(e *bot.Event) { e.Person, e.Role = "bob", bot.RoleResponder }),
		ev(bot.EventTaskAdded, "dave", func(e *bot.Event) { e.Task, e.Person, e.Text = 1, "bob", "roll back the payments deploy" }),
		ev(bot.EventTaskDone, "bob", func(e *bot.Event) { e.Task = 1 }),
	)
	for _, s := range []string{"rolled back, watching error rate", "error rate down to 0.3%", "back to baseline, monitoring"} {
		events = append(events, ev(bot.EventUpdate, "alice", func(e *bot.Event) { e.Text = s }))
	}
	return events
}

func BenchmarkCreateFault(b *testing.B) {
	for _, n := range []int{1, 20} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			db, _, _ := openDB(b)
			ctx := context.Background()
			events := timeline(0)[:n]
			for b.Loop() {
				if _, err := db.CreateFault(ctx, events); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAppend appends one event to a fault of about history events.
// Append replays the whole timeline to refresh the projection, so its cost
// grows with history.
func BenchmarkAppend(b *testing.B) {
	for _, history := range []int{20, 200} {
		b.Run(fmt.Sprintf("history=%d", history), func(b *testing.B) {
			db, _, _ := openDB(b)
			ctx := context.Background()
			base := timeline(0)
			for len(base) < history {
				base = append(base, bot.Event{At: t0, Type: bot.EventUpdate, Actor: "alice", Text: "still looking"})
			}
			var id int64
			seq := 0
			for b.Loop() {
				if seq == 0 || seq >= history+10 { // a fresh fault every 10 appends
					b.StopTimer()
					var err error
					if id, err = db.CreateFault(ctx, base[:history]); err != nil {
						b.Fatal(err)
					}
					seq = history
					b.StartTimer()
				}
				e := []bot.Event{{At: t0, Type: bot.EventUpdate, Actor: "alice", Text: "error rate down to 0.3%"}}
				if err := db.Append(ctx, id, seq, e); err != nil {
					b.Fatal(err)
				}
				seq++
			}
		})
	}
}

// BenchmarkTenThousandFaults fills a store with 10,000 open faults of 20
// events each, then times listing every open fault. It reports the file
// sizes and the Go heap in use while the store is open and while the list
// is held.
func BenchmarkTenThousandFaults(b *testing.B) {
	if testing.Short() {
		b.Skip("fills 200,000 events")
	}
	const faults = 10_000
	ctx := context.Background()
	db, path, _ := openDB(b)

	start := time.Now()
	for i := range faults {
		if _, err := db.CreateFault(ctx, timeline(i)); err != nil {
			b.Fatal(err)
		}
	}
	fill := time.Since(start)
	heapOpen := heapInUseMB()

	var list []*bot.Fault
	for b.Loop() {
		var err error
		list, err = db.Faults(ctx, bot.FaultFilter{Status: []bot.Status{bot.StatusOpen}})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	require.Len(b, list, faults)
	require.Equal(b, 20, list[0].Seq)
	heapList := heapInUseMB()
	runtime.KeepAlive(list)

	b.ReportMetric(fill.Seconds(), "fill-s")
	b.ReportMetric(fileMB(b, path), "db-MB")
	b.ReportMetric(fileMB(b, path+"-wal"), "wal-MB")
	b.ReportMetric(heapOpen, "heap-open-MB")
	b.ReportMetric(heapList, "heap-list-MB")
	b.ReportMetric(procStatusMB(b, "VmRSS:"), "rss-MB") // Go heap + SQLite's page cache
	b.ReportMetric(procStatusMB(b, "VmHWM:"), "peak-rss-MB")
	b.ReportMetric(float64(len(list)), "faults/op")
}

func heapInUseMB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapInuse) / (1 << 20)
}

func fileMB(b *testing.B, path string) float64 {
	fi, err := os.Stat(path)
	if os.IsNotExist(err) {
		return 0
	}
	require.NoError(b, err)
	return float64(fi.Size()) / (1 << 20)
}

// procStatusMB reads a kB figure from /proc/self/status (Linux); 0 elsewhere.
func procStatusMB(b *testing.B, key string) float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			require.NoError(b, err)
			return kb / 1024
		}
	}
	return 0
}
