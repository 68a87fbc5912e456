package discord_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/warroom/warroom/adapters/discord"
	"github.com/warroom/warroom/adapters/discord/discordfake"
	"github.com/warroom/warroom/bot"
)

// guildListings counts GET /guilds/{guild}/channels so far.
func guildListings(f *discordfake.Server) int {
	n := 0
	for _, c := range f.Calls() {
		if c.Method == "GET" && c.Path == "/guilds/"+f.Guild+"/channels" {
			n++
		}
	}
	return n
}

// A level's "#status" reaches the server's #status channel by its id; a
// name the server has no text channel for (#exec is a voice channel) is a
// notify_failed event with the reason, and the war room goes on.
func TestNotifyNamedChannel(t *testing.T) {
	t.Parallel()
	f := discordfake.New(t)
	general := f.AddChannel(discordgo.Channel{Name: "general", Type: discordgo.ChannelTypeGuildText})
	status := f.AddChannel(discordgo.Channel{Name: "status", Type: discordgo.ChannelTypeGuildText})
	f.AddChannel(discordgo.Channel{Name: "exec", Type: discordgo.ChannelTypeGuildVoice})
	cat := catalog()
	p2 := cat.Levels[bot.P2]
	p2.Notify = []bot.Recipient{{Kind: bot.RecipientChannel, Name: "status"}, {Kind: bot.RecipientChannel, Name: "exec"}}
	cat.Levels[bot.P2] = p2
	w := newWorldOn(t, f, cat)

	w.slash(general, "erin", "declare", discordfake.Str("level", "P2"), discordfake.Str("title", "Checkout API 5xx"),
		discordfake.Str("service", "checkout"))
	got := texts(f.Messages(status))
	if len(got) != 1 || !strings.Contains(got[0], "📣 P2 fault 1: Checkout API 5xx — declared by") {
		t.Fatalf("#status (%s) has %q, want the declaration", status, got)
	}
	for _, c := range f.Calls() {
		if strings.Contains(c.Path, "/channels/status") || strings.Contains(c.Path, "%23") || strings.Contains(c.Path, "#") {
			t.Errorf("a call by name: %s", c)
		}
	}
	evs, err := w.st.Events(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	var failed []bot.Event
	for _, e := range evs {
		if e.Type == bot.EventNotifyFailed {
			failed = append(failed, e)
		}
	}
	const why = "no channel named #exec on discord; create it or fix levels.P2.notify"
	if len(failed) != 1 || failed[0].Person != "#exec" || failed[0].Text != why {
		t.Fatalf("notify_failed events = %+v, want one for #exec: %s", failed, why)
	}
	room := roomOf(t, f)
	if !containsText(texts(f.Messages(room)), "stakeholders not reached: #exec ("+why+")") {
		t.Errorf("the war room was not told: %q", texts(f.Messages(room)))
	}

	// The war room goes on; #status is known for a while, #exec is looked
	// up again (it may have been made since).
	listed := guildListings(f)
	w.slash(room, "erin", "update", discordfake.Str("text", "rolled back"))
	if got := texts(f.Messages(status)); len(got) != 2 || !strings.Contains(got[1], "rolled back") {
		t.Fatalf("#status has %q, want the update too", got)
	}
	if n := guildListings(f) - listed; n != 1 {
		t.Errorf("the update listed the channels %d times, want once (for #exec only)", n)
	}
	exec := f.AddChannel(discordgo.Channel{Name: "Exec", Type: discordgo.ChannelTypeGuildText})
	w.clock.Advance(discord.ChannelTTL)
	w.slash(room, "erin", "update", discordfake.Str("text", "error rate back to normal"))
	if got := texts(f.Messages(exec)); len(got) != 1 || !strings.Contains(got[0], "error rate back to normal") {
		t.Errorf("the new #Exec text channel has %q, want the update", got)
	}
	if got := texts(f.Messages(status)); len(got) != 3 {
		t.Errorf("#status has %d messages after the TTL, want 3", len(got))
	}
}

// FindChannel on its own: text and announcement channels by name, any
// case, a leading "#" ignored; categories and voice channels are not
// found; a listing that Discord refuses is EUNAVAILABLE.
func TestFindChannel(t *testing.T) {
	t.Parallel()
	f := discordfake.New(t)
	clock := bot.NewFakeClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	a := newAdapter(t, f, func(c *discord.Config) { c.Now = clock.Now })
	ctx := context.Background()
	news := f.AddChannel(discordgo.Channel{Name: "announcements", Type: discordgo.ChannelTypeGuildNews})
	f.AddChannel(discordgo.Channel{Name: "ops", Type: discordgo.ChannelTypeGuildCategory})
	for name, want := range map[string]string{"announcements": news, "#Announcements": news} {
		ch, err := a.FindChannel(ctx, name)
		if err != nil || ch.ID != want {
			t.Errorf("FindChannel(%q) = %+v, %v; want %s", name, ch, err, want)
		}
	}
	if _, err := a.FindChannel(ctx, "ops"); bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Errorf("FindChannel(ops), a category: %v, want ENOTFOUND", err)
	}
	f.Inject("GET", "/guilds/", 1, discordfake.Fault{Status: 403, Code: 50001})
	_, err := a.FindChannel(ctx, "missing")
	if bot.ErrorCode(err) != bot.EUNAVAILABLE || !strings.Contains(err.Error(), "View Channels") {
		t.Errorf("FindChannel when Discord says 403: %v, want EUNAVAILABLE naming View Channels", err)
	}
}

// roomOf is the war room the fake has (the first fault-… channel).
func roomOf(t *testing.T, f *discordfake.Server) string {
	t.Helper()
	for _, c := range f.Channels() {
		if strings.HasPrefix(c.Name, "fault-") {
			return c.ID
		}
	}
	t.Fatal("no war room")
	return ""
}

func containsText(ts []string, sub string) bool {
	for _, s := range ts {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
