package lark

import (
	"context"
	"encoding/json"
	"strings"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"

	"github.com/warroom/warroom/bot"
)

// Post implements bot.Adapter: plain text, or an interactive card for
// kickoffs, approvals, summaries and anything with a title, fields or
// buttons.
func (a *Adapter) Post(ctx context.Context, channelID string, m bot.Message) (string, error) {
	id, err := a.send(ctx, "chat_id", channelID, m)
	if err != nil {
		return "", err
	}
	a.chatOf.put(id, channelID)
	return id, nil
}

// DM implements bot.Adapter: a message to the person's open_id (Lark opens
// the one-to-one chat itself).
func (a *Adapter) DM(ctx context.Context, p bot.Person, m bot.Message) error {
	id := p.Account("lark")
	if id == "" {
		return bot.Errorf(bot.EINVALID, "%s has no lark open_id in the catalog, so warroom cannot message them on Lark", p.ID)
	}
	_, err := a.send(ctx, "open_id", id, m)
	return err
}

func (a *Adapter) send(ctx context.Context, idType, to string, m bot.Message) (string, error) {
	typ, content := a.render(m)
	var id string
	err := a.do(ctx, "send a message (scope im:message:send_as_bot)", func(o larkcore.RequestOptionFunc) (*larkcore.CodeError, error) {
		req := larkim.NewCreateMessageReqBuilder().ReceiveIdType(idType).
			Body(larkim.NewCreateMessageReqBodyBuilder().ReceiveId(to).MsgType(typ).Content(content).Build()).Build()
		resp, err := a.cli.Im.V1.Message.Create(ctx, req, o)
		if err != nil {
			return nil, err
		}
		if resp.Data != nil {
			id = deref(resp.Data.MessageId)
		}
		return &resp.CodeError, nil
	})
	if err == nil && id == "" {
		err = bot.Errorf(bot.EUNAVAILABLE, "lark sent a message but answered no message_id")
	}
	return id, err
}

// render picks the message type and its content JSON.
func (a *Adapter) render(m bot.Message) (msgType, content string) {
	rich := m.Kind == bot.KindKickoff || m.Kind == bot.KindSummary || m.Kind == bot.KindApproval ||
		m.Title != "" || len(m.Fields) > 0 || len(m.Buttons) > 0
	if !rich {
		b, _ := json.Marshal(map[string]string{"text": m.Text})
		return "text", string(b)
	}
	buttons := m.Buttons
	if m.Kind == bot.KindKickoff && !hasCheckin(buttons, a.cfg.Command) {
		buttons = append([]bot.Button{{Label: "✅ Check in", Command: "/" + a.cfg.Command + " checkin", Style: "primary"}}, buttons...)
	}
	b, _ := json.Marshal(card(m, buttons))
	return "interactive", string(b)
}

func hasCheckin(bs []bot.Button, word string) bool {
	for _, b := range bs {
		if strings.TrimSpace(b.Command) == "/"+word+" checkin" {
			return true
		}
	}
	return false
}

// chatOfMessage is the chat a message is in: remembered from Post, else
// asked of Lark (a kickoff from before a restart).
func (a *Adapter) chatOfMessage(ctx context.Context, messageID string) (string, error) {
	if ch, ok := a.chatOf.get(messageID); ok {
		return ch, nil
	}
	var chat string
	err := a.do(ctx, "read a reacted-to message (scope im:message:readonly)", func(o larkcore.RequestOptionFunc) (*larkcore.CodeError, error) {
		resp, err := a.cli.Im.V1.Message.Get(ctx, larkim.NewGetMessageReqBuilder().MessageId(messageID).Build(), o)
		if err != nil {
			return nil, err
		}
		if resp.Data != nil && len(resp.Data.Items) > 0 && resp.Data.Items[0] != nil {
			chat = deref(resp.Data.Items[0].ChatId)
		}
		return &resp.CodeError, nil
	})
	if err != nil {
		return "", err
	}
	if chat == "" {
		return "", bot.Errorf(bot.ENOTFOUND, "lark has no chat for message %s", messageID)
	}
	a.chatOf.put(messageID, chat)
	return chat, nil
}
