package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/adapters/memory"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/httpapi"
	"github.com/warroom/warroom/store/memstore"
)

// t0 is a Wednesday; the rota below starts on the Monday before it, so dee
// is on duty.
var t0 = time.Date(2026, 4, 8, 14, 0, 0, 0, time.UTC)

// testCatalog is bot_test's: ledger's contacts are ana and ben (ben its
// stability contact), queue's cy, reports' fay; dee then eli on duty.
func testCatalog() *bot.Catalog {
	return &bot.Catalog{
		People: map[string]bot.Person{
			"ana": {ID: "ana", Name: "Ana"}, "ben": {ID: "ben"}, "cy": {ID: "cy"}, "dee": {ID: "dee"},
			"eli": {ID: "eli"}, "fay": {ID: "fay"}, "gus": {ID: "gus", Email: "Gus@Corp.test"},
		},
		Services: map[string]bot.Service{
			"ledger":  {Name: "ledger", Contacts: []string{"ana", "ben"}, Stability: "ben"},
			"queue":   {Name: "queue", Contacts: []string{"cy"}, Stability: "cy"},
			"reports": {Name: "reports", Contacts: []string{"fay"}},
		},
		Duty: bot.Duty{Rotation: bot.Weekly, Start: time.Date(2026, 4, 6, 9, 0, 0, 0, time.UTC), People: []string{"dee", "eli"}},
		Levels: map[bot.Level]bot.LevelPolicy{
			bot.P1: {Commander: "duty", CheckinWithin: 5 * time.Minute},
			bot.P2: {Commander: "duty", CheckinWithin: 10 * time.Minute},
			bot.P3: {Commander: "stability", CheckinWithin: 30 * time.Minute},
			bot.P4: {Commander: "stability", CheckinWithin: 2 * time.Hour},
		},
	}
}

// people each have a token: "tok-<id>-…".
var people = []string{"ana", "ben", "cy", "dee", "eli", "fay", "gus"}

func token(person string) string { return "tok-" + person + "-9f2c41d07be3" }

// okRunner runs every step successfully, and counts them; after Hold, a
// step waits until the returned release is called.
type okRunner struct {
	mu    sync.Mutex
	calls int
	hold  chan struct{}
}

func (o *okRunner) Run(ctx context.Context, _ bot.StepRequest, _ func(string)) bot.StepResult {
	o.mu.Lock()
	o.calls++
	hold := o.hold
	o.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
		}
	}
	return bot.StepResult{Status: bot.StepOK}
}

// Hold makes steps wait until release.
func (o *okRunner) Hold() (release func()) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.hold = make(chan struct{})
	return sync.OnceFunc(func() { close(o.hold) })
}

func (o *okRunner) Calls() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.calls
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type rig struct {
	t      *testing.T
	ctx    context.Context
	clock  *bot.FakeClock
	chat   *memory.Adapter
	db     *memstore.Store
	bot    *bot.Bot
	runner *okRunner
	logs   *syncBuffer
	url    string
}

// newRig starts a core on a fresh database, a plan runner and the HTTP
// server on loopback with a token for every person.
func newRig(t *testing.T) *rig { t.Helper(); return newRigWith(t, true) }

// newRigWith starts the rig, with or without a plan runner.
func newRigWith(t *testing.T, runner bool) *rig {
	t.Helper()
	r := &rig{t: t, ctx: context.Background(), clock: bot.NewFakeClock(t0), chat: memory.New(), runner: &okRunner{}, logs: &syncBuffer{}}
	db := memstore.New()
	r.db = db
	log := slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var err error
	r.bot, err = bot.New(db, r.chat, r.clock, testCatalog(), bot.Options{Bridge: "https://meet.test/{id}"}, log)
	require.NoError(t, err)
	t.Cleanup(r.bot.Wait) // before the database closes
	if runner {
		r.bot.UseRunner(r.runner)
	}
	var tokens []bot.APIToken
	for _, p := range people {
		tokens = append(tokens, bot.APIToken{Name: "ci-" + p, Token: token(p), Person: p})
	}
	srv := &httpapi.Server{Store: db, Catalog: testCatalog(), Log: log, Core: r.bot, Tokens: tokens}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	r.url = ts.URL
	return r
}

// reply is a write's answer, decoded.
type reply struct {
	Status   int
	Header   http.Header
	Raw      string
	Text     string            `json:"text"`
	Warning  string            `json:"warning"`
	Error    string            `json:"error"`
	Code     string            `json:"code"`
	Incident *httpapi.Incident `json:"incident"`
}

// post sends body to path as person ("" sends no token).
func (r *rig) post(person, path, body string) reply {
	r.t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.url+path, strings.NewReader(body))
	require.NoError(r.t, err)
	req.Header.Set("Content-Type", "application/json")
	if person != "" {
		req.Header.Set("Authorization", "Bearer "+token(person))
	}
	return r.do(req)
}

func (r *rig) do(req *http.Request) reply {
	r.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(r.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(r.t, err)
	out := reply{Status: resp.StatusCode, Header: resp.Header, Raw: string(b)}
	require.NoError(r.t, json.Unmarshal(b, &out), string(b))
	return out
}

// cmd posts a command to fault id.
func (r *rig) cmd(person string, id int64, command, body string) reply {
	r.t.Helper()
	return r.post(person, incidentPath(id)+"/"+command, body)
}

func incidentPath(id int64) string { return "/api/incidents/" + strconv.FormatInt(id, 10) }

// declare opens a P2 ledger fault over HTTP as ana: dee commands (on duty),
// ana handles, ben is invited as a ledger contact.
func (r *rig) declare() int64 {
	r.t.Helper()
	a := r.post("ana", "/api/incidents", `{"level":"P2","title":"Ledger down","service":"ledger"}`)
	require.Equal(r.t, http.StatusCreated, a.Status, a.Raw)
	return a.Incident.Fault.ID
}

func (r *rig) fault(id int64) *bot.Fault {
	r.t.Helper()
	f, err := bot.LoadFault(r.ctx, r.db, id)
	require.NoError(r.t, err)
	return f
}

// events returns fault id's events of a type.
func (r *rig) events(id int64, typ bot.EventType) []bot.Event {
	r.t.Helper()
	evs, err := r.db.Events(r.ctx, id)
	require.NoError(r.t, err)
	var out []bot.Event
	for _, e := range evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// refused reports whether person's command was refused on the timeline.
func (r *rig) refused(id int64, person, command string) bool {
	for _, e := range r.events(id, bot.EventRefused) {
		if e.Actor == person && e.Via == command {
			return true
		}
	}
	return false
}

// withPlan loads one plan, like bot_test's testPlan: drain-ledger, one
// script step, node= required.
func (r *rig) withPlan(impact bot.Level, approval bot.Approval) {
	r.t.Helper()
	p := &bot.Plan{
		Name: "drain-ledger", Title: "Drain a ledger node", Services: []string{"ledger"}, Impact: impact, Approval: approval,
		Params:  []bot.Param{{Name: "node", Pattern: `ledger-[0-9]+`, Required: true, Re: regexp.MustCompile(`^(?:ledger-[0-9]+)$`)}},
		Steps:   []bot.Step{{Name: "drain", Script: []string{"scripts/drain.sh", "{{node}}"}, Timeout: time.Minute}},
		Version: "sha256:0123456789ab",
	}
	require.NoError(r.t, r.bot.SetPlans(r.ctx, []*bot.Plan{p}))
}

func jsonDecode(resp *http.Response, v any) error {
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}
