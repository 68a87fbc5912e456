package slack

import (
	"sync"
	"time"

	"github.com/warroom/warroom/bot"
)

// dedup remembers delivery ids (event_id, envelope_id) for ttl, so that
// Slack's retries of one delivery are acted on once.
type dedup struct {
	clock bot.Clock
	ttl   time.Duration
	mu    sync.Mutex
	seen  map[string]time.Time // id → first seen
}

func newDedup(c bot.Clock, ttl time.Duration) *dedup {
	return &dedup{clock: c, ttl: ttl, seen: map[string]time.Time{}}
}

// first reports whether id is new (and remembers it). An empty id is
// always new.
func (d *dedup) first(id string) bool {
	if id == "" {
		return true
	}
	now := d.clock.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	if at, ok := d.seen[id]; ok && now.Sub(at) < d.ttl {
		return false
	}
	if len(d.seen) >= 1024 {
		for k, at := range d.seen {
			if now.Sub(at) >= d.ttl {
				delete(d.seen, k)
			}
		}
	}
	d.seen[id] = now
	return true
}

// forget drops id, so that it is new again (its delivery was not taken).
func (d *dedup) forget(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.seen, id)
}
