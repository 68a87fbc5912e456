package matrix

import (
	"encoding/json"
	"strings"

	"golang.org/x/net/html"

	"github.com/warroom/warroom/bot"
)

// content is the part of an event's content warroom reads.
type content struct {
	MsgType       string     `json:"msgtype"`
	Body          string     `json:"body"`
	Format        string     `json:"format"`
	FormattedBody string     `json:"formatted_body"`
	RelatesTo     *relatesTo `json:"m.relates_to"`
}

type relatesTo struct {
	RelType   string `json:"rel_type"`
	EventID   string `json:"event_id"`
	Key       string `json:"key"`
	InReplyTo *struct {
		EventID string `json:"event_id"`
	} `json:"m.in_reply_to"`
}

// timelineEvent is one timeline event as /sync gives it.
type timelineEvent struct {
	Type    string          `json:"type"`
	Sender  string          `json:"sender"`
	ID      string          `json:"event_id"`
	Content json.RawMessage `json:"content"`
}

// parser turns timeline events into what the core handles.
type parser struct {
	me   string // the bot's user id: its own events are skipped
	word string // the command word
}

// parse reads one event of room: a typed message or a reaction, else
// ok false (state, edits, notices, the bot's own, what cannot be read).
func (p parser) parse(room string, ev timelineEvent) (bot.Inbound, bool) {
	if ev.Sender == "" || ev.Sender == p.me || ev.ID == "" {
		return bot.Inbound{}, false
	}
	var c content
	if json.Unmarshal(ev.Content, &c) != nil {
		return bot.Inbound{}, false
	}
	switch ev.Type {
	case "m.reaction":
		r := c.RelatesTo
		if r == nil || r.RelType != "m.annotation" || r.EventID == "" || r.Key == "" {
			return bot.Inbound{}, false
		}
		// ✅ comes with or without the emoji presentation selector.
		key := strings.ReplaceAll(r.Key, "\uFE0F", "")
		return bot.Inbound{ID: "event:" + ev.ID, Reaction: &bot.Reaction{Channel: room, Message: r.EventID, User: ev.Sender, Emoji: key}}, true
	case "m.room.message":
		if c.MsgType != "m.text" || (c.RelatesTo != nil && c.RelatesTo.RelType == "m.replace") {
			return bot.Inbound{}, false
		}
		text := p.command(messageText(c))
		if text == "" {
			return bot.Inbound{}, false
		}
		return bot.Inbound{ID: "event:" + ev.ID, Message: &bot.Incoming{Channel: room, User: ev.Sender, Text: text}}, true
	}
	return bot.Inbound{}, false
}

// command drops a leading mention of the bot (`@warroom: !fault status`)
// and reads `!fault …` as `/fault …`: Matrix has no slash commands, and
// Element keeps `/…` for its own unless sent as a message.
func (p parser) command(text string) string {
	text = strings.TrimSpace(text)
	if rest, ok := strings.CutPrefix(text, "<@"+p.me+">"); ok {
		text = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), ":"))
	}
	if rest, ok := strings.CutPrefix(text, "!"+p.word); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\n' || rest[0] == '\t') {
		text = "/" + p.word + rest
	}
	return text
}

// messageText is what a person typed, mentions as `<@user id>` (how the
// core reads a platform's mention): from the HTML when there is some,
// since there a pill names the user and the plain body only their
// display name.
func messageText(c content) string {
	reply := c.RelatesTo != nil && c.RelatesTo.InReplyTo != nil
	if c.Format == "org.matrix.custom.html" && c.FormattedBody != "" {
		return mentionIDs(htmlText(c.FormattedBody))
	}
	body := c.Body
	if reply { // older clients quote the message replied to first
		body = dropQuote(body)
	}
	return mentionIDs(body)
}

// dropQuote removes a reply's fallback: leading "> " lines and the blank
// line after them.
func dropQuote(s string) string {
	lines := strings.Split(s, "\n")
	i := 0
	for i < len(lines) && strings.HasPrefix(lines[i], ">") {
		i++
	}
	if i > 0 && i < len(lines) && strings.TrimSpace(lines[i]) == "" {
		i++
	}
	return strings.Join(lines[i:], "\n")
}

// mentionIDs writes bare user ids as `<@user id>`.
func mentionIDs(s string) string {
	return mxidRe.ReplaceAllString(s, "$1<@$2>")
}

// htmlText is an HTML body as text: pills as `<@user id>`, line breaks as
// newlines, a reply's quoted fallback (<mx-reply>) left out, other markup
// dropped.
func htmlText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	skip := 0 // depth inside <mx-reply>
	pill := 0 // depth inside a pill's <a>: its text is the display name
	for {
		switch z.Next() {
		case html.ErrorToken:
			return strings.TrimSpace(b.String())
		case html.TextToken:
			if skip == 0 && pill == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			switch tok.Data {
			case "mx-reply":
				skip++
			case "br":
				b.WriteByte('\n')
			case "p", "div", "li":
				if b.Len() > 0 && skip == 0 {
					b.WriteByte('\n')
				}
			case "a":
				if uid, ok := pillUser(tok); ok && skip == 0 {
					b.WriteString("<@" + uid + ">")
					pill++
				} else if pill > 0 {
					pill++
				}
			}
		case html.EndTagToken:
			tok := z.Token()
			switch {
			case tok.Data == "mx-reply" && skip > 0:
				skip--
			case tok.Data == "a" && pill > 0:
				pill--
			}
		}
	}
}

// pillUser reads a pill's user id from its matrix.to link.
func pillUser(tok html.Token) (string, bool) {
	for _, at := range tok.Attr {
		if at.Key != "href" {
			continue
		}
		uid, ok := strings.CutPrefix(at.Val, "https://matrix.to/#/")
		if !ok {
			return "", false
		}
		if i := strings.IndexAny(uid, "?/"); i > 0 {
			uid = uid[:i]
		}
		uid = strings.ReplaceAll(uid, "%40", "@")
		uid = strings.ReplaceAll(uid, "%3A", ":")
		uid = strings.ReplaceAll(uid, "%3a", ":")
		return uid, userIDRe.MatchString(uid)
	}
	return "", false
}
