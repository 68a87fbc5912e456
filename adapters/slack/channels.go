package slack

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/warroom/warroom/bot"
)

// maxName is Slack's limit on channel names.
const maxName = 80

// CreateChannel implements bot.Adapter with conversations.create. A taken
// name gets a suffix (-2, -3, ...), kept within 80 characters.
func (a *Adapter) CreateChannel(ctx context.Context, name string) (bot.Channel, error) {
	for n := 1; n <= 100; n++ {
		try := clip(name, maxName)
		if n > 1 {
			suffix := fmt.Sprintf("-%d", n)
			try = clip(name, maxName-len(suffix)) + suffix
		}
		var ch *slack.Channel
		err := a.do(ctx, "conversations.create", func(ctx context.Context) (err error) {
			ch, err = a.api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: try, IsPrivate: a.opts.Private})
			return err
		})
		if errCode(err) == "name_taken" {
			continue
		}
		if err != nil {
			return bot.Channel{}, err
		}
		if ch.Name != "" {
			try = ch.Name
		}
		return bot.Channel{ID: ch.ID, Name: try}, nil
	}
	return bot.Channel{}, fmt.Errorf("conversations.create: %q and 99 suffixed variants are all taken", name)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return strings.TrimRight(s, "-_")
}

// Invite implements bot.Adapter: everyone in one conversations.invite; if
// that fails, one by one, and an error naming who could not be invited and
// why. People without a Slack id are found by email.
func (a *Adapter) Invite(ctx context.Context, channelID string, people []bot.Person) error {
	var (
		ids      []string
		who      = map[string]string{} // uid → person id
		problems []string
	)
	for _, p := range people {
		uid, err := a.userID(ctx, p)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s (%v)", p.ID, err))
			continue
		}
		if _, dup := who[uid]; !dup {
			ids = append(ids, uid)
			who[uid] = p.ID
		}
	}
	if len(ids) > 0 {
		err := a.do(ctx, "conversations.invite", func(ctx context.Context) error {
			_, err := a.api.InviteUsersToConversationContext(ctx, channelID, ids...)
			return err
		})
		if err != nil && !(len(ids) == 1 && errCode(err) == "already_in_channel") {
			a.log.Debug("slack: batch invite failed; one by one", "channel", channelID, "err", err)
			for _, uid := range ids {
				err := a.do(ctx, "conversations.invite", func(ctx context.Context) error {
					_, err := a.api.InviteUsersToConversationContext(ctx, channelID, uid)
					return err
				})
				if err != nil && errCode(err) != "already_in_channel" {
					problems = append(problems, fmt.Sprintf("%s (%s)", who[uid], errCode(err)))
				}
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("not invited: %s", strings.Join(problems, ", "))
	}
	return nil
}

// SetTopic implements bot.Topicer with conversations.setTopic.
func (a *Adapter) SetTopic(ctx context.Context, channelID, topic string) error {
	return a.do(ctx, "conversations.setTopic", func(ctx context.Context) error {
		_, err := a.api.SetTopicOfConversationContext(ctx, channelID, clip(topic, 250))
		return err
	})
}

// Pin implements bot.Pinner with pins.add.
func (a *Adapter) Pin(ctx context.Context, channelID, messageID string) error {
	return a.do(ctx, "pins.add", func(ctx context.Context) error {
		err := a.api.AddPinContext(ctx, channelID, slack.NewRefToMessage(channelID, messageID))
		if errCode(err) == "already_pinned" {
			return nil
		}
		return err
	})
}

// DM implements bot.Adapter: conversations.open, then a post.
func (a *Adapter) DM(ctx context.Context, p bot.Person, m bot.Message) error {
	uid, err := a.userID(ctx, p)
	if err != nil {
		return fmt.Errorf("DM %s: %w", p.ID, err)
	}
	var ch *slack.Channel
	err = a.do(ctx, "conversations.open", func(ctx context.Context) (err error) {
		ch, _, _, err = a.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{uid}})
		return err
	})
	if err != nil {
		return err
	}
	_, err = a.Post(ctx, ch.ID, m)
	return err
}
