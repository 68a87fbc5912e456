package pager

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/warroom/warroom/bot"
)

// The webhook's headers.
const (
	SignatureHeader = "X-Warroom-Signature"
	TimestampHeader = "X-Warroom-Timestamp"
)

// Webhook events.
const (
	EventPage   = "page"   // a person is paged
	EventNotify = "notify" // a stakeholder notification to a +phone recipient
	EventOpened = "opened" // a fault was declared
	EventClosed = "closed" // a fault was resolved
)

// WebhookConfig is a webhook's settings.
type WebhookConfig struct {
	URL    string // where the events are POSTed
	Secret string // the HMAC key of the signature
}

// Webhook POSTs each event as signed JSON to a URL of the operator's:
//
//	{"event": "page", "fault": 3, "level": "P1",
//	 "person": {"id": "alice", "name": "Alice Chen", "email": "alice@example.com", "phone": "+15550100"},
//	 "text": "...", "dedup": "warroom-fault-3", "at": "2026-03-02T09:00:00Z"}
//
// event is page, notify, opened or closed; person is left out of opened and
// closed. Two headers let the receiver check it came from warroom:
//
//	X-Warroom-Timestamp: 1772442000                (Unix seconds, from the clock)
//	X-Warroom-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>", keyed with the secret>
//
// To verify (Verify does it): recompute the HMAC over the timestamp header,
// a full stop and the raw body bytes; compare in constant time; reject a
// timestamp more than a few minutes from your clock, so that a captured
// request cannot be replayed later. A retry sends the same bytes, timestamp
// and signature, so the signature also identifies a delivery for receivers
// that drop duplicates. Any 2xx is success.
type Webhook struct {
	cfg  WebhookConfig
	opts Options
}

var (
	_ Provider         = (*Webhook)(nil)
	_ bot.FaultTracker = (*Webhook)(nil)
)

// NewWebhook returns a webhook provider.
func NewWebhook(cfg WebhookConfig, opts Options) (*Webhook, error) {
	switch {
	case cfg.URL == "":
		return nil, errors.New("webhook: no URL")
	case cfg.Secret == "":
		return nil, errors.New("webhook: no secret")
	}
	return &Webhook{cfg: cfg, opts: opts.withDefaults()}, nil
}

// Name is "webhook".
func (w *Webhook) Name() string { return "webhook" }

// CanPage takes every page.
func (w *Webhook) CanPage(bot.Page) error { return nil }

// Page posts a page or notify event.
func (w *Webhook) Page(ctx context.Context, p bot.Page) error {
	ev := EventPage
	if p.Notify {
		ev = EventNotify
	}
	return w.post(ctx, ev, p)
}

// Opened posts an opened event.
func (w *Webhook) Opened(ctx context.Context, p bot.Page) error {
	return w.post(ctx, EventOpened, p)
}

// Closed posts a closed event.
func (w *Webhook) Closed(ctx context.Context, p bot.Page) error {
	return w.post(ctx, EventClosed, p)
}

// WebhookEvent is the JSON body of a webhook request.
type WebhookEvent struct {
	Event  string         `json:"event"`
	Fault  int64          `json:"fault"`
	Level  bot.Level      `json:"level"`
	Person *WebhookPerson `json:"person,omitempty"`
	Text   string         `json:"text"`
	Dedup  string         `json:"dedup"`
	At     time.Time      `json:"at"`
}

// WebhookPerson is the person a page is for.
type WebhookPerson struct {
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

func (w *Webhook) post(ctx context.Context, event string, p bot.Page) error {
	now := w.opts.Clock.Now()
	ev := WebhookEvent{Event: event, Fault: p.FaultID, Level: p.Level, Text: p.Text, Dedup: dedup(p), At: now.UTC()}
	if event == EventPage || event == EventNotify {
		ev.Person = &WebhookPerson{ID: p.Person.ID, Name: p.Person.Name, Email: p.Person.Email, Phone: p.Person.Phone}
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "warroom")
	h.Set(TimestampHeader, ts)
	h.Set(SignatureHeader, Sign(w.cfg.Secret, ts, body))
	ctx, cancel := w.opts.bound(ctx)
	defer cancel()
	if err := w.opts.send(ctx, request{
		provider: "webhook",
		what:     event,
		method:   http.MethodPost,
		url:      w.cfg.URL,
		body:     body,
		header:   h,
	}); err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	return nil
}

// Sign returns the X-Warroom-Signature of a body sent with the timestamp
// header ts: "sha256=" and the hex HMAC-SHA256 of ts + "." + body.
func Sign(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a webhook request as a receiver should: the signature
// header against the timestamp header and the raw body, and the timestamp
// within tolerance of now.
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	ts := h.Get(TimestampHeader)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%s %q is not Unix seconds", TimestampHeader, ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%s is %s away from now, more than %s", TimestampHeader, d.Abs().Round(time.Second), tolerance)
	}
	got := h.Get(SignatureHeader)
	if !strings.HasPrefix(got, "sha256=") {
		return fmt.Errorf("%s is not sha256=<hex>", SignatureHeader)
	}
	if !hmac.Equal([]byte(got), []byte(Sign(secret, ts, body))) {
		return fmt.Errorf("%s does not match the body", SignatureHeader)
	}
	return nil
}
