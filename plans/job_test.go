package plans_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/plans"
)

const token = "tok-0123456789abcdef"

// jobPlan is a plan with one job step against ${JOBS_URL}.
func jobPlan(t testing.TB, job string) *bot.Plan {
	t.Helper()
	return mustParse(t, "", `name: j
title: J
impact: P4
params:
  - {name: host, pattern: '(?s).*'}
steps:
  - name: call
    job: `+job+`
    timeout: 2s
`)
}

func jobRunner(srv *httptest.Server) *plans.Runner {
	return &plans.Runner{Getenv: envOf(map[string]string{"JOBS_URL": srv.URL, "JOBS_TOKEN": token}), Client: srv.Client()}
}

// TestJobOK: the call carries the environment's headers and the escaped
// parameters; the body is the output.
func TestJobOK(t *testing.T) {
	t.Parallel()
	type got struct {
		method, path, rawPath, query, auth, ctype, body string
	}
	calls := make(chan got, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		calls <- got{r.Method, r.URL.Path, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), string(body)}
		fmt.Fprint(w, "job 42 started\nfollow it at /jobs/42\n")
	}))
	t.Cleanup(srv.Close)
	p := jobPlan(t, `{method: POST, url: "${JOBS_URL}/api/job/{{host}}/run?host={{host}}", headers: {Authorization: "Bearer ${JOBS_TOKEN}"}, body: '{"host": "{{host}}", "n": 1}'}`)
	host := "web-1/../admin?x=1&y=\"2\"\n"
	res, c := run(t, jobRunner(srv), p, map[string]string{"host": host})
	require.Equal(t, bot.StepOK, res.Status, res.Detail)
	assert.Equal(t, "HTTP 200 OK", res.Detail)
	assert.Equal(t, "job 42 started\nfollow it at /jobs/42\n", res.Output)
	assert.Equal(t, res.Output, c.text())
	g := <-calls
	assert.Equal(t, "POST", g.method)
	assert.Equal(t, "/api/job/"+host+"/run", g.path, "one path segment, however it looks")
	assert.Equal(t, "/api/job/web-1%2F..%2Fadmin%3Fx=1&y=%222%22%0A/run", g.rawPath)
	assert.Equal(t, "host=web-1%2F..%2Fadmin%3Fx%3D1%26y%3D%222%22%0A", g.query)
	assert.Equal(t, "Bearer "+token, g.auth)
	assert.Equal(t, "application/json", g.ctype)
	assert.JSONEq(t, `{"host": "web-1/../admin?x=1&y=\"2\"\n", "n": 1}`, g.body)
}

// TestJobFailed: a non-2xx status fails the step with the body's first line.
func TestJobFailed(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/empty" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, "\n  database is locked (token=abc123)\nstack trace...\n")
	}))
	t.Cleanup(srv.Close)
	res, _ := run(t, jobRunner(srv), jobPlan(t, `{method: POST, url: "${JOBS_URL}/run"}`), nil)
	assert.Equal(t, bot.StepFailed, res.Status)
	assert.Equal(t, "HTTP 500: database is locked (token=[redacted])", res.Detail)
	assert.Equal(t, "\n  database is locked (token=[redacted])\nstack trace...\n", res.Output)

	res, _ = run(t, jobRunner(srv), jobPlan(t, `{method: GET, url: "${JOBS_URL}/empty"}`), nil)
	assert.Equal(t, bot.StepFailed, res.Status)
	assert.Equal(t, "HTTP 404: Not Found", res.Detail)
}

// TestJobTimeout: a job runner that does not answer times the step out.
func TestJobTimeout(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // until the runner gives up
	}))
	t.Cleanup(srv.Close)
	p := jobPlan(t, `{method: POST, url: "${JOBS_URL}/slow"}`)
	p.Steps[0].Timeout = 100 * time.Millisecond
	start := time.Now()
	res, _ := run(t, jobRunner(srv), p, nil)
	assert.Equal(t, bot.StepTimeout, res.Status)
	assert.Equal(t, "no answer within 100ms", res.Detail)
	assert.Less(t, time.Since(start), 5*time.Second)
}

