package lark

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strings"
)

// jsonBodies marks a response whose body is a JSON object as
// application/json when the server did not say so. The SDK refuses every
// IM answer without that Content-Type ("response content-type not json",
// core/apiresp.go), and a hand-written stand-in for Lark (a test double, a
// proxy) easily leaves it out; Lark itself always sends it.
type jsonBodies struct{ base http.RoundTripper }

func (j jsonBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := j.base.RoundTrip(r)
	if err != nil || strings.Contains(resp.Header.Get("Content-Type"), "application/json") {
		return resp, err
	}
	br := bufio.NewReader(resp.Body)
	head, _ := br.Peek(64) // what there is, up to 64 bytes
	if t := bytes.TrimLeft(head, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		resp.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	resp.Body = readCloser{br, resp.Body}
	return resp, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// withJSONBodies is c (not changed) with its transport in jsonBodies.
func withJSONBodies(c *http.Client) *http.Client {
	cc := *c
	base := cc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	cc.Transport = jsonBodies{base}
	return &cc
}

var notJSON = regexp.MustCompile(`response content-type not json, response: StatusCode: (\d+)`)

// oneLine is an error text on one line, and not a page long: the SDK's
// errors can carry a whole response (headers and all), which is said
// shortly.
func oneLine(s string) string {
	if m := notJSON.FindStringSubmatch(s); m != nil {
		return "the answer was HTTP " + m[1] + ", not JSON (is lark.api_url Lark's API host?)"
	}
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 300 {
		s = string(r[:299]) + "…"
	}
	return s
}
