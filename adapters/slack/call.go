package slack

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"
)

// do makes one Web API call with the bot token, waiting out 429s (see
// retry). A rejected bot token stops the adapter.
func (a *Adapter) do(ctx context.Context, method string, call func(context.Context) error) error {
	err := a.retry(ctx, method, call)
	if code := errCode(err); err != nil && isAuthCode(code) {
		a.fail(&AuthError{Key: "slack.bot_token", Code: code})
	}
	return err
}

// retry makes one Web API call, waiting out 429s for as long as Slack's
// Retry-After asks (through Options.Sleep), at most MaxRetries times and
// never beyond ctx.
func (a *Adapter) retry(ctx context.Context, method string, call func(context.Context) error) error {
	for attempt := 0; ; attempt++ {
		err := call(ctx)
		if err == nil {
			return nil
		}
		var rl *slack.RateLimitedError
		if errors.As(err, &rl) && attempt < a.opts.MaxRetries {
			wait := max(rl.RetryAfter, time.Second) // 0 or missing: don't spin
			a.log.Debug("slack: rate limited", "method", method, "retry_after", wait, "attempt", attempt+1)
			if serr := a.opts.Sleep(ctx, wait); serr != nil {
				return fmt.Errorf("%s: %w (gave up waiting: %w)", method, err, serr)
			}
			continue
		}
		return fmt.Errorf("%s: %w", method, err)
	}
}

// errCode is Slack's error code ("name_taken") of an API error, or the
// error's text.
func errCode(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

func isAuthCode(code string) bool {
	switch code {
	case "invalid_auth", "token_revoked", "not_authed", "account_inactive", "token_expired":
		return true
	}
	return false
}
