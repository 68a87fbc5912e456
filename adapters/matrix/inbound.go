package matrix

import (
	"encoding/json"
	"net/url"
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
		return bot.Inbound{ID: "event:" + ev.ID, Reaction: &bot.Reaction{Channel: room, Message: r.EventID, User: ev.Sender, Emoji: reactionKey(r.Key)}}, true
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

// reactionKey is a reaction's key in the form the core knows (the
// check-in emoji is compared by bot.NormalizeEmoji): clients send an
// emoji with or without the presentation selector U+FE0F (✅, ✅️, ☑️,
// ☑) and with a skin tone (👍🏽), and the core knows one form of each.
func reactionKey(key string) string {
	bare := strings.Map(func(r rune) rune {
		if r == '\uFE0F' || r >= 0x1F3FB && r <= 0x1F3FF {
			return -1
		}
		return r
	}, key)
	for _, k := range []string{key, bare, bare + "\uFE0F"} {
		if bot.NormalizeEmoji(k) != strings.ToLower(strings.TrimSpace(k)) {
			return k
		}
	}
	return bare
}

// threadRoot is the thread an event is in, "" when none: an answer to a
// command typed in a thread goes in that thread.
func threadRoot(ev timelineEvent) string {
	var c content
	if json.Unmarshal(ev.Content, &c) != nil || c.RelatesTo == nil || c.RelatesTo.RelType != "m.thread" {
		return ""
	}
	return c.RelatesTo.EventID
}

// command reads a typed command: `!fault …` as `/fault …` (Matrix has
// no slash commands, and Element keeps `/…` for its own unless sent as a
// message), and a message addressed to the bot (`@warroom: status`,
// `@warroom fault status`, `@warroom: !fault status`) as the command it
// names, as Slack's mentions are.
func (p parser) command(text string) string {
	text = strings.TrimSpace(text)
	rest, addressed := strings.CutPrefix(text, "<@"+p.me+">")
	if addressed {
		text = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(rest), ":,"))
	}
	for _, prefix := range []string{"!", "/"} {
		if rest, ok := cutWord(text, prefix+p.word); ok {
			return "/" + p.word + rest
		}
	}
	if !addressed {
		return text
	}
	if rest, ok := cutWord(text, p.word); ok {
		return "/" + p.word + rest
	}
	return strings.TrimSpace("/" + p.word + " " + text)
}

// cutWord cuts word off text when text starts with it as a whole word
// (any case: phones capitalise a message's first letter).
func cutWord(text, word string) (string, bool) {
	if len(text) < len(word) || !strings.EqualFold(text[:len(word)], word) {
		return "", false
	}
	rest := text[len(word):]
	if rest != "" && rest[0] != ' ' && rest[0] != '\n' && rest[0] != '\t' {
		return "", false
	}
	return rest, true
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
		if !ok { // the matrix: URI scheme (spec v1.2): matrix:u/alice:example.org
			if uid, ok = strings.CutPrefix(at.Val, "matrix:u/"); !ok {
				return "", false
			}
			uid = "@" + uid
		}
		if i := strings.IndexAny(uid, "?/"); i > 0 {
			uid = uid[:i]
		}
		if u, err := url.PathUnescape(uid); err == nil {
			uid = u
		}
		return uid, userIDRe.MatchString(uid)
	}
	return "", false
}
