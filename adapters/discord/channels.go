package discord

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/warroom/warroom/bot"
)

// CategoryName is the category war rooms go under; when it holds
// CategoryLimit channels the next is "Incidents 2", and so on.
const (
	CategoryName  = "Incidents"
	CategoryLimit = 50 // Discord's limit of channels in a category
)

// Permission sets of the overwrites.
const (
	// PermMember is what an invited person gets on a war room.
	PermMember = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages |
		discordgo.PermissionReadMessageHistory | discordgo.PermissionAddReactions
	// PermVoice is what an invited person gets on a war room's voice channel.
	PermVoice = discordgo.PermissionViewChannel | discordgo.PermissionVoiceConnect | discordgo.PermissionVoiceSpeak
	// PermBot is what warroom gives itself on its channels.
	PermBot = PermMember | discordgo.PermissionEmbedLinks | discordgo.PermissionVoiceConnect
)

type category struct {
	id, name string
	n        int // channels in it, and channels being created in it
}

// makingCategory is a category being created: whoever finds every
// category full waits for it instead of making another.
type makingCategory struct {
	done chan struct{} // closed when the call returned
	err  error
}

// CreateChannel implements bot.Adapter: a private text channel under the
// Incidents category, seen by warroom only until people are invited.
func (a *Adapter) CreateChannel(ctx context.Context, name string) (bot.Channel, error) {
	return a.createIn(ctx, "", name, discordgo.ChannelTypeGuildText, nil)
}

// createIn creates a private channel under parent (or the first category
// with room), open to the bot and to people. No lock of ours is held over
// a REST call: creates go out back to back as discordgo's per-route bucket
// lets them (one at a time on POST /guilds/{guild}/channels), while the
// rest of each declare (overwrites, kickoff, DMs, on routes of their own)
// goes on beside the next creates.
func (a *Adapter) createIn(ctx context.Context, parent, name string, typ discordgo.ChannelType, people []string) (bot.Channel, error) {
	if err := a.load(ctx); err != nil {
		return bot.Channel{}, err
	}
	cat, err := a.reserve(ctx, parent)
	if err != nil {
		return bot.Channel{}, err
	}
	allow := int64(PermMember)
	if typ == discordgo.ChannelTypeGuildVoice {
		allow = PermVoice
	}
	ow := []*discordgo.PermissionOverwrite{
		{ID: a.cfg.Guild, Type: discordgo.PermissionOverwriteTypeRole, Deny: discordgo.PermissionViewChannel}, // @everyone
		{ID: a.botID, Type: discordgo.PermissionOverwriteTypeMember, Allow: PermBot},
	}
	for _, p := range people {
		ow = append(ow, &discordgo.PermissionOverwrite{ID: p, Type: discordgo.PermissionOverwriteTypeMember, Allow: allow})
	}
	data := discordgo.GuildChannelCreateData{Name: a.freeName(name), Type: typ, ParentID: cat.id, PermissionOverwrites: ow}
	var ch *discordgo.Channel
	err = a.call(ctx, func(o ...discordgo.RequestOption) (err error) {
		ch, err = a.s.GuildChannelCreateComplex(a.cfg.Guild, data, o...)
		return
	})
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		cat.n-- // the slot it held
		delete(a.names, data.Name)
		return bot.Channel{}, platformErr(err, "create the private channel #"+data.Name,
			"Manage Channels and Manage Roles (to make it private)")
	}
	a.names[ch.Name] = true
	a.parent[ch.ID] = cat.id
	return bot.Channel{ID: ch.ID, Name: ch.Name}, nil
}

