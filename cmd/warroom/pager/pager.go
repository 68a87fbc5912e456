// Package pager puts real paging services behind the core's bot.Notifier
// port: Twilio (SMS and voice calls), PagerDuty (Events API v2) and a signed
// generic webhook, and a Fanout that sends each page to every provider that
// can take it.
//
// Who takes what:
//
//   - Twilio texts the person's phone; a real page (Page.Notify false) also
//     calls it when voice is on. A stakeholder notification (Notify true) is
//     a text only. A person without a phone cannot be paged by Twilio.
//   - PagerDuty follows the fault, not the person: PagerDuty itself decides
//     whom to wake (its service's escalation policy). Every event about a
//     fault carries the same dedup_key (Page.Dedup), so a fault is one
//     PagerDuty alert: Opened triggers it, each person page is one more
//     trigger on it (a log entry naming the person warroom is after; it
//     opens the alert if the fault reached a paged level only later), and
//     Closed resolves it. Triggers go only for the configured levels
//     (default P1 and P2); a resolve always goes, so a fault re-graded below
//     them before its end does not leave an alert open. Stakeholder
//     notifications never go to PagerDuty.
//   - The webhook takes everything: pages, notifications, and the fault
//     opening and closing, each signed (see Sign).
//
// Each request is retried on network errors, 429 and 5xx with exponential
// backoff (Options.Retry), honouring Retry-After; other answers are final.
// A retried request may be delivered twice (a Twilio text sent twice, say):
// for a page, twice is better than never.
//
// Times come from the injected Options.Clock; waits from Options.Sleep.
package pager

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"

	"github.com/warroom/warroom/bot"
)

// Provider is one paging service.
type Provider interface {
	bot.Notifier
	// Name names the provider in errors and logs ("twilio").
	Name() string
	// CanPage says why the provider cannot take p, or nil when it can. The
	// Fanout skips a provider that cannot take a page rather than failing.
	CanPage(p bot.Page) error
}

var (
	_ bot.Notifier     = (*Fanout)(nil)
	_ bot.FaultTracker = (*Fanout)(nil)
)

// Fanout is a bot.Notifier (and bot.FaultTracker) that sends each page to
// every provider that can take it, at the same time. One provider failing
// does not stop the others.
type Fanout struct {
	providers []Provider
	log       *slog.Logger
	obs       Observer
}

// Observer hears what became of each page at each provider, for the
// metrics endpoint. It must be safe for concurrent use.
type Observer interface {
	// Paged is one provider's outcome (Sent, Failed, Skipped) for one
	// page of kind (KindPage, KindNotify, KindOpened, KindClosed).
	Paged(provider, kind, outcome string)
}

// What an Observer hears.
const (
	KindPage   = "page"   // a person paged
	KindNotify = "notify" // a stakeholder's text (Page.Notify)
	KindOpened = "opened" // a fault declared, to the providers that follow faults
	KindClosed = "closed" // and resolved

	Sent    = "sent"
	Failed  = "failed"
	Skipped = "skipped" // the provider cannot take it (CanPage)
)

// Observe sets who hears each provider's outcomes; call it before the
// first page.
func (f *Fanout) Observe(o Observer) { f.obs = o }

func (f *Fanout) observe(provider, kind, outcome string) {
	if f.obs != nil {
		f.obs.Paged(provider, kind, outcome)
	}
}

// New returns a Fanout over providers. log may be nil.
func New(log *slog.Logger, providers ...Provider) *Fanout {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Fanout{providers: providers, log: log}
}

// Providers names the providers, in order.
func (f *Fanout) Providers() []string {
	out := make([]string, len(f.providers))
	for i, p := range f.providers {
		out[i] = p.Name()
	}
	return out
}

