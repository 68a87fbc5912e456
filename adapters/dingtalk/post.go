package dingtalk

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/warroom/warroom/bot"
)

// CheckinCommand is what the kickoff card's check-in button sends back: a
// click on it is a ✅ reaction to the kickoff.
const CheckinCommand = "✅"

// dmPrefix marks a robot's one-to-one chat with a user as a channel id:
// commands typed there are answered there, through oToMessages.
const dmPrefix = "user:"

// Post implements bot.Adapter. Kickoffs, approvals, summaries, anything
// with a title, fields or buttons, and anything that @-mentions someone
// are cards (only cards carry buttons and atUserIds for a robot); the rest
// is plain text. With no card_template_id, what would be a card is a robot
// markdown message (no buttons: the text says what to type) and a mention
// is text only. The id returned is the card's outTrackId, or the text's
// processQueryKey.
func (a *Adapter) Post(ctx context.Context, channelID string, m bot.Message) (string, error) {
	if user, ok := strings.CutPrefix(channelID, dmPrefix); ok {
		return a.dm(ctx, user, m.Text)
	}
	if a.cfg.CardTemplateID == "" {
		if rich(m) {
			return a.robotSend(ctx, channelID, "sampleMarkdown", markdown(m))
		}
		return a.robotSend(ctx, channelID, "sampleText", map[string]string{"content": m.Text})
	}
	at := a.mentioned(m.Text)
	if rich(m) || len(at) > 0 {
		return a.card(ctx, channelID, m, at)
	}
	return a.robotSend(ctx, channelID, "sampleText", map[string]string{"content": m.Text})
}

// robotSend posts a robot message, which needs no template. Its API
// (groupMessages/send) has no list of people to notify, so an @userid in
// it is text only.
func (a *Adapter) robotSend(ctx context.Context, channelID, key string, param map[string]string) (string, error) {
	var out struct {
		ProcessQueryKey string `json:"processQueryKey"`
	}
	body := map[string]any{
		"robotCode":          a.cfg.RobotCode,
		"openConversationId": channelID,
		"msgKey":             key,
		"msgParam":           jsonString(param),
	}
	if err := a.api(ctx, "post in "+channelID, "/v1.0/robot/groupMessages/send", body, &out); err != nil {
		return "", err
	}
	if out.ProcessQueryKey == "" {
		return "", fmt.Errorf("dingtalk: post in %s: the answer has no processQueryKey", channelID)
	}
	return out.ProcessQueryKey, nil
}

func rich(m bot.Message) bool {
	return m.Kind == bot.KindKickoff || m.Kind == bot.KindApproval || m.Kind == bot.KindSummary ||
		m.Title != "" || len(m.Fields) > 0 || len(m.Buttons) > 0
}

// CardButton is one button as the card template gets it, in the `buttons`
// list: a click sends Command back (the template binds the button's
// callback parameter `command` to it).
type CardButton struct {
	ID      string `json:"id"`
	Text    string `json:"text"`
	Command string `json:"command"`
	Style   string `json:"style"` // "primary", "danger" or "normal"
}

// card creates and delivers a card in a group: cardParamMap title,
// content (the message's text, complete on its own), kind and buttons.
func (a *Adapter) card(ctx context.Context, channelID string, m bot.Message, at []string) (string, error) {
	id := trackID(channelID, a.seq.next())
	title := m.Title
	if title == "" {
		title, _, _ = strings.Cut(m.Text, "\n")
	}
	atIDs := map[string]string{}
	for _, u := range at {
		atIDs[u] = u
	}
	text := m.Text
	if m.Kind == bot.KindKickoff { // no reactions on DingTalk: the button
		text = reactRe.ReplaceAllString(text, "press ✅ Check in on this card")
	}
	body := map[string]any{
		"cardTemplateId": a.cfg.CardTemplateID,
		"outTrackId":     id,
		"callbackType":   "STREAM",
		"userIdType":     1, // userids, not unionids
		"cardData": map[string]any{"cardParamMap": map[string]string{
			"title": title, "content": text, "kind": string(m.Kind), "buttons": jsonString(buttons(m)),
		}},
		"openSpaceId":             "dtv1.card//IM_GROUP." + channelID,
		"imGroupOpenSpaceModel":   map[string]any{"supportForward": true},
		"imGroupOpenDeliverModel": map[string]any{"robotCode": a.cfg.RobotCode, "atUserIds": atIDs},
	}
	var out struct {
		Success bool `json:"success"`
		Result  struct {
			DeliverResults []struct {
				Success  bool   `json:"success"`
				ErrorMsg string `json:"errorMsg"`
			} `json:"deliverResults"`
		} `json:"result"`
	}
	if err := a.api(ctx, "post a card in "+channelID, "/v1.0/card/instances/createAndDeliver", body, &out); err != nil {
		if e, ok := refusedTemplate(err); ok {
			return "", fmt.Errorf("%w; check dingtalk.card_template_id %q: a published card template linked to the app (or leave it unset for markdown messages without buttons)", e, a.cfg.CardTemplateID)
		}
		return "", err
	}
	for _, r := range out.Result.DeliverResults {
		if !r.Success {
			return "", fmt.Errorf("dingtalk: post a card in %s: not delivered: %s", channelID, r.ErrorMsg)
		}
	}
	return id, nil
}

