// Package httpapi serves warroom's HTTP endpoints: health, and the JSON API
// over faults. Error codes of the core map to HTTP statuses here.
package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/warroom/warroom/bot"
)

// Server holds the HTTP handlers.
type Server struct {
	Store   bot.Store
	Catalog *bot.Catalog
	Log     *slog.Logger
	// Plans lists the contingency plans loaded now; nil serves none.
	Plans func() []*bot.Plan
	// Reload re-reads the plans directory (POST /api/plans/reload, what
	// `warroom plans reload` calls) and returns the problems found.
	Reload func(ctx context.Context) (loaded int, problems []string, err error)
	// Extra are more routes (pattern → handler), e.g. an adapter's webhooks.
	Extra map[string]http.Handler
	// Core runs the commands that change a fault (POST /api/incidents...),
	// under the same rules as chat; nil serves reads only.
	Core *bot.Bot
	// Tokens are the bearer tokens of api_tokens; each acts as its person.
	Tokens []bot.APIToken
	// Postmortem writes a fault's Markdown postmortem draft
	// (GET /incidents/{id}/postmortem.md); main sets it to report.Postmortem,
	// which builds on this package. nil answers 404.
	Postmortem func(w io.Writer, events []bot.Event) error
	// Private makes reads need a token too (a bearer header, or Session):
	// set when http listens on a non-loopback address (Loopback). Health and
	// Extra, which check their own signatures and tokens, stay open.
	Private bool
	// Session finds the web login's session of a request, so that a
	// logged-in browser can follow the pages' links into the API (a step's
	// whole output). Only reads take it: API writes always need the bearer
	// header, which a cross-site form cannot send.
	Session func(r *http.Request) (bot.APIToken, bool)
	// Role, when set, is this process's part in the election ("leader"
	// or "follower"), which /healthz shows after "ok".
	Role func() string
}

// Handler returns the routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /api/incidents", s.read(s.listIncidents))
	mux.HandleFunc("GET /api/incidents/{id}", s.read(s.getIncident))
	mux.HandleFunc("GET /api/incidents/{id}/runs/{run}/steps/{step}/output", s.read(s.getOutput))
	mux.HandleFunc("GET /api/plans", s.read(s.listPlans))
	mux.HandleFunc("POST /api/plans/reload", s.reloadPlans)
	mux.HandleFunc("GET /incidents/{id}/postmortem.md", s.read(s.postmortem))
	s.writeRoutes(mux)
	for pattern, h := range s.Extra {
		mux.Handle(pattern, h)
	}
	return mux
}

// Pinger is a store that can prove it can write now (store.DB,
// memstore.Store): a write that changes nothing.
type Pinger interface {
	Ping(ctx context.Context) error
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	// The store answering, and taking writes, is what "healthy" means:
	// without it no command is recorded.
	_, err := s.Store.Faults(r.Context(), bot.FaultFilter{Limit: 1})
	if p, ok := s.Store.(Pinger); ok && err == nil {
		err = p.Ping(r.Context())
	}
	if err != nil {
		if s.Log != nil {
			s.Log.Error("health check", "err", err)
		}
		s.json(w, http.StatusServiceUnavailable, map[string]string{"error": bot.ErrorMessage(err), "code": bot.EUNAVAILABLE})
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s.Role != nil {
		_, _ = w.Write([]byte("ok " + s.Role() + "\n"))
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

// FaultSummary is a fault in the list.
type FaultSummary struct {
	ID          int64      `json:"id"`
	Title       string     `json:"title"`
	Level       bot.Level  `json:"level"`
	Status      bot.Status `json:"status"`
	Service     string     `json:"service,omitempty"`
	Cause       string     `json:"cause,omitempty"`
	Kind        string     `json:"kind,omitempty"`
	Channel     string     `json:"channel,omitempty"`
	DeclaredBy  string     `json:"declared_by"`
	DeclaredAt  time.Time  `json:"declared_at"`
	MitigatedAt time.Time  `json:"mitigated_at,omitzero"`
	ResolvedAt  time.Time  `json:"resolved_at,omitzero"`
	Commander   string     `json:"commander,omitempty"`
	Handler     string     `json:"handler,omitempty"`
	Invited     int        `json:"invited"`
	CheckedIn   int        `json:"checked_in"`
}

func summarize(f *bot.Fault) FaultSummary {
	return FaultSummary{
		ID: f.ID, Title: f.Title, Level: f.Level, Status: f.Status, Service: f.Service, Cause: f.Cause, Kind: f.Kind,
		Channel: f.ChannelName, DeclaredBy: f.DeclaredBy, DeclaredAt: f.DeclaredAt, MitigatedAt: f.MitigatedAt,
		ResolvedAt: f.ResolvedAt, Commander: f.Commander, Handler: f.Handler, Invited: len(f.Participants), CheckedIn: f.CheckedIn(),
	}
}

// listIncidents serves GET /api/incidents[?status=open,mitigated][&limit=N].
func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request) {
	filter := bot.FaultFilter{Limit: 100}
	if v := r.URL.Query().Get("status"); v != "" {
		for _, st := range strings.Split(v, ",") {
			switch bot.Status(st) {
			case bot.StatusOpen, bot.StatusMitigated, bot.StatusResolved:
				filter.Status = append(filter.Status, bot.Status(st))
			default:
				s.error(w, r, bot.Errorf(bot.EINVALID, "status=%s: use open, mitigated or resolved (comma-separated)", st))
				return
			}
		}
	}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			s.error(w, r, bot.Errorf(bot.EINVALID, "limit=%s: use a number from 1 to 1000", v))
			return
		}
		filter.Limit = n
	}
	faults, err := s.Store.Faults(r.Context(), filter)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := make([]FaultSummary, len(faults))
	for i, f := range faults {
		out[i] = summarize(f)
	}
	s.json(w, http.StatusOK, map[string]any{"incidents": out})
}

