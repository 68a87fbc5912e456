package discord

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/warroom/warroom/bot"
)

// rewrite sends discordgo's requests, built on https://discord.com, to
// another base URL (a REST proxy, a test server).
type rewrite struct {
	base *url.URL
	next http.RoundTripper
}

func (t rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host = t.base.Scheme, t.base.Host
	if p := strings.TrimSuffix(t.base.Path, "/"); p != "" {
		r.URL.Path = p + r.URL.Path
	}
	r.Host = t.base.Host
	return t.next.RoundTrip(r)
}

func client(base *http.Client, apiURL string) *http.Client {
	c := &http.Client{Timeout: 20 * time.Second}
	if base != nil {
		cp := *base
		c = &cp
	}
	if apiURL == "" {
		return c
	}
	u, err := url.Parse(apiURL)
	if err != nil || u.Host == "" {
		return c // config validation names a bad api_url; keep discord.com
	}
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	c.Transport = rewrite{base: u, next: next}
	return c
}

// call runs one REST call through discordgo's limiter, bounded by ctx: a 429
// is retried after its retry_after, at most MaxRetries times, and never for
// longer than MaxRetryWait at a time.
func (a *Adapter) call(ctx context.Context, f func(...discordgo.RequestOption) error) error {
	for attempt := 0; ; attempt++ {
		errc := make(chan error, 1)
		go func() {
			// discordgo's bucket wait ignores ctx; do not wait on it past ctx.
			errc <- f(discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false), discordgo.WithRestRetries(1))
		}()
		var err error
		select {
		case err = <-errc:
		case <-ctx.Done():
			return bot.Errorf(bot.EUNAVAILABLE, "Discord did not answer in time: %v", ctx.Err())
		}
		var rl *discordgo.RateLimitError
		if !errors.As(err, &rl) {
			return err
		}
		wait := rl.RetryAfter
		if attempt >= a.cfg.MaxRetries || wait > a.cfg.MaxRetryWait {
			return bot.Errorf(bot.EUNAVAILABLE, "Discord rate limit on %s: gave up after %d tries (retry after %v)", rl.URL, attempt+1, wait)
		}
		a.log.Debug("rate limited", "url", rl.URL, "retry_after", wait)
		if err := a.cfg.Sleep(ctx, wait); err != nil {
			return bot.Errorf(bot.EUNAVAILABLE, "Discord rate limit: %v", err)
		}
	}
}

// Discord's JSON error codes warroom reads.
const (
	codeMissingAccess      = 50001
	codeMissingPermissions = 50013
	codeCannotDM           = 50007
	codeUnknownInteraction = 10062
	codeUnknownWebhook     = 10015
)

func restCode(err error) (status, code int) {
	var re *discordgo.RESTError
	if !errors.As(err, &re) {
		return 0, 0
	}
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	if re.Message != nil {
		code = re.Message.Code
	}
	return status, code
}

// platformErr turns a REST failure into a message for people. perm names
// the permission the call needs, in the words of Discord's settings.
func platformErr(err error, doing, perm string) error {
	if err == nil {
		return nil
	}
	var be *bot.Error
	if errors.As(err, &be) {
		return err
	}
	status, code := restCode(err)
	switch {
	case code == codeMissingPermissions || code == codeMissingAccess || (status == http.StatusForbidden && perm != ""):
		return bot.Errorf(bot.EUNAVAILABLE, "warroom lacks the %s permission in this server, so it could not %s; give warroom's role that permission (Server Settings → Roles)", perm, doing)
	case status != 0:
		msg := http.StatusText(status)
		var re *discordgo.RESTError
		if errors.As(err, &re) && re.Message != nil && re.Message.Message != "" {
			msg = re.Message.Message
		}
		return bot.Errorf(bot.EUNAVAILABLE, "Discord refused to %s: %s (HTTP %d, code %d)", doing, msg, status, code)
	}
	return bot.Errorf(bot.EUNAVAILABLE, "could not reach Discord to %s: %v", doing, err)
}

func missingPerms(err error) bool {
	_, code := restCode(err)
	return code == codeMissingPermissions || code == codeMissingAccess
}

var _ = fmt.Sprint
