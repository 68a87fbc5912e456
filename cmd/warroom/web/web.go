// Package web serves warroom's war-room pages: the fault list with MTTA and
// MTTR, a fault's live page with forms to check in, post an update,
// mitigate and resolve, and the plans. Pages are html/template rendered on
// the server from embedded files; the one script is a vendored htmx that
// only keeps an open fault's page live, so everything else works with
// JavaScript off. Forms run the same commands as the JSON API
// (httpapi.Server.Run), so the war room goes on when chat is down.
package web

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/httpapi"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// PollEvery is how often an open fault's page asks for its live part.
// Polled fragments rather than server-sent events: each poll is a short
// request well inside the server's WriteTimeout (a stream would have to
// extend its own deadline), survives proxies that buffer, and needs no
// per-client state on the server.
const PollEvery = 3 * time.Second

// Server serves the pages.
type Server struct {
	Store   bot.Store
	Catalog *bot.Catalog
	Clock   bot.Clock
	// API runs the forms' commands (Run) and knows the api_tokens (Match).
	API *httpapi.Server
	// Plans lists the plans loaded now; nil lists none.
	Plans func() []*bot.Plan
	// Private is set when http listens beyond loopback: every page then
	// needs a login with an api_tokens token.
	Private bool
	// Chart draws a fault's timeline as SVG; nil shows no chart.
	Chart func(events []bot.Event) ([]byte, error)
	Log   *slog.Logger

	once      sync.Once
	tmpl      map[string]*template.Template
	key       []byte // signs the sessions and the CSRF tokens (deriveKey)
	mu        sync.Mutex
	loggedOut map[string]time.Time // session cookies logged out, until they end
}

func (s *Server) init() {
	s.once.Do(func() {
		var tokens []bot.APIToken
		if s.API != nil {
			tokens = s.API.Tokens
		}
		s.key = deriveKey(tokens)
		s.loggedOut = map[string]time.Time{}
		s.tmpl = map[string]*template.Template{}
		for _, page := range []string{"index", "incident", "plans", "plan", "login", "error"} {
			s.tmpl[page] = template.Must(template.New(page).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+page+".html"))
		}
	})
}

// Routes are the pages' routes, to mount beside the API's (httpapi.Server.Extra).
func (s *Server) Routes() map[string]http.Handler {
	s.init()
	static, _ := fs.Sub(staticFS, "static")
	return map[string]http.Handler{
		"GET /{$}":                  s.page(s.index),
		"GET /incidents/{id}":       s.page(s.incident),
		"GET /incidents/{id}/live":  s.page(s.live),
		"GET /incidents/{id}/chart": s.page(s.chart),
		"POST /incidents/{id}/{do}": http.HandlerFunc(s.form),
		"GET /plans":                s.page(s.plans),
		"GET /plans/{name}":         s.page(s.plan),
		"GET /login":                http.HandlerFunc(s.loginPage),
		"POST /login":               http.HandlerFunc(s.login),
		"POST /logout":              http.HandlerFunc(s.logout),
		"GET /static/":              http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))),
	}
}

// Handler serves the routes alone (tests).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for p, h := range s.Routes() {
		mux.Handle(p, h)
	}
	return mux
}

func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// view is what every page template gets, beside its own Data.
type view struct {
	Title    string
	Who      string // the logged-in person, "" if none
	LoggedIn bool
	Private  bool
	CSRF     string
	People   []string // whom a form may act as, without a login
	Error    string
	Now      time.Time
	Data     any
}

// page checks access, then renders what h returns.
func (s *Server) page(h func(w http.ResponseWriter, r *http.Request, v *view) (string, int, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.init()
		tok, in := s.Session(r)
		if s.Private && !in {
			if r.Header.Get("HX-Request") != "" {
				http.Error(w, "log in again at /login", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/login?next="+urlQuery(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		v := &view{Who: tok.Person, LoggedIn: in, Private: s.Private, CSRF: s.csrf(w, r), Now: s.now(), People: s.people()}
		name, status, err := h(w, r, v)
		if err != nil {
			s.fail(w, r, v, err)
			return
		}
		if name != "" {
			s.render(w, name, status, v)
		}
	})
}

// fail renders an error page with the status of the core's error code.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, v *view, err error) {
	status := statusOf(err)
	if status == http.StatusInternalServerError {
		s.logger().Error("web", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	v.Title, v.Error = http.StatusText(status), bot.ErrorMessage(err)
	s.render(w, "error", status, v)
}

// render executes a page, whole, before writing: a template error is a 500,
// not half a page.
func (s *Server) render(w http.ResponseWriter, name string, status int, v *view) {
	tmpl, fragment := s.tmpl[name], ""
	if n, f, ok := strings.Cut(name, "#"); ok {
		tmpl, fragment = s.tmpl[n], f
	}
	var buf bytes.Buffer
	var err error
	if fragment != "" {
		err = tmpl.ExecuteTemplate(&buf, fragment, v)
	} else {
		err = tmpl.ExecuteTemplate(&buf, "layout", v)
	}
	if err != nil {
		s.logger().Error("web: rendering", "page", name, "err", err)
		http.Error(w, "the page could not be rendered; the log says why", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	// htmx is the only script, from this server; its indicator styles are
	// inline, hence style-src 'unsafe-inline'.
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'")
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

func (s *Server) logger() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

func (s *Server) now() time.Time {
	if s.Clock == nil {
		return bot.SystemClock{}.Now()
	}
	return s.Clock.Now()
}

// people are the catalog's people, sorted: whom a form acts as on loopback
// without a login.
func (s *Server) people() []string {
	if s.Catalog == nil {
		return nil
	}
	out := make([]string, 0, len(s.Catalog.People))
	for id := range s.Catalog.People {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

func (s *Server) store() bot.Store {
	if s.Store == nil && s.API != nil {
		return s.API.Store
	}
	return s.Store
}

// faultID reads {id}.
func faultID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, bot.Errorf(bot.EINVALID, "%q is not a fault id: use the number, as in /incidents/3", r.PathValue("id"))
	}
	return id, nil
}