// Page sends p to every provider that can take it. It fails when any of
// them failed (the *Error names each, and who did take it), or when none
// could take it (saying why not).
func (f *Fanout) Page(ctx context.Context, p bot.Page) error {
	var takers []Provider
	var why []ProviderError
	kind := KindPage
	if p.Notify {
		kind = KindNotify
	}
	for _, pr := range f.providers {
		if err := pr.CanPage(p); err != nil {
			why = append(why, ProviderError{Provider: pr.Name(), Err: err})
			f.observe(pr.Name(), kind, Skipped)
			continue
		}
		takers = append(takers, pr)
	}
	if len(takers) == 0 {
		if len(why) == 0 {
			return errors.New("no pager is configured")
		}
		return &Error{Failed: why}
	}
	return f.each(ctx, kind, p, takers, func(ctx context.Context, pr Provider) error { return pr.Page(ctx, p) })
}

// Opened tells the providers that follow faults (PagerDuty, the webhook)
// that a fault was declared. With none it does nothing.
func (f *Fanout) Opened(ctx context.Context, p bot.Page) error {
	return f.each(ctx, KindOpened, p, f.trackers(), func(ctx context.Context, pr Provider) error {
		return pr.(bot.FaultTracker).Opened(ctx, p)
	})
}

// Closed tells the providers that follow faults that a fault was resolved.
func (f *Fanout) Closed(ctx context.Context, p bot.Page) error {
	return f.each(ctx, KindClosed, p, f.trackers(), func(ctx context.Context, pr Provider) error {
		return pr.(bot.FaultTracker).Closed(ctx, p)
	})
}

func (f *Fanout) trackers() []Provider {
	var out []Provider
	for _, pr := range f.providers {
		if _, ok := pr.(bot.FaultTracker); ok {
			out = append(out, pr)
		}
	}
	return out
}

// each calls fn for every provider at once and gathers the failures.
func (f *Fanout) each(ctx context.Context, what string, p bot.Page, prs []Provider, fn func(context.Context, Provider) error) error {
	errs := make([]error, len(prs))
	if len(prs) == 1 {
		errs[0] = fn(ctx, prs[0])
	} else {
		var wg sync.WaitGroup
		for i, pr := range prs {
			wg.Go(func() { errs[i] = fn(ctx, pr) })
		}
		wg.Wait()
	}
	var e Error
	for i, pr := range prs {
		if errs[i] != nil {
			f.log.Warn("paging: provider failed", "provider", pr.Name(), "event", what, "fault", p.FaultID, "person", p.Person.ID, "err", errs[i])
			e.Failed = append(e.Failed, ProviderError{Provider: pr.Name(), Err: errs[i]})
			f.observe(pr.Name(), what, Failed)
		} else {
			e.Sent = append(e.Sent, pr.Name())
			f.observe(pr.Name(), what, Sent)
		}
	}
	if len(e.Failed) == 0 {
		return nil
	}
	return &e
}

// Error is what a Fanout returns when a page did not go everywhere.
type Error struct {
	// Failed has each provider that failed, or, when no provider could
	// take the page, why each could not; in the order they were given.
	Failed []ProviderError
	// Sent names the providers that did take it.
	Sent []string
}

// Error is one line: each failure, then who took it.
// "twilio: SMS to +15550100: HTTP 400 Bad Request: ...; pagerduty: ... (sent by webhook)"
func (e *Error) Error() string {
	parts := make([]string, len(e.Failed))
	for i, f := range e.Failed {
		parts[i] = f.Error()
	}
	s := strings.Join(parts, "; ")
	if len(e.Sent) > 0 {
		s += " (sent by " + strings.Join(e.Sent, ", ") + ")"
	}
	return s
}

// Unwrap returns the providers' errors.
func (e *Error) Unwrap() []error {
	out := make([]error, len(e.Failed))
	for i, f := range e.Failed {
		out[i] = f.Err
	}
	return out
}

// ProviderError is one provider's failure.
type ProviderError struct {
	Provider string
	Err      error
}

// Error is the provider's error, prefixed with its name unless it is already.
func (e ProviderError) Error() string {
	msg := e.Err.Error()
	if strings.HasPrefix(msg, e.Provider+": ") {
		return msg
	}
	return e.Provider + ": " + msg
}

func (e ProviderError) Unwrap() error { return e.Err }
