package lark

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"

	"github.com/warroom/warroom/bot"
)

// Event types warroom subscribes to.
const (
	EventMessage    = "im.message.receive_v1"
	EventReaction   = "im.message.reaction.created_v1"
	EventCardAction = "card.action.trigger"
)

// inbound is a Lark event as warroom reads it: one of Message and
// Reaction, or neither (an event warroom ignores, or a click to refuse).
type inbound struct {
	ID       string // the keep id, the same on Lark's redeliveries
	Message  *bot.Incoming
	Reaction *bot.Reaction // Channel is empty: Lark names the message only
	Card     bool          // a card click: its answer is a toast
	Refuse   string        // a click warroom refuses, with why
	// CardMessage is a click's message when Lark named no chat: the
	// chat is looked up (as for reactions).
	CardMessage string
}

// emojis are Lark's emoji_type names for the emoji the core knows by
// character; others go on as their name in lower case ("ok").
// Lark has two check marks: DONE (the green ✅ box) and CheckMark (✔️);
// both check in. Keys are upper case: a fake (or a future Lark) may write
// "Done" or "CHECKMARK".
var emojis = map[string]string{
	"DONE":      "✅",
	"CHECKMARK": "✅",
	"THUMBSUP":  "👍",
	"GLANCE":    "👀",
}

// parseEvent reads an event payload (the JSON inside a long-connection
// frame, frameID its message_id). botID is the bot's open_id, word the
// command word. An event
// warroom does not act on is a zero inbound and no error.
func parseEvent(payload []byte, frameID, botID, word string) (inbound, error) {
	var base larkevent.EventV2Base
	if err := json.Unmarshal(payload, &base); err != nil {
		return inbound{}, fmt.Errorf("an event that is not JSON: %w", err)
	}
	if base.Header == nil || base.Header.EventType == "" {
		return legacyClick(payload, frameID, word)
	}
	switch base.Header.EventType {
	case EventMessage:
		var ev larkim.P2MessageReceiveV1
		if err := json.Unmarshal(payload, &ev); err != nil {
			return inbound{}, fmt.Errorf("a message event: %w", err)
		}
		return message(ev.Event, botID, word)
	case EventReaction:
		var ev larkim.P2MessageReactionCreatedV1
		if err := json.Unmarshal(payload, &ev); err != nil {
			return inbound{}, fmt.Errorf("a reaction event: %w", err)
		}
		return reaction(ev.Event)
	case EventCardAction:
		var ev struct {
			Event *cardClick `json:"event"`
		}
		if err := json.Unmarshal(payload, &ev); err != nil {
			return inbound{}, fmt.Errorf("a card click: %w", err)
		}
		if ev.Event == nil {
			return inbound{}, errors.New("a card click without its event")
		}
		return ev.Event.inbound(base.Header.EventID, word)
	}
	return inbound{}, nil
}

func message(d *larkim.P2MessageReceiveV1Data, botID, word string) (inbound, error) {
	if d == nil || d.Message == nil || d.Sender == nil {
		return inbound{}, errors.New("a message event without its message or sender")
	}
	m, s := d.Message, d.Sender
	typ := deref(m.MessageType)
	if deref(s.SenderType) != "user" || (typ != "text" && typ != "post") {
		return inbound{}, nil // bots' messages; images, files, cards
	}
	user := ""
	if s.SenderId != nil {
		user = deref(s.SenderId.OpenId)
	}
	id, chat := deref(m.MessageId), deref(m.ChatId)
	if user == "" || id == "" || chat == "" {
		return inbound{}, errors.New("a message event without a sender open_id, message_id or chat_id")
	}
	raw, err := messageText(typ, deref(m.Content))
	if err != nil {
		return inbound{}, err
	}
	text := commandText(raw, m.Mentions, botID, word, deref(m.ChatType) == "p2p")
	if text == "" {
		return inbound{}, nil
	}
	return inbound{ID: "message:" + id, Message: &bot.Incoming{Channel: chat, User: user, Text: text}}, nil
}

// commandText is what the user typed as the core reads it: the bot's own
// mention dropped, other mentions as `<@ou_...>` (the core's mention
// form), and `fault status` taken as `/fault status` in a DM or after the
// bot's mention, where Lark users have no slash commands to reach for.
func commandText(text string, mentions []*larkim.MentionEvent, botID, word string, dm bool) string {
	ms := make([]*larkim.MentionEvent, 0, len(mentions))
	for _, m := range mentions {
		if m != nil && deref(m.Key) != "" {
			ms = append(ms, m)
		}
	}
	// Longest keys first: @_user_1 is a prefix of @_user_10.
	sort.SliceStable(ms, func(i, j int) bool { return len(deref(ms[i].Key)) > len(deref(ms[j].Key)) })
	addressed := dm
	lead := ""
	if botID == "" { // unknown (see Connect): a mention leading the word is the bot's
		lead = leadingMention(text, ms, word)
	}
	for _, m := range ms {
		open := ""
		if m.Id != nil {
			open = deref(m.Id.OpenId)
		}
		with := "@" + deref(m.Name)
		switch {
		case (open != "" && open == botID) || (lead != "" && deref(m.Key) == lead):
			with, addressed = "", true
		case open != "":
			with = "<@" + open + ">"
		}
		text = strings.ReplaceAll(text, deref(m.Key), with)
	}
	text = strings.TrimSpace(text)
	if first, _ := bot.SplitFirst(text); addressed && strings.EqualFold(first, word) {
		text = "/" + word + text[len(first):]
	}
	return text
}

// leadingMention is the key of the mention text starts with when the
// command word follows it ("@_user_1 fault status"), else "".
func leadingMention(text string, ms []*larkim.MentionEvent, word string) string {
	text = strings.TrimSpace(text)
	for _, m := range ms { // longest keys first
		k := deref(m.Key)
		if rest, ok := strings.CutPrefix(text, k); ok {
			if first, _ := bot.SplitFirst(strings.TrimSpace(rest)); strings.EqualFold(first, word) {
				return k
			}
			return ""
		}
	}
	return ""
}

func reaction(d *larkim.P2MessageReactionCreatedV1Data) (inbound, error) {
	if d == nil {
		return inbound{}, errors.New("a reaction event without its event")
	}
	if deref(d.OperatorType) != "user" {
		return inbound{}, nil // the app's own
	}
	user, emoji := "", ""
	if d.UserId != nil {
		user = deref(d.UserId.OpenId)
	}
	if d.ReactionType != nil {
		emoji = deref(d.ReactionType.EmojiType)
	}
	msg := deref(d.MessageId)
	if user == "" || msg == "" || emoji == "" {
		return inbound{}, errors.New("a reaction event without a user open_id, message_id or emoji_type")
	}
	if e, ok := emojis[strings.ToUpper(emoji)]; ok {
		emoji = e
	} else {
		emoji = strings.ToLower(emoji)
	}
	return inbound{ID: "reaction:" + msg + ":" + user + ":" + emoji,
		Reaction: &bot.Reaction{Message: msg, User: user, Emoji: emoji}}, nil
}
