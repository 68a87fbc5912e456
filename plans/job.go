package plans

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/bot/yamlnode"
)

const (
	// retries is how many more times an idempotent call is tried after a
	// connection error or a 502/503/504, waiting retryWait, then twice as
	// long.
	retries   = 2
	retryWait = 250 * time.Millisecond
)

// idempotent methods may be sent again: doing them twice is doing them
// once. POST and PATCH are not, so they are never retried.
var idempotent = map[string]bool{http.MethodGet: true, http.MethodPut: true, http.MethodDelete: true}

func (r *Runner) httpClient() *http.Client {
	r.clientOnce.Do(func() {
		c := &http.Client{}
		if r.Client != nil {
			*c = *r.Client
		} else {
			c.Transport = http.DefaultTransport.(*http.Transport).Clone()
		}
		// A redirect is the job runner saying "not here": following it
		// would replay the call somewhere the plan never named.
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		r.client = c
	})
	return r.client
}

func (r *Runner) runJob(ctx context.Context, req bot.StepRequest, out func(string)) bot.StepResult {
	job := req.Step.Job
	used := map[string]string{} // ${VAR} -> value, all of them secrets to the output
	fail := func(format string, args ...any) bot.StepResult {
		return failed(newRedactor(used).Redact(fmt.Sprintf(format, args...)))
	}

	target, err := expandEnv(job.URL, r.getenv, used)
	if err != nil {
		return fail("url: %v", err)
	}
	headers := http.Header{}
	for k, v := range job.Headers {
		if strings.Contains(v, "{{") {
			return fail("%s header: parameters are not allowed in headers", k)
		}
		ev, err := expandEnv(v, r.getenv, used)
		if err != nil {
			return fail("%s header: %v", k, err)
		}
		headers.Set(k, ev)
	}
	red := newRedactor(used) // the body's, a stream
	hide := func(s string) string { return newRedactor(used).Redact(s) }
	if err := checkURL(target, true); err != nil {
		return fail("url %s: %v", job.URL, err)
	}
	value := func(name string) (string, error) { return param(req, name) }
	target, err = fillURL(target, value)
	if err != nil {
		return fail("url: %v", err)
	}
	body, err := fillBody(job.Body, job.Headers, value)
	if err != nil {
		return fail("body: %v", err)
	}
	if body != "" && headers.Get("Content-Type") == "" && isJSON(job.Body, job.Headers) {
		headers.Set("Content-Type", "application/json")
	}
	if headers.Get("User-Agent") == "" {
		headers.Set("User-Agent", "warroom")
	}

	timeout := r.timeout(req.Step)
	sctx, cancel, timedOut := deadline(ctx, timeout)
	defer cancel()
	sink := newSink(r.maxOutput(), red, out)
	defer sink.finish()
	client := r.httpClient()

	var resp *http.Response
	for attempt := 0; ; attempt++ {
		hreq, err := http.NewRequestWithContext(sctx, job.Method, target, bodyReader(body))
		if err != nil {
			return fail("%v", err)
		}
		hreq.Header = headers.Clone()
		if h := headers.Get("Host"); h != "" {
			hreq.Host = h
		}
		resp, err = client.Do(hreq)
		retry := ""
		switch {
		case err != nil && sctx.Err() != nil:
			return stopped(ctx, timedOut(), timeout, sink)
		case err != nil:
			retry = hide(unwrapURLError(err).Error())
		case resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusGatewayTimeout:
			retry = "HTTP " + resp.Status
		}
		if retry == "" || !idempotent[job.Method] || attempt == retries {
			if err != nil {
				res := fail("%s %s: %s", job.Method, redactURL(target), retry)
				res.Output, res.Dropped = sink.text.String(), sink.dropped
				return res
			}
			break
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
			resp.Body.Close()
		}
		wait := retryWait << attempt
		sink.note(fmt.Sprintf("%s; trying again in %s (attempt %d of %d)", retry, wait, attempt+2, retries+1))
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-sctx.Done():
			t.Stop()
			return stopped(ctx, timedOut(), timeout, sink)
		}
	}
	defer resp.Body.Close()

	_, err = io.Copy(sink, resp.Body)
	sink.flush()
	res := bot.StepResult{Status: bot.StepOK, Detail: "HTTP " + resp.Status}
	switch {
	case err != nil && sctx.Err() != nil:
		return stopped(ctx, timedOut(), timeout, sink)
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		res.Status = bot.StepFailed
		res.Detail = fmt.Sprintf("HTTP %d: redirect to %s not followed", resp.StatusCode, hide(yamlnode.Clip(resp.Header.Get("Location"))))
	case resp.StatusCode < 200 || resp.StatusCode >= 300:
		res.Status = bot.StepFailed
		first := firstLine(sink.text.String())
		if first == "" {
			first = strings.TrimSpace(strings.TrimPrefix(resp.Status, fmt.Sprint(resp.StatusCode)))
		}
		res.Detail = fmt.Sprintf("HTTP %d: %s", resp.StatusCode, first)
	case err != nil:
		res.Status = bot.StepFailed
		res.Detail = fmt.Sprintf("HTTP %d, then reading the body: %v", resp.StatusCode, hide(err.Error()))
	}
	res.Output, res.Dropped = sink.text.String(), sink.dropped
	return res
}

// stopped is the result of a call cut short by its timeout or by ctx.
func stopped(ctx context.Context, late bool, timeout time.Duration, s *sink) bot.StepResult {
	s.flush()
	res := bot.StepResult{Status: bot.StepTimeout, Detail: "no answer within " + since(timeout)}
	if !late {
		res.Status, res.Detail = bot.StepFailed, fmt.Sprintf("cancelled: %v", ctx.Err())
	}
	res.Output, res.Dropped = s.text.String(), s.dropped
	return res
}

func bodyReader(body string) io.Reader {
	if body == "" {
		return nil
	}
	return strings.NewReader(body)
}

// fillBody puts each {{param}} into a job's body, escaped for the body's
// kind: JSON string content in a JSON body (the loader made sure each
// {{param}} is inside a string), form-encoded in a form, as is otherwise.
func fillBody(body string, headers map[string]string, value func(string) (string, error)) (string, error) {
	if !strings.Contains(body, "{{") {
		return body, nil
	}
	var escape func(string) string
	switch {
	case isJSON(body, headers):
		escape = jsonString
	case isForm(headers):
		escape = url.QueryEscape
	default:
		escape = func(s string) string { return s }
	}
	var err error
	out := placeholder.ReplaceAllStringFunc(body, func(m string) string {
		v, e := value(m[2 : len(m)-2])
		if e != nil && err == nil {
			err = e
		}
		return escape(v)
	})
	if err != nil {
		return "", err
	}
	if isJSON(body, headers) && !json.Valid([]byte(out)) {
		return "", errors.New("is not valid JSON once its parameters are filled in; put each {{param}} inside a JSON string")
	}
	return out, nil
}

func isForm(headers map[string]string) bool {
	for k, v := range headers {
		if strings.EqualFold(k, "Content-Type") {
			return strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), "application/x-www-form-urlencoded")
		}
	}
	return false
}

// jsonString is s escaped as the content of a JSON string, without quotes.
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	q := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	return string(q[1 : len(q)-1])
}

// firstLine is the first non-blank line of s, clipped for a one-line detail.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			if r := []rune(l); len(r) > 200 {
				return string(r[:197]) + "..."
			}
			return l
		}
	}
	return ""
}
