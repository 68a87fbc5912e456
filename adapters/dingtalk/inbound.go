package dingtalk

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/warroom/warroom/bot"
)

// Stream topics warroom subscribes to.
const (
	TopicBotMessage   = "/v1.0/im/bot/messages/get"
	TopicCardCallback = "/v1.0/card/instances/callback"
)

// Frame is one stream data frame.
type Frame struct {
	SpecVersion string            `json:"specVersion"`
	Type        string            `json:"type"` // SYSTEM, EVENT or CALLBACK
	Headers     map[string]string `json:"headers"`
	Data        string            `json:"data"` // JSON, as a string
}

// Topic and MessageID are the frame's headers of those names.
func (f Frame) Topic() string     { return f.Headers["topic"] }
func (f Frame) MessageID() string { return f.Headers["messageId"] }

// Ack is the answer to a frame.
type Ack struct {
	Code    int               `json:"code"`
	Headers map[string]string `json:"headers"`
	Message string            `json:"message"`
	Data    string            `json:"data"`
}

// maxFrame bounds a frame warroom reads.
const maxFrame = 4 << 20

// parseFrame decodes a frame; one without a type or a messageId cannot be
// acknowledged and is an error.
func parseFrame(data []byte) (Frame, error) {
	var f Frame
	if err := json.Unmarshal(data, &f); err != nil {
		return Frame{}, fmt.Errorf("not a stream frame: %v", err)
	}
	if f.Type == "" || f.MessageID() == "" {
		return Frame{}, errors.New("a stream frame without a type or a messageId")
	}
	return f, nil
}

// botMessage is a robot message's data (the fields warroom reads).
type botMessage struct {
	ConversationID   string `json:"conversationId"`
	ConversationType string `json:"conversationType"` // "1" one-to-one, "2" group
	MsgID            string `json:"msgId"`
	MsgType          string `json:"msgtype"`
	SenderStaffID    string `json:"senderStaffId"`
	ChatbotUserID    string `json:"chatbotUserId"`
	AtUsers          []struct {
		DingtalkID string `json:"dingtalkId"`
		StaffID    string `json:"staffId"`
	} `json:"atUsers"`
	Text struct {
		Content string `json:"content"`
	} `json:"text"`
}

// cardCallback is a card click's data.
type cardCallback struct {
	OutTrackID string `json:"outTrackId"`
	UserID     string `json:"userId"`
	Content    string `json:"content"` // JSON, as a string
}

type cardAction struct {
	CardPrivateData struct {
		ActionIDs []string       `json:"actionIds"`
		Params    map[string]any `json:"params"`
	} `json:"cardPrivateData"`
}

// errIgnored is a frame warroom acknowledges and leaves: not a text, not
// from a member of the organisation.
type errIgnored struct{ why string }

func (e errIgnored) Error() string { return e.why }

// inbound turns a CALLBACK frame into the event the core handles. known
// tells the userids of the catalog's people (nil: any).
func inbound(word string, known func(string) bool, f Frame) (bot.Inbound, error) {
	switch f.Topic() {
	case TopicBotMessage:
		return messageEvent(known, f)
	case TopicCardCallback:
		return clickEvent(word, f)
	}
	return bot.Inbound{}, errIgnored{fmt.Sprintf("a topic warroom does not subscribe to: %q", f.Topic())}
}

func messageEvent(known func(string) bool, f Frame) (bot.Inbound, error) {
	var m botMessage
	if err := json.Unmarshal([]byte(f.Data), &m); err != nil {
		return bot.Inbound{}, fmt.Errorf("a robot message that is not JSON: %v", err)
	}
	switch {
	case m.MsgType != "text":
		return bot.Inbound{}, errIgnored{fmt.Sprintf("a robot message of type %q (warroom reads text)", m.MsgType)}
	case m.SenderStaffID == "":
		return bot.Inbound{}, errIgnored{"a robot message from outside the organisation (no senderStaffId)"}
	}
	ch := m.ConversationID
	if m.ConversationType == "1" {
		ch = dmPrefix + m.SenderStaffID
	}
	text := strings.TrimSpace(m.Text.Content)
	// A leading @robot (some clients keep it) is not part of the command.
	if at, rest, ok := strings.Cut(text, " "); ok && strings.HasPrefix(at, "@") && strings.HasPrefix(strings.TrimSpace(rest), "/") {
		text = strings.TrimSpace(rest)
	}
	if ch == "" || text == "" {
		return bot.Inbound{}, errIgnored{"a robot message without a conversation or text"}
	}
	text = mentions(text, m.staffMentioned(), known)
	id := m.MsgID
	if id == "" {
		id = f.MessageID()
	}
	return bot.Inbound{ID: "message:" + id, Message: &bot.Incoming{Channel: ch, User: m.SenderStaffID, Text: text},
		Redelivered: true}, nil
}

