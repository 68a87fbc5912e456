package adapters

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/warroom/warroom/bot"
)

// ChannelNames is what a platform's FindChannel has listed: channels by
// name (matched without regard to case), each kept for a while, with one
// listing at a time so that a burst of posts to #status lists once.
type ChannelNames struct {
	list sync.Mutex
	mu   sync.Mutex
	m    map[string]namedChannel
}

type namedChannel struct {
	ch bot.Channel
	at time.Time
}

// Find returns the channel called name (a leading # dropped): one listed
// within ttl before now, else what list turns up. list calls add for each
// channel it sees, and may stop when add returns true (the one wanted).
// found is false when the listing ended without it.
func (c *ChannelNames) Find(ctx context.Context, name string, ttl time.Duration, now func() time.Time,
	list func(ctx context.Context, add func(bot.Channel) bool) error) (ch bot.Channel, found bool, err error) {
	key := strings.ToLower(strings.TrimPrefix(name, "#"))
	c.list.Lock() // the others wait for this listing's answer
	defer c.list.Unlock()
	c.mu.Lock()
	f, ok := c.m[key]
	c.mu.Unlock()
	if ok && now().Sub(f.at) < ttl {
		return f.ch, true, nil
	}
	at := now()
	seen := map[string]bool{} // of two channels with one name, the first listed wins
	err = list(ctx, func(ch bot.Channel) bool {
		k := strings.ToLower(ch.Name)
		if seen[k] {
			return false
		}
		seen[k] = true
		c.mu.Lock()
		if c.m == nil {
			c.m = map[string]namedChannel{}
		}
		c.m[k] = namedChannel{ch, at}
		c.mu.Unlock()
		return k == key
	})
	if err != nil {
		return bot.Channel{}, false, err
	}
	if seen[key] {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.m[key].ch, true, nil
	}
	c.mu.Lock()
	delete(c.m, key) // a stale entry: renamed or gone since
	c.mu.Unlock()
	return bot.Channel{}, false, nil
}
