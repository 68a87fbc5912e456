package lark

import (
	"context"
	"encoding/json"
	"strings"
	"unicode/utf8"

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

// Lark's limits are 150 KB for a text message's content and 30 KB for a
// card's; these leave room for JSON escapes.
const (
	maxText = 60_000
	maxCard = 28_000
)

// send posts m, a text too long for one message in parts (at line
// breaks); the id is the first part's.
func (a *Adapter) send(ctx context.Context, idType, to string, m bot.Message) (string, error) {
	typ, content := a.render(m)
	if typ == "text" && len(m.Text) > maxText {
		first := ""
		for _, part := range chunks(m.Text, maxText) {
			id, err := a.sendOne(ctx, idType, to, "text", textContent(part))
			if err != nil {
				return first, err
			}
			if first == "" {
				first = id
			}
		}
		return first, nil
	}
	return a.sendOne(ctx, idType, to, typ, content)
}

func (a *Adapter) sendOne(ctx context.Context, idType, to, typ, content string) (string, error) {
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
		return "text", textContent(m.Text)
	}
	buttons := m.Buttons
	if m.Kind == bot.KindKickoff && !hasCheckin(buttons, a.cfg.Command) {
		buttons = append([]bot.Button{{Label: "✅ Check in", Command: "/" + a.cfg.Command + " checkin", Style: "primary"}}, buttons...)
	}
	b, _ := json.Marshal(card(m, buttons))
	if len(b) > maxCard { // too long for a card: the text says it all
		return "text", textContent(m.Text)
	}
	return "interactive", string(b)
}

func textContent(s string) string {
	b, _ := json.Marshal(map[string]string{"text": s})
	return string(b)
}

// chunks cuts text into parts of at most n bytes, at line breaks where
// it can, never inside a UTF-8 character.
func chunks(text string, n int) []string {
	var out []string
	for len(text) > n {
		cut := strings.LastIndexByte(text[:n], '\n')
		if cut <= 0 {
			cut = n
			for cut > 0 && !utf8.RuneStart(text[cut]) {
				cut--
			}
		}
		out = append(out, text[:cut])
		text = strings.TrimLeft(text[cut:], "\n")
	}
	if text != "" {
		out = append(out, text)
	}
	return out
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
	refused := false
	err := a.do(ctx, "read a reacted-to message (scope im:message:readonly)", func(o larkcore.RequestOptionFunc) (*larkcore.CodeError, error) {
		resp, err := a.cli.Im.V1.Message.Get(ctx, larkim.NewGetMessageReqBuilder().MessageId(messageID).Build(), o)
		if err != nil {
			return nil, err
		}
		if resp.Data != nil && len(resp.Data.Items) > 0 && resp.Data.Items[0] != nil {
			chat = deref(resp.Data.Items[0].ChatId)
		}
		refused = permanent(resp.StatusCode, resp.Code)
		return &resp.CodeError, nil
	})
	if err != nil && refused {
		return "", bot.Errorf(bot.ENOTFOUND, "%s", err.Error())
	}
	if err != nil {
		return "", err
	}
	if chat == "" {
		return "", bot.Errorf(bot.ENOTFOUND, "lark has no chat for message %s", messageID)
	}
	a.chatOf.put(messageID, chat)
	return chat, nil
}

// permanent: Lark refused a call for good (a 4xx, or a message that is
// gone or not visible to the bot), not for a token or a rate limit.
func permanent(status, code int) bool {
	switch code {
	case 0, codeTokenInvalid, codeTokenInvalid2, codeTokenExpired, codeRateLimited:
		return false
	case codeMessageGone, codeMessageRecalled, codeNoScope:
		return true
	}
	return status >= 400 && status < 500
}
