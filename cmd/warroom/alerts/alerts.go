// Package alerts serves the alert hooks (PRODUCT.md, "Alerts"): POST
// /hooks/alertmanager (Alertmanager's webhook, version 4), /hooks/grafana
// (a Grafana contact point, version 1, HMAC-signed) and /hooks/generic (one
// alert as plain JSON). Each checks the bearer token (and Grafana's
// signature), reads the body leniently (unknown fields are ignored), maps
// the labels to levels, services and kinds as the config says, and hands the
// batch to the core, which keeps it before the hook answers 202: a 2xx means
// stored and to be acted on.
//
// Statuses: 400 malformed JSON, an unsupported version or an alert the core
// could not act on; 401 no or a wrong token, or a missing, wrong or stale
// signature; 413 a body over 1 MiB; 503 the store cannot keep it now
// (Alertmanager and Grafana retry). Each rejection is counted by source.
package alerts

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/warroom/warroom/bot"
)

// Sources: each hook's name, the actor of what its alerts do.
const (
	SourceAlertmanager = "alertmanager"
	SourceGrafana      = "grafana"
	SourceGeneric      = "generic"
)

// Sources lists them.
var Sources = []string{SourceAlertmanager, SourceGrafana, SourceGeneric}

// MaxBody is the most a hook's body may be; more is 413.
const MaxBody = 1 << 20

// MaxSkew is how far a signed Grafana timestamp may be from the clock,
// either way, before the request is refused as stale (a replay).
const MaxSkew = 5 * time.Minute

// Config is the alerts: section, as the hooks use it.
type Config struct {
	Token   string // bearer token of every hook; required
	Grafana Grafana
	// PerAlert makes each alert's fingerprint its key (group: alert);
	// otherwise the group's groupKey is (one fault per alert group).
	PerAlert bool
	Levels   Levels
	// The labels naming the affected service, the suspected cause ("" =
	// none) and the kind of fault.
	ServiceLabel, CauseLabel, KindLabel string
}

// Grafana is how /hooks/grafana checks Grafana's signature.
type Grafana struct {
	Secret string // "" = none is checked
	// Header holds the hex HMAC-SHA256; "" accepts either of the names
	// Grafana has used (DefaultSignatureHeaders).
	Header string
	// TimestampHeader holds the signed unix time; with TimestampRequired a
	// request without it is refused, else one without it is signed over
	// the body alone.
	TimestampHeader   string
	TimestampRequired bool
}

// DefaultSignatureHeaders are the names Grafana's signature comes in: the
// docs' and the UI's, and its code's default.
var DefaultSignatureHeaders = []string{"X-Grafana-Alerting-Signature", "X-Grafana-Alert-Signature"}

// Levels maps a label's values to levels.
type Levels struct {
	Label   string
	Map     map[string]bot.Level
	Default bot.Level
}

// Core is what the hooks need of the core (*bot.Bot).
type Core interface {
	// TakeAlerts keeps a batch and has it acted on; EUNAVAILABLE when the
	// store cannot keep it, EINVALID when it cannot be acted on.
	TakeAlerts(ctx context.Context, batch bot.AlertBatch) error
	// AlertCounts is what each source's alerts did.
	AlertCounts() map[string]bot.AlertCount
}

// Hooks serves the alert hooks.
type Hooks struct {
	cfg   Config
	core  Core
	clock bot.Clock
	log   *slog.Logger
	token [sha256.Size]byte

	mu     sync.Mutex
	counts map[string]*Counts
}

// Counts are one source's hook figures since the process started, for the
// metrics endpoint to export.
type Counts struct {
	Requests int64 `json:"requests"` // deliveries taken (2xx)
	Received int64 `json:"received"` // alerts in them
	// Deduplicated are the alerts that found their key's fault open (from
	// the core, once acted on); Declared the faults they opened.
	Deduplicated int64 `json:"deduplicated"`
	Declared     int64 `json:"declared"`
	// Rejected are deliveries refused, by HTTP status.
	Rejected map[int]int64 `json:"rejected"`
}

// New returns the hooks. The token must not be empty.
func New(cfg Config, core Core, clock bot.Clock, log *slog.Logger) (*Hooks, error) {
	if cfg.Token == "" {
		return nil, errors.New("alerts: no token: every hook needs alerts.token")
	}
	if clock == nil {
		clock = bot.SystemClock{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Levels.Default == "" {
		cfg.Levels.Default = bot.P3
	}
	return &Hooks{cfg: cfg, core: core, clock: clock, log: log, token: sha256.Sum256([]byte(cfg.Token)), counts: map[string]*Counts{}}, nil
}

// Routes are the hooks, pattern → handler, to mount on the HTTP server.
func (h *Hooks) Routes() map[string]http.Handler {
	return map[string]http.Handler{
		"POST /hooks/alertmanager": h.hook(SourceAlertmanager, h.alertmanager),
		"POST /hooks/grafana":      h.hook(SourceGrafana, h.grafana),
		"POST /hooks/generic":      h.hook(SourceGeneric, h.generic),
	}
}

// OffRoutes answer every hook when alerts: is not configured: 404, saying
// how to turn them on.
func OffRoutes() map[string]http.Handler {
	off := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "the alert hooks are off: add an alerts: section with a token to warroom's config (README, Alerts)")
	})
	out := map[string]http.Handler{}
	for _, s := range Sources {
		out["POST /hooks/"+s] = off
	}
	return out
}