// TestJobBodyTimeout: a body that never ends times out too, keeping what came.
func TestJobBodyTimeout(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "started\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	p := jobPlan(t, `{method: GET, url: "${JOBS_URL}/stream"}`)
	p.Steps[0].Timeout = 200 * time.Millisecond
	res, c := run(t, jobRunner(srv), p, nil)
	assert.Equal(t, bot.StepTimeout, res.Status)
	assert.Equal(t, "started\n", res.Output)
	assert.Equal(t, "started\n", c.text())
}

func TestJobCancelled(t *testing.T) {
	t.Parallel()
	arrived := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	p := jobPlan(t, `{method: POST, url: "${JOBS_URL}/x"}`)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; cancel() }()
	res := jobRunner(srv).Run(ctx, bot.StepRequest{Plan: p, Step: p.Steps[0]}, nil)
	assert.Equal(t, bot.StepFailed, res.Status)
	assert.Equal(t, "cancelled: context canceled", res.Detail)
}

// TestJobRedirectNotFollowed: a 3xx fails the step, naming where it
// pointed, and the call is not replayed there.
func TestJobRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	var elsewhere atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/run", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	// Even a client that would follow redirects does not.
	client := srv.Client()
	client.CheckRedirect = nil
	r := &plans.Runner{Getenv: envOf(map[string]string{"JOBS_URL": srv.URL}), Client: client}
	res, _ := run(t, r, jobPlan(t, `{method: POST, url: "${JOBS_URL}/run"}`), nil)
	assert.Equal(t, bot.StepFailed, res.Status)
	assert.Equal(t, "HTTP 307: redirect to /elsewhere not followed", res.Detail)
	assert.Zero(t, elsewhere.Load())
}

// TestJobRetries: POST and PATCH are sent once whatever happens; GET, PUT
// and DELETE are tried again after a 503 or a dropped connection.
func TestJobRetries(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		method, fail string
		calls        int32
		status       bot.StepStatus
	}{
		{"POST", "503", 1, bot.StepFailed},
		{"PATCH", "503", 1, bot.StepFailed},
		{"POST", "drop", 1, bot.StepFailed},
		{"GET", "503", 2, bot.StepOK},
		{"PUT", "drop", 2, bot.StepOK},
		{"DELETE", "503", 2, bot.StepOK},
		{"GET", "always", 3, bot.StepFailed},
	} {
		t.Run(c.method+"-"+c.fail, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := calls.Add(1)
				switch {
				case c.fail == "drop" && n == 1:
					conn, _, err := w.(http.Hijacker).Hijack()
					if err == nil {
						conn.Close()
					}
				case c.fail == "503" && n == 1, c.fail == "always":
					http.Error(w, "busy", http.StatusServiceUnavailable)
				default:
					fmt.Fprint(w, "ok\n")
				}
			}))
			t.Cleanup(srv.Close)
			res, _ := run(t, jobRunner(srv), jobPlan(t, `{method: `+c.method+`, url: "${JOBS_URL}/x"}`), nil)
			assert.Equal(t, c.status, res.Status, res.Detail)
			assert.Equal(t, c.calls, calls.Load())
			if c.status == bot.StepOK {
				assert.Contains(t, res.Output, "[warroom] ")
				assert.Contains(t, res.Output, "trying again in 250ms (attempt 2 of 3)\nok\n")
			}
			if c.fail == "drop" && c.status == bot.StepFailed {
				assert.Contains(t, res.Detail, c.method+" [redacted]/x: ", "JOBS_URL is redacted as well")
			}
		})
	}
}

