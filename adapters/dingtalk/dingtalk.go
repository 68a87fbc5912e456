// Package dingtalk is warroom's DingTalk adapter: an internal app's robot in
// Stream mode. Robot messages (typed commands) and card clicks arrive over
// the stream; war rooms are scene groups made from a template and filled
// through the OpenAPI; kickoffs, approvals and summaries are interactive
// cards whose buttons stand for commands, the kickoff's check-in button for
// a ✅ reaction (DingTalk has no reaction events); people are @-mentioned by
// userid.
//
// It speaks plain HTTP and the stream protocol itself (stream.go says why)
// on one shared http.Client: the OpenAPI SDK (alibabacloud-go/dingtalk) is
// a 23 MB module for five endpoints.
package dingtalk

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/warroom/warroom/adapters"
	"github.com/warroom/warroom/bot"
)

// Config is what the adapter needs to start.
type Config struct {
	Settings
	Command string // the slash-command word; default "fault"
	// Catalog tells which @words are people (their userids go in
	// atUserIds); nil: every @word that looks like a userid.
	Catalog *bot.Catalog
	Clock   bot.Clock // token expiry, reconnect stability; nil = the wall clock
	Log     *slog.Logger
	// HTTPClient is shared by every call; nil = adapters.NewHTTPClient(20s).
	HTTPClient *http.Client
	// Sleep waits d or until ctx is done (retries, reconnects); nil = a
	// real timer. Tests inject one that returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
	// KeepAlive is how often the stream is pinged; a connection silent for
	// three times as long (no frame, no pong) is replaced. Default 60 s.
	KeepAlive time.Duration
	// MaxRetries caps the retries of one call on 429 / flow control; default 3.
	MaxRetries int
}

// Adapter is a bot.Adapter for DingTalk.
type Adapter struct {
	cfg  Config
	hc   *http.Client
	log  *slog.Logger
	tok  tokenCache
	seq  seqGen
	life context.Context
	stop context.CancelFunc
	bg   sync.WaitGroup // handlers still running
	busy inflight       // the same, for Wait

	users map[string]bool // the catalog's DingTalk userids; nil: no catalog
	owner string          // who owns the groups made: Owner, or the catalog's first

	mu    sync.Mutex
	names map[string]string // group titles this process made → their ids
}

var (
	_ bot.Adapter       = (*Adapter)(nil)
	_ bot.Mentioner     = (*Adapter)(nil)
	_ bot.Concurrent    = (*Adapter)(nil)
	_ bot.ChannelFinder = (*Adapter)(nil)
)

// New checks the credentials by fetching an access token. A rejected
// client_id/client_secret is an error naming them; nothing is retried then.
func New(ctx context.Context, cfg Config) (*Adapter, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	a := &Adapter{cfg: cfg, hc: cfg.HTTPClient, log: cfg.Log, names: map[string]string{}}
	if cfg.Catalog != nil {
		a.users = map[string]bool{}
		for _, p := range cfg.Catalog.People {
			if id := p.Account("dingtalk"); id != "" {
				a.users[id] = true
			}
		}
	}
	a.owner = cfg.Owner
	if a.owner == "" {
		a.owner = firstUser(cfg.Catalog)
	}
	a.warnDefaults()
	a.life, a.stop = context.WithCancel(context.WithoutCancel(ctx))
	if _, err := a.token(ctx); err != nil {
		a.stop()
		return nil, err
	}
	return a, nil
}

func (c *Config) defaults() error {
	if c.ClientID == "" || c.ClientSecret == "" {
		return errors.New("dingtalk.client_id and client_secret are required")
	}
	if c.RobotCode == "" {
		c.RobotCode = c.ClientID
	}
	switch {
	case c.OAPIURL != "":
	case c.APIURL != "":
		// A proxy or test server named by api_url alone serves the
		// legacy paths too: warroom never reaches past it to DingTalk.
		c.OAPIURL = c.APIURL
	default:
		c.OAPIURL = DefaultOAPIURL
	}
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	c.APIURL = strings.TrimRight(c.APIURL, "/")
	c.OAPIURL = strings.TrimRight(c.OAPIURL, "/")
	if c.Command == "" {
		c.Command = "fault"
	}
	if c.Clock == nil {
		c.Clock = bot.SystemClock{}
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.HTTPClient == nil {
		c.HTTPClient = adapters.NewHTTPClient(20 * time.Second)
	}
	if c.Sleep == nil {
		c.Sleep = bot.Sleep
	}
	if c.KeepAlive == 0 {
		c.KeepAlive = time.Minute
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = 3
	}
	return nil
}

// firstUser is the catalog's first person, by catalog id, with a DingTalk
// userid: a deterministic owner when none is configured.
func firstUser(c *bot.Catalog) string {
	if c == nil {
		return ""
	}
	ids := slices.Sorted(maps.Keys(c.People))
	for _, id := range ids {
		if u := c.People[id].Account("dingtalk"); u != "" {
			return u
		}
	}
	return ""
}

// warnDefaults says at start what an unset optional key means.
func (a *Adapter) warnDefaults() {
	if a.cfg.CardTemplateID == "" {
		a.log.Warn("dingtalk.card_template_id is not set: kickoffs, approvals and summaries go as robot markdown messages with no buttons, so there is no check-in button; people check in by @-mentioning the robot with /" + a.cfg.Command + " checkin")
	}
	switch {
	case a.cfg.Owner != "":
	case a.owner == "":
		a.log.Warn("dingtalk.owner is not set and no catalog person has a dingtalk userid: no war-room group can be made; set dingtalk.owner to a userid, e.g. owner: manager4220")
	default:
		a.log.Info("dingtalk.owner is not set: war-room groups are owned by " + a.owner + ", the catalog's first person with a dingtalk userid")
	}
}

// Platform implements bot.Adapter.
func (a *Adapter) Platform() string { return "dingtalk" }

// Concurrent implements bot.Concurrent: OpenAPI calls may overlap.
func (a *Adapter) Concurrent() bool { return true }

// HoldsEventConnection is true: Run holds the stream, and DingTalk hands
// each event to one of an app's connections, so of several warroom
// processes only the elected leader may hold one.
func (a *Adapter) HoldsEventConnection() bool { return true }

// Mention implements bot.Mentioner: @userid, which Post turns into a real
// mention (atUserIds).
func (a *Adapter) Mention(p bot.Person) string {
	if id := p.Account("dingtalk"); id != "" {
		return "@" + id
	}
	return "@" + p.ID
}

// Close stops the stream and waits for handlers.
func (a *Adapter) Close() {
	a.stop()
	a.bg.Wait()
}
