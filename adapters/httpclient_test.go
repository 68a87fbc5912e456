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
