// Package lark is warroom's Lark/Feishu adapter: a custom app's bot that
// opens a private group chat per fault, posts kickoffs, approvals and
// summaries as interactive cards, checks people in by the ✅ (DONE)
// reaction on the kickoff or by the card's button, and takes commands typed
// in a war room or a DM and clicked on cards.
//
// REST calls go through github.com/larksuite/oapi-sdk-go/v3 with the
// adapter's own tenant-token cache (the SDK's is package-global: two
// adapters in one process would share it). Events arrive over Lark's long
// connection, spoken here on the SDK's protobuf frames (see ws.go).
package lark

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	lark "github.com/larksuite/oapi-sdk-go/v3"
	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"

	"github.com/warroom/warroom/adapters"
	"github.com/warroom/warroom/bot"
)

// FeishuURL and LarkURL are the two clouds' API hosts.
const (
	FeishuURL = "https://open.feishu.cn"
	LarkURL   = "https://open.larksuite.com"
)

// Config is what the adapter needs to start.
type Config struct {
	AppID     string
	AppSecret string
	APIURL    string // "" = FeishuURL; REST and the long connection's endpoint go there
	Command   string // the command word; default "fault"
	Log       *slog.Logger
	Clock     bot.Clock // token lifetimes; default bot.SystemClock

	// HTTPClient carries REST calls and the long connection's endpoint
	// request; nil = adapters.NewHTTPClient(20 s).
	HTTPClient *http.Client
	// Sleep waits d or until ctx is done (reconnect and rate-limit
	// backoff); nil = a real timer. Tests inject a fake.
	Sleep func(ctx context.Context, d time.Duration) error
	// AckWithin bounds keeping an event before it is acknowledged; Lark
	// sends an event again when no answer comes in about 3 s. Default 2 s.
	AckWithin time.Duration
	// SocketTimeout: a long connection silent this long is dead; we ping
	// every third of it and Lark answers. Default 3 min.
	SocketTimeout time.Duration
}

// Adapter is a bot.Adapter for Lark/Feishu.
type Adapter struct {
	cfg    Config
	base   string
	cli    *lark.Client
	hc     *http.Client
	log    *slog.Logger
	tokens *tokenCache

	botMu     sync.Mutex
	botID     string // the bot's open_id, from bot/v3/info
	connected bool   // Connect succeeded

	inflight sync.WaitGroup // events being handled

	mu     sync.Mutex
	loaded bool            // the bot's chats are listed into names
	names  map[string]bool // chat names taken among the bot's chats
	chatOf *recent         // message id → chat id, for reactions
	link   linkConf        // the long connection's ClientConfig
	found  adapters.ChannelNames
}

var (
	_ bot.Adapter       = (*Adapter)(nil)
	_ bot.Topicer       = (*Adapter)(nil)
	_ bot.Pinner        = (*Adapter)(nil)
	_ bot.Mentioner     = (*Adapter)(nil)
	_ bot.Concurrent    = (*Adapter)(nil)
	_ bot.ChannelFinder = (*Adapter)(nil)
)

// New builds the adapter; it calls nothing (Connect does).
func New(cfg Config) (*Adapter, error) {
	if cfg.AppID == "" || cfg.AppSecret == "" {
		return nil, errors.New("lark.app_id and lark.app_secret are required")
	}
	base, err := apiBase(cfg.APIURL)
	if err != nil {
		return nil, err
	}
	if cfg.Command == "" {
		cfg.Command = "fault"
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = bot.SystemClock{}
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = adapters.NewHTTPClient(20 * time.Second)
	}
	if cfg.Sleep == nil {
		cfg.Sleep = bot.Sleep
	}
	if cfg.AckWithin == 0 {
		cfg.AckWithin = 2 * time.Second
	}
	if cfg.SocketTimeout == 0 {
		cfg.SocketTimeout = 3 * time.Minute
	}
	cli := lark.NewClient(cfg.AppID, cfg.AppSecret,
		lark.WithOpenBaseUrl(base),
		lark.WithEnableTokenCache(false), // ours: see tokenCache
		lark.WithHttpClient(withJSONBodies(cfg.HTTPClient)),
		lark.WithLogger(sdkLogger{cfg.Log}),
		lark.WithLogLevel(larkcore.LogLevelWarn))
	a := &Adapter{cfg: cfg, base: base, cli: cli, hc: cfg.HTTPClient, log: cfg.Log,
		names: map[string]bool{}, chatOf: newRecent(4096)}
	a.tokens = &tokenCache{clock: cfg.Clock, fetch: a.fetchToken}
	return a, nil
}