// TestJobEnvironment: ${VAR}s come from the environment; one that is not
// set fails the step before anything is sent.
func TestJobEnvironment(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	t.Cleanup(srv.Close)
	p := jobPlan(t, `{method: POST, url: "${JOBS_URL}/x", headers: {Authorization: "Bearer ${JOBS_TOKEN}", X-Team: "${TEAM}"}}`)
	r := &plans.Runner{Getenv: envOf(map[string]string{"JOBS_URL": srv.URL, "TEAM": "ops"})}
	res, _ := run(t, r, p, nil)
	assert.Equal(t, bot.StepFailed, res.Status)
	assert.Equal(t, "Authorization header: JOBS_TOKEN is not set in warroom's environment", res.Detail)

	res, _ = run(t, &plans.Runner{Getenv: noEnv}, p, nil)
	assert.Equal(t, "url: JOBS_URL is not set in warroom's environment", res.Detail)

	r = &plans.Runner{Getenv: envOf(map[string]string{"JOBS_URL": "ftp://files.example.com"})}
	res, _ = run(t, r, jobPlan(t, `{method: GET, url: "${JOBS_URL}/x"}`), nil)
	assert.Equal(t, `url ${JOBS_URL}/x: "[redacted]/x" is not an http(s) URL`, res.Detail, "the variables' values are redacted")

	// A value cannot reach the host, even through a variable.
	r = &plans.Runner{Getenv: envOf(map[string]string{"SCHEME": "http"})}
	res, _ = run(t, r, jobPlan(t, `{method: GET, url: "${SCHEME}://{{host}}/x"}`), map[string]string{"host": "x"})
	assert.Equal(t, bot.StepFailed, res.Status)
	assert.Equal(t, `url ${SCHEME}://{{host}}/x: "[redacted]://{{host}}/x": a {{parameter}} may be in the URL's path or query, not its host`, res.Detail)
	assert.Zero(t, calls.Load())
}

// TestJobSecretsRedacted: the values of the ${VAR}s a job used, and
// obvious secrets, never reach the output or the detail.
func TestJobSecretsRedacted(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, "bad auth %s from %s\npassword=hunter2 xoxp-1-2-3 AKIAIOSFODNN7EXAMPLE\n", r.Header.Get("X-Key"), r.Header.Get("X-Who"))
	}))
	t.Cleanup(srv.Close)
	p := jobPlan(t, `{method: POST, url: "${JOBS_URL}/x", headers: {X-Key: "${API_KEY}", X-Who: "${WHO}"}}`)
	r := &plans.Runner{Getenv: envOf(map[string]string{"JOBS_URL": srv.URL, "API_KEY": "k-9f8e7d6c5b", "WHO": "me"})}
	res, c := run(t, r, p, nil)
	assert.Equal(t, bot.StepFailed, res.Status)
	assert.Equal(t, "HTTP 400: bad auth [redacted] from me", res.Detail, "a 2-letter value is not worth hiding")
	assert.Equal(t, "bad auth [redacted] from me\npassword=[redacted] [redacted] [redacted]\n", res.Output)
	assert.Equal(t, res.Output, c.text())
	assert.NotContains(t, res.Output, strings.TrimPrefix(srv.URL, "http://"), "JOBS_URL is a variable the job used")
}

func TestJobOutputCapped(t *testing.T) {
	t.Parallel()
	const total = 3 << 20
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		line := strings.Repeat("x", 99) + "\n"
		for range total / len(line) {
			io.WriteString(w, line)
		}
	}))
	t.Cleanup(srv.Close)
	r := jobRunner(srv)
	r.MaxOutput = 1 << 20
	res, _ := run(t, r, jobPlan(t, `{method: GET, url: "${JOBS_URL}/x"}`), nil)
	require.Equal(t, bot.StepOK, res.Status, res.Detail)
	assert.Len(t, res.Output, 1<<20)
	assert.Equal(t, int64(total/100*100-(1<<20)), res.Dropped)
}
