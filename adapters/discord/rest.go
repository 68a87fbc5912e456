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

	"github.com/warroom/warroom/adapters"
	"github.com/warroom/warroom/bot"
)

// apiBase reads api_url: the scheme, host and path prefix that discordgo's
// requests, built on https://discord.com/api/v9/..., are sent under instead.
// The path may stop at the host (http://proxy:8080), or go on to /api or
// /api/vN as Discord's docs write the base URL (http://proxy:8080/api/v10);
// anything before that is a proxy's own prefix and is kept
// (http://gw/discord/api/v10 → http://gw/discord/api/v9/...).
//
// The version is always discordgo's (APIVersion, 9 in v0.29.0), whatever
// api_url names: the gateway is opened with ?v=9 and the JSON is decoded as
// v9, so sending REST calls as another version would make one client speak
// two. A REST proxy (nirn-proxy) or Discord itself serves every version
// under one base, so the version in api_url only marks where the base ends.
// stated is the version api_url named ("" if none), for a log line.
func apiBase(apiURL string) (base *url.URL, stated string, err error) {
	u, err := url.Parse(apiURL)
	switch {
	case err != nil:
		return nil, "", fmt.Errorf("discord.api_url: %q is not a URL: %v", apiURL, err)
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return nil, "", fmt.Errorf("discord.api_url: %q is not an http(s) URL with a host, such as http://proxy:8080", apiURL)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, "", fmt.Errorf("discord.api_url: %q has a query or fragment; give the base URL only, such as http://proxy:8080 or http://proxy:8080/api/v10", apiURL)
	case u.User != nil:
		return nil, "", fmt.Errorf("discord.api_url: %q has a user name or password, which Discord's REST API does not take; give the base URL only", apiURL)
	}
	prefix, stated, ok := splitAPIPath(u.Path)
	if !ok {
		return nil, "", fmt.Errorf("discord.api_url: %q: the path should end at /api or /api/vN (the base URL, such as http://proxy:8080/api/v10), not go past it", apiURL)
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host, Path: prefix}, stated, nil
}

// splitAPIPath splits api_url's path into the prefix before a final /api or
// /api/vN (slashes trimmed) and N. ok is false when an "api" segment
// followed by a "v..." one is left in the prefix: an endpoint's path
// (/api/v10/users/@me) or a misspelt version (/api/vten), which would be
// doubled under discordgo's own /api/v9.
func splitAPIPath(p string) (prefix, version string, ok bool) {
	segs := strings.FieldsFunc(p, func(r rune) bool { return r == '/' })
	if n := len(segs); n >= 2 && segs[n-2] == "api" && isVersion(segs[n-1]) {
		version, segs = segs[n-1][1:], segs[:n-2]
	} else if n >= 1 && segs[n-1] == "api" {
		segs = segs[:n-1]
	}
	for i := 0; i+1 < len(segs); i++ {
		if segs[i] == "api" && strings.HasPrefix(segs[i+1], "v") {
			return "", "", false
		}
	}
	if len(segs) == 0 {
		return "", version, true
	}
	return "/" + strings.Join(segs, "/"), version, true
}

func isVersion(s string) bool {
	d, ok := strings.CutPrefix(s, "v")
	return ok && d != "" && strings.Trim(d, "0123456789") == ""
}

// discordHost is the host discordgo's REST endpoints are built on.
var discordHost = func() string {
	u, err := url.Parse(discordgo.EndpointAPI)
	if err != nil {
		return "discord.com"
	}
	return u.Host
}()

// rewrite sends discordgo's REST requests, bound for https://discord.com/api/,
// to base (a REST proxy, a test server). It belongs to one session's
// http.Client, so two adapters with different api_urls in one process do
// not meet; discordgo's Endpoint* globals are never changed. Requests for
// other hosts (the CDN) are left alone.
type rewrite struct {
	base *url.URL
	next http.RoundTripper
}

func (t rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != discordHost || !strings.HasPrefix(r.URL.Path, "/api/") {
		return t.next.RoundTrip(r)
	}
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host = t.base.Scheme, t.base.Host
	if t.base.Path != "" {
		if r.URL.RawPath != "" {
			r.URL.RawPath = t.base.EscapedPath() + r.URL.RawPath
		}
		r.URL.Path = t.base.Path + r.URL.Path
	}
	r.Host = t.base.Host
	return t.next.RoundTrip(r)
}

// client is the session's http.Client: base (or the adapter's own, with
// a keep-alive pool sized for bursts and a 20 s timeout) with its
// transport wrapped to reach apiURL ("" = discord.com).
func client(base *http.Client, apiURL string) (c *http.Client, stated string, err error) {
	c = adapters.NewHTTPClient(20 * time.Second)
	if base != nil {
		cp := *base
		c = &cp
	}
	if apiURL == "" {
		return c, "", nil
	}
	u, stated, err := apiBase(apiURL)
	if err != nil {
		return nil, "", err
	}
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	c.Transport = rewrite{base: u, next: next}
	return c, stated, nil
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
