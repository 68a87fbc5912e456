package pager

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/warroom/warroom/bot"
)

// Options are what every provider shares: how it talks HTTP, what time it
// is, how it waits between tries and how often it tries.
type Options struct {
	// Client sends the requests. nil: a client with a 10s timeout per
	// request that does not follow redirects (a redirected POST would
	// arrive as a GET without its body; a 3xx is reported instead).
	Client *http.Client
	// Clock is the only source of now: webhook times and signatures, and
	// PagerDuty timestamps, and Retry-After dates. nil: bot.SystemClock.
	Clock bot.Clock
	// Sleep waits d or until ctx is done, returning ctx's error then.
	// Tests inject one that returns at once. nil: a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Retry is how each request is retried.
	Retry Retry
	// Log receives a line per retry. nil: discarded.
	Log *slog.Logger
}

// Retry says how a request is retried. It is retried on network errors, 429
// and 5xx; any other answer is final. The waits double from Backoff, or are
// what the server's Retry-After asks when that is longer.
type Retry struct {
	Tries   int           // attempts in all; default 3
	Backoff time.Duration // the first wait, doubling after; default 1s
	// MaxWait bounds the time spent waiting between the tries of one
	// request; a Retry-After that would go beyond it ends the tries at
	// once. Default 10s.
	MaxWait time.Duration
	// Total bounds one provider call (all its requests, tries and waits)
	// in wall-clock time, on top of the caller's ctx. Default 30s.
	Total time.Duration
}

// Defaults.
const (
	DefaultTries          = 3
	DefaultBackoff        = time.Second
	DefaultMaxWait        = 10 * time.Second
	DefaultTotal          = 30 * time.Second
	DefaultRequestTimeout = 10 * time.Second
)

// maxBody caps how much of a response is read.
const maxBody = 64 << 10

func (o Options) withDefaults() Options {
	if o.Client == nil {
		o.Client = &http.Client{
			Timeout:       DefaultRequestTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if o.Clock == nil {
		o.Clock = bot.SystemClock{}
	}
	if o.Sleep == nil {
		o.Sleep = bot.Sleep
	}
	if o.Retry.Tries <= 0 {
		o.Retry.Tries = DefaultTries
	}
	if o.Retry.Backoff <= 0 {
		o.Retry.Backoff = DefaultBackoff
	}
	if o.Retry.MaxWait <= 0 {
		o.Retry.MaxWait = DefaultMaxWait
	}
	if o.Retry.Total <= 0 {
		o.Retry.Total = DefaultTotal
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// bound limits one provider call to Retry.Total.
func (o Options) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, o.Retry.Total)
}

// request is one HTTP request a provider makes, sent again on each try.
type request struct {
	provider string // "twilio": names the retries in the log
	what     string // "SMS to +15550100": prefixes the error ("" for none)
	method   string
	url      string
	body     []byte
	header   http.Header
	// describe turns an unsuccessful answer into a message: the provider's
	// own error text, and a hint. nil: the start of the body.
	describe func(status int, body []byte) string
}

// send sends r, retrying as Options.Retry says, and returns nil on a 2xx.
// Errors are one line and never contain the URL (it may hold a token).
func (o Options) send(ctx context.Context, r request) error {
	var (
		last   string // why the last try failed
		waited time.Duration
		tries  int
	)
	fail := func(format string, args ...any) error {
		msg := fmt.Sprintf(format, args...)
		if r.what != "" {
			msg = r.what + ": " + msg
		}
		return errors.New(oneLine(msg))
	}
	for tries = 1; ; tries++ {
		status, retryAfter, msg, err := o.try(ctx, r)
		switch {
		case err == nil && status/100 == 2:
			return nil
		case err != nil && ctx.Err() != nil:
			return fail("%v after %s%s", ctx.Err(), plural(tries, "try", "tries"), lastPart(last))
		case err != nil:
			last = "network error: " + err.Error()
		case status == http.StatusTooManyRequests || status/100 == 5:
			last = msg
		default:
			return fail("%s", msg) // any other answer is final
		}
		if tries >= o.Retry.Tries {
			return fail("%s (%s)", last, plural(tries, "try", "tries"))
		}
		wait := o.Retry.Backoff << (tries - 1)
		if retryAfter > wait {
			wait = retryAfter
		}
		if waited+wait > o.Retry.MaxWait {
			if retryAfter > 0 {
				return fail("%s; Retry-After %s is beyond the retry budget of %s (%s)", last, retryAfter, o.Retry.MaxWait, plural(tries, "try", "tries"))
			}
			return fail("%s (%s, retry budget of %s spent)", last, plural(tries, "try", "tries"), o.Retry.MaxWait)
		}
		o.Log.Info("paging: retrying", "provider", r.provider, "request", r.what, "try", tries, "wait", wait, "reason", last)
		if err := o.Sleep(ctx, wait); err != nil {
			return fail("%v after %s%s", err, plural(tries, "try", "tries"), lastPart(last))
		}
		waited += wait
	}
}

// try makes one attempt. err is a network error (the URL left out); msg
// describes a non-2xx answer.
func (o Options) try(ctx context.Context, r request) (status int, retryAfter time.Duration, msg string, err error) {
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, bytes.NewReader(r.body))
	if err != nil {
		return 0, 0, "", bareError(err)
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	resp, err := o.Client.Do(req)
	if err != nil {
		return 0, 0, "", bareError(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody)) // let the connection be reused
	if resp.StatusCode/100 == 2 {
		return resp.StatusCode, 0, "", nil
	}
	msg = "HTTP " + statusText(resp.StatusCode)
	var detail string
	if r.describe != nil {
		detail = r.describe(resp.StatusCode, body)
	} else {
		detail = snippet(body)
	}
	if resp.StatusCode/100 == 3 {
		detail = "redirects are not followed; configure the URL it redirects to"
	}
	if detail != "" {
		msg += ": " + detail
	}
	return resp.StatusCode, o.retryAfter(resp.Header.Get("Retry-After")), msg, nil
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date measured
// against the clock.
func (o Options) retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(min(n, 86400)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(o.Clock.Now()); d > 0 {
			return d
		}
	}
	return 0
}

// bareError drops the method and URL that net/http puts in its errors: a
// webhook URL may carry a token, and they make the line long.
func bareError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return strconv.Itoa(code) + " " + t
	}
	return strconv.Itoa(code)
}

// snippet is the start of a response body, on one line.
func snippet(body []byte) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:197]) + "..."
	}
	return s
}

func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

func lastPart(last string) string {
	if last == "" {
		return ""
	}
	return " (last: " + last + ")"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// truncate shortens s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func basicAuth(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

// who names a person in a message.
func who(p bot.Person) string {
	switch {
	case p.ID != "":
		return p.ID
	case p.Name != "":
		return p.Name
	}
	return "the person"
}
