package discord_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/warroom/warroom/adapters/discord/discordfake"
)

// The adapter's own HTTP client keeps a burst's connections: a second
// burst of 50 calls at once opens (next to) none.
func TestBurstsReuseConnections(t *testing.T) {
	t.Parallel()
	f := discordfake.New(t)
	a := newAdapter(t, f)
	const n = 50
	var chans []string
	for i := range n {
		chans = append(chans, f.AddChannel(discordgo.Channel{Name: fmt.Sprint("c", i)}))
	}
	f.SetLatency(20 * time.Millisecond)
	before := f.Clients()
	for range 2 {
		var wg sync.WaitGroup
		for _, ch := range chans { // a bucket each
			wg.Go(func() {
				if err := a.SetTopic(t.Context(), ch, "topic"); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	if got := f.Clients() - before; got > n+n/10 {
		t.Fatalf("%d connections for two bursts of %d calls", got, n)
	}
}
