package discord

import (
	"context"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/warroom/warroom/bot"
)

// ChannelTTL is how long FindChannel trusts a name it looked up. A name it
// does not know is looked up again at once (the channel may be new), so
// only a channel renamed or deleted within the TTL is posted to in vain.
const ChannelTTL = time.Minute

// found is a channel FindChannel looked up, and when.
type found struct {
	ch bot.Channel
	at time.Time
}

// FindChannel implements bot.ChannelFinder: the server's text (or
// announcement) channel of that name, from GET /guilds/{guild}/channels.
// Names are matched without regard to case (Discord lower-cases text
// channel names); of two channels with one name the first Discord lists
// wins. None is ENOTFOUND.
func (a *Adapter) FindChannel(ctx context.Context, name string) (bot.Channel, error) {
	name = strings.TrimPrefix(name, "#")
	key := strings.ToLower(name)
	a.findMu.Lock() // one listing at a time; the others wait for its answer
	defer a.findMu.Unlock()
	a.mu.Lock()
	f, ok := a.found[key]
	a.mu.Unlock()
	if ok && a.cfg.Now().Sub(f.at) < ChannelTTL {
		return f.ch, nil
	}
	var chs []*discordgo.Channel
	err := a.call(ctx, func(o ...discordgo.RequestOption) (err error) {
		chs, err = a.s.GuildChannels(a.cfg.Guild, o...)
		return
	})
	if err != nil {
		return bot.Channel{}, platformErr(err, "list the server's channels to find #"+name, "View Channels")
	}
	now := a.cfg.Now()
	fresh := map[string]found{}
	for _, c := range chs {
		if c.Type != discordgo.ChannelTypeGuildText && c.Type != discordgo.ChannelTypeGuildNews {
			continue
		}
		k := strings.ToLower(c.Name)
		if _, dup := fresh[k]; !dup {
			fresh[k] = found{bot.Channel{ID: c.ID, Name: c.Name}, now}
		}
	}
	a.mu.Lock()
	a.found = fresh
	a.mu.Unlock()
	if f, ok := fresh[key]; ok {
		return f.ch, nil
	}
	return bot.Channel{}, bot.Errorf(bot.ENOTFOUND, "no text channel named #%s in this Discord server", name)
}
