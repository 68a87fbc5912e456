// Package slack is warroom's Slack adapter: war rooms are Slack channels,
// commands arrive as a slash command (Socket Mode by default, or the Events
// API over warroom's HTTP server), check-ins as reactions and button clicks
// as commands.
//
// Every Web API call honours Retry-After on 429 (bounded by the caller's
// context); posts to one channel are queued and paced; a lost Socket Mode
// connection is replaced with backoff. All waiting goes through
// Options.Sleep and all "now" through Options.Clock, so tests never really
// sleep; only network deadlines (Options.SocketTimeout) are wall-clock.
package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/warroom/warroom/adapters"
	"github.com/warroom/warroom/bot"
)

// Options configure the adapter. BotToken and one of AppToken (Socket Mode)
// or SigningSecret (Events API over HTTP, see Routes) are required.
type Options struct {
	BotToken      string // xoxb-...
	AppToken      string // xapp-...; set: Socket Mode
	SigningSecret string // Events API over HTTP (used when AppToken is empty)
	Private       bool   // war rooms are private channels
	APIURL        string // "" = https://slack.com/api/
	Command       string // the slash-command word; default "fault"

	Clock        bot.Clock                                        // default bot.SystemClock
	Sleep        func(ctx context.Context, d time.Duration) error // default: a timer
	PostInterval time.Duration                                    // pacing per channel; default 1s
	MaxRetries   int                                              // 429 retries per call; default 8
	HTTPClient   *http.Client                                     // default adapters.NewHTTPClient(30s), the adapter's own pool
	Log          *slog.Logger
	// SocketTimeout: a Socket Mode connection on which nothing (not even a
	// pong to our pings, sent every third of it) arrives for this long is
	// dead and replaced; default 30s. It is a network deadline, so it runs
	// on the wall clock.
	SocketTimeout time.Duration
	// AckWithin is how long a slash command's acknowledgement waits for
	// the command's first answer to carry it; default 2s (Slack waits
	// 3s). A network deadline too: the wall clock.
	AckWithin time.Duration
}

// Adapter is the Slack adapter. It implements bot.Adapter and the Topicer,
// Pinner, Mentioner, Concurrent, Directory and ChannelFinder capabilities.
type Adapter struct {
	opts Options
	api  *slack.Client
	log  *slog.Logger

	connectOnce sync.Once
	connectErr  error
	botUser     string // the bot's own user id, from auth.test

	users  *userCache
	queues *queues
	seen   *dedup
	// replays remembers the signatures of the signed HTTP requests taken,
	// for as long as a signature is valid, so that a captured request sent
	// again is not acted on twice.
	replays *dedup
	chans   adapters.ChannelNames // what FindChannel listed
	acks    *ackMemory            // what slash commands' acks carried

	fatalOnce sync.Once
	fatalErr  error
	fatal     chan struct{} // closed on a fatal (auth) error

	mu       sync.Mutex
	handler  bot.Handler     // set while Run runs (HTTP mode)
	runCtx   context.Context // Run's context, for work started by HTTP requests
	inflight sync.WaitGroup  // handlers running
}

var (
	_ bot.Adapter       = (*Adapter)(nil)
	_ bot.Topicer       = (*Adapter)(nil)
	_ bot.Pinner        = (*Adapter)(nil)
	_ bot.Mentioner     = (*Adapter)(nil)
	_ bot.Concurrent    = (*Adapter)(nil)
	_ bot.Directory     = (*Adapter)(nil)
	_ bot.ChannelFinder = (*Adapter)(nil)
)

// New returns an adapter. It does not touch the network: Connect (or Run)
// checks the token.
func New(opts Options) (*Adapter, error) {
	if opts.BotToken == "" {
		return nil, errors.New("slack.bot_token is empty")
	}
	if opts.AppToken == "" && opts.SigningSecret == "" {
		return nil, errors.New("set slack.app_token (Socket Mode) or slack.signing_secret (Events API)")
	}
	if opts.Command == "" {
		opts.Command = "fault"
	}
	if opts.Clock == nil {
		opts.Clock = bot.SystemClock{}
	}
	if opts.Sleep == nil {
		opts.Sleep = bot.Sleep
	}
	if opts.PostInterval == 0 {
		opts.PostInterval = time.Second
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = 8
	}
	if opts.SocketTimeout == 0 {
		opts.SocketTimeout = 30 * time.Second
	}
	if opts.AckWithin == 0 {
		opts.AckWithin = ackWithin
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = adapters.NewHTTPClient(30 * time.Second)
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	a := &Adapter{
		opts: opts, log: opts.Log,
		api:     slack.New(opts.BotToken, clientOptions(opts, "")...),
		users:   newUserCache(),
		queues:  &queues{m: map[string]*queue{}},
		seen:    newDedup(opts.Clock, time.Hour),
		replays: newDedup(opts.Clock, 2*maxSkew),
		acks:    newAckMemory(opts.Clock),
		fatal:   make(chan struct{}),
	}
	return a, nil
}

func clientOptions(opts Options, appToken string) []slack.Option {
	o := []slack.Option{slack.OptionHTTPClient(opts.HTTPClient)}
	if opts.APIURL != "" {
		u := opts.APIURL
		if !strings.HasSuffix(u, "/") {
			u += "/"
		}
		o = append(o, slack.OptionAPIURL(u))
	}
	if appToken != "" {
		o = append(o, slack.OptionAppLevelToken(appToken))
	}
	return o
}

// Connect checks the bot token with auth.test and learns the bot's user id.
// A rejected token is an error naming slack.bot_token.
func (a *Adapter) Connect(ctx context.Context) error {
	a.connectOnce.Do(func() {
		var res *slack.AuthTestResponse
		err := a.do(ctx, "auth.test", func(ctx context.Context) (err error) {
			res, err = a.api.AuthTestContext(ctx)
			return err
		})
		if err != nil {
			if ae := a.fatalError(); ae != nil {
				err = ae
			}
			a.connectErr = err
			return
		}
		a.botUser = res.UserID
	})
	return a.connectErr
}

// Platform implements bot.Adapter.
func (a *Adapter) Platform() string { return "slack" }

// Concurrent implements bot.Concurrent: calls may overlap.
func (a *Adapter) Concurrent() bool { return true }

// Mention implements bot.Mentioner: `<@U123>`, or the person's name when
// their Slack id is not known (yet).
func (a *Adapter) Mention(p bot.Person) string {
	if p.Account("slack") != "" {
		return "<@" + p.Account("slack") + ">"
	}
	if uid, ok := a.users.idByEmail(p.Email); ok {
		return "<@" + uid + ">"
	}
	if p.Name != "" {
		return p.Name
	}
	return "@" + p.ID
}

// AuthError is a token Slack rejected. The adapter stops on it: retrying
// would not help.
type AuthError struct {
	Key  string // the config key of the token: slack.bot_token or slack.app_token
	Code string // invalid_auth, token_revoked, ...
}

func (e *AuthError) Error() string {
	hint := "check the token in the environment and that the app is installed"
	if e.Key == "slack.app_token" {
		hint = "it must be an app-level token (xapp-...) with the connections:write scope, and not revoked"
	}
	return fmt.Sprintf("Slack rejected %s (%s): %s", e.Key, e.Code, hint)
}

func (a *Adapter) fail(err error) {
	a.fatalOnce.Do(func() {
		a.mu.Lock()
		a.fatalErr = err
		a.mu.Unlock()
		close(a.fatal)
		a.log.Error("slack: stopping", "err", err)
	})
}

func (a *Adapter) fatalError() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.fatalErr
}
