package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/warroom/warroom/bot"
)

// Access. Off loopback (Private) every page needs a session: the login form
// takes an api_tokens token once and sets a session cookie (HttpOnly,
// SameSite=Strict) that names the token and the session's end, signed. On
// loopback pages are open and a form says whom it acts as. Every form
// carries a CSRF token: an HMAC of a random per-browser cookie (double
// submit, signed), checked before anything is done.
//
// Signed, not stored, so that several warroom processes behind one load
// balancer (PostgreSQL) take each other's sessions and forms: the key is
// derived from the api_tokens, which they share, and a session is bound to
// its token's value, so changing or removing a token ends its sessions.
// Logout clears the cookie and refuses it in this process from then on.
// Without api_tokens (nobody can log in) the key is random at start.

const (
	sessionCookie = "warroom_session"
	csrfCookie    = "warroom_csrf"
	// SessionFor is how long a login lasts.
	SessionFor = 12 * time.Hour
)

// deriveKey is the signing key: from the api_tokens when there are any,
// so that every process with the same config signs alike; else random.
func deriveKey(tokens []bot.APIToken) []byte {
	if len(tokens) == 0 {
		return randomBytes(32)
	}
	sorted := slices.Clone(tokens)
	slices.SortFunc(sorted, func(a, b bot.APIToken) int { return strings.Compare(a.Name, b.Name) })
	m := hmac.New(sha256.New, []byte("warroom web signing key v1"))
	for _, t := range sorted {
		m.Write([]byte(t.Name + "\x00" + t.Token + "\x00"))
	}
	return m.Sum(nil)
}

// sessionValue is the cookie of a session of tok ending at expires:
// name.expires.mac, the name in base64.
func (s *Server) sessionValue(tok bot.APIToken, expires time.Time) string {
	name := base64.RawURLEncoding.EncodeToString([]byte(tok.Name))
	head := name + "." + strconv.FormatInt(expires.Unix(), 10)
	return head + "." + s.sessionMAC(head, tok)
}

func (s *Server) sessionMAC(head string, tok bot.APIToken) string {
	secret := sha256.Sum256([]byte(tok.Token))
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("session:" + head + ":"))
	m.Write(secret[:])
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// parseSession returns the token a session cookie is signed for, if it is
// signed right, its token is still one of api_tokens, and it has not ended.
func (s *Server) parseSession(v string) (bot.APIToken, bool) {
	parts := strings.Split(v, ".")
	if len(parts) != 3 || s.API == nil {
		return bot.APIToken{}, false
	}
	name, err := base64.RawURLEncoding.DecodeString(parts[0])
	exp, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || err2 != nil || !s.now().Before(time.Unix(exp, 0)) {
		return bot.APIToken{}, false
	}
	for _, tok := range s.API.Tokens {
		if tok.Name == string(name) {
			want := s.sessionMAC(parts[0]+"."+parts[1], tok)
			return tok, hmac.Equal([]byte(want), []byte(parts[2]))
		}
	}
	return bot.APIToken{}, false
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
	_, out := s.loggedOut[c.Value]
	s.mu.Unlock()
	if out {
		return bot.APIToken{}, false
	}
	return s.parseSession(c.Value)
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
	id := s.sessionValue(tok, s.now().Add(SessionFor))
	s.logger().Info("web: login", "token_name", tok.Name, "person", tok.Person)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode, MaxAge: int(SessionFor / time.Second)})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout serves POST /logout: the session ends in the browser and is
// refused by this process until it would have ended.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	s.init()
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if !s.checkCSRF(r) {
		s.refuseCSRF(w, r)
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.mu.Lock()
		now := s.now()
		for v, until := range s.loggedOut { // the ended go at each logout, so the map stays small
			if !now.Before(until) {
				delete(s.loggedOut, v)
			}
		}
		s.loggedOut[c.Value] = now.Add(SessionFor)
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