func clickEvent(word string, f Frame) (bot.Inbound, error) {
	var c cardCallback
	if err := json.Unmarshal([]byte(f.Data), &c); err != nil {
		return bot.Inbound{}, fmt.Errorf("a card callback that is not JSON: %v", err)
	}
	var act cardAction
	if err := json.Unmarshal([]byte(c.Content), &act); err != nil {
		return bot.Inbound{}, fmt.Errorf("a card callback whose content is not JSON: %v", err)
	}
	ch, err := trackChannel(c.OutTrackID)
	if err != nil {
		return bot.Inbound{}, errIgnored{fmt.Sprintf("a click on a card warroom did not make (%q)", c.OutTrackID)}
	}
	if c.UserID == "" {
		return bot.Inbound{}, errIgnored{"a card click without a userId"}
	}
	cmd, _ := act.CardPrivateData.Params["command"].(string)
	if cmd == "" && len(act.CardPrivateData.ActionIDs) > 0 && act.CardPrivateData.ActionIDs[0] == "checkin" {
		cmd = CheckinCommand
	}
	if cmd == CheckinCommand {
		r := &bot.Reaction{Channel: ch, Message: c.OutTrackID, User: c.UserID, Emoji: "✅"}
		// Who checked in on which kickoff is one check-in, however often
		// it is clicked.
		return bot.Inbound{ID: "checkin:" + c.OutTrackID + ":" + c.UserID, Reaction: r, Redelivered: true}, nil
	}
	if cmd != "/"+word && !strings.HasPrefix(cmd, "/"+word+" ") {
		return bot.Inbound{}, errIgnored{fmt.Sprintf("a card button whose command %q is not warroom's (is the card template's button parameter `command` bound?)", cmd)}
	}
	return bot.Inbound{ID: "click:" + f.MessageID(), Message: &bot.Incoming{Channel: ch, User: c.UserID, Text: cmd},
		Redelivered: true}, nil
}

// staffMentioned are the userids the message @-mentions, in order, the
// robot left out.
func (m botMessage) staffMentioned() []string {
	var out []string
	for _, u := range m.AtUsers {
		if u.StaffID != "" && u.DingtalkID != m.ChatbotUserID {
			out = append(out, u.StaffID)
		}
	}
	return out
}

// mentions rewrites the @-mentions of a command as the core reads platform
// mentions, <@userid>. DingTalk writes a real mention as "@nickname" in the
// text and lists the userids in atUsers: when the text has as many
// @words (not userids already) as atUsers has userids, they are taken to
// be in order. An @word that is a known userid ("@bob02", typed) is one
// too. Anything else (a catalog id, "@alice") is left for the core.
func mentions(text string, staff []string, known func(string) bool) string {
	locs := atWordRe.FindAllStringSubmatchIndex(text, -1)
	repl := make([]string, len(locs))
	var named []int // @words that are not userids
	for k, l := range locs {
		id := text[l[2]:l[3]]
		if (known == nil && slices.Contains(staff, id)) || (known != nil && known(id)) {
			repl[k] = "<@" + id + ">"
		} else {
			named = append(named, k)
		}
	}
	if len(staff) > 0 && len(named) == len(staff) {
		for j, k := range named {
			repl[k] = "<@" + staff[j] + ">"
		}
	}
	var b strings.Builder
	last := 0
	for k, l := range locs {
		if repl[k] == "" {
			continue
		}
		b.WriteString(text[last : l[2]-1]) // up to the @
		b.WriteString(repl[k])
		last = l[3]
	}
	b.WriteString(text[last:])
	return b.String()
}

// atWordRe is an @word: an @ at the start or after a space, then non-spaces.
var atWordRe = regexp.MustCompile(`(?:^|\s)@(\S+)`)
