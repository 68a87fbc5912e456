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

// FindChannel implements bot.ChannelFinder: the server's text (or
// announcement) channel of that name, from GET /guilds/{guild}/channels.
// Names are matched without regard to case (Discord lower-cases text
// channel names); of two channels with one name the first Discord lists
// wins. None is ENOTFOUND.
func (a *Adapter) FindChannel(ctx context.Context, name string) (bot.Channel, error) {
	name = strings.TrimPrefix(name, "#")
	ch, ok, err := a.found.Find(ctx, name, ChannelTTL, a.cfg.Now, func(ctx context.Context, add func(bot.Channel) bool) error {
		var chs []*discordgo.Channel
		err := a.call(ctx, func(o ...discordgo.RequestOption) (err error) {
			chs, err = a.s.GuildChannels(a.cfg.Guild, o...)
			return
		})
		if err != nil {
			return platformErr(err, "list the server's channels to find #"+name, "View Channels")
		}
		for _, c := range chs {
			if c.Type == discordgo.ChannelTypeGuildText || c.Type == discordgo.ChannelTypeGuildNews {
				add(bot.Channel{ID: c.ID, Name: c.Name})
			}
		}
		return nil
	})
	if err != nil || ok {
		return ch, err
	}
	return bot.Channel{}, bot.Errorf(bot.ENOTFOUND, "no text channel named #%s in this Discord server", name)
}
