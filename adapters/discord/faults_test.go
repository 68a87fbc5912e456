package discord_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/warroom/warroom/adapters/discord"
	"github.com/warroom/warroom/adapters/discord/discordfake"
	"github.com/warroom/warroom/bot"
)

func TestMissingManageChannels(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	general := w.f.AddChannel(discordgo.Channel{Name: "general"})
	w.f.Inject("POST", "/guilds/"+w.f.Guild+"/channels", 1, discordfake.Fault{Status: 403, Code: 50013})
	w.slash(general, "erin", "declare", discordfake.Str("level", "P1"), discordfake.Str("title", "db down"))
	got := texts(w.f.Messages(general))
	if len(got) != 1 || !strings.Contains(got[0], "declared fault 1") || !strings.Contains(got[0], "lacks the Manage Channels") {
		t.Fatalf("#general = %q, want the fault declared and the missing permission named", got)
	}
}

func TestMissingManageRoles(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	general := w.f.AddChannel(discordgo.Channel{Name: "general"})
	w.f.Inject("PUT", "/channels/", 4, discordfake.Fault{Status: 403, Code: 50013})
	w.slash(general, "erin", "declare", discordfake.Str("level", "P2"), discordfake.Str("title", "slow"), discordfake.Str("service", "checkout"))
	var room string
	for _, c := range w.f.Channels() {
		if strings.HasPrefix(c.Name, "fault-1") {
			room = c.ID
		}
	}
	got := texts(w.f.Messages(room))
	if len(got) != 2 || !strings.Contains(got[1], "lacks the Manage Roles permission") {
		t.Fatalf("war room = %q, want the kickoff and the missing permission named", got)
	}
	// The rest works: ✅ on the kickoff checks in.
	w.f.React(room, w.f.Messages(room)[0].ID, users["erin"], "✅")
	w.settle(1)
	if got := texts(w.f.Messages(room)); !strings.Contains(got[len(got)-1], "checked in") {
		t.Fatalf("war room = %q, want a check-in", got)
	}
}

func TestButtonsAndUnknownInteractions(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ch := w.f.AddChannel(discordgo.Channel{Name: "general"})
	id, err := w.a.Post(t.Context(), ch, bot.Message{Kind: bot.KindApproval, Title: "Run #3: restart-web", Text: "Approve with /fault approve 3",
		Buttons: []bot.Button{{Label: "Approve", Command: "/fault approve 3", Style: "primary"}, {Label: "Deny", Command: "/fault deny 3", Style: "danger"}}})
	if err != nil {
		t.Fatal(err)
	}
	m := w.f.Messages(ch)[0]
	if len(m.Embeds) != 1 || len(m.Buttons) != 2 || m.Buttons[0].CustomID != "/fault approve 3" || m.Buttons[1].Style != int(discordgo.DangerButton) {
		t.Fatalf("approval card = %+v", m)
	}
	_, tok := w.f.Click(ch, users["dave"], id, "/fault help")
	w.settle(1)
	if got := w.rec.Messages(); got[0] != (bot.Incoming{Channel: ch, User: users["dave"], Text: "/fault help"}) {
		t.Fatalf("click delivered %+v", got)
	}
	var ack, followup bool
	for _, c := range w.f.Calls() {
		ack = ack || strings.Contains(c.Path, "/"+tok+"/callback") && c.Body["type"] == float64(6)
		followup = followup || c.Method == "POST" && strings.HasSuffix(c.Path, "/"+tok)
	}
	if !ack || !followup {
		t.Errorf("click: deferred update %v, follow-up %v; calls %v", ack, followup, w.f.Calls())
	}
	_, tok = w.f.Command(ch, users["dave"], map[string]any{"id": "x", "name": "other", "type": 1})
	deadline := time.Now().Add(5 * time.Second)
	for !answered(w.f, tok) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if !answered(w.f, tok) {
		t.Fatal("an unknown command was not answered")
	}
}

// answered tells whether an interaction got an error answer (type 4).
func answered(f *discordfake.Server, tok string) bool {
	for _, c := range f.Calls() {
		if strings.Contains(c.Path, "/"+tok+"/callback") && c.Body["type"] == float64(4) {
			return true
		}
	}
	return false
}

func TestTokenExpiredFallsBackToChannel(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ch := w.f.AddChannel(discordgo.Channel{Name: "general"})
	w.rec.Then = slow{w.b, w.clock}
	w.slash(ch, "erin", "help")
	got := w.f.Messages(ch)
	if len(got) != 1 || got[0].Via != "channel" {
		t.Fatalf("answer after 16 minutes = %+v, want a channel message", got)
	}
}

// slow is a handler that takes 16 minutes (of the fake clock).
type slow struct {
	b     *bot.Bot
	clock *bot.FakeClock
}

func (s slow) HandleMessage(ctx context.Context, m bot.Incoming) {
	s.clock.Advance(16 * time.Minute)
	s.b.HandleMessage(ctx, m)
}
func (s slow) HandleReaction(ctx context.Context, r bot.Reaction) { s.b.HandleReaction(ctx, r) }

func TestBadToken(t *testing.T) {
	t.Parallel()
	f := discordfake.New(t)
	_, err := discord.New(t.Context(), discord.Config{Token: "wrong", Guild: f.Guild, APIURL: f.URL})
	if err == nil || !strings.Contains(err.Error(), "discord.token") {
		t.Fatalf("New with a bad token = %v, want an error naming discord.token", err)
	}
}

