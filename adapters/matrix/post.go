package matrix

import (
	"context"
	"errors"
	"html"
	"regexp"
	"strings"
	"sync"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/warroom/warroom/bot"
)

// replyKey carries the event a handler is answering (its room and id), so
// that an answer in that room is a Matrix reply to it.
type replyKey struct{}

type replyTo struct {
	room   id.RoomID
	event  id.EventID
	thread id.EventID // the thread's root, "" when the command was in none
}

func withReply(ctx context.Context, r replyTo) context.Context {
	return context.WithValue(ctx, replyKey{}, r)
}

// Post implements bot.Adapter: the text as the plain body and as HTML
// (mentions as pills, links as links); an answer to a command replies to
// it. Notices are m.notice, which clients show quieter and bots ignore.
func (a *Adapter) Post(ctx context.Context, channelID string, m bot.Message) (string, error) {
	room := id.RoomID(channelID)
	content := render(m)
	if r, ok := ctx.Value(replyKey{}).(replyTo); ok && r.room == room && (m.Kind == bot.KindReply || m.Kind == bot.KindError) {
		content.RelatesTo = &event.RelatesTo{InReplyTo: &event.InReplyTo{EventID: r.event}}
		if r.thread != "" { // a reply in the thread (not its fallback)
			content.RelatesTo.Type, content.RelatesTo.EventID = event.RelThread, r.thread
		}
	}
	return a.send(ctx, room, content)
}

func (a *Adapter) send(ctx context.Context, room id.RoomID, content *event.MessageEventContent) (string, error) {
	txn := a.cli.TxnID() // one per message: a retried send is not sent twice
	var resp *mautrix.RespSendEvent
	err := a.call(ctx, func(ctx context.Context) (err error) {
		resp, err = a.cli.SendMessageEvent(ctx, room, event.EventMessage, content, mautrix.ReqSendEvent{TransactionID: txn})
		return
	})
	if err != nil {
		return "", failure("posting in "+string(room), err)
	}
	return string(resp.EventID), nil
}

// Mention implements bot.Mentioner: the user id, which Post turns into a
// pill.
func (a *Adapter) Mention(p bot.Person) string {
	if uid := p.Account("matrix"); uid != "" {
		return uid
	}
	return "@" + p.ID
}

// mxidRe finds user ids in text: at the start or after a space or
// punctuation, so an email address is not one, and ending in a letter or
// digit, so a full stop after one is not its.
var mxidRe = regexp.MustCompile(`(^|[\s(,;])(@[a-z0-9._=/+\-]+:[A-Za-z0-9.\-]*[A-Za-z0-9](?::[0-9]{1,5})?)`)

var urlRe = regexp.MustCompile(`https?://[^\s<>"]+[^\s<>".,;:!?)]`)

// render lays a message out: body is its text as it stands; the HTML
// bolds the title line and makes pills and links.
func render(m bot.Message) *event.MessageEventContent {
	c := &event.MessageEventContent{MsgType: event.MsgText, Body: m.Text, Format: event.FormatHTML}
	if m.Kind == bot.KindNotice {
		c.MsgType = event.MsgNotice
	}
	mentions := &event.Mentions{}
	lines := strings.Split(m.Text, "\n")
	for i, line := range lines {
		h := linkify(html.EscapeString(line), mentions)
		if i == 0 && m.Title != "" && strings.TrimSpace(line) == m.Title {
			h = "<strong>" + h + "</strong>"
		}
		lines[i] = h
	}
	c.FormattedBody = strings.Join(lines, "<br>")
	c.Mentions = mentions
	return c
}

// linkify turns user ids and URLs of escaped text into links; user ids
// are added to mentions, so that they are notified.
func linkify(s string, mentions *event.Mentions) string {
	s = urlRe.ReplaceAllStringFunc(s, func(u string) string {
		return `<a href="` + u + `">` + u + `</a>`
	})
	return mxidRe.ReplaceAllStringFunc(s, func(m string) string {
		sub := mxidRe.FindStringSubmatch(m)
		uid := id.UserID(sub[2])
		mentions.Add(uid)
		return sub[1] + `<a href="` + "https://matrix.to/#/" + string(uid) + `">` + sub[2] + `</a>`
	})
}

// DM implements bot.Adapter: the message in the person's direct room
// with the bot, made once and found again (m.direct) after a restart.
func (a *Adapter) DM(ctx context.Context, p bot.Person, m bot.Message) error {
	uid := id.UserID(p.Account("matrix"))
	if uid == "" {
		return bot.Errorf(bot.EINVALID, "%s has no Matrix account in the catalog (people: %s: matrix: \"@name:server\")", p.ID, p.ID)
	}
	lock := a.dmLock(uid)
	lock.Lock()
	defer lock.Unlock()
	room, err := a.directRoom(ctx, uid)
	if err != nil {
		return err
	}
	_, err = a.send(ctx, room, render(m))
	if err != nil && errors.Is(err, mautrix.MForbidden) { // the bot left it: a new one
		a.forgetDirect(uid)
		if room, err = a.directRoom(ctx, uid); err == nil {
			_, err = a.send(ctx, room, render(m))
		}
	}
	return err
}

func (a *Adapter) dmLock(uid id.UserID) *sync.Mutex {
	a.dmMu.Lock()
	defer a.dmMu.Unlock()
	l, ok := a.dmFor[uid]
	if !ok {
		l = &sync.Mutex{}
		a.dmFor[uid] = l
	}
	return l
}
