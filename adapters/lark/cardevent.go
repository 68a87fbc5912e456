package lark

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/warroom/warroom/bot"
)

// cardClick is a card button's click as Lark documents it, read more
// leniently than the SDK's callback.CardActionTriggerRequest: a 2.0 card's
// callback value may be a string as well as an object, and a click on a
// card in a message Lark sent by other means may name no chat.
type cardClick struct {
	Operator *clickOperator `json:"operator"`
	Token    string         `json:"token"`
	Action   *clickAction   `json:"action"`
	Context  *clickContext  `json:"context"`
}

type clickOperator struct {
	OpenID string `json:"open_id"`
}

type clickAction struct {
	Value json.RawMessage `json:"value"`
}

type clickContext struct {
	OpenMessageID string `json:"open_message_id"`
	OpenChatID    string `json:"open_chat_id"`
}

// legacyCard is the card callback of the 1.0 schema (the request-URL
// callback, "card" frames): no header, the operator and context at the top.
type legacyCard struct {
	OpenID        string       `json:"open_id"`
	OpenMessageID string       `json:"open_message_id"`
	OpenChatID    string       `json:"open_chat_id"`
	Token         string       `json:"token"`
	Action        *clickAction `json:"action"`
}

// legacyClick reads a payload without a 2.0 header: a legacy card click,
// or else an error (a 1.0-schema event, which warroom does not subscribe to).
func legacyClick(payload []byte, frameID, word string) (inbound, error) {
	var l legacyCard
	if json.Unmarshal(payload, &l) != nil || l.Action == nil || (l.OpenMessageID == "" && l.OpenChatID == "") {
		return inbound{}, errors.New("an event without a header (not the 2.0 schema) and not a card click")
	}
	c := cardClick{Operator: &clickOperator{l.OpenID}, Token: l.Token, Action: l.Action,
		Context: &clickContext{l.OpenMessageID, l.OpenChatID}}
	id := frameID
	if id != "" {
		id = "frame:" + id
	}
	return c.inbound(id, word)
}

// inbound is the click as the core's command. eventID keys redeliveries;
// without one, the click's token (one per click) does.
func (c *cardClick) inbound(eventID, word string) (inbound, error) {
	if c.Operator == nil || c.Action == nil {
		return inbound{}, errors.New("a card click without its operator or action")
	}
	var chat, msg string
	if c.Context != nil {
		chat, msg = c.Context.OpenChatID, c.Context.OpenMessageID
	}
	id := eventID
	if c.Token != "" && (id == "" || strings.HasPrefix(id, "frame:")) {
		id = c.Token
	}
	user := c.Operator.OpenID
	if user == "" || (chat == "" && msg == "") || id == "" {
		return inbound{}, errors.New("a card click without an operator open_id, open_chat_id (or open_message_id), or event_id")
	}
	cmd, err := buttonCommand(c.Action.Value)
	if err != nil {
		return inbound{}, err
	}
	if cmd != "/"+word && !strings.HasPrefix(cmd, "/"+word+" ") {
		return inbound{Card: true, Refuse: "this button is not warroom's, or is from an older version; type the command instead"}, nil
	}
	in := inbound{ID: "card:" + id, Card: true, Message: &bot.Incoming{Channel: chat, User: user, Text: cmd}}
	if chat == "" {
		in.CardMessage = msg
	}
	return in, nil
}

// buttonCommand is the command line a button's value holds: the value's
// "command", the value itself when it is a string, or a string holding
// the JSON object. Other values are no command ("").
func buttonCommand(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if !strings.HasPrefix(strings.TrimSpace(s), "{") {
			return strings.TrimSpace(s), nil
		}
		raw = json.RawMessage(s)
	}
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		if raw[0] == '{' {
			return "", fmt.Errorf("a card click whose value does not parse: %w", err)
		}
		return "", nil // a number, a list: not warroom's
	}
	cmd, _ := v[CommandKey].(string)
	return strings.TrimSpace(cmd), nil
}
