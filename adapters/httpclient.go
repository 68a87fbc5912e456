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

// CallObserver hears each call a platform's HTTP client made, so that the
// metrics endpoint counts the chat APIs' calls and their 429s without the
// adapters knowing of it. It must be safe for concurrent use.
type CallObserver interface {
	// ObserveCall is one call's answer: its HTTP status, or err when no
	// answer came (status 0).
	ObserveCall(platform string, status int, err error)
}

// Observed wraps rt (nil: http.DefaultTransport) so that obs hears each
// call's answer; with obs nil it is rt.
func Observed(rt http.RoundTripper, platform string, obs CallObserver) http.RoundTripper {
	if obs == nil {
		return rt
	}
	if rt == nil {
		rt = http.DefaultTransport
	}
	return observed{next: rt, platform: platform, obs: obs}
}

type observed struct {
	next     http.RoundTripper
	platform string
	obs      CallObserver
}

func (o observed) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := o.next.RoundTrip(r)
	if err != nil {
		o.obs.ObserveCall(o.platform, 0, err)
		return resp, err
	}
	o.obs.ObserveCall(o.platform, resp.StatusCode, nil)
	return resp, nil
}

// HTTPClient is NewHTTPClient(timeout) for the platform, its calls heard
// by e.Calls when the binary gave one.
func (e Env) HTTPClient(platform string, timeout time.Duration) *http.Client {
	c := NewHTTPClient(timeout)
	c.Transport = Observed(c.Transport, platform, e.Calls)
	return c
}
