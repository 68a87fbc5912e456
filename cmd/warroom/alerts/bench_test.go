//go:build cgo

// The benchmarks run the hooks over HTTP on loopback, into the core on the
// real SQLite store (cgo) and the in-memory chat adapter, on the real clock.

package alerts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warroom/warroom/adapters/memory"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/alerts"
	"github.com/warroom/warroom/store"
)

// sustainFor is how long BenchmarkSustained sends: 30 s as the issue asks;
// shorter with -alerts.sustain=5s for a quick look.
var sustainFor = flag.Duration("alerts.sustain", 30*time.Second, "how long BenchmarkSustained sends 1,000 alerts/s")

type benchRig struct {
	b     *testing.B
	db    *store.DB
	chat  *memory.Adapter
	bot   *bot.Bot
	srv   *httptest.Server
	stop  context.CancelFunc
	posts *http.Client
}

func newBenchRig(b *testing.B) *benchRig {
	b.Helper()
	clock := bot.SystemClock{}
	db, err := store.Open(filepath.Join(b.TempDir(), "bench.db"), clock)
	if err != nil {
		b.Fatal(err)
	}
	r := &benchRig{b: b, db: db, chat: memory.New()}
	r.bot, err = bot.New(db, r.chat, clock, testCatalog(), bot.Options{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	if err := r.bot.Start(ctx); err != nil {
		b.Fatal(err)
	}
	cfg := testConfig()
	cfg.Grafana = alerts.Grafana{}
	hooks, err := alerts.New(cfg, r.bot, clock, nil)
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	for p, h := range hooks.Routes() {
		mux.Handle(p, h)
	}
	r.srv = httptest.NewServer(mux)
	r.posts = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}
	b.Cleanup(func() {
		r.srv.Close()
		r.bot.Wait()
		cancel()
		db.Close()
	})
	return r
}

// amBody is an Alertmanager notification of group g with the alerts of the
// given instances, firing unless in resolved.
func amBody(g int, instances []int, resolved map[int]bool) []byte {
	type entry struct {
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
		StartsAt    string            `json:"startsAt"`
		EndsAt      string            `json:"endsAt"`
		Fingerprint string            `json:"fingerprint"`
	}
	m := map[string]any{
		"version": "4", "receiver": "warroom", "status": "firing",
		"groupKey":    fmt.Sprintf(`{}:{alertname="Errors%02d", service="checkout"}`, g),
		"groupLabels": map[string]string{"alertname": fmt.Sprintf("Errors%02d", g), "service": "checkout"},
	}
	var es []entry
	for _, in := range instances {
		st := "firing"
		if resolved[in] {
			st = "resolved"
		}
		es = append(es, entry{
			Status:      st,
			Labels:      map[string]string{"alertname": fmt.Sprintf("Errors%02d", g), "service": "checkout", "severity": "warning", "instance": fmt.Sprintf("web-%d", in)},
			Annotations: map[string]string{"summary": fmt.Sprintf("Checkout errors, rule %d", g)},
			StartsAt:    "2026-12-02T14:00:00Z", EndsAt: "0001-01-01T00:00:00Z",
			Fingerprint: fmt.Sprintf("g%02d-i%03d", g, in),
		})
	}
	m["alerts"] = es
	body, _ := json.Marshal(m)
	return body
}

func (r *benchRig) post(body []byte) time.Duration {
	start := time.Now()
	req, _ := http.NewRequest(http.MethodPost, r.srv.URL+"/hooks/alertmanager", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.posts.Do(req)
	if err != nil {
		r.b.Error(err)
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body) // so the connection is kept
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		r.b.Errorf("status %d", resp.StatusCode)
	}
	return time.Since(start)
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(p*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkStorm is an alert storm: 3,000 Alertmanager bodies over 30
// groups from 20 concurrent senders. Every delivery must be answered 202,
// exactly 30 faults made, and every alert sent found on its fault. The
// issue's target: p99 answer under 50 ms.
func BenchmarkStorm(b *testing.B) {
	const (
		groups  = 30
		bodies  = 3000
		senders = 20
		perBody = 4 // alerts in each body, of the group's 10
	)
	for b.Loop() {
		r := newBenchRig(b)
		work := make(chan []byte, bodies)
		for i := range bodies {
			g := i % groups
			n := i / groups // the group's n-th notification: its alerts grow
			var in []int
			for k := range perBody {
				in = append(in, (n+k)%10)
			}
			work <- amBody(g, in, nil)
		}
		close(work)
		var (
			mu  sync.Mutex
			lat []time.Duration
			wg  sync.WaitGroup
		)
		start := time.Now()
		for range senders {
			wg.Go(func() {
				var mine []time.Duration
				for body := range work {
					mine = append(mine, r.post(body))
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			})
		}
		wg.Wait()
		answered := time.Since(start)
		r.bot.Wait()
		drained := time.Since(start)

		faults, err := r.db.Faults(context.Background(), bot.FaultFilter{})
		if err != nil {
			b.Fatal(err)
		}
		if len(faults) != groups {
			b.Fatalf("%d faults, want %d", len(faults), groups)
		}
		for _, f := range faults {
			if len(f.Alerts) != 10 || f.FiringAlerts() != 10 {
				b.Fatalf("%s: %d alerts (%d firing), want all 10 of its group", f.Ref(), len(f.Alerts), f.FiringAlerts())
			}
		}
		pending, err := r.db.Pending(context.Background(), bot.InboxAlerts, 0)
		if err != nil || len(pending) != 0 {
			b.Fatalf("%d deliveries not acted on (%v)", len(pending), err)
		}
		b.ReportMetric(ms(percentile(lat, 0.50)), "p50-ms")
		b.ReportMetric(ms(percentile(lat, 0.99)), "p99-ms")
		b.ReportMetric(ms(percentile(lat, 1)), "max-ms")
		b.ReportMetric(answered.Seconds(), "answered-s")
		b.ReportMetric(drained.Seconds(), "drained-s")
		r.stop()
	}
}

// BenchmarkSustained sends 1,000 alerts/s (100 bodies/s of 10 alerts) into
// 30 open faults for -alerts.sustain (30 s), an alert flapping in every
// tenth body, while a person types /fault status in the war rooms every
// 50 ms. The target: commands' p99 under 100 ms.
func BenchmarkSustained(b *testing.B) {
	const (
		groups   = 30
		perBody  = 10
		bodiesPS = 100
		senders  = 8
	)
	for b.Loop() {
		r := newBenchRig(b)
		all := make([]int, perBody)
		for i := range all {
			all[i] = i
		}
		for g := range groups {
			r.post(amBody(g, all, nil))
		}
		r.bot.Wait()
		faults, err := r.db.Faults(context.Background(), bot.FaultFilter{})
		if err != nil || len(faults) != groups {
			b.Fatalf("%d faults before the run (%v)", len(faults), err)
		}

		ctx, cancel := context.WithTimeout(context.Background(), *sustainFor)
		var (
			sent    atomic.Int64
			mu      sync.Mutex
			answers []time.Duration
			cmds    []time.Duration
			wg      sync.WaitGroup
		)
		work := make(chan []byte, bodiesPS)
		wg.Go(func() { // the pace: 100 bodies a second
			defer close(work)
			tick := time.NewTicker(time.Second / bodiesPS)
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				g := i % groups
				var resolved map[int]bool
				if i%10 == 0 { // an alert of the group flaps
					resolved = map[int]bool{(i / 10) % perBody: (i/100)%2 == 0}
				}
				work <- amBody(g, all, resolved)
			}
		})
		for range senders {
			wg.Go(func() {
				for body := range work {
					d := r.post(body)
					sent.Add(perBody)
					mu.Lock()
					answers = append(answers, d)
					mu.Unlock()
				}
			})
		}
		wg.Go(func() { // a person in the war rooms
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				f := faults[i%len(faults)]
				start := time.Now()
				r.bot.HandleMessage(context.Background(), bot.Incoming{Channel: f.Channel, User: "ana", Text: "/fault status"})
				d := time.Since(start)
				mu.Lock()
				cmds = append(cmds, d)
				mu.Unlock()
			}
		})
		start := time.Now()
		wg.Wait()
		elapsed := time.Since(start)
		r.bot.Wait()
		backlog := time.Since(start) - elapsed
		cancel()

		pending, err := r.db.Pending(context.Background(), bot.InboxAlerts, 0)
		if err != nil || len(pending) != 0 {
			b.Fatalf("%d deliveries not acted on (%v)", len(pending), err)
		}
		after, err := r.db.Faults(context.Background(), bot.FaultFilter{})
		if err != nil || len(after) != groups {
			b.Fatalf("%d faults after the run, want %d (%v)", len(after), groups, err)
		}
		b.ReportMetric(float64(sent.Load())/elapsed.Seconds(), "alerts/s")
		b.ReportMetric(ms(percentile(answers, 0.99)), "answer-p99-ms")
		b.ReportMetric(ms(percentile(cmds, 0.50)), "cmd-p50-ms")
		b.ReportMetric(ms(percentile(cmds, 0.99)), "cmd-p99-ms")
		b.ReportMetric(ms(percentile(cmds, 1)), "cmd-max-ms")
		b.ReportMetric(backlog.Seconds(), "backlog-s")
		r.stop()
	}
}
