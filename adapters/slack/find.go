package slack

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/warroom/warroom/bot"
)

// ChannelTTL is how long FindChannel trusts a name it looked up. A name it
// does not know is looked up again at once (the channel may be new), so
// only a channel renamed or archived within the TTL is posted to in vain.
const ChannelTTL = time.Minute

// listPage is how many channels one conversations.list call asks for
// (Slack advises at most 200); Slack may send fewer and a cursor.
const listPage = 200

// channelCache is what FindChannel learnt: lower-cased name → channel.
type channelCache struct {
	list sync.Mutex // one listing at a time; the others wait for its answer
	mu   sync.Mutex
	m    map[string]foundChannel
}

type foundChannel struct {
	ch bot.Channel
	at time.Time
}

// FindChannel implements bot.ChannelFinder with conversations.list
// (public and private channels, archived ones left out), following the
// cursor until the name turns up. Slack channel names are lower case; the
// match ignores case. Private channels are listed only when the bot is in
// them. None is ENOTFOUND.
func (a *Adapter) FindChannel(ctx context.Context, name string) (bot.Channel, error) {
	name = strings.TrimPrefix(name, "#")
	key := strings.ToLower(name)
	c := &a.chans
	c.list.Lock()
	defer c.list.Unlock()
	if f, ok := c.get(key); ok && a.opts.Clock.Now().Sub(f.at) < ChannelTTL {
		return f.ch, nil
	}
	cursor := ""
	for {
		var chs []slack.Channel
		err := a.do(ctx, "conversations.list", func(ctx context.Context) (err error) {
			chs, cursor, err = a.api.GetConversationsContext(ctx, &slack.GetConversationsParameters{
				Cursor: cursor, ExcludeArchived: true, Limit: listPage,
				Types: []string{"public_channel", "private_channel"},
			})
			return err
		})
		if err != nil {
			if errCode(err) == "missing_scope" {
				return bot.Channel{}, bot.Errorf(bot.EUNAVAILABLE, "warroom may not list Slack channels to find #%s (missing_scope): add the channels:read and groups:read scopes to the Slack app and reinstall it", name)
			}
			return bot.Channel{}, bot.Errorf(bot.EUNAVAILABLE, "could not list Slack channels to find #%s: %v", name, err)
		}
		now := a.opts.Clock.Now()
		var hit *bot.Channel
		c.mu.Lock()
		if c.m == nil {
			c.m = map[string]foundChannel{}
		}
		for _, ch := range chs {
			k := strings.ToLower(ch.Name)
			f := foundChannel{bot.Channel{ID: ch.ID, Name: ch.Name}, now}
			c.m[k] = f
			if k == key && hit == nil {
				hit = &f.ch
			}
		}
		c.mu.Unlock()
		if hit != nil {
			return *hit, nil
		}
		if cursor == "" {
			break
		}
	}
	c.mu.Lock()
	delete(c.m, key) // a stale entry, renamed or archived since
	c.mu.Unlock()
	return bot.Channel{}, bot.Errorf(bot.ENOTFOUND, "no channel named #%s in this Slack workspace (or it is private and warroom is not in it)", name)
}

func (c *channelCache) get(key string) (foundChannel, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, ok := c.m[key]
	return f, ok
}
