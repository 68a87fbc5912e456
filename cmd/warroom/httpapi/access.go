package httpapi

import (
	"net"
	"net/http"
	"strings"

	"github.com/warroom/warroom/bot"
)

// Loopback reports whether a listen address (the config's http:) takes
// connections from this machine only. An empty host (":8080"), a wildcard
// or a name other than localhost listens further, and so needs tokens for
// reads too: a name may resolve anywhere, so it is taken as not loopback.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// read lets a read through: always on loopback, and otherwise with a
// bearer token or a web session.
func (s *Server) read(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.Private {
			h(w, r)
			return
		}
		if s.Session != nil {
			if _, ok := s.Session(r); ok {
				h(w, r)
				return
			}
		}
		if got, _ := bearer(r.Header.Get("Authorization")); got != "" {
			if _, ok := s.match(got); ok {
				h(w, r)
				return
			}
		}
		w.Header().Set("WWW-Authenticate", "Bearer")
		s.error(w, r, bot.Errorf(codeUnauthorized, "warroom listens beyond this machine, so reads need a token too: send Authorization: Bearer <token> with one of api_tokens, or log in at /login"))
	}
}