func TestRegistersByBulkOverwrite(t *testing.T) {
	t.Parallel()
	f := discordfake.New(t)
	newAdapter(t, f)
	newAdapter(t, f) // a restart registers again, replacing
	var puts int
	for _, c := range f.Calls() {
		if c.Method == "PUT" && c.Path == "/applications/"+f.AppID+"/guilds/"+f.Guild+"/commands" {
			puts++
		}
	}
	if puts != 2 {
		t.Fatalf("%d bulk overwrites, want 2; calls %v", puts, f.Calls())
	}
}

func TestGatewayResume(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ch := w.f.AddChannel(discordgo.Channel{Name: "general"})
	w.f.Say(ch, users["alice"], "before")
	w.settle(1)
	w.f.Drop()
	w.f.Say(ch, users["alice"], "while down") // kept for the resume
	w.settle(1)
	w.f.Say(ch, users["alice"], "after")
	w.settle(1)
	if ids, res := w.f.Connections(); ids != 1 || res < 1 {
		t.Errorf("identifies %d resumes %d, want 1 and at least 1", ids, res)
	}
	var got []string
	for _, m := range w.rec.Messages() {
		got = append(got, m.Text)
	}
	if strings.Join(got, ",") != "before,while down,after" {
		t.Fatalf("delivered %q", got)
	}
}

func TestVoice(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	room, err := w.a.CreateChannel(t.Context(), "fault-9-x")
	if err != nil {
		t.Fatal(err)
	}
	v, url, err := w.a.CreateVoice(t.Context(), room.ID, "fault-9-call", []bot.Person{{ID: "alice", Accounts: map[string]string{"discord": users["alice"]}}})
	if err != nil {
		t.Fatal(err)
	}
	vc, rc := w.f.Channel(v.ID), w.f.Channel(room.ID)
	if vc.Type != discordgo.ChannelTypeGuildVoice || vc.ParentID != rc.ParentID || !strings.HasSuffix(url, "/"+v.ID) {
		t.Fatalf("voice %+v url %s, want a voice channel beside %+v", vc, url, rc)
	}
	if o := overwrite(vc, users["alice"]); o == nil || o.Allow&discordgo.PermissionVoiceConnect == 0 {
		t.Fatalf("alice's voice overwrite = %+v", o)
	}
	if err := w.a.DeleteVoice(t.Context(), v.ID); err != nil || w.f.Channel(v.ID) != nil {
		t.Fatalf("DeleteVoice: %v, channel %+v", err, w.f.Channel(v.ID))
	}
}

func TestCategoryOverflow(t *testing.T) {
	t.Parallel()
	f := discordfake.New(t)
	cat := f.AddChannel(discordgo.Channel{Name: "Incidents", Type: discordgo.ChannelTypeGuildCategory})
	for i := range discord.CategoryLimit {
		f.AddChannel(discordgo.Channel{Name: "old-" + string(rune('a'+i%26)) + string(rune('a'+i/26)), ParentID: cat})
	}
	a := newAdapter(t, f)
	ch, err := a.CreateChannel(t.Context(), "fault-51-x")
	if err != nil {
		t.Fatal(err)
	}
	parent := f.Channel(f.Channel(ch.ID).ParentID)
	if parent.Name != "Incidents 2" {
		t.Fatalf("the 51st war room went under %q, want Incidents 2", parent.Name)
	}
}

// TestCallEndToEnd: /fault call through the real core opens a voice channel
// beside the war room with its members, posts the link, and resolve removes
// it.
func TestCallEndToEnd(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	general := w.f.AddChannel(discordgo.Channel{Name: "general", Type: discordgo.ChannelTypeGuildText})
	w.slash(general, "erin", "declare", discordfake.Str("level", "P2"), discordfake.Str("title", "Search down"), discordfake.Str("service", "checkout"))
	var room *discordgo.Channel
	for _, c := range w.f.Channels() {
		if c.Name == "fault-1-search-down" {
			room = c
		}
	}
	if room == nil {
		t.Fatalf("no war room in %+v", w.f.Channels())
	}
	w.slash(room.ID, "alice", "call")
	var voice *discordgo.Channel
	for _, c := range w.f.Channels() {
		if c.Type == discordgo.ChannelTypeGuildVoice {
			voice = c
		}
	}
	if voice == nil || voice.ParentID != room.ParentID || voice.Name != "fault-1-search-down-call" {
		t.Fatalf("voice channel = %+v, want one beside %+v", voice, room)
	}
	if o := overwrite(voice, users["alice"]); o == nil || o.Allow&discordgo.PermissionVoiceConnect == 0 {
		t.Errorf("alice cannot connect: %+v", o)
	}
	if !slices.ContainsFunc(texts(w.f.Messages(room.ID)), func(s string) bool {
		return strings.Contains(s, "voice channel for fault 1: ") && strings.Contains(s, voice.ID)
	}) {
		t.Errorf("no voice link in %q", texts(w.f.Messages(room.ID)))
	}
	w.slash(room.ID, "erin", "resolve")
	if w.f.Channel(voice.ID) != nil {
		t.Errorf("the voice channel outlived the fault")
	}
}
