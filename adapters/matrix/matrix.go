// Package matrix is warroom on Matrix (any homeserver: Synapse, Dendrite,
// Conduit) through its client-server API, with mautrix-go as the client.
// A war room is a private room, invite-only, with an alias so that its
// name is unique on the server; commands are typed messages (`!fault …`,
// or `/fault …` sent as text); ✅ is an m.reaction on the kickoff. The
// bot reads the server with /sync, keeping its position (next_batch) in a
// file so that a restart neither replays nor loses events.
package matrix

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
	"unicode/utf8"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"

	"github.com/warroom/warroom/bot"
)

// SyncTimeout is how long one /sync waits on the server for events.
const SyncTimeout = 30 * time.Second

// Config is how to reach the homeserver.
type Config struct {
	Homeserver string // client-server API base URL
	User       string // the bot's user id
	Token      string // its access token
	// State keeps the sync position (next_batch) across restarts and
	// failovers, in warroom's database; when nil, SyncFile does, and when
	// that is "" too it is kept in memory only.
	State    bot.AdapterState
	SyncFile string
	Command  string // the command word; default "fault"
	// InviteParallel bounds the invites in flight (Matrix invites one
	// user a call); default 8.
	InviteParallel int
	HTTPClient     *http.Client
	Log            *slog.Logger
	// Sleep waits out a rate limit or a failed sync; default a timer.
	// Tests pass one that returns at once and records the wait.
	Sleep func(ctx context.Context, d time.Duration) error
	// SyncTimeout overrides SyncTimeout (tests: short polls).
	SyncTimeout time.Duration
}

// Adapter is the Matrix adapter.
type Adapter struct {
	cfg    Config
	cli    *mautrix.Client
	me     id.UserID
	server string // the bot's server name: room aliases live there
	log    *slog.Logger

	since    sinceStore
	handling sync.WaitGroup // events handed to the handler

	dmMu  sync.Mutex
	dms   map[id.UserID]id.RoomID // direct rooms, by person
	dmFor map[id.UserID]*sync.Mutex
	// directMu serialises m.direct read-modify-writes (a lost
	// update drops a room from it).
	directMu sync.Mutex
	// noAliases: the server refused the bot a room alias once; war
	// rooms are made without.
	noAliases atomic.Bool
}

