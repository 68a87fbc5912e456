package discord_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/warroom/warroom/adapters/adaptertest"
	"github.com/warroom/warroom/adapters/discord"
	"github.com/warroom/warroom/adapters/discord/discordfake"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store"
)

func catalog() *bot.Catalog {
	p := func(id string) bot.Person {
		return bot.Person{ID: id, Accounts: map[string]string{"discord": users[id]}}
	}
	return &bot.Catalog{
		People: map[string]bot.Person{"alice": p("alice"), "bob": p("bob"), "dave": p("dave"), "erin": p("erin"),
			"carol": {ID: "carol", Phone: "+15550102"}}, // not on Discord
		Services: map[string]bot.Service{
			"checkout":    {Name: "checkout", Contacts: []string{"alice", "bob"}, Stability: "bob"},
			"payments-db": {Name: "payments-db", Contacts: []string{"carol"}, Stability: "carol"},
		},
		Duty: bot.Duty{Rotation: bot.Weekly, Start: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC), People: []string{"dave"}},
		Levels: map[bot.Level]bot.LevelPolicy{
			bot.P1: {Commander: "duty", CheckinWithin: 5 * time.Minute},
			bot.P2: {Commander: "duty", CheckinWithin: 10 * time.Minute},
			bot.P3: {Commander: "stability", CheckinWithin: 30 * time.Minute},
			bot.P4: {Commander: "stability", CheckinWithin: 2 * time.Hour},
		},
	}
}

// world is the real core on the Discord adapter against the fake.
type world struct {
	t     *testing.T
	f     *discordfake.Server
	a     *discord.Adapter
	b     *bot.Bot
	st    *store.DB
	rec   *adaptertest.Recorder
	clock *bot.FakeClock
	n     int // events handled so far
}

func newWorld(t *testing.T, opts ...func(*discord.Config)) *world {
	return newWorldOn(t, discordfake.New(t), catalog(), opts...)
}

// newWorldOn is newWorld on a given fake and catalog.
func newWorldOn(t *testing.T, f *discordfake.Server, cat *bot.Catalog, opts ...func(*discord.Config)) *world {
	clock := bot.NewFakeClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	opts = append(opts, func(c *discord.Config) { c.Now = clock.Now })
	a := newAdapter(t, f, opts...)
	st, err := store.Open(filepath.Join(t.TempDir(), "warroom.db"), clock)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(st, a, clock, cat, bot.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, f: f, a: a, b: b, st: st, rec: &adaptertest.Recorder{Then: b}, clock: clock}
	ctx, cancel := context.WithCancel(context.Background())
	done := startRun(t, ctx, a, w.rec)
	t.Cleanup(func() { cancel(); <-done; b.Wait(); st.Close() })
	return w
}

// settle waits until the events sent so far are handled and background
// work (topic, pin, DMs) is done.
func (w *world) settle(events int) {
	w.t.Helper()
	w.n += events
	w.rec.Wait(w.t, w.n)
	w.b.Wait()
	w.a.Wait()
}

func (w *world) slash(ch, who, sub string, opts ...discordfake.Opt) string {
	_, tok := w.f.Slash(ch, users[who], "fault", sub, opts...)
	w.settle(1)
	return tok
}

// callsSince returns the REST calls after the first n, as "METHOD path"
// with ids named.
func (w *world) callsSince(n int, names map[string]string) []string {
	var out []string
	for _, c := range w.f.Calls()[n:] {
		p := c.Path
		for id, name := range names {
			p = strings.ReplaceAll(p, id, name)
		}
		out = append(out, c.Method+" "+p)
	}
	slices.Sort(out)
	return out
}

func overwrite(c *discordgo.Channel, id string) *discordgo.PermissionOverwrite {
	for _, o := range c.PermissionOverwrites {
		if o.ID == id {
			return o
		}
	}
	return nil
}

