package httpapi

import (
	"net/http"
	"time"
)

// Timeouts bound what one client can hold of the server: a slow client
// sending a byte a second must not keep a connection for long.
type Timeouts struct {
	ReadHeader time.Duration // the request line and headers
	Read       time.Duration // the whole request, body included (bodies are at most 1 MiB)
	Write      time.Duration // the answer; a live page's event stream extends its own
	Idle       time.Duration // a kept-alive connection between requests
}

// DefaultTimeouts are the server's unless set.
var DefaultTimeouts = Timeouts{ReadHeader: 5 * time.Second, Read: 30 * time.Second, Write: 60 * time.Second, Idle: 2 * time.Minute}

// MaxHeaderBytes caps a request's headers.
const MaxHeaderBytes = 64 << 10

// HTTPServer is the http.Server that serves s, with its timeouts (zero
// ones take DefaultTimeouts').
func (s *Server) HTTPServer(t Timeouts) *http.Server {
	d := DefaultTimeouts
	pick := func(v, def time.Duration) time.Duration {
		if v > 0 {
			return v
		}
		return def
	}
	return &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: pick(t.ReadHeader, d.ReadHeader),
		ReadTimeout:       pick(t.Read, d.Read),
		WriteTimeout:      pick(t.Write, d.Write),
		IdleTimeout:       pick(t.Idle, d.Idle),
		MaxHeaderBytes:    MaxHeaderBytes,
	}
}
