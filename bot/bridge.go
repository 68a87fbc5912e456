package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// bridgeURL fills the configured conference URL template for a fault.
func (b *Bot) bridgeURL(f *Fault) string {
	if b.opts.Bridge == "" {
		return ""
	}
	return strings.ReplaceAll(b.opts.Bridge, "{id}", strconv.FormatInt(f.ID, 10))
}

func verbCall(ctx context.Context, b *Bot, r *Request) error {
	_, err := b.Call(ctx, r.as(), r.FaultID)
	return err
}

// Call gives the fault its conference: a voice channel next to the war room
// where the platform can make one, else the configured bridge URL.
func (b *Bot) Call(ctx context.Context, a Actor, id int64) (Result, error) {
	return b.act(ctx, a, id, ask{command: "call"}, func(f *Fault) (string, error) {
		if f.Bridge != "" && (f.VoiceChannel != "" || b.voice() == nil) {
			return b.announce(ctx, f, "🎧 the conference for %s is at %s", f.Ref(), f.Bridge), nil
		}
		if v := b.voice(); v != nil {
			people := make([]Person, 0, len(f.Participants))
			for _, p := range f.Participants {
				people = append(people, b.person(p.Person))
			}
			ch, url, err := v.CreateVoice(ctx, f.Channel, f.ChannelName+"-call", people)
			if err != nil {
				return "", Errorf(EUNAVAILABLE, "could not open a voice channel: %v", err)
			}
			if err := b.record(ctx, f, Event{Type: EventBridgeOpened, Actor: a.Person.ID, Channel: ch.ID, Text: url}); err != nil {
				return "", err
			}
			return b.announce(ctx, f, "🎧 voice channel for %s: %s — everyone in the war room can join", f.Ref(), url), nil
		}
		url := b.bridgeURL(f)
		if url == "" {
			return "", Errorf(EINVALID, "no conference bridge is configured: set bridge: https://meet.example.com/fault-{id} in the config")
		}
		if err := b.record(ctx, f, Event{Type: EventBridgeOpened, Actor: a.Person.ID, Text: url}); err != nil {
			return "", err
		}
		return b.announce(ctx, f, "🎧 conference bridge for %s: %s", f.Ref(), url), nil
	})
}

func (b *Bot) voice() VoiceRooms {
	v, _ := b.adapter.(VoiceRooms)
	return v
}

// closeVoice removes the fault's voice channel at resolve. A failure is said
// in the war room but does not undo the resolve.
func (b *Bot) closeVoice(ctx context.Context, f *Fault) {
	v := b.voice()
	if v == nil || f.VoiceChannel == "" {
		return
	}
	if err := v.DeleteVoice(ctx, f.VoiceChannel); err != nil {
		b.reply(ctx, f.Channel, KindError, fmt.Sprintf("⚠️ could not remove the voice channel: %v", err))
		return
	}
	if err := b.record(ctx, f, Event{Type: EventBridgeClosed, Actor: ActorBot, Channel: f.VoiceChannel}); err != nil {
		b.log.Error("recording the voice channel's removal", "fault", f.ID, "err", err)
	}
}

// bridgeLine is the kickoff's line about the conference.
func (b *Bot) bridgeLine(f *Fault) string {
	switch {
	case b.voice() != nil:
		return fmt.Sprintf("Conference: /%s call opens a voice channel for this fault", b.opts.Command)
	case b.opts.Bridge != "":
		return "Conference: " + b.bridgeURL(f)
	}
	return ""
}
