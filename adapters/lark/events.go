package lark

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"
	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"

	"github.com/warroom/warroom/bot"
)

// dataFrame handles one data frame on the read loop, so that events are
// kept in the order they arrive: a split payload waits for its parts, an
// event is parsed, kept, handed to a goroutine of its own, and answered.
func (a *Adapter) dataFrame(ctx context.Context, h bot.Handler, w *frameWriter, f larkws.Frame, parts map[string][][]byte) {
	hs := larkws.Headers(f.Headers)
	id := hs.GetString(larkws.HeaderMessageID)
	if t := larkws.MessageType(hs.GetString(larkws.HeaderType)); t != larkws.MessageTypeEvent && t != larkws.MessageTypeCard {
		a.reply(w, f, http.StatusOK, nil) // nothing warroom knows
		return
	}
	payload, whole := combine(parts, id, hs.GetInt(larkws.HeaderSum), hs.GetInt(larkws.HeaderSeq), f.Payload)
	if !whole {
		return
	}
	// "card" frames (legacy card callbacks; the SDK drops them) are
	// parsed too: a click is a click.
	ev, err := parseEvent(payload, id, a.BotID(), a.cfg.Command)
	if err != nil {
		// Sending it again would not make it readable: answered, and said.
		a.log.Warn("lark: ignoring an event that does not parse", "frame", id, "err", err)
		a.reply(w, f, http.StatusOK, nil)
		return
	}
	if ev.Reaction != nil {
		kctx, cancel := context.WithTimeout(ctx, a.cfg.AckWithin)
		ch, err := a.chatOfMessage(kctx, ev.Reaction.Message)
		cancel()
		if err != nil && bot.ErrorCode(err) == bot.ENOTFOUND { // sending it again would not help
			a.log.Warn("lark: ignoring a reaction to a message the bot cannot read", "message", ev.Reaction.Message, "err", err)
			a.reply(w, f, http.StatusOK, nil)
			return
		}
		if err != nil {
			a.log.Warn("lark: a reaction to a message whose chat is unknown; left for Lark to send again", "message", ev.Reaction.Message, "err", err)
			a.reply(w, f, http.StatusInternalServerError, nil)
			return
		}
		ev.Reaction.Channel = ch
	}
	if ev.CardMessage != "" {
		kctx, cancel := context.WithTimeout(ctx, a.cfg.AckWithin)
		ch, err := a.chatOfMessage(kctx, ev.CardMessage)
		cancel()
		if err != nil {
			a.log.Warn("lark: a card click naming no chat, on a message whose chat is unknown", "message", ev.CardMessage, "err", err)
			a.reply(w, f, http.StatusOK, toast(ev, "error", "warroom could not tell which chat this card is in; type the command instead"))
			return
		}
		ev.Message.Channel = ch
	}
	if ev.Message == nil && ev.Reaction == nil {
		a.reply(w, f, http.StatusOK, toast(ev, "error", ev.Refuse))
		return
	}
	kctx, cancel := context.WithTimeout(ctx, a.cfg.AckWithin)
	k, err := bot.Keep(kctx, h, bot.Inbound{ID: ev.ID, Message: ev.Message, Reaction: ev.Reaction, Redelivered: true})
	cancel()
	if err != nil {
		a.log.Error("lark: could not store an event; left for Lark to send again", "id", ev.ID, "err", err)
		a.reply(w, f, http.StatusInternalServerError, nil)
		return
	}
	if k != nil { // nil: kept already, by an earlier delivery
		// Started before the answer: whoever saw the answer can Wait for it.
		a.inflight.Go(func() { k.Handle(ctx) })
	}
	msg := ""
	if ev.Message != nil {
		msg = ev.Message.Text
	}
	a.reply(w, f, http.StatusOK, toast(ev, "info", msg))
}

func (a *Adapter) reply(w *frameWriter, f larkws.Frame, code int, data []byte) {
	if err := answer(w, f, code, data); err != nil {
		a.log.Warn("lark: answering an event", "err", err)
	}
}

// toast is a card click's answer, a toast its user sees; nil for others.
func toast(ev inbound, typ, text string) []byte {
	if !ev.Card || text == "" {
		return nil
	}
	b, _ := json.Marshal(callback.CardActionTriggerResponse{Toast: &callback.Toast{Type: typ, Content: text}})
	return b
}

// combine gathers a payload Lark split into sum parts; whole is false
// until the last part is in. A broken split (seq out of range) is dropped.
func combine(parts map[string][][]byte, id string, sum, seq int, p []byte) (payload []byte, whole bool) {
	if sum <= 1 {
		return p, true
	}
	if sum > maxParts || seq < 0 || seq >= sum {
		return nil, false
	}
	buf := parts[id]
	if len(buf) != sum {
		buf = make([][]byte, sum)
		if len(parts) > 256 { // unfinished splits: Lark resends them
			clear(parts)
		}
	}
	buf[seq] = p
	parts[id] = buf
	var out []byte
	for _, b := range buf {
		if b == nil {
			return nil, false
		}
		out = append(out, b...)
	}
	delete(parts, id)
	return out, true
}