// load lists the guild's channels once: names taken and the categories.
// Those who come while it lists wait for its answer.
func (a *Adapter) load(ctx context.Context) error {
	if a.loaded.Load() {
		return nil
	}
	a.loadMu.Lock()
	defer a.loadMu.Unlock()
	if a.loaded.Load() {
		return nil
	}
	var chs []*discordgo.Channel
	err := a.call(ctx, func(o ...discordgo.RequestOption) (err error) {
		chs, err = a.s.GuildChannels(a.cfg.Guild, o...)
		return
	})
	if err != nil {
		return platformErr(err, "list the server's channels", "View Channels")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	byID := map[string]*category{}
	for _, c := range chs {
		if c.Type == discordgo.ChannelTypeGuildCategory && categoryNumber(c.Name) > 0 {
			cat := &category{id: c.ID, name: c.Name}
			byID[c.ID] = cat
			a.cats = append(a.cats, cat)
		}
	}
	for _, c := range chs {
		a.names[c.Name] = true
		if cat, ok := byID[c.ParentID]; ok {
			cat.n++
			a.parent[c.ID] = c.ParentID
		}
	}
	slices.SortFunc(a.cats, func(x, y *category) int { return categoryNumber(x.name) - categoryNumber(y.name) })
	a.loaded.Store(true)
	return nil
}

// categoryNumber is 1 for "Incidents", n for "Incidents n", 0 otherwise.
func categoryNumber(name string) int {
	if name == CategoryName {
		return 1
	}
	n, err := strconv.Atoi(strings.TrimPrefix(name, CategoryName+" "))
	if err != nil || !strings.HasPrefix(name, CategoryName+" ") || n < 2 {
		return 0
	}
	return n
}

// reserve takes a place for one more channel in a category: want if it
// has room, else the first with room. When none has, one new category is
// made, however many wait for it; and when a place taken fills the last
// category with room, the next is made at once, in the background, so
// that the next declare finds it ready.
func (a *Adapter) reserve(ctx context.Context, want string) (*category, error) {
	for {
		a.mu.Lock()
		if c := a.withRoom(want); c != nil {
			c.n++
			full := a.withRoom("") == nil
			a.mu.Unlock()
			if full {
				a.nextCategory()
			}
			return c, nil
		}
		m := a.makeCategoryLocked()
		a.mu.Unlock()
		select {
		case <-m.done:
		case <-ctx.Done():
			return nil, bot.Errorf(bot.EUNAVAILABLE, "Discord did not answer in time: %v", ctx.Err())
		}
		if m.err != nil {
			return nil, m.err
		}
	}
}

// withRoom is the category to create in: want if it has room, else the
// first with room, else nil. a.mu is held.
func (a *Adapter) withRoom(want string) *category {
	for _, c := range a.cats {
		if c.id == want && c.n < CategoryLimit {
			return c
		}
	}
	for _, c := range a.cats {
		if c.n < CategoryLimit {
			return c
		}
	}
	return nil
}

// nextCategory starts making the next category unless one is being made
// or one has room again.
func (a *Adapter) nextCategory() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.withRoom("") == nil {
		a.makeCategoryLocked()
	}
}

// makeCategoryLocked returns the category being made, starting to make
// it if nobody is: "Incidents", then "Incidents 2", "Incidents 3"... The
// REST call runs in the background, without the lock, for as long as the
// adapter runs (a minute at most); those who wait for it may stop waiting.
// a.mu is held.
func (a *Adapter) makeCategoryLocked() *makingCategory {
	if a.making != nil {
		return a.making
	}
	m := &makingCategory{done: make(chan struct{})}
	a.making = m
	next := 1
	for _, c := range a.cats {
		next = max(next, categoryNumber(c.name)+1)
	}
	name := CategoryName
	if next > 1 {
		name = fmt.Sprintf("%s %d", CategoryName, next)
	}
	a.bg.Go(func() {
		defer close(m.done)
		ctx, cancel := context.WithTimeout(a.life, time.Minute)
		defer cancel()
		data := discordgo.GuildChannelCreateData{Name: name, Type: discordgo.ChannelTypeGuildCategory}
		var ch *discordgo.Channel
		err := a.call(ctx, func(o ...discordgo.RequestOption) (err error) {
			ch, err = a.s.GuildChannelCreateComplex(a.cfg.Guild, data, o...)
			return
		})
		a.mu.Lock()
		defer a.mu.Unlock()
		a.making = nil
		if err != nil {
			m.err = platformErr(err, "create the "+name+" category", "Manage Channels")
			return
		}
		a.cats = append(a.cats, &category{id: ch.ID, name: name})
	})
	return m
}

// freeName returns name, or name-2, name-3... when it is taken, and takes it.
func (a *Adapter) freeName(name string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := name
	for i := 2; a.names[n]; i++ {
		suffix := fmt.Sprintf("-%d", i)
		n = name[:min(len(name), 100-len(suffix))] + suffix
	}
	a.names[n] = true
	return n
}

// Invite implements bot.Adapter: each person gets an overwrite letting them
// see and use the channel (in parallel), then a DM with a link to it (in the
// background: the war room works without it). People without a Discord id
// are skipped; warroom pages them.
func (a *Adapter) Invite(ctx context.Context, channelID string, people []bot.Person) error {
	ids := discordIDs(people)
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			errs[i] = a.call(ctx, func(o ...discordgo.RequestOption) error { return a.setOverwrite(channelID, id, o...) })
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return platformErr(err, "let people into <#"+channelID+">", "Manage Roles")
		}
	}
	dmctx := context.WithoutCancel(ctx)
	link := a.link(channelID)
	for _, p := range people {
		if p.Account("discord") == "" {
			continue
		}
		a.bg.Go(func() {
			m := bot.Message{Kind: bot.KindNotice, Text: fmt.Sprintf("🚨 You were invited to the war room <#%s>: %s", channelID, link)}
			if err := a.DM(dmctx, p, m); err != nil {
				a.log.Warn("invitation DM", "user", p.Account("discord"), "err", err)
			}
		})
	}
	return nil
}