// Connect checks the credentials: a tenant token, then the bot's own info
// (its open_id, to tell its mentions apart). A rejected app id or secret
// is an error naming them. A server without bot/v3/info (a stand-in for
// Lark) is a warning: without the bot's open_id, a mention leading a
// command is taken for the bot's.
func (a *Adapter) Connect(ctx context.Context) error {
	var info struct {
		larkcore.CodeError
		Bot *botInfo `json:"bot"`
		// Data is where every other API answers; taken if bot is absent.
		Data *struct {
			Bot *botInfo `json:"bot"`
		} `json:"data"`
	}
	missing := ""
	err := a.do(ctx, "read the bot's info (is the bot feature enabled?)", func(o larkcore.RequestOptionFunc) (*larkcore.CodeError, error) {
		resp, err := a.cli.Get(ctx, "/open-apis/bot/v3/info", nil, larkcore.AccessTokenTypeTenant, o)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(resp.RawBody, &info); err != nil {
			missing = fmt.Sprintf("GET /open-apis/bot/v3/info answered %d, not JSON", resp.StatusCode)
			return nil, nil
		}
		return &info.CodeError, nil
	})
	if err != nil {
		return err
	}
	b := info.Bot
	if b == nil && info.Data != nil {
		b = info.Data.Bot
	}
	if b == nil || b.OpenID == "" {
		if missing == "" {
			missing = "GET /open-apis/bot/v3/info answered no bot.open_id"
		}
		a.log.Warn("lark: the bot's own open_id is unknown; a mention leading a command is taken for the bot's", "why", missing)
		b = &botInfo{}
	}
	a.botMu.Lock()
	a.botID, a.connected = b.OpenID, true
	a.botMu.Unlock()
	a.log.Debug("lark: connected", "bot", b.AppName, "open_id", b.OpenID)
	return nil
}

type botInfo struct {
	OpenID  string `json:"open_id"`
	AppName string `json:"app_name"`
}

func (a *Adapter) isConnected() bool {
	a.botMu.Lock()
	defer a.botMu.Unlock()
	return a.connected
}

// BotID is the bot's open_id ("" before Connect).
func (a *Adapter) BotID() string {
	a.botMu.Lock()
	defer a.botMu.Unlock()
	return a.botID
}

// Platform implements bot.Adapter.
func (a *Adapter) Platform() string { return "lark" }

// Concurrent implements bot.Concurrent: REST calls may overlap.
func (a *Adapter) Concurrent() bool { return true }

// HoldsEventConnection: Run holds Lark's long connection, which Lark
// load-balances across every client of the app, so only the elected
// leader runs it.
func (a *Adapter) HoldsEventConnection() bool { return true }

// Mention implements bot.Mentioner with Lark's text mention.
func (a *Adapter) Mention(p bot.Person) string {
	if id := p.Account("lark"); id != "" {
		return `<at user_id="` + id + `"></at>`
	}
	return "@" + p.ID
}

// Wait blocks until the events being handled are.
func (a *Adapter) Wait() { a.inflight.Wait() }

// apiBase is the API host api_url names (https when it names no scheme),
// without a trailing slash or the /open-apis path people copy from the docs.
func apiBase(raw string) (string, error) {
	if raw == "" {
		return FeishuURL, nil
	}
	full := raw
	if !strings.Contains(raw, "://") {
		full = "https://" + raw // a bare host, as PRODUCT.md writes it: open.feishu.cn
	}
	u, err := url.Parse(full)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return "", fmt.Errorf("lark.api_url: %q is not an http(s) URL with a host, such as %s or %s", raw, FeishuURL, LarkURL)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return "", fmt.Errorf("lark.api_url: %q has a query, fragment or user; give the host only, such as %s", raw, LarkURL)
	}
	p := strings.TrimRight(u.Path, "/")
	p = strings.TrimSuffix(p, "/open-apis")
	return u.Scheme + "://" + u.Host + p, nil
}

// sdkLogger sends the SDK's log lines to warroom's log.
type sdkLogger struct{ l *slog.Logger }

func (s sdkLogger) Debug(_ context.Context, args ...any) {
	s.l.Debug("lark sdk: " + fmt.Sprint(args...))
}
func (s sdkLogger) Info(_ context.Context, args ...any) {
	s.l.Debug("lark sdk: " + fmt.Sprint(args...))
}
func (s sdkLogger) Warn(_ context.Context, args ...any) { s.l.Warn("lark sdk: " + fmt.Sprint(args...)) }
func (s sdkLogger) Error(_ context.Context, args ...any) {
	s.l.Error("lark sdk: " + fmt.Sprint(args...))
}
