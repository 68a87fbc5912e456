package lark

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"

	"github.com/warroom/warroom/bot"
)

// Lark's error codes that the adapter acts on.
const (
	codeTokenInvalid    = 99991663 // tenant_access_token invalid (expired early, rotated)
	codeTokenInvalid2   = 99991661 // no or malformed Authorization
	codeTokenExpired    = 99991668
	codeRateLimited     = 99991400 // "request trigger frequency limit"
	codeNoScope         = 99991672 // the app lacks a permission (scope)
	codeAppSecret       = 10014    // app secret invalid
	codeAppID           = 10003    // app id invalid / not found
	codeMessageGone     = 230011   // the message was deleted or is not visible
	codeMessageRecalled = 230110   // the message was recalled
)

// maxAttempts bounds the tries of one call: a token refresh, a few waits
// out a rate limit.
const maxAttempts = 4

// tokenCache keeps the tenant token until shortly before Lark says it
// expires; a token Lark rejects early is dropped and fetched again.
type tokenCache struct {
	clock bot.Clock
	fetch func(ctx context.Context) (tok string, expire time.Duration, err error)

	mu    sync.Mutex // held across a fetch: one fetch at a time
	tok   string
	until time.Time
}

func (c *tokenCache) get(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok != "" && c.clock.Now().Before(c.until) {
		return c.tok, nil
	}
	tok, expire, err := c.fetch(ctx)
	if err != nil {
		return "", err
	}
	// Lark hands out the same token until its last half hour, then a
	// fresh one; refresh a few minutes before the end.
	margin := min(5*time.Minute, expire/2)
	c.tok, c.until = tok, c.clock.Now().Add(expire-margin)
	return tok, nil
}

func (c *tokenCache) drop(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok == tok {
		c.tok = ""
	}
}

func (a *Adapter) fetchToken(ctx context.Context) (string, time.Duration, error) {
	resp, err := a.cli.GetTenantAccessTokenBySelfBuiltApp(ctx, &larkcore.SelfBuiltTenantAccessTokenReq{
		AppID: a.cfg.AppID, AppSecret: a.cfg.AppSecret})
	if err != nil {
		return "", 0, bot.Errorf(bot.EUNAVAILABLE, "lark: getting a tenant token from %s: %s", a.base, oneLine(err.Error()))
	}
	switch {
	case resp.Code == codeAppID || resp.Code == codeAppSecret:
		return "", 0, bot.Errorf(bot.EINVALID, "lark.app_id or lark.app_secret was rejected by %s (%d %s); copy both from the developer console, Credentials & Basic Info (and check api_url: Feishu is %s, Lark %s)",
			a.base, resp.Code, resp.Msg, FeishuURL, LarkURL)
	case resp.Code != 0:
		return "", 0, bot.Errorf(bot.EUNAVAILABLE, "lark: getting a tenant token from %s: %d %s (check lark.app_id and lark.app_secret)", a.base, resp.Code, resp.Msg)
	case resp.TenantAccessToken == "":
		return "", 0, bot.Errorf(bot.EUNAVAILABLE, "lark: the token endpoint answered no tenant_access_token")
	}
	expire := time.Duration(resp.Expire) * time.Second
	if expire <= 0 {
		expire = 30 * time.Minute
	}
	return resp.TenantAccessToken, expire, nil
}

// do makes one API call with a tenant token, fetching one first if need
// be, once more with a fresh token when Lark rejects it, and after a wait
// when Lark says the app calls too often. what says what the call does,
// for the error ("create a war-room chat").
func (a *Adapter) do(ctx context.Context, what string, call func(larkcore.RequestOptionFunc) (*larkcore.CodeError, error)) error {
	for attempt := 1; ; attempt++ {
		tok, err := a.tokens.get(ctx)
		if err != nil {
			return err
		}
		ce, err := call(larkcore.WithTenantAccessToken(tok))
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return bot.Errorf(bot.EUNAVAILABLE, "lark could not %s: %s", what, oneLine(err.Error()))
		}
		if ce == nil || ce.Code == 0 {
			return nil
		}
		switch {
		case attempt >= maxAttempts:
		case ce.Code == codeTokenInvalid || ce.Code == codeTokenInvalid2 || ce.Code == codeTokenExpired:
			a.tokens.drop(tok)
			continue
		case ce.Code == codeRateLimited:
			if a.cfg.Sleep(ctx, time.Duration(attempt)*time.Second) != nil {
				return ctx.Err()
			}
			continue
		}
		return apiError(what, ce)
	}
}

// apiError is Lark's refusal as one line, with the permission to grant
// when that is what is missing.
func apiError(what string, ce *larkcore.CodeError) error {
	msg := fmt.Sprintf("lark refused to %s: %d %s", what, ce.Code, oneLine(ce.Msg))
	if ce.Err != nil {
		var scopes []string
		for _, v := range ce.Err.PermissionViolations {
			if v != nil && v.Subject != "" {
				scopes = append(scopes, v.Subject)
			}
		}
		if len(scopes) > 0 {
			msg += "; grant the app " + strings.Join(scopes, " or ") + " in the developer console (Permissions & Scopes) and publish a new version"
		}
	}
	if ce.Code == codeNoScope && !strings.Contains(msg, "grant") {
		msg += "; grant the scope it names in the developer console (Permissions & Scopes) and publish a new version"
	}
	return bot.Errorf(bot.EUNAVAILABLE, "%s", msg)
}

// recent remembers the last n message → chat pairs the bot posted: Lark's
// reaction events name the message only.
type recent struct {
	mu    sync.Mutex
	n     int
	m     map[string]string
	order []string
}

func newRecent(n int) *recent { return &recent{n: n, m: map[string]string{}} }

func (r *recent) put(k, v string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.m[k]; !ok {
		r.order = append(r.order, k)
	}
	r.m[k] = v
	if len(r.order) > r.n {
		delete(r.m, r.order[0])
		r.order = r.order[1:]
	}
}

func (r *recent) get(k string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.m[k]
	return v, ok
}
