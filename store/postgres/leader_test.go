package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/store/postgres"
	"github.com/warroom/warroom/store/postgres/pgtest"
)

// candidate is one process's campaign, as the test sees it.
type candidate struct {
	name   string
	mu     sync.Mutex
	leads  int  // times it won
	now    bool // leading now
	stop   context.CancelFunc
	done   chan struct{}
	events chan string
}

func campaign(t *testing.T, url, name string, events chan string) *candidate {
	c := &candidate{name: name, done: make(chan struct{}), events: events}
	ctx, stop := context.WithCancel(context.Background())
	c.stop = stop
	go func() {
		defer close(c.done)
		postgres.Elect(ctx, url, postgres.ElectOptions{Retry: 200 * time.Millisecond, Check: 200 * time.Millisecond}, func(ctx context.Context) {
			c.mu.Lock()
			c.leads++
			c.now = true
			c.mu.Unlock()
			events <- name + " leads"
			<-ctx.Done()
			c.mu.Lock()
			c.now = false
			c.mu.Unlock()
			events <- name + " stops"
		})
	}()
	t.Cleanup(func() { stop(); <-c.done })
	return c
}

func next(t *testing.T, events chan string, within time.Duration) string {
	t.Helper()
	select {
	case e := <-events:
		return e
	case <-time.After(within):
		t.Fatalf("nothing happened within %v", within)
		return ""
	}
}

// One of two candidates leads; when it steps down the other takes over,
// and when the leader's session is cut from the server side (as a network
// cut or a restart ends it) it stops before the other leads.
func TestElectOneLeaderAndTakeover(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.Get(t).NewDatabase(t)
	events := make(chan string, 16)
	a := campaign(t, url, "a", events)
	require.Equal(t, "a leads", next(t, events, 5*time.Second))
	b := campaign(t, url, "b", events)
	select {
	case e := <-events:
		t.Fatalf("only one leads at a time, yet: %s", e)
	case <-time.After(time.Second):
	}

	// The leader's session is terminated by the server: it stops, then b
	// leads.
	raw, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer raw.Close(ctx)
	var n int
	require.NoError(t, raw.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = 'warroom-leader' AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)`).Scan(&n))
	require.Equal(t, 1, n)
	assert.Equal(t, "a stops", next(t, events, 3*time.Second))
	won := next(t, events, 3*time.Second)
	require.Contains(t, []string{"b leads", "a leads"}, won) // whoever tries first

	// Whoever leads steps down (its process ends): the other takes over.
	leader, other := b, a
	if won == "a leads" {
		leader, other = a, b
	}
	began := time.Now()
	leader.stop()
	<-leader.done
	assert.Equal(t, leader.name+" stops", next(t, events, time.Second))
	assert.Equal(t, other.name+" leads", next(t, events, 3*time.Second))
	assert.Less(t, time.Since(began), 2*time.Second, "takeover after the leader's session ends")
}