// Incident is the whole of one fault.
type Incident struct {
	Fault        FaultSummary      `json:"fault"`
	Roles        Roles             `json:"roles"`
	Participants []bot.Participant `json:"participants"`
	Tasks        []bot.Task        `json:"tasks"`
	Runs         []bot.Run         `json:"runs"`
	Timeline     []TimelineEntry   `json:"timeline"`
	Metrics      bot.Metrics       `json:"metrics"`
}

// Roles are the role holders.
type Roles struct {
	Commander  string   `json:"commander,omitempty"`
	Handler    string   `json:"handler,omitempty"`
	Responders []string `json:"responders"`
}

// TimelineEntry is an event with its human description.
type TimelineEntry struct {
	bot.Event
	Description string `json:"description"`
}

// BuildIncident assembles the JSON view of a fault from its timeline. The
// export subcommand uses it too.
func BuildIncident(events []bot.Event) Incident {
	f := bot.Replay(events)
	inc := Incident{
		Fault:        summarize(f),
		Roles:        Roles{Commander: f.Commander, Handler: f.Handler, Responders: f.Responders},
		Participants: f.Participants,
		Tasks:        f.Tasks,
		Runs:         f.Runs,
		Metrics:      bot.ComputeMetrics(events),
	}
	if inc.Roles.Responders == nil {
		inc.Roles.Responders = []string{}
	}
	if inc.Participants == nil {
		inc.Participants = []bot.Participant{}
	}
	if inc.Tasks == nil {
		inc.Tasks = []bot.Task{}
	}
	if inc.Runs == nil {
		inc.Runs = []bot.Run{}
	}
	for _, e := range events {
		inc.Timeline = append(inc.Timeline, TimelineEntry{Event: e, Description: e.Describe()})
	}
	return inc
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.error(w, r, bot.Errorf(bot.EINVALID, "%q is not a fault id: use the number, as in /api/incidents/3", r.PathValue("id")))
		return
	}
	events, err := s.Store.Events(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.json(w, http.StatusOK, BuildIncident(events))
}

// getOutput serves a plan step's whole kept output as text.
func (s *Server) getOutput(w http.ResponseWriter, r *http.Request) {
	var nums [3]int64
	for i, k := range []string{"id", "run", "step"} {
		n, err := strconv.ParseInt(r.PathValue(k), 10, 64)
		if err != nil || n <= 0 {
			s.error(w, r, bot.Errorf(bot.EINVALID, "%s %q is not a number: use /api/incidents/<id>/runs/<run>/steps/<step>/output", k, r.PathValue(k)))
			return
		}
		nums[i] = n
	}
	outs, ok := s.Store.(bot.StepOutputs)
	if !ok {
		s.error(w, r, bot.Errorf(bot.ENOTFOUND, "this store keeps no step output"))
		return
	}
	out, err := outs.Output(r.Context(), nums[0], int(nums[1]), int(nums[2]))
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(out))
}

// listPlans serves GET /api/plans: every plan loaded, in full.
func (s *Server) listPlans(w http.ResponseWriter, r *http.Request) {
	plans := []*bot.Plan{}
	if s.Plans != nil {
		plans = append(plans, s.Plans()...)
	}
	s.json(w, http.StatusOK, map[string]any{"plans": plans})
}

// reloadPlans serves POST /api/plans/reload, what `warroom plans reload`
// calls. It takes an api_tokens token, as every write does: a remote
// address says nothing behind a reverse proxy on the same machine.
func (s *Server) reloadPlans(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r); !ok {
		return
	}
	if s.Reload == nil {
		s.error(w, r, bot.Errorf(bot.ENOTFOUND, "this warroom has no plans directory to reload"))
		return
	}
	n, problems, err := s.Reload(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	if problems == nil {
		problems = []string{}
	}
	s.json(w, http.StatusOK, map[string]any{"loaded": n, "problems": problems})
}

func (s *Server) json(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// statuses maps the core's error codes, and this layer's, to HTTP.
var statuses = map[string]int{
	bot.EINVALID:     http.StatusBadRequest,
	bot.ENOTFOUND:    http.StatusNotFound,
	bot.EFORBIDDEN:   http.StatusForbidden,
	bot.ECONFLICT:    http.StatusConflict,
	bot.EUNAVAILABLE: http.StatusServiceUnavailable,
	bot.EINTERNAL:    http.StatusInternalServerError,
	codeUnauthorized: http.StatusUnauthorized,
	codeTooLarge:     http.StatusRequestEntityTooLarge,
}

func (s *Server) error(w http.ResponseWriter, r *http.Request, err error) {
	code := bot.ErrorCode(err)
	if code == bot.EINTERNAL && s.Log != nil {
		s.Log.Error("http", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	status, ok := statuses[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	s.json(w, status, map[string]string{"error": bot.ErrorMessage(err), "code": code})
}
