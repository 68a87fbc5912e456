package adapters_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/warroom/warroom/adapters"
)

// Two bursts of 50 requests in flight at once: the second finds the
// first's 50 connections idle in the pool and opens none
// (http.DefaultClient keeps 2 idle, and would open 48 more).
func TestHTTPClientKeepsABurstsConnections(t *testing.T) {
	t.Parallel()
	const n = 50
	var (
		mu      sync.Mutex
		conns   int
		arrived int
		all     = make(chan struct{}) // closed when n requests are in; replaced per burst
	)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrived++
		wait := all
		if arrived%n == 0 {
			close(all)
			all = make(chan struct{})
		}
		mu.Unlock()
		<-wait // every request of the burst is in flight
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c := adapters.NewHTTPClient(10 * time.Second)
	if c.Timeout != 10*time.Second {
		t.Errorf("timeout %v, want 10s", c.Timeout)
	}
	for range 2 {
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
				res, err := c.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
			})
		}
		wg.Wait()
	}
	mu.Lock()
	defer mu.Unlock()
	if conns != n {
		t.Fatalf("%d connections for two bursts of %d, want %d", conns, n, n)
	}
}

// calls is a CallObserver that keeps what it heard.
type calls struct {
	mu  sync.Mutex
	got []string
}

func (c *calls) ObserveCall(platform string, status int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := platform + " " + http.StatusText(status)
	if err != nil {
		s = platform + " error"
	}
	c.got = append(c.got, s)
}

// The platform's client tells the observer each answer, a 429 included,
// and a call that got none; the caller sees the answers unchanged.
func TestEnvHTTPClientObservesCalls(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/busy" {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	t.Cleanup(srv.Close)
	obs := &calls{}
	c := adapters.Env{Calls: obs}.HTTPClient("slack", 5*time.Second)
	for _, path := range []string{"/ok", "/busy"} {
		resp, err := c.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if path == "/busy" && (resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1") {
			t.Errorf("the caller sees %d %q, want the 429 and its Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	if _, err := c.Get("http://127.0.0.1:1/refused"); err == nil {
		t.Fatal("a call to a closed port succeeded")
	}
	want := []string{"slack OK", "slack Too Many Requests", "slack error"}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if len(obs.got) != len(want) {
		t.Fatalf("heard %q, want %q", obs.got, want)
	}
	for i := range want {
		if obs.got[i] != want[i] {
			t.Errorf("call %d heard %q, want %q", i, obs.got[i], want[i])
		}
	}
	if adapters.Observed(nil, "slack", nil) != nil {
		t.Error("no observer: the transport is left as it is")
	}
}
