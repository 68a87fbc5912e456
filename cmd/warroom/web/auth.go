package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/warroom/warroom/bot"
)

// Access. Off loopback (Private) every page needs a session: the login form
// takes an api_tokens token once and sets a session cookie (HttpOnly,
// SameSite=Strict) naming a server-side session, so logout ends it and a
// restart ends them all. On loopback pages are open and a form says whom it
// acts as. Every form carries a CSRF token: an HMAC, under a key made at
// start, of a random per-browser cookie (double submit, signed), checked
// before anything is done.

const (
	sessionCookie = "warroom_session"
	csrfCookie    = "warroom_csrf"
	// SessionFor is how long a login lasts.
	SessionFor = 12 * time.Hour
)

type session struct {
	tok     bot.APIToken
	expires time.Time
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("web: no randomness: " + err.Error()) // crypto/rand does not fail on Linux
	}
	return b
}

func randomID() string { return base64.RawURLEncoding.EncodeToString(randomBytes(32)) }

// Session is the request's login, if it has a live one. The API takes it
// for reads (httpapi.Server.Session).
func (s *Server) Session(r *http.Request) (bot.APIToken, bool) {
	s.init()
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return bot.APIToken{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sessions[c.Value]
	if !ok {
		return bot.APIToken{}, false
	}
	if !s.now().Before(ss.expires) {
		delete(s.sessions, c.Value)
		return bot.APIToken{}, false
	}
	return ss.tok, true
}

// csrf returns the token a form must carry, setting the browser's CSRF
// cookie first if it has none.
func (s *Server) csrf(w http.ResponseWriter, r *http.Request) string {
	v := ""
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		v = c.Value
	} else {
		v = randomID()
		http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: "/", HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
		r.AddCookie(&http.Cookie{Name: csrfCookie, Value: v}) // a POST from this very page matches
	}
	return s.sign(v)
}

func (s *Server) sign(v string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("csrf:" + v))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF reports whether a POST's form carries the token of its cookie.
func (s *Server) checkCSRF(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || len(c.Value) < 32 {
		return false
	}
	got := r.PostFormValue("csrf")
	return got != "" && hmac.Equal([]byte(got), []byte(s.sign(c.Value)))
}

// refuseCSRF answers a POST without the right token; nothing was done.
func (s *Server) refuseCSRF(w http.ResponseWriter, r *http.Request) {
	s.logger().Warn("web: form without a valid CSRF token", "path", r.URL.Path, "remote", r.RemoteAddr)
	v := &view{Private: s.Private, CSRF: s.csrf(w, r), Now: s.now()}
	s.fail(w, r, v, bot.Errorf(bot.EFORBIDDEN, "this form is stale or came from another site, so nothing was done: reload the page and send it again"))
}

type loginData struct {
	Next string
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.init()
	v := &view{Title: "Log in", Private: s.Private, CSRF: s.csrf(w, r), Now: s.now(), Data: loginData{Next: localPath(r.URL.Query().Get("next"))}}
	if tok, ok := s.Session(r); ok {
		v.Who, v.LoggedIn = tok.Person, true
	}
	s.render(w, "login", http.StatusOK, v)
}

// login serves POST /login: a valid token starts a session.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	s.init()
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if !s.checkCSRF(r) {
		s.refuseCSRF(w, r)
		return
	}
	next := localPath(r.PostFormValue("next"))
	var tok bot.APIToken
	ok := false
	if s.API != nil {
		tok, ok = s.API.Match(strings.TrimSpace(r.PostFormValue("token")))
	}
	if !ok {
		s.logger().Warn("web: login with a token that is not one of api_tokens", "remote", r.RemoteAddr)
		v := &view{Title: "Log in", Private: s.Private, CSRF: s.csrf(w, r), Now: s.now(), Data: loginData{Next: next},
			Error: "that is not one of api_tokens in warroom's config; ask its operator for a token"}
		s.render(w, "login", http.StatusUnauthorized, v)
		return
	}
	id, now := randomID(), s.now()
	s.mu.Lock()
	for k, ss := range s.sessions { // the expired go at each login, so the map stays small
		if !now.Before(ss.expires) {
			delete(s.sessions, k)
		}
	}
	s.sessions[id] = session{tok: tok, expires: now.Add(SessionFor)}
	s.mu.Unlock()
	s.logger().Info("web: login", "token_name", tok.Name, "person", tok.Person)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode, MaxAge: int(SessionFor / time.Second)})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout serves POST /logout: the session ends here and in the browser.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	s.init()
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if !s.checkCSRF(r) {
		s.refuseCSRF(w, r)
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.mu.Lock()
		delete(s.sessions, c.Value)
		s.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// localPath keeps a redirect on this site: a path, not "//elsewhere".
// Browsers drop tabs and newlines from a URL and read a backslash as a
// slash, so "/\t/evil" and "/\\evil" would leave: any such character
// makes it "/".
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsFunc(p, func(r rune) bool {
		return r < 0x20 || r == 0x7f || r == '\\'
	}) {
		return "/"
	}
	if u, err := url.Parse(p); err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return p
}

func urlQuery(s string) string { return url.QueryEscape(s) }