// setOverwrite is discordgo's ChannelPermissionSet with a bucket per
// person: discordgo holds a bucket for the whole of a request, so one
// bucket per channel would make the overwrites of an invitation one round
// trip each. Should Discord say 429, call retries.
func (a *Adapter) setOverwrite(channelID, userID string, o ...discordgo.RequestOption) error {
	data := discordgo.PermissionOverwrite{ID: userID, Type: discordgo.PermissionOverwriteTypeMember, Allow: PermMember}
	url := discordgo.EndpointChannelPermission(channelID, userID)
	_, err := a.s.RequestWithBucketID("PUT", url, data, url, o...)
	return err
}

func discordIDs(people []bot.Person) []string {
	var ids []string
	for _, p := range people {
		if p.Account("discord") != "" && !slices.Contains(ids, p.Account("discord")) {
			ids = append(ids, p.Account("discord"))
		}
	}
	return ids
}

// link is a channel's URL.
func (a *Adapter) link(channelID string) string {
	return fmt.Sprintf("https://discord.com/channels/%s/%s", a.cfg.Guild, channelID)
}

// DM implements bot.Adapter.
func (a *Adapter) DM(ctx context.Context, p bot.Person, m bot.Message) error {
	if p.Account("discord") == "" {
		return bot.Errorf(bot.EINVALID, "%s has no discord id in the catalog, so warroom cannot message them on Discord", p.ID)
	}
	a.mu.Lock()
	ch, ok := a.dms[p.Account("discord")]
	a.mu.Unlock()
	if !ok {
		var dm *discordgo.Channel
		err := a.call(ctx, func(o ...discordgo.RequestOption) (err error) {
			dm, err = a.s.UserChannelCreate(p.Account("discord"), o...)
			return
		})
		if err != nil {
			return platformErr(err, "open a DM with "+p.ID, "")
		}
		ch = dm.ID
		a.mu.Lock()
		a.dms[p.Account("discord")] = ch
		a.mu.Unlock()
	}
	_, err := a.send(ctx, ch, m)
	return err
}

// SetTopic implements bot.Topicer.
func (a *Adapter) SetTopic(ctx context.Context, channelID, topic string) error {
	if len(topic) > 1024 {
		topic = topic[:1021] + "..."
	}
	err := a.call(ctx, func(o ...discordgo.RequestOption) error {
		_, err := a.s.ChannelEdit(channelID, &discordgo.ChannelEdit{Topic: topic}, o...)
		return err
	})
	return platformErr(err, "set the topic of <#"+channelID+">", "Manage Channels")
}

// Pin implements bot.Pinner.
func (a *Adapter) Pin(ctx context.Context, channelID, messageID string) error {
	err := a.call(ctx, func(o ...discordgo.RequestOption) error { return a.s.ChannelMessagePin(channelID, messageID, o...) })
	return platformErr(err, "pin the kickoff", "Manage Messages")
}

// CreateVoice implements bot.VoiceRooms: a private voice channel in the war
// room's category (or the next with room), open to people.
func (a *Adapter) CreateVoice(ctx context.Context, warRoomID, name string, people []bot.Person) (bot.Channel, string, error) {
	a.mu.Lock()
	parent := a.parent[warRoomID]
	a.mu.Unlock()
	ch, err := a.createIn(ctx, parent, name, discordgo.ChannelTypeGuildVoice, discordIDs(people))
	if err != nil {
		return bot.Channel{}, "", err
	}
	return ch, a.link(ch.ID), nil
}

// DeleteVoice implements bot.VoiceRooms.
func (a *Adapter) DeleteVoice(ctx context.Context, voiceID string) error {
	err := a.call(ctx, func(o ...discordgo.RequestOption) error { _, err := a.s.ChannelDelete(voiceID, o...); return err })
	if err != nil {
		return platformErr(err, "delete the voice channel", "Manage Channels")
	}
	a.mu.Lock()
	for _, c := range a.cats {
		if c.id == a.parent[voiceID] {
			c.n--
		}
	}
	delete(a.parent, voiceID)
	a.mu.Unlock()
	return nil
}
