package adapters

import (
	"net"
	"net/http"
	"time"
)

// IdleConnsPerHost is how many idle keep-alive connections a platform's
// HTTP client keeps to its API: enough for a burst of declares (100 at
// once make a few calls each at a time), where http.DefaultClient keeps 2
// and so opens a new TCP (and TLS) connection for most calls of a burst.
const IdleConnsPerHost = 128

// NewHTTPClient returns the HTTP client of one chat platform: its own
// keep-alive pool, sized for bursts (IdleConnsPerHost), HTTP/2 where the
// server speaks it, and timeouts on every step: dialing, the TLS
// handshake, the response's headers, and timeout for a whole request (the
// caller's context may end it sooner).
func NewHTTPClient(timeout time.Duration) *http.Client {
	t := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          2 * IdleConnsPerHost,
		MaxIdleConnsPerHost:   IdleConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{Transport: t, Timeout: timeout}
}
