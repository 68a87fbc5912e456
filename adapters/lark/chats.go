package lark

import (
	"context"
	"fmt"
	"strings"
	"time"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"

	"github.com/warroom/warroom/bot"
)

// maxInvite is how many members one add-members call takes.
const maxInvite = 50

// findTTL is how long FindChannel trusts a listing.
const findTTL = 5 * time.Minute

// CreateChannel implements bot.Adapter: a private group chat, the bot its
// owner. Lark allows two chats with one name; warroom does not, among the
// bot's own chats, so that `#name` finds one: a taken name gets -2, -3...
func (a *Adapter) CreateChannel(ctx context.Context, name string) (bot.Channel, error) {
	if err := a.loadNames(ctx); err != nil {
		return bot.Channel{}, err
	}
	a.mu.Lock()
	got := name
	for n := 2; a.names[strings.ToLower(got)]; n++ {
		got = fmt.Sprintf("%s-%d", name, n)
	}
	a.names[strings.ToLower(got)] = true // held while it is made
	a.mu.Unlock()
	var id string
	err := a.do(ctx, "create a war-room chat (scope im:chat)", func(o larkcore.RequestOptionFunc) (*larkcore.CodeError, error) {
		req := larkim.NewCreateChatReqBuilder().UserIdType("open_id").SetBotManager(true).
			Body(larkim.NewCreateChatReqBodyBuilder().Name(got).ChatMode("group").ChatType("private").Build()).Build()
		resp, err := a.cli.Im.V1.Chat.Create(ctx, req, o)
		if err != nil {
			return nil, err
		}
		if resp.Data != nil && resp.Data.ChatId != nil {
			id = *resp.Data.ChatId
		}
		return &resp.CodeError, nil
	})
	if err == nil && id == "" {
		err = bot.Errorf(bot.EUNAVAILABLE, "lark created a chat but answered no chat_id")
	}
	if err != nil {
		a.mu.Lock()
		delete(a.names, strings.ToLower(got))
		a.mu.Unlock()
		return bot.Channel{}, err
	}
	return bot.Channel{ID: id, Name: got}, nil
}

// loadNames lists the bot's chats once, so that names taken before this
// process started are known.
func (a *Adapter) loadNames(ctx context.Context) error {
	a.mu.Lock()
	done := a.loaded
	a.mu.Unlock()
	if done {
		return nil
	}
	var names []string
	err := a.listChats(ctx, func(ch bot.Channel) bool { names = append(names, ch.Name); return false })
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, n := range names {
		a.names[strings.ToLower(n)] = true
	}
	a.loaded = true
	return nil
}

// listChats pages through the chats the bot is in, until add returns true.
func (a *Adapter) listChats(ctx context.Context, add func(bot.Channel) bool) error {
	page := ""
	for {
		var items []*larkim.ListChat
		more := false
		err := a.do(ctx, "list the bot's chats (scope im:chat:readonly)", func(o larkcore.RequestOptionFunc) (*larkcore.CodeError, error) {
			b := larkim.NewListChatReqBuilder().PageSize(100)
			if page != "" {
				b = b.PageToken(page)
			}
			resp, err := a.cli.Im.V1.Chat.List(ctx, b.Build(), o)
			if err != nil {
				return nil, err
			}
			if d := resp.Data; d != nil {
				items, more, page = d.Items, d.HasMore != nil && *d.HasMore, deref(d.PageToken)
			}
			return &resp.CodeError, nil
		})
		if err != nil {
			return err
		}
		for _, it := range items {
			if it != nil && it.ChatId != nil && add(bot.Channel{ID: *it.ChatId, Name: deref(it.Name)}) {
				return nil
			}
		}
		if !more || page == "" {
			return nil
		}
	}
}

// FindChannel implements bot.ChannelFinder among the chats the bot is in.
func (a *Adapter) FindChannel(ctx context.Context, name string) (bot.Channel, error) {
	ch, found, err := a.found.Find(ctx, name, findTTL, a.cfg.Clock.Now, a.listChats)
	if err != nil {
		return bot.Channel{}, err
	}
	if !found {
		return bot.Channel{}, bot.Errorf(bot.ENOTFOUND, "the bot is in no Lark chat named %q; add the bot to it (chat settings, Bots)", strings.TrimPrefix(name, "#"))
	}
	return ch, nil
}

// Invite implements bot.Adapter by open_id, in calls of up to 50. People
// without a lark account are left out (the core tells them otherwise); ids
// Lark does not know are an error naming them, after the rest are in.
func (a *Adapter) Invite(ctx context.Context, channelID string, people []bot.Person) error {
	var ids []string
	for _, p := range people {
		if id := p.Account("lark"); id != "" {
			ids = append(ids, id)
		}
	}
	var bad []string
	for len(ids) > 0 {
		batch := ids[:min(maxInvite, len(ids))]
		ids = ids[len(batch):]
		err := a.do(ctx, "add people to the war-room chat (scope im:chat)", func(o larkcore.RequestOptionFunc) (*larkcore.CodeError, error) {
			req := larkim.NewCreateChatMembersReqBuilder().ChatId(channelID).MemberIdType("open_id").SucceedType(1).
				Body(larkim.NewCreateChatMembersReqBodyBuilder().IdList(batch).Build()).Build()
			resp, err := a.cli.Im.V1.ChatMembers.Create(ctx, req, o)
			if err != nil {
				return nil, err
			}
			if d := resp.Data; d != nil {
				bad = append(bad, d.InvalidIdList...)
				bad = append(bad, d.NotExistedIdList...)
			}
			return &resp.CodeError, nil
		})
		if err != nil {
			return err
		}
	}
	if len(bad) > 0 {
		return bot.Errorf(bot.EINVALID, "lark could not add %s to the chat: not open_ids of this tenant, left the company, or outside the app's visibility (check people's lark ids and the app's availability range)", strings.Join(bad, ", "))
	}
	return nil
}

// SetTopic implements bot.Topicer as the chat's description, which Lark
// shows under the chat's name.
func (a *Adapter) SetTopic(ctx context.Context, channelID, topic string) error {
	return a.do(ctx, "set the chat's description (scope im:chat)", func(o larkcore.RequestOptionFunc) (*larkcore.CodeError, error) {
		req := larkim.NewUpdateChatReqBuilder().ChatId(channelID).
			Body(larkim.NewUpdateChatReqBodyBuilder().Description(topic).Build()).Build()
		resp, err := a.cli.Im.V1.Chat.Update(ctx, req, o)
		if err != nil {
			return nil, err
		}
		return &resp.CodeError, nil
	})
}

// Pin implements bot.Pinner.
func (a *Adapter) Pin(ctx context.Context, _, messageID string) error {
	return a.do(ctx, "pin the kickoff (scope im:message.pins:write_only)", func(o larkcore.RequestOptionFunc) (*larkcore.CodeError, error) {
		req := larkim.NewCreatePinReqBuilder().Body(larkim.NewCreatePinReqBodyBuilder().MessageId(messageID).Build()).Build()
		resp, err := a.cli.Im.V1.Pin.Create(ctx, req, o)
		if err != nil {
			return nil, err
		}
		return &resp.CodeError, nil
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