// Counts returns each source's figures.
func (h *Hooks) Counts() map[string]Counts {
	core := h.core.AlertCounts()
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]Counts{}
	for _, s := range Sources {
		c := Counts{Rejected: map[int]int64{}}
		if hc := h.counts[s]; hc != nil {
			c.Requests, c.Received = hc.Requests, hc.Received
			for k, v := range hc.Rejected {
				c.Rejected[k] = v
			}
		}
		c.Deduplicated, c.Declared = core[s].Deduplicated, core[s].Declared
		out[s] = c
	}
	return out
}

func (h *Hooks) count(source string, fn func(c *Counts)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.counts[source]
	if c == nil {
		c = &Counts{Rejected: map[int]int64{}}
		h.counts[source] = c
	}
	fn(c)
}

// parseFunc reads a hook's body into the batch the core takes.
type parseFunc func(r *http.Request, body []byte) (bot.AlertBatch, error)

// problem is a refusal: its status and one line for the sender.
type problem struct {
	status int
	code   string
	msg    string
}

func (p *problem) Error() string { return p.msg }

func refuse(status int, format string, args ...any) *problem {
	code := map[int]string{
		http.StatusBadRequest: bot.EINVALID, http.StatusUnauthorized: "unauthorized",
		http.StatusRequestEntityTooLarge: "too_large", http.StatusServiceUnavailable: bot.EUNAVAILABLE,
	}[status]
	return &problem{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

func (h *Hooks) hook(source string, parse parseFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := h.serve(w, r, source, parse)
		if err == nil {
			h.count(source, func(c *Counts) { c.Requests++; c.Received += int64(n) })
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusAccepted)
			_ = json.NewEncoder(w).Encode(map[string]any{"status": "accepted", "alerts": n})
			return
		}
		var p *problem
		if !errors.As(err, &p) {
			p = refuse(http.StatusServiceUnavailable, "the alerts could not be taken now; send them again")
		}
		h.count(source, func(c *Counts) { c.Rejected[p.status]++ })
		level := slog.LevelWarn
		if p.status == http.StatusServiceUnavailable {
			level = slog.LevelError
		}
		h.log.Log(r.Context(), level, "alert hook refused", "source", source, "status", p.status, "reason", p.msg, "remote", r.RemoteAddr)
		if p.status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", "Bearer")
		}
		if p.status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "5")
		}
		writeError(w, p.status, p.code, p.msg)
	})
}

// serve checks, reads and takes one delivery, and returns its alert count.
func (h *Hooks) serve(w http.ResponseWriter, r *http.Request, source string, parse parseFunc) (int, error) {
	if err := h.checkToken(r); err != nil {
		return 0, err
	}
	if r.ContentLength > MaxBody {
		return 0, refuse(http.StatusRequestEntityTooLarge, "the body is %d bytes; a hook takes at most 1 MiB (Alertmanager: lower max_alerts)", r.ContentLength)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return 0, refuse(http.StatusRequestEntityTooLarge, "the body is over 1 MiB; a hook takes at most that (Alertmanager: lower max_alerts)")
	case err != nil:
		return 0, refuse(http.StatusBadRequest, "the body could not be read: %v", err)
	}
	if source == SourceGrafana {
		if err := h.checkSignature(r, body); err != nil {
			return 0, err
		}
	}
	batch, err := parse(r, body)
	if err != nil {
		return 0, err
	}
	if len(batch.Alerts) == 0 {
		return 0, nil // nothing to keep
	}
	switch err := h.core.TakeAlerts(r.Context(), batch); bot.ErrorCode(err) {
	case "":
		return len(batch.Alerts), nil
	case bot.EINVALID:
		return 0, refuse(http.StatusBadRequest, "%s", bot.ErrorMessage(err))
	default:
		return 0, refuse(http.StatusServiceUnavailable, "%s", bot.ErrorMessage(err))
	}
}

// checkToken compares the bearer token in constant time (on SHA-256 sums,
// so the token's length does not show either).
func (h *Hooks) checkToken(r *http.Request) error {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return refuse(http.StatusUnauthorized, "this hook needs alerts.token: send Authorization: Bearer <token> (Alertmanager: http_config.authorization; Grafana: the contact point's Authorization header)")
	}
	got := sha256.Sum256([]byte(tok))
	if subtle.ConstantTimeCompare(got[:], h.token[:]) != 1 {
		return refuse(http.StatusUnauthorized, "that token is not alerts.token in warroom's config")
	}
	return nil
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(map[string]string{"error": msg, "code": code})
}
