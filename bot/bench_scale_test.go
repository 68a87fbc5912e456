//go:build cgo

package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warroom/warroom/adapters/memory"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store"
)

// The scale benchmarks run on one SQLite file of openFaults open P2 faults
// (14 events each, everyone checked in, the next reminder due at 14:15),
// filled once per test process: WARROOM_BENCH_FAULTS overrides the count.
var scaleDB = struct {
	once sync.Once
	path string
	err  error
}{}

func openFaults() int {
	if n, err := strconv.Atoi(os.Getenv("WARROOM_BENCH_FAULTS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// scaleTimeline is fault n's life so far: declared, roles, room, four
// invited, kickoff, four checked in.
func scaleTimeline(n int) []bot.Event {
	people := []string{"ana", "ben", "cy", "dee"}
	evs := []bot.Event{
		{Type: bot.EventDeclared, At: t0, Actor: "ana", Level: bot.P2, Text: fmt.Sprintf("Ledger writes time out (%d)", n), Service: "ledger", Cause: "queue"},
		{Type: bot.EventRoleAssigned, At: t0, Actor: bot.ActorBot, Role: bot.RoleCommander, Person: "dee", Text: "policy"},
		{Type: bot.EventRoleAssigned, At: t0, Actor: bot.ActorBot, Role: bot.RoleHandler, Person: "ana", Text: "declared it"},
		{Type: bot.EventChannelCreated, At: t0, Actor: bot.ActorBot, Channel: fmt.Sprintf("C%07d", n), Text: fmt.Sprintf("fault-%d-ledger-writes-time-out", n)},
	}
	for _, p := range people {
		evs = append(evs, bot.Event{Type: bot.EventInvited, At: t0, Actor: bot.ActorBot, Person: p, Text: "contact of ledger"})
	}
	evs = append(evs, bot.Event{Type: bot.EventKickoffPosted, At: t0, Actor: bot.ActorBot, Message: fmt.Sprintf("M%07d", n)})
	for _, p := range people {
		evs = append(evs, bot.Event{Type: bot.EventCheckedIn, At: t0.Add(time.Minute), Actor: p, Person: p, Via: "reaction"})
	}
	return evs
}

// scaleStore returns the path of the filled file, filling it on first use
// and letting a first Start build its due index.
func scaleStore(b *testing.B) string {
	scaleDB.once.Do(func() {
		dir, err := os.MkdirTemp("", "warroom-scale-")
		if err != nil {
			scaleDB.err = err
			return
		}
		scaleDB.path = filepath.Join(dir, "scale.db")
		scaleDB.err = fillScale(scaleDB.path, openFaults())
	})
	if scaleDB.err != nil {
		b.Fatal(scaleDB.err)
	}
	return scaleDB.path
}

func fillScale(path string, n int) error {
	ctx := context.Background()
	clock := bot.NewFakeClock(t0)
	db, err := store.Open(path, clock)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.AddActors(ctx, []string{"ana", "ben", "cy", "dee"}); err != nil { // as the core vouches
		return err
	}
	for i := range n {
		if _, err := db.CreateFault(ctx, scaleTimeline(i+1)); err != nil {
			return err
		}
	}
	w, err := bot.New(db, memory.New(), clock, testCatalog(), bot.Options{}, nil)
	if err != nil {
		return err
	}
	return w.Start(ctx) // a new index: every open fault's due time worked out once
}

// BenchmarkTickNothingDue is one scheduler tick over openFaults open faults
// whose next work is a reminder 10 minutes away. Target: under 5 ms at 100k.
func BenchmarkTickNothingDue(b *testing.B) {
	if testing.Short() {
		b.Skip("fills 100,000 faults")
	}
	ctx := context.Background()
	clock := bot.NewFakeClock(t0.Add(5 * time.Minute))
	db, err := store.Open(scaleStore(b), clock)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	w, err := bot.New(db, memory.New(), clock, testCatalog(), bot.Options{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := w.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Tick(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(openFaults()), "open-faults")
}

// BenchmarkRestart starts a new process on the filled file each time
// (TestScaleRestartChild) and reports what it measured: open, start and the
// first answer, the first tick, and the process's peak RSS. Targets at 100k
// open faults: restart to first answer under 1 s, RSS under 100 MB.
func BenchmarkRestart(b *testing.B) {
	if testing.Short() {
		b.Skip("fills 100,000 faults")
	}
	path := scaleStore(b)
	var last restartFigures
	var total time.Duration
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestScaleRestartChild$", "-test.v=false")
		cmd.Env = append(os.Environ(), "WARROOM_SCALE_DB="+path)
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		if err := childFigures(out, &last); err != nil {
			b.Fatal(err)
		}
		total += time.Duration(last.AnswerNs)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "restart-to-answer-ms")
	b.ReportMetric(float64(last.TickNs)/1e6, "first-tick-ms")
	b.ReportMetric(last.PeakRSSMB, "child-peak-rss-MB")
	b.ReportMetric(float64(openFaults()), "open-faults")
}

// childFigures finds the child's line of JSON among the test binary's.
func childFigures(out []byte, fig *restartFigures) error {
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "{") {
			return json.Unmarshal([]byte(line), fig)
		}
	}
	return fmt.Errorf("the child printed no figures: %q", out)
}

type restartFigures struct {
	AnswerNs  int64   `json:"answer_ns"`
	TickNs    int64   `json:"tick_ns"`
	PeakRSSMB float64 `json:"peak_rss_mb"`
}

// TestScaleRestartChild is BenchmarkRestart's child process: it does what a
// restarted warroom does up to its first answer, then prints its figures.
func TestScaleRestartChild(t *testing.T) {
	path := os.Getenv("WARROOM_SCALE_DB")
	if path == "" {
		t.Skip("run by BenchmarkRestart")
	}
	ctx := context.Background()
	start := time.Now()
	clock := bot.NewFakeClock(t0.Add(5 * time.Minute))
	db, err := store.Open(path, clock)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	chat := memory.New()
	w, err := bot.New(db, chat, clock, testCatalog(), bot.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	w.HandleMessage(ctx, bot.Incoming{Channel: "C0000001", User: "ben", Text: "/fault status"})
	answered := time.Since(start)
	if texts := chat.Texts("C0000001"); len(texts) != 1 || !strings.Contains(texts[0], "fault 1") {
		t.Fatalf("first answer: %q", texts)
	}
	tickStart := time.Now()
	if err := w.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	fig := restartFigures{AnswerNs: answered.Nanoseconds(), TickNs: time.Since(tickStart).Nanoseconds(), PeakRSSMB: peakRSSMB()}
	out, _ := json.Marshal(fig)
	fmt.Println(string(out))
}

func peakRSSMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