// New connects: it checks the token (whoami) and, on a first start, takes
// the server's current position so that history is not replayed.
func New(ctx context.Context, cfg Config) (*Adapter, error) {
	if cfg.Command == "" {
		cfg.Command = "fault"
	}
	if cfg.InviteParallel <= 0 {
		cfg.InviteParallel = 8
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	if cfg.SyncTimeout <= 0 {
		cfg.SyncTimeout = SyncTimeout
	}
	if cfg.Token == "" {
		return nil, errors.New("matrix.token is empty; set it to the bot's access token")
	}
	cli, err := mautrix.NewClient(cfg.Homeserver, id.UserID(cfg.User), cfg.Token)
	if err != nil {
		return nil, fmt.Errorf("matrix.homeserver %q: %v", cfg.Homeserver, err)
	}
	if cfg.HTTPClient != nil {
		cli.Client = cfg.HTTPClient
	}
	// Rate limits are waited out here (call), on the injected Sleep and
	// with the server's retry_after_ms, not by mautrix on the wall clock.
	cli.IgnoreRateLimit = true
	cli.DefaultHTTPRetries = 0
	a := &Adapter{cfg: cfg, cli: cli, log: cfg.Log, since: sinceStore{kv: cfg.State, path: cfg.SyncFile},
		dms: map[id.UserID]id.RoomID{}, dmFor: map[id.UserID]*sync.Mutex{}}
	if err := a.whoami(ctx); err != nil {
		return nil, err
	}
	if err := a.startPosition(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *Adapter) whoami(ctx context.Context) error {
	var who *mautrix.RespWhoami
	err := a.call(ctx, func(ctx context.Context) (err error) { who, err = a.cli.Whoami(ctx); return })
	switch {
	case errors.Is(err, mautrix.MUnknownToken) || errors.Is(err, mautrix.MMissingToken):
		return fmt.Errorf("matrix.token is rejected by %s (%v); make a new access token for %s (README: Matrix)", a.cfg.Homeserver, err, a.cfg.User)
	case err != nil:
		return fmt.Errorf("matrix.homeserver %s: checking the token: %v", a.cfg.Homeserver, err)
	case a.cfg.User != "" && string(who.UserID) != a.cfg.User:
		return fmt.Errorf("matrix.token is %s's, but matrix.user is %s; use the bot's token or correct matrix.user", who.UserID, a.cfg.User)
	}
	a.me = who.UserID
	a.cli.UserID = who.UserID
	a.server = a.me.Homeserver()
	return nil
}

// Platform implements bot.Adapter.
func (a *Adapter) Platform() string { return "matrix" }

// Concurrent implements bot.Concurrent: every call is its own request.
func (a *Adapter) Concurrent() bool { return true }

// HoldsEventConnection says Run reads the server's /sync: only the
// elected leader may, or two processes would both handle each event.
func (a *Adapter) HoldsEventConnection() bool { return true }

// UserID is the bot's Matrix user id.
func (a *Adapter) UserID() string { return string(a.me) }

// Wait returns once the events handed to the handler are handled.
func (a *Adapter) Wait() { a.handling.Wait() }

// maxRateLimitWait caps one wait on a rate limit: a server asking for
// longer is answered with an error, not a stalled war room.
const maxRateLimitWait = 2 * time.Minute

// maxRateLimitRetries bounds the retries of one call.
const maxRateLimitRetries = 5

// call runs f, waiting out M_LIMIT_EXCEEDED as the server asks
// (retry_after_ms, else Retry-After, else a second).
func (a *Adapter) call(ctx context.Context, f func(ctx context.Context) error) error {
	for attempt := 0; ; attempt++ {
		err := f(ctx)
		wait, limited := retryAfter(err)
		if !limited || attempt == maxRateLimitRetries || wait > maxRateLimitWait {
			return err
		}
		a.log.Info("matrix: rate limited; waiting as the server asks", "wait", wait)
		if err := a.cfg.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// retryAfter reads a rate limit's wait from err.
func retryAfter(err error) (time.Duration, bool) {
	var he mautrix.HTTPError
	if !errors.As(err, &he) {
		return 0, false
	}
	limited := he.RespError != nil && he.RespError.ErrCode == mautrix.MLimitExceeded.ErrCode
	if !limited && !he.IsStatus(http.StatusTooManyRequests) {
		return 0, false
	}
	if he.RespError != nil {
		if ms, ok := he.RespError.ExtraData["retry_after_ms"].(float64); ok && ms >= 0 {
			return time.Duration(ms) * time.Millisecond, true
		}
	}
	if he.Response != nil {
		var s int
		if _, err := fmt.Sscanf(he.Response.Header.Get("Retry-After"), "%d", &s); err == nil && s >= 0 {
			return time.Duration(s) * time.Second, true
		}
	}
	return time.Second, true
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// failure is a call's error as warroom reports it: EUNAVAILABLE, with the
// server's own code and words.
func failure(what string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return bot.Errorf(bot.EUNAVAILABLE, "Matrix: %s: %s", what, oneLine(err))
}

// maxErrLen caps a server's words in an error said in a room.
const maxErrLen = 200

// oneLine is a call's error in one short line: the Matrix errcode and the
// server's message, or the HTTP status alone when the answer is no
// Matrix error (a proxy's HTML page is not said in the war room).
func oneLine(err error) string {
	msg := err.Error()
	var he mautrix.HTTPError
	if errors.As(err, &he) && he.WrappedError == nil {
		switch {
		case he.RespError != nil && he.RespError.ErrCode != "":
			msg = he.RespError.ErrCode + ": " + he.RespError.Err
		case he.Response != nil:
			msg = "HTTP " + he.Response.Status
		}
	}
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) > maxErrLen {
		cut := maxErrLen
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	return msg
}
