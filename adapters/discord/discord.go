// Package discord is warroom's Discord adapter: a gateway bot that answers
// the `/fault` application command, opens a private text channel per fault
// under an "Incidents" category, checks people in by ✅ reactions on the
// kickoff, renders kickoffs, summaries and approval cards as embeds with
// buttons, and opens a voice channel for `/fault call`.
//
// It is built on github.com/bwmarrin/discordgo. Every REST call is bounded by
// the caller's context and retried on 429 a bounded number of times.
package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/warroom/warroom/adapters"
	"github.com/warroom/warroom/bot"
)

// Config is what the adapter needs to start.
type Config struct {
	Token   string // bot token, with or without the "Bot " prefix
	Guild   string // the server (guild) warroom works in
	APIURL  string // "" = https://discord.com; else REST and gateway lookups go there (see apiBase)
	Command string // the slash-command word; default "fault"
	Log     *slog.Logger

	// HTTPClient is the base client; its transport is wrapped to reach
	// APIURL. nil = the adapter's own (adapters.NewHTTPClient): a
	// keep-alive pool sized for bursts, a 20 s timeout.
	HTTPClient *http.Client
	// Now tells the age of interaction tokens; nil = time.Now.
	Now func() time.Time
	// Sleep waits d or until ctx is done, for our own waits (429 retries);
	// nil = a real timer. Tests inject a fake.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxRetries caps the 429 retries of one REST call; default 5.
	MaxRetries int
	// MaxRetryWait is the longest retry_after worth waiting for; a longer
	// one fails the call at once. Default 30 s.
	MaxRetryWait time.Duration
}

// Intents are the gateway intents warroom asks for: guild events
// (channels), guild messages and DMs (typed commands), and reactions in
// guilds (✅ check-ins). MESSAGE_CONTENT, a privileged intent, is not asked
// for: commands come as interactions.
const Intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMessages |
	discordgo.IntentsGuildMessageReactions | discordgo.IntentsDirectMessages

// Adapter is a bot.Adapter for Discord.
type Adapter struct {
	cfg       Config
	s         *discordgo.Session
	log       *slog.Logger
	botID     string
	appID     string
	events    chan func(context.Context, bot.Handler)
	life      context.Context // ends at Close
	stop      context.CancelFunc
	bg        sync.WaitGroup // DMs sent after Invite returns
	closeOnce sync.Once
	opened    chan struct{} // closed once Run has the gateway open

	loadMu sync.Mutex  // one listing of the guild's channels at a time
	loaded atomic.Bool // the guild's channels are listed

	mu     sync.Mutex
	names  map[string]bool       // channel names taken in the guild
	parent map[string]string     // channel id → category id
	cats   []*category           // "Incidents", "Incidents 2", ...
	making *makingCategory       // the category being made, if one is
	dms    map[string]string     // user id → DM channel id
	found  adapters.ChannelNames // what FindChannel listed
}

var (
	_ bot.Adapter       = (*Adapter)(nil)
	_ bot.Topicer       = (*Adapter)(nil)
	_ bot.Pinner        = (*Adapter)(nil)
	_ bot.Mentioner     = (*Adapter)(nil)
	_ bot.Concurrent    = (*Adapter)(nil)
	_ bot.VoiceRooms    = (*Adapter)(nil)
	_ bot.ChannelFinder = (*Adapter)(nil)
)