// buttons are the message's buttons, and on a kickoff the check-in button
// first.
func buttons(m bot.Message) []CardButton {
	out := []CardButton{}
	if m.Kind == bot.KindKickoff {
		out = append(out, CardButton{ID: "checkin", Text: "✅ Check in", Command: CheckinCommand, Style: "primary"})
	}
	for i, b := range m.Buttons {
		style := b.Style
		if style == "" {
			style = "normal"
		}
		out = append(out, CardButton{ID: fmt.Sprintf("b%d", i), Text: b.Label, Command: b.Command, Style: style})
	}
	return out
}

// DM implements bot.Adapter: a text from the robot in the person's one-to-
// one chat with it.
func (a *Adapter) DM(ctx context.Context, p bot.Person, m bot.Message) error {
	id := p.Account("dingtalk")
	if id == "" {
		return fmt.Errorf("dingtalk: %s has no DingTalk userid to message", p.ID)
	}
	_, err := a.dm(ctx, id, m.Text)
	return err
}

func (a *Adapter) dm(ctx context.Context, user, text string) (string, error) {
	var out struct {
		ProcessQueryKey string   `json:"processQueryKey"`
		Invalid         []string `json:"invalidStaffIdList"`
		FlowControlled  []string `json:"flowControlledStaffIdList"`
	}
	body := map[string]any{
		"robotCode": a.cfg.RobotCode,
		"userIds":   []string{user},
		"msgKey":    "sampleText",
		"msgParam":  jsonString(map[string]string{"content": text}),
	}
	if err := a.api(ctx, "message "+user, "/v1.0/robot/oToMessages/batchSend", body, &out); err != nil {
		return "", err
	}
	switch {
	case slices.Contains(out.Invalid, user):
		return "", fmt.Errorf("dingtalk: message %s: DingTalk does not know this userid in the organisation", user)
	case slices.Contains(out.FlowControlled, user):
		return "", fmt.Errorf("dingtalk: message %s: flow-controlled by DingTalk; not sent", user)
	}
	return out.ProcessQueryKey, nil
}

// markdown is a rich message as sampleMarkdown's {title, text}: the text
// complete as ever, a kickoff's "react" replaced by typing the command (no
// reactions, no button), and each line its own paragraph, as DingTalk's
// markdown joins single newlines.
func markdown(m bot.Message) map[string]string {
	title := m.Title
	if title == "" {
		title, _, _ = strings.Cut(m.Text, "\n")
	}
	text := m.Text
	if m.Kind == bot.KindKickoff {
		text = reactOrRe.ReplaceAllString(text, "@-mention this robot and type")
	}
	return map[string]string{"title": title, "text": strings.ReplaceAll(strings.TrimRight(text, "\n"), "\n", "\n\n")}
}

// reactOrRe is the kickoff's "react ... or type": without a check-in
// button, typing is the only way.
var reactOrRe = regexp.MustCompile(`react :[a-z0-9_+-]+: to this message or type`)

var reactRe = regexp.MustCompile(`react :[a-z0-9_+-]+: to this message`)

var mentionRe = regexp.MustCompile(`@([A-Za-z0-9_-]{1,64})`)

// mentioned returns the userids text @-mentions: of the catalog's people
// when there is a catalog, else every @word that can be a userid.
func (a *Adapter) mentioned(text string) []string {
	var out []string
	for _, m := range mentionRe.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(out, m[1]) && (a.users == nil || a.users[m[1]]) {
			out = append(out, m[1])
		}
	}
	return out
}

// known reports whether id is a catalog person's userid.
func (a *Adapter) known(id string) bool { return a.users[id] }

// trackID is a card's outTrackId: it carries the group's id, so that a
// click (whose callback may not say the group) reaches the war room even
// after a restart.
func trackID(channelID, unique string) string {
	return "wr1." + base64.RawURLEncoding.EncodeToString([]byte(channelID)) + "." + unique
}

var errNotOurs = errors.New("not a card warroom made")

// trackChannel is the group a card's outTrackId names.
func trackChannel(id string) (string, error) {
	rest, ok := strings.CutPrefix(id, "wr1.")
	enc, _, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 {
		return "", errNotOurs
	}
	ch, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || len(ch) == 0 {
		return "", errNotOurs
	}
	return string(ch), nil
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
