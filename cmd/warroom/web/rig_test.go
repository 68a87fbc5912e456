package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/adapters/memory"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/httpapi"
	"github.com/warroom/warroom/cmd/warroom/web"
	"github.com/warroom/warroom/store/memstore"
)

// t0 is a Wednesday; the rota starts on the Monday before, so dee is on
// duty and commands P1 and P2 faults.
var t0 = time.Date(2026, 4, 8, 14, 0, 0, 0, time.UTC)

func testCatalog() *bot.Catalog {
	return &bot.Catalog{
		People: map[string]bot.Person{
			"ana": {ID: "ana", Name: "Ana"}, "ben": {ID: "ben"}, "cy": {ID: "cy"}, "dee": {ID: "dee"}, "eli": {ID: "eli"},
		},
		Services: map[string]bot.Service{
			"ledger": {Name: "ledger", Contacts: []string{"ana", "ben"}, Stability: "ben"},
			"queue":  {Name: "queue", Contacts: []string{"cy"}, Stability: "cy"},
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

func token(person string) string { return "tok-" + person + "-5be0c2a9d41f" }

// okRunner runs every step successfully, saying so.
type okRunner struct{}

func (okRunner) Run(_ context.Context, req bot.StepRequest, out func(string)) bot.StepResult {
	out("drained\n")
	return bot.StepResult{Status: bot.StepOK, Output: "drained " + req.Params["node"] + "\n"}
}

type rig struct {
	t     *testing.T
	ctx   context.Context
	clock *bot.FakeClock
	db    *memstore.Store
	bot   *bot.Bot
	web   *web.Server
	url   string
	// tokens and private are how the pages were served (serve).
	tokens  []bot.APIToken
	private bool
}

// newRig starts the core on a memory store, and the API with the pages
// mounted as warroom mounts them; private serves them as off loopback.
func newRig(t *testing.T, private bool) *rig {
	t.Helper()
	r := &rig{t: t, ctx: context.Background(), clock: bot.NewFakeClock(t0), db: memstore.New()}
	r.db.UseClock(r.clock)
	log := slog.New(slog.DiscardHandler)
	var err error
	r.bot, err = bot.New(r.db, memory.New(), r.clock, testCatalog(), bot.Options{}, log)
	require.NoError(t, err)
	t.Cleanup(r.bot.Wait)
	r.bot.UseRunner(okRunner{})
	var tokens []bot.APIToken
	for _, p := range []string{"ana", "ben", "cy", "dee"} {
		tokens = append(tokens, bot.APIToken{Name: "t-" + p, Token: token(p), Person: p})
	}
	r.tokens, r.private = tokens, private
	r.web, r.url = r.serve(tokens)
	return r
}

// serve starts the API with the pages mounted on the rig's store and core,
// with tokens as api_tokens, and returns the pages and their URL.
func (r *rig) serve(tokens []bot.APIToken) (*web.Server, string) {
	log := slog.New(slog.DiscardHandler)
	api := &httpapi.Server{Store: r.db, Catalog: testCatalog(), Log: log, Core: r.bot, Tokens: tokens, Plans: r.bot.Plans, Private: r.private}
	w := &web.Server{Store: r.db, Catalog: testCatalog(), Clock: r.clock, API: api, Plans: r.bot.Plans, Private: r.private, Log: log}
	api.Extra, api.Session = w.Routes(), w.Session
	ts := httptest.NewServer(api.Handler())
	r.t.Cleanup(ts.Close)
	return w, ts.URL
}

func as(p string) bot.Actor { return bot.Actor{Person: bot.Person{ID: p}, Via: bot.ViaChat} }

// fixture records two faults through the core. Fault 1, P2 "Ledger down",
// is open: dee commands, ana handles, ben checked in after 2m, dee by
// approving, cy invited later has not;
// a task, a plan run that ran, an update. Fault 2, P3 "Queue stuck", was
// resolved after 20m, with cy's check-in after 5m.
func (r *rig) fixture() {
	r.t.Helper()
	ctx := r.ctx
	p := &bot.Plan{
		Name: "drain-ledger", Title: "Drain a ledger node", Services: []string{"ledger"}, Impact: bot.P3,
		Approval: bot.Approval{Roles: []bot.Role{bot.RoleCommander}, Count: 1, Expires: 15 * time.Minute},
		Params:   []bot.Param{{Name: "node", Pattern: `ledger-[0-9]+`, Required: true, Re: regexp.MustCompile(`^(?:ledger-[0-9]+)$`)}},
		Steps:    []bot.Step{{Name: "drain", Script: []string{"scripts/drain.sh", "{{node}}"}, Timeout: time.Minute}},
		Version:  "sha256:0123456789ab", File: "plans/drain-ledger.yaml",
	}
	require.NoError(r.t, r.bot.SetPlans(ctx, []*bot.Plan{p}))
	f, err := r.bot.Declare(ctx, bot.DeclareRequest{Actor: "ana", Level: bot.P2, Title: "Ledger down", Service: "ledger", Via: bot.ViaChat})
	require.NoError(r.t, err)
	require.Equal(r.t, int64(1), f.ID)
	r.clock.Advance(2 * time.Minute)
	_, err = r.bot.CheckIn(ctx, as("ben"), 1)
	require.NoError(r.t, err)
	r.clock.Advance(time.Minute)
	_, err = r.bot.AddTask(ctx, as("ana"), 1, "ben", "look at the graphs")
	require.NoError(r.t, err)
	_, err = r.bot.RequestRun(ctx, as("ana"), 1, bot.RunRequest{Plan: "drain-ledger", Params: map[string]string{"node": "ledger-3"}})
	require.NoError(r.t, err)
	_, err = r.bot.Approve(ctx, as("dee"), 1, 1)
	require.NoError(r.t, err)
	r.bot.Wait() // the run has run
	_, err = r.bot.Invite(ctx, as("ana"), 1, []string{"cy"}, "")
	require.NoError(r.t, err)
	r.clock.Advance(time.Minute)
	_, err = r.bot.Update(ctx, as("ana"), 1, "node 3 drained, errors falling")
	require.NoError(r.t, err)

	g, err := r.bot.Declare(ctx, bot.DeclareRequest{Actor: "ben", Level: bot.P3, Title: "Queue stuck", Service: "queue", Via: bot.ViaChat})
	require.NoError(r.t, err)
	r.clock.Advance(5 * time.Minute)
	_, err = r.bot.CheckIn(ctx, as("cy"), g.ID)
	require.NoError(r.t, err)
	r.clock.Advance(15 * time.Minute)
	_, err = r.bot.Resolve(ctx, as("cy"), g.ID, "restarted the consumer")
	require.NoError(r.t, err)
	r.bot.Wait()
}

// browser is an HTTP client with cookies that does not follow redirects.
type browser struct {
	r *rig
	c *http.Client
}

func (r *rig) browser() *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(r.t, err)
	return &browser{r: r, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	Status int
	Header http.Header
	Body   string
}

func (b *browser) do(req *http.Request) page {
	b.r.t.Helper()
	resp, err := b.c.Do(req)
	require.NoError(b.r.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b.r.t, err)
	return page{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
}

func (b *browser) get(path string) page {
	b.r.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.r.url+path, nil)
	require.NoError(b.r.t, err)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) page {
	b.r.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.r.url+path, strings.NewReader(form.Encode()))
	require.NoError(b.r.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the token of the forms on a page.
func (b *browser) csrf(path string) string {
	b.r.t.Helper()
	p := b.get(path)
	m := csrfField.FindStringSubmatch(p.Body)
	require.NotNil(b.r.t, m, "no CSRF token on %s: %s", path, p.Body)
	return m[1]
}

func (r *rig) events(id int64) []bot.Event {
	r.t.Helper()
	evs, err := r.db.Events(r.ctx, id)
	require.NoError(r.t, err)
	return evs
}