// New checks the token, opens the gateway and registers the `/fault`
// command in the guild. A rejected token is an error naming discord.token;
// nothing is retried then.
func New(ctx context.Context, cfg Config) (*Adapter, error) {
	if cfg.Command == "" {
		cfg.Command = "fault"
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = bot.Sleep
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 5
	}
	if cfg.MaxRetryWait == 0 {
		cfg.MaxRetryWait = 30 * time.Second
	}
	if cfg.Token == "" || cfg.Guild == "" {
		return nil, errors.New("discord.token and discord.guild are required")
	}
	token := cfg.Token
	if !strings.HasPrefix(token, "Bot ") {
		token = "Bot " + token
	}
	s, err := discordgo.New(token)
	if err != nil {
		return nil, err
	}
	hc, stated, err := client(cfg.HTTPClient, cfg.APIURL)
	if err != nil {
		return nil, err
	}
	if stated != "" && stated != discordgo.APIVersion {
		cfg.Log.Info("api_url names another Discord API version; warroom speaks the one its Discord library does",
			"api_url", cfg.APIURL, "named", "v"+stated, "used", "v"+discordgo.APIVersion)
	}
	s.Client = hc
	s.Identify.Intents = Intents
	s.SyncEvents = true // handlers only queue; order is kept
	s.StateEnabled = false
	s.ShouldRetryOnRateLimit = false // we retry, bounded (see call)
	s.MaxRestRetries = 1
	s.LogLevel = -1

	a := &Adapter{cfg: cfg, s: s, log: cfg.Log, events: make(chan func(context.Context, bot.Handler), 256), opened: make(chan struct{}),
		names: map[string]bool{}, parent: map[string]string{}, dms: map[string]string{}}
	a.life, a.stop = context.WithCancel(context.WithoutCancel(ctx))

	var me *discordgo.User
	err = a.call(ctx, func(o ...discordgo.RequestOption) (err error) { me, err = s.User("@me", o...); return })
	if err != nil {
		a.stop()
		var re *discordgo.RESTError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized {
			return nil, errors.New("discord.token was rejected by Discord (401 Unauthorized); set it to the bot token from the Developer Portal (Bot → Reset Token)")
		}
		return nil, fmt.Errorf("checking discord.token: %w", err)
	}
	a.botID = me.ID
	// The application id names the slash commands' owner. The gateway's
	// READY says it too, but only the leader opens the gateway, and every
	// process registers.
	var app *discordgo.Application
	if err := a.call(ctx, func(o ...discordgo.RequestOption) (err error) { app, err = s.Application("@me"); return }); err == nil && app != nil {
		a.appID = app.ID
	}
	s.AddHandler(a.onReady)
	s.AddHandler(a.onInteraction)
	s.AddHandler(a.onReaction)
	s.AddHandler(a.onMessage)
	a.mu.Lock()
	if a.appID == "" {
		a.appID = a.botID // a bot's application id is its user id
	}
	a.mu.Unlock()
	if err := a.register(ctx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// open opens the gateway, bounded by ctx.
func (a *Adapter) open(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- a.s.Open() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		go func() {
			if <-done == nil {
				_ = a.s.Close()
			}
		}()
		return ctx.Err()
	}
}

func (a *Adapter) onReady(_ *discordgo.Session, r *discordgo.Ready) {
	if r.Application != nil && r.Application.ID != "" {
		a.mu.Lock()
		a.appID = r.Application.ID
		a.mu.Unlock()
	}
}

// Platform implements bot.Adapter.
func (a *Adapter) Platform() string { return "discord" }

// Concurrent implements bot.Concurrent: REST calls may overlap.
func (a *Adapter) Concurrent() bool { return true }

// Mention implements bot.Mentioner.
func (a *Adapter) Mention(p bot.Person) string {
	if p.Account("discord") != "" {
		return "<@" + p.Account("discord") + ">"
	}
	return "@" + p.ID
}

// BotID is the bot's own user id.
func (a *Adapter) BotID() string { return a.botID }

// HoldsEventConnection reports that Run opens the gateway: of several
// warroom processes on one database only the leader runs it, or each
// would handle every event (cmd/warroom/leader.go).
func (a *Adapter) HoldsEventConnection() bool { return true }

// Opened is closed once Run has opened the gateway: events sent before are
// not delivered (Discord keeps none for a bot that is not connected).
func (a *Adapter) Opened() <-chan struct{} { return a.opened }

// Run opens the gateway and delivers its events to h until ctx is done,
// then closes it. REST calls (channels, posts, DMs) need no gateway: a
// follower process makes them without one.
func (a *Adapter) Run(ctx context.Context, h bot.Handler) error {
	var inflight sync.WaitGroup
	defer func() {
		inflight.Wait()
		a.Close()
	}()
	if err := a.open(ctx); err != nil {
		return fmt.Errorf("opening the Discord gateway: %w", err)
	}
	close(a.opened)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-a.life.Done():
			return nil
		case ev := <-a.events:
			inflight.Go(func() { ev(ctx, h) })
		}
	}
}

// enqueue hands an event to Run; it blocks (and so holds back the gateway)
// while Run is behind, so that nothing is dropped.
func (a *Adapter) enqueue(ev func(context.Context, bot.Handler)) {
	select {
	case a.events <- ev:
	case <-a.life.Done():
	}
}

// Wait blocks until the DMs sent in the background are sent.
func (a *Adapter) Wait() { a.bg.Wait() }

// Close closes the gateway and waits for background work. discordgo waits
// a second for Discord to acknowledge the close frame; that wait is left
// to run on its own.
func (a *Adapter) Close() {
	a.stop()
	a.bg.Wait()
	a.closeOnce.Do(func() { go func() { _ = a.s.Close() }() })
}
