package discord

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/warroom/warroom/bot"
)

// TokenLifetime is how long an interaction token can answer; later answers
// go to the channel as plain messages. A margin keeps clear of the edge.
const TokenLifetime = 15*time.Minute - 30*time.Second

// pending is an interaction being answered: the core's posts to its channel
// while handling it become its response and follow-ups.
type pending struct {
	i        *discordgo.Interaction
	channel  string
	received time.Time
	acked    chan struct{} // closed when the deferral was answered
	ackErr   error

	mu     sync.Mutex
	edited bool // the deferred response holds an answer; next ones follow up
}

type pendingKey struct{}

func withPending(ctx context.Context, p *pending) context.Context {
	return context.WithValue(ctx, pendingKey{}, p)
}

// Post implements bot.Adapter. An answer to an interaction, within the
// token's lifetime, goes through the interaction; anything else is a
// channel message.
func (a *Adapter) Post(ctx context.Context, channelID string, m bot.Message) (string, error) {
	if p, ok := ctx.Value(pendingKey{}).(*pending); ok && p.channel == channelID {
		if id, ok := a.answer(ctx, p, m); ok {
			return id, nil
		}
	}
	return a.send(ctx, channelID, m)
}

// answer answers through the interaction; false means post in the channel.
func (a *Adapter) answer(ctx context.Context, p *pending, m bot.Message) (string, bool) {
	select {
	case <-p.acked:
	case <-ctx.Done():
		return "", false
	}
	if p.ackErr != nil || a.cfg.Now().Sub(p.received) > TokenLifetime {
		return "", false
	}
	parts := render(m)
	if len(parts) != 1 {
		return "", false // long texts go to the channel in parts
	}
	x := parts[0]
	if x.Embeds == nil {
		x.Embeds = []*discordgo.MessageEmbed{}
	}
	if x.Components == nil {
		x.Components = []discordgo.MessageComponent{}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var msg *discordgo.Message
	err := a.call(ctx, func(o ...discordgo.RequestOption) (err error) {
		if !p.edited {
			msg, err = a.s.InteractionResponseEdit(p.i, &discordgo.WebhookEdit{Content: &x.Content, Embeds: &x.Embeds, Components: &x.Components}, o...)
		} else {
			msg, err = a.s.FollowupMessageCreate(p.i, true, &discordgo.WebhookParams{Content: x.Content, Embeds: x.Embeds, Components: x.Components}, o...)
		}
		return
	})
	if err != nil {
		a.log.Warn("answering an interaction; posting in the channel instead", "err", err)
		return "", false
	}
	p.edited = true
	return msg.ID, true
}

// send posts m in a channel, in parts when it is long, and returns the id of
// the first part.
func (a *Adapter) send(ctx context.Context, channelID string, m bot.Message) (string, error) {
	first := ""
	for _, x := range render(m) {
		var msg *discordgo.Message
		err := a.call(ctx, func(o ...discordgo.RequestOption) (err error) {
			msg, err = a.s.ChannelMessageSendComplex(channelID, &discordgo.MessageSend{Content: x.Content, Embeds: x.Embeds, Components: x.Components}, o...)
			return
		})
		if err != nil {
			return first, platformErr(err, "post in <#"+channelID+">", "Send Messages")
		}
		if first == "" {
			first = msg.ID
		}
	}
	return first, nil
}

// part is one Discord message.
type part struct {
	Content    string
	Embeds     []*discordgo.MessageEmbed
	Components []discordgo.MessageComponent
}

// Discord's limits.
const (
	maxContent     = 2000
	maxDescription = 4096
	maxTitle       = 256
	maxFieldValue  = 1024
	maxFields      = 25
	maxButtons     = 5
	maxCustomID    = 100
)

var colors = map[bot.MessageKind]int{
	bot.KindKickoff:  0xE03E2D, // red
	bot.KindSummary:  0x2EA043, // green
	bot.KindApproval: 0xD29922, // amber
	bot.KindNotice:   0x5865F2, // blurple
	bot.KindError:    0xE03E2D,
}

// render lays a message out: kickoff, summary and approval card (and any
// message with a title, fields or buttons) as an embed; others as text, in
// parts of at most 2000 characters. Buttons become components.
func render(m bot.Message) []part {
	buttons := components(m.Buttons)
	rich := m.Kind == bot.KindKickoff || m.Kind == bot.KindSummary || m.Kind == bot.KindApproval ||
		m.Title != "" || len(m.Fields) > 0 || len(m.Buttons) > 0
	if rich && len(m.Text) <= maxDescription {
		e := &discordgo.MessageEmbed{Title: cut(m.Title, maxTitle), Description: m.Text, Color: colors[m.Kind]}
		for _, f := range m.Fields {
			if len(e.Fields) == maxFields || f.Label == "" || f.Value == "" {
				continue
			}
			e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: cut(f.Label, maxTitle), Value: cut(f.Value, maxFieldValue), Inline: true})
		}
		return []part{{Embeds: []*discordgo.MessageEmbed{e}, Components: buttons}}
	}
	chunks := split(m.Text, maxContent)
	parts := make([]part, len(chunks))
	for i, c := range chunks {
		parts[i].Content = c
	}
	parts[len(parts)-1].Components = buttons
	return parts
}

func components(bs []bot.Button) []discordgo.MessageComponent {
	var row discordgo.ActionsRow
	for _, b := range bs {
		if len(row.Components) == maxButtons || len(b.Command) > maxCustomID {
			continue // a click must carry the whole command; the text says what to type
		}
		style := discordgo.SecondaryButton
		switch b.Style {
		case "primary":
			style = discordgo.SuccessButton
		case "danger":
			style = discordgo.DangerButton
		}
		row.Components = append(row.Components, discordgo.Button{Label: cut(b.Label, 80), Style: style, CustomID: b.Command})
	}
	if len(row.Components) == 0 {
		return nil
	}
	return []discordgo.MessageComponent{row}
}

// split cuts text into parts of at most n bytes, at line ends where it can.
func split(text string, n int) []string {
	if text == "" {
		return []string{"(empty)"}
	}
	var out []string
	for len(text) > n {
		i := strings.LastIndexByte(text[:n], '\n')
		if i <= 0 {
			i = n
			for i > 0 && !utf8Start(text[i]) {
				i--
			}
		}
		out = append(out, text[:i])
		text = strings.TrimPrefix(text[i:], "\n")
	}
	return append(out, text)
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n - 3
	for i > 0 && !utf8Start(s[i]) {
		i--
	}
	return s[:i] + "..."
}
