package discord

import (
	"context"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/warroom/warroom/bot"
)

// ackTimeout bounds the deferral; Discord wants it within 3 s.
const ackTimeout = 3 * time.Second

// keepWithin bounds keeping an interaction (bot.Keep) before its deferral:
// the rest of Discord's 3 s is the deferral's.
const keepWithin = 2 * time.Second

// notRecorded answers an interaction the store could not keep in time:
// Discord never sends an interaction again, so its user must.
const notRecorded = "nothing was recorded: warroom could not store this command in time. Send it again."

// onInteraction queues the command an interaction stands for; Run keeps
// it, under the interaction's id, then answers it (a deferral) and has it
// handled. Interactions warroom does not know are answered with an error,
// never left to time out.
func (a *Adapter) onInteraction(_ *discordgo.Session, ic *discordgo.InteractionCreate) {
	i := ic.Interaction
	p := &pending{i: i, channel: i.ChannelID, received: a.cfg.Now(), acked: make(chan struct{})}
	var text string
	deferral := discordgo.InteractionResponseDeferredChannelMessageWithSource
	switch i.Type {
	case discordgo.InteractionApplicationCommand:
		t, err := commandText(a.cfg.Command, i.ApplicationCommandData())
		if err != nil {
			go a.reject(i, bot.ErrorMessage(err))
			return
		}
		text = t
	case discordgo.InteractionMessageComponent:
		text = i.MessageComponentData().CustomID
		if !strings.HasPrefix(text, "/"+a.cfg.Command+" ") {
			go a.reject(i, "this button is not warroom's, or is from an older version; type the command instead")
			return
		}
		p.edited = true // a deferred update has no response of its own: answers follow up
		deferral = discordgo.InteractionResponseDeferredMessageUpdate
	default:
		go a.reject(i, "warroom does not handle this kind of interaction; type /"+a.cfg.Command+" help")
		return
	}
	in := bot.Incoming{Channel: i.ChannelID, User: userOf(i), Text: text}
	a.enqueue(func(ctx context.Context, h bot.Handler) {
		kctx, cancel := context.WithTimeout(ctx, keepWithin) // a network deadline: the wall clock
		k, err := bot.Keep(kctx, h, bot.Inbound{ID: "interaction:" + i.ID, Message: &in})
		cancel()
		if err != nil {
			a.log.Error("could not store an interaction; its user is told to send it again", "err", err)
			a.reject(i, notRecorded)
			return
		}
		go a.ack(p, deferral)
		if k == nil { // kept already: answered by the first delivery
			return
		}
		k.Handle(withPending(ctx, p))
		a.settle(ctx, p)
	})
}

// keepGateway keeps a gateway event, then handles it. The gateway sends
// nothing again once received (a resume replays only what was missed), so
// an event the store cannot keep is handled all the same, unkept.
func (a *Adapter) keepGateway(ctx context.Context, h bot.Handler, ev bot.Inbound) {
	kctx, cancel := context.WithTimeout(ctx, keepWithin)
	k, err := bot.Keep(kctx, h, ev)
	cancel()
	if err != nil {
		a.log.Error("could not store a gateway event; handling it unstored", "id", ev.ID, "err", err)
		k, _ = bot.Keep(ctx, bot.HandlerOnly(h), ev)
	}
	k.Handle(ctx) // a nil k (kept already) does nothing
}

// settle answers an interaction the handler left unanswered, so that its
// user does not watch "warroom is thinking..." for ever.
func (a *Adapter) settle(ctx context.Context, p *pending) {
	<-p.acked
	p.mu.Lock()
	done := p.edited
	p.mu.Unlock()
	if done || p.ackErr != nil || a.cfg.Now().Sub(p.received) > TokenLifetime {
		return
	}
	a.answer(ctx, p, bot.Message{Kind: bot.KindReply, Text: "✓"})
}

func userOf(i *discordgo.Interaction) string {
	if i.Member != nil && i.Member.User != nil {
		return i.Member.User.ID
	}
	if i.User != nil {
		return i.User.ID
	}
	return ""
}

func (a *Adapter) ack(p *pending, typ discordgo.InteractionResponseType) {
	defer close(p.acked)
	ctx, cancel := context.WithTimeout(a.life, ackTimeout)
	defer cancel()
	p.ackErr = a.call(ctx, func(o ...discordgo.RequestOption) error {
		return a.s.InteractionRespond(p.i, &discordgo.InteractionResponse{Type: typ}, o...)
	})
	if p.ackErr != nil {
		a.log.Warn("acknowledging an interaction", "err", p.ackErr)
	}
}

// reject answers an interaction with a one-line error only its user sees.
func (a *Adapter) reject(i *discordgo.Interaction, msg string) {
	ctx, cancel := context.WithTimeout(a.life, ackTimeout)
	defer cancel()
	err := a.call(ctx, func(o ...discordgo.RequestOption) error {
		return a.s.InteractionRespond(i, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: "⚠️ " + msg, Flags: discordgo.MessageFlagsEphemeral},
		}, o...)
	})
	if err != nil {
		a.log.Warn("rejecting an interaction", "err", err)
	}
}

// onReaction delivers reactions; the core keeps ✅ on a kickoff.
func (a *Adapter) onReaction(_ *discordgo.Session, r *discordgo.MessageReactionAdd) {
	if r.MessageReaction == nil || r.UserID == a.botID {
		return
	}
	emoji := r.Emoji.Name
	if r.Emoji.ID != "" { // a custom emoji is not ✅, whatever its name
		emoji = r.Emoji.Name + ":" + r.Emoji.ID
	}
	x := bot.Reaction{Channel: r.ChannelID, Message: r.MessageID, User: r.UserID, Emoji: emoji}
	// A reaction has no id of its own: who reacted with what to which
	// message is one check-in, however often the gateway says so.
	id := "reaction:" + r.ChannelID + ":" + r.MessageID + ":" + r.UserID + ":" + emoji
	a.enqueue(func(ctx context.Context, h bot.Handler) { a.keepGateway(ctx, h, bot.Inbound{ID: id, Reaction: &x}) })
}

// onMessage delivers typed messages (DMs, and channel messages whose text
// Discord shares with the bot: those mentioning it). A leading mention of
// the bot is dropped, so `@warroom /fault status` works.
func (a *Adapter) onMessage(_ *discordgo.Session, m *discordgo.MessageCreate) {
	if m.Message == nil || m.Author == nil || m.Author.Bot || m.Author.ID == a.botID {
		return
	}
	text := strings.TrimSpace(m.Content)
	for _, p := range []string{"<@" + a.botID + ">", "<@!" + a.botID + ">"} {
		text = strings.TrimSpace(strings.TrimPrefix(text, p))
	}
	if text == "" {
		return
	}
	in := bot.Incoming{Channel: m.ChannelID, User: m.Author.ID, Text: text}
	a.enqueue(func(ctx context.Context, h bot.Handler) {
		a.keepGateway(ctx, h, bot.Inbound{ID: "message:" + m.ID, Message: &in})
	})
}
