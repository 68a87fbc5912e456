package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const planA = `name: flush-cache
title: Flush the cache
impact: P4
approval: {roles: [commander]}
steps:
  - name: flush
    manual: flush it by hand
`

const planB = `name: warm-cache
title: Warm the cache
impact: P4
approval: {roles: [commander]}
steps:
  - name: warm
    manual: warm it by hand
`

func TestPlansCheckSubcommand(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	jobsEnv := func(k string) string {
		if strings.HasPrefix(k, "JOBS_") {
			return "set"
		}
		return ""
	}
	// No config and no ./plans here: the embedded examples are checked.
	code := run(context.Background(), []string{"plans", "check"}, env{stdout: &out, stderr: &errb, getenv: jobsEnv})
	assert.Equal(t, 0, code, errb.String())
	assert.Contains(t, out.String(), "3 plans ok: db-data-exception, network-attack, server-breakdown")

	// Without ${JOBS_URL} and ${JOBS_TOKEN} two of them cannot work.
	out.Reset()
	code = run(context.Background(), []string{"plans", "check"}, env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	assert.Equal(t, 1, code)
	assert.Contains(t, out.String(), "server-breakdown.yaml:26: steps.restore-data.job.url: ${JOBS_URL} is not set in this environment: step restore-data cannot run without it\n")
	assert.Contains(t, out.String(), ": 1 plan ok: network-attack\n")
	assert.Contains(t, out.String(), ": 2 plans load but cannot work fully here: db-data-exception (${JOBS_URL}, ${JOBS_TOKEN} not set); server-breakdown (${JOBS_URL}, ${JOBS_TOKEN} not set)\n")

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.yaml"), []byte(planA), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "broken.yaml"), []byte("name: broken\ntitle: x\nimpact: P9\nsteps: []\n"), 0o600))
	out.Reset()
	errb.Reset()
	code = run(context.Background(), []string{"plans", "check", dir}, env{stdout: &out, stderr: &errb, getenv: jobsEnv})
	assert.Equal(t, 1, code)
	assert.Contains(t, out.String(), "broken.yaml:3: impact:")
	assert.Contains(t, out.String(), "1 plan ok: flush-cache")

	errb.Reset()
	assert.Equal(t, 2, run(context.Background(), []string{"plans", "chek"}, env{stdout: &out, stderr: &errb}))
	assert.Contains(t, errb.String(), `unknown subcommand "chek"; did you mean check? (plans takes check or reload)`)
}

// TestPlansReload: a running warroom re-reads its plans directory on SIGHUP
// and on `warroom plans reload`; a broken file is reported, the rest load.
func TestPlansReload(t *testing.T) {
	t.Parallel()
	s := newScenario(t)
	plansDir := filepath.Join(s.dir, "plans")
	require.NoError(t, os.Mkdir(plansDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(plansDir, "a.yaml"), []byte(planA), 0o600))
	cfg, err := os.ReadFile(filepath.Join(s.dir, "warroom.yaml"))
	require.NoError(t, err)
	cfgFile := filepath.Join(s.dir, "warroom.yaml")
	require.NoError(t, os.WriteFile(cfgFile, append(cfg, []byte("plans: "+plansDir+"\napi_tokens: {ops: {token: \"${OPS_TOKEN}\", person: nadia}}\n")...), 0o600))
	getenv := func(k string) string { return map[string]string{"OPS_TOKEN": "tok-ops-4d1f0c"}[k] }

	pr, pw := io.Pipe()
	addrc := make(chan string, 1)
	hup := make(chan os.Signal) // unbuffered: a second send waits for the first reload
	var out, errb syncBuffer
	done := make(chan int)
	go func() {
		done <- run(context.Background(), []string{"-config", cfgFile, "-db", filepath.Join(s.dir, "w.db"), "-http", "127.0.0.1:0"},
			env{stdin: pr, stdout: &out, stderr: &errb, clock: s.clock, hup: hup, ready: func(a string) { addrc <- a }, getenv: getenv})
	}()
	addr := <-addrc
	names := func() []string {
		resp, err := http.Get("http://" + addr + "/api/plans")
		require.NoError(t, err)
		defer resp.Body.Close()
		var got struct{ Plans []struct{ Name string } }
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
		var n []string
		for _, p := range got.Plans {
			n = append(n, p.Name)
		}
		return n
	}
	assert.Equal(t, []string{"flush-cache"}, names())

	require.NoError(t, os.WriteFile(filepath.Join(plansDir, "b.yaml"), []byte(planB), 0o600))
	hup <- os.Interrupt
	hup <- os.Interrupt // returns once the first reload is done
	assert.Equal(t, []string{"flush-cache", "warm-cache"}, names())

	require.NoError(t, os.WriteFile(filepath.Join(plansDir, "c.yaml"), []byte("name: [\n"), 0o600))
	require.NoError(t, os.Remove(filepath.Join(plansDir, "a.yaml")))
	var rout, rerr bytes.Buffer
	resp, err := http.Post("http://"+addr+"/api/plans/reload", "", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "reloading takes a token, wherever the request comes from")
	code := run(context.Background(), []string{"plans", "reload", "-config", cfgFile, "-http", addr}, env{stdout: &rout, stderr: &rerr, getenv: getenv})
	assert.Equal(t, 1, code, "a problem is reported")
	assert.Contains(t, rout.String(), "c.yaml:")
	assert.Contains(t, rout.String(), "reloaded: 1 plan loaded, 1 problem")
	assert.Equal(t, []string{"warm-cache"}, names(), "the broken file is left out, the others load")

	require.NoError(t, pw.Close())
	assert.Equal(t, 0, <-done)
}