func TestScenario(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	f := w.f
	general := f.AddChannel(discordgo.Channel{Name: "general", Type: discordgo.ChannelTypeGuildText})
	start := len(f.Calls())

	// Declare by slash command.
	tok := w.slash(general, "erin", "declare", discordfake.Str("level", "P2"), discordfake.Str("title", "Checkout API 5xx"),
		discordfake.Str("service", "checkout"))
	var room, cat *discordgo.Channel
	for _, c := range f.Channels() {
		switch c.Name {
		case "fault-1-checkout-api-5xx":
			room = c
		case "Incidents":
			cat = c
		}
	}
	if room == nil || cat == nil || room.ParentID != cat.ID || cat.Type != discordgo.ChannelTypeGuildCategory {
		t.Fatalf("channels = %+v, want the war room under Incidents", f.Channels())
	}
	if o := overwrite(room, f.Everyone); o == nil || o.Deny&discordgo.PermissionViewChannel == 0 {
		t.Errorf("@everyone overwrite = %+v, want VIEW_CHANNEL denied", o)
	}
	for _, who := range []string{"alice", "bob", "dave", "erin"} {
		if o := overwrite(room, users[who]); o == nil || o.Allow != discord.PermMember {
			t.Errorf("%s's overwrite = %+v", who, o)
		}
	}
	if o := overwrite(room, f.BotID); o == nil || o.Allow&discordgo.PermissionViewChannel == 0 {
		t.Errorf("bot overwrite = %+v", o)
	}
	names := map[string]string{room.ID: "ROOM", cat.ID: "CAT", f.Guild: "GUILD", tok: "TOKEN", f.AppID: "APP"}
	for who, id := range users {
		names[id] = who
	}
	msgs := f.Messages(room.ID)
	if len(msgs) != 1 || len(msgs[0].Embeds) != 1 || !strings.Contains(msgs[0].Embeds[0].Title, "Checkout API 5xx") {
		t.Fatalf("war room messages = %+v, want the kickoff embed", msgs)
	}
	kickoff := msgs[0].ID
	names[kickoff] = "KICKOFF"
	got := w.callsSince(start, names)
	var dms []string
	for _, c := range f.Calls()[start:] {
		if c.Path == "/users/@me/channels" {
			dms = append(dms, "POST /channels/"+f.DMChannel(c.Body["recipient_id"].(string))+"/messages")
		}
	}
	want := []string{
		"GET /guilds/GUILD/channels",
		"PATCH /channels/ROOM",                                       // topic
		"PATCH /webhooks/APP/TOKEN/messages/@original",               // "declared ..." in #general
		"POST /channels/ROOM/messages",                               // kickoff
		"POST /guilds/GUILD/channels", "POST /guilds/GUILD/channels", // category, room
		"PUT /channels/ROOM/permissions/alice", "PUT /channels/ROOM/permissions/bob",
		"PUT /channels/ROOM/permissions/dave", "PUT /channels/ROOM/permissions/erin",
		"PUT /channels/ROOM/pins/KICKOFF",
		"POST /users/@me/channels", "POST /users/@me/channels", "POST /users/@me/channels", "POST /users/@me/channels",
	}
	for _, id := range []string{users["alice"], users["bob"], users["dave"], users["erin"]} {
		want = append(want, "POST /channels/"+f.DMChannel(id)+"/messages")
	}
	want = append(want, "POST /interactions/"+interactionID(f, tok)+"/TOKEN/callback")
	slices.Sort(want)
	_ = dms
	if !slices.Equal(got, want) {
		t.Errorf("declare REST calls:\n got %q\nwant %q", got, want)
	}
	if r := f.Messages(general); len(r) != 1 || r[0].Via != "response" || !strings.Contains(r[0].Content, "declared F#1") && !strings.Contains(r[0].Content, "declared") {
		t.Errorf("#general = %+v, want the deferred response saying declared", r)
	}
	if dm := f.DMs(users["alice"]); len(dm) != 1 || !strings.Contains(dm[0].Content, room.ID) {
		t.Errorf("alice's DMs = %+v, want a link to the war room", dm)
	}

	// ✅ check-ins, the second one through a 429 burst.
	f.React(room.ID, kickoff, users["alice"], "✅")
	w.settle(1)
	f.Inject("POST", "/channels/"+room.ID+"/messages", 3, discordfake.Fault{Status: 429, RetryAfter: 0.005})
	f.React(room.ID, kickoff, users["bob"], "✅")
	w.settle(1)
	txt := texts(f.Messages(room.ID))
	if len(txt) != 3 || !strings.Contains(txt[1], "<@"+users["alice"]+"> checked in") || !strings.Contains(txt[2], "<@"+users["bob"]+"> checked in") {
		t.Fatalf("after ✅ ✅ the war room has %q", txt)
	}

	// Role with a user option, update, resolve: answers go through the
	// interactions.
	w.slash(room.ID, "erin", "role", discordfake.Str("role", "responder"), discordfake.User("person", users["carol"]))
	w.slash(room.ID, "erin", "role", discordfake.Str("role", "responder"), discordfake.User("person", users["bob"]))
	w.slash(room.ID, "erin", "update", discordfake.Str("text", "rolled back build 42; error=0.1%"))
	w.slash(room.ID, "dave", "resolve", discordfake.Str("note", "fixed"))
	msgs = f.Messages(room.ID)
	txt = texts(msgs)
	for _, wantText := range []string{"<@" + users["bob"] + "> is now responder", "update #1 from <@" + users["erin"] + ">: rolled back build 42; error=0.1%"} {
		if !slices.ContainsFunc(txt, func(s string) bool { return strings.Contains(s, wantText) }) {
			t.Errorf("war room lacks %q: %q", wantText, txt)
		}
	}
	// The summary is the answer to /fault resolve: an embed in its response.
	summary := msgs[len(msgs)-1]
	if len(summary.Embeds) != 1 || summary.Via != "response" || !strings.Contains(summary.Text(), "Check-in rate: 4/5") /* the declarer and dave, by typing, besides the two ✅ */ {
		t.Errorf("last message = %+v, want the summary embed", summary)
	}
}

func texts(ms []discordfake.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Text())
	}
	return out
}

func interactionID(f *discordfake.Server, token string) string {
	for _, c := range f.Calls() {
		if strings.HasPrefix(c.Path, "/interactions/") && strings.Contains(c.Path, token) {
			return strings.Split(c.Path, "/")[2]
		}
	}
	return "?"
}
