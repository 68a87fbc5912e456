package slack

import (
	"context"
	"strings"
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

// FindChannel implements bot.ChannelFinder with conversations.list
// (public and private channels, archived ones left out), following the
// cursor until the name turns up. Slack channel names are lower case; the
// match ignores case. Private channels are listed only when the bot is in
// them. None is ENOTFOUND.
func (a *Adapter) FindChannel(ctx context.Context, name string) (bot.Channel, error) {
	name = strings.TrimPrefix(name, "#")
	ch, ok, err := a.chans.Find(ctx, name, ChannelTTL, a.opts.Clock.Now, func(ctx context.Context, add func(bot.Channel) bool) error {
		for cursor := ""; ; {
			var chs []slack.Channel
			err := a.do(ctx, "conversations.list", func(ctx context.Context) (err error) {
				chs, cursor, err = a.api.GetConversationsContext(ctx, &slack.GetConversationsParameters{
					Cursor: cursor, ExcludeArchived: true, Limit: listPage,
					Types: []string{"public_channel", "private_channel"},
				})
				return err
			})
			if errCode(err) == "missing_scope" {
				return bot.Errorf(bot.EUNAVAILABLE, "warroom may not list Slack channels to find #%s (missing_scope): add the channels:read and groups:read scopes to the Slack app and reinstall it", name)
			} else if err != nil {
				return bot.Errorf(bot.EUNAVAILABLE, "could not list Slack channels to find #%s: %v", name, err)
			}
			for _, c := range chs {
				if add(bot.Channel{ID: c.ID, Name: c.Name}) {
					return nil
				}
			}
			if cursor == "" {
				return nil
			}
		}
	})
	if err != nil || ok {
		return ch, err
	}
	return bot.Channel{}, bot.Errorf(bot.ENOTFOUND, "no channel named #%s in this Slack workspace (or it is private and warroom is not in it)", name)
}
