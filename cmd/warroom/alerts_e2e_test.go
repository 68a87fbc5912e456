package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

// alertmanagerBinary finds Debian's prometheus-alertmanager (or upstream's
// alertmanager). Without it the end-to-end test skips on a developer's
// machine and fails in CI, which installs it (.ci/run).
func alertmanagerBinary(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"prometheus-alertmanager", "alertmanager"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const how = "apt-get install -y --no-install-recommends prometheus-alertmanager"
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI: prometheus-alertmanager is not installed, so the alert end-to-end test cannot run; .ci/run installs it with %s", how)
	}
	t.Skipf("prometheus-alertmanager is not installed: the alert end-to-end test needs it (%s; CI installs it)", how)
	return ""
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// waitFor polls cond until it holds or the deadline passes: Alertmanager's
// timing is its own, so the test waits on what it needs, never a sleep.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", within, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestAlertmanagerEndToEnd runs a real Alertmanager on loopback with a
// webhook receiver to warroom's /hooks/alertmanager (the bearer token in
// http_config.authorization), feeds it alerts through its API, and checks
// the fault, the dedup and the resolve in warroom's store (read through its
// API).
func TestAlertmanagerEndToEnd(t *testing.T) {
	bin := alertmanagerBinary(t)
	const token = "e2e-alert-token-5d1c9b"
	t.Setenv("WARROOM_E2E_ALERT_TOKEN", token)
	dir := t.TempDir()
	cfgText := testConfig + `
alerts:
  token: "${WARROOM_E2E_ALERT_TOKEN}"
  level: {map: {critical: P1, warning: P3}}
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "warroom.yaml"), []byte(cfgText), 0o600))

	// warroom, on the real clock, HTTP on a free loopback port.
	pr, pw := io.Pipe()
	addrc := make(chan string, 1)
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"-config", filepath.Join(dir, "warroom.yaml"), "-db", filepath.Join(dir, "w.db"), "-http", "127.0.0.1:0"}, env{
			stdin: pr, stdout: &out, stderr: &errb, clock: bot.SystemClock{}, ready: func(a string) { addrc <- a },
		})
	}()
	var addr string
	select {
	case addr = <-addrc:
	case code := <-done:
		t.Fatalf("warroom exited (%d): %s", code, errb.String())
	}
	t.Cleanup(func() {
		pw.Close()
		select {
		case code := <-done:
			assert.Equal(t, 0, code, "warroom's exit: %s", errb.String())
		case <-time.After(15 * time.Second):
			t.Error("warroom did not exit")
		}
	})

	// Alertmanager, loopback only, no cluster, with small group timings.
	amAddr := freePort(t)
	amYAML := fmt.Sprintf(`route:
  receiver: warroom
  group_by: [alertname, service]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: warroom
    webhook_configs:
      - url: http://%s/hooks/alertmanager
        send_resolved: true
        http_config:
          authorization: {type: Bearer, credentials: %s}
`, addr, token)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "am.yml"), []byte(amYAML), 0o600))
	var amLog syncBuffer
	am := exec.Command(bin, "--config.file="+filepath.Join(dir, "am.yml"), "--storage.path="+filepath.Join(dir, "am-data"),
		"--web.listen-address="+amAddr, "--cluster.listen-address=", "--log.level=debug")
	am.Stdout, am.Stderr = &amLog, &amLog
	require.NoError(t, am.Start())
	t.Cleanup(func() {
		_ = am.Process.Kill()
		_ = am.Wait()
		if t.Failed() {
			t.Logf("alertmanager's log:\n%s", amLog.String())
			t.Logf("warroom's stderr:\n%s\nstdout:\n%s", errb.String(), out.String())
		}
	})
	client := &http.Client{Timeout: 5 * time.Second}
	waitFor(t, 20*time.Second, "alertmanager ready on "+amAddr, func() bool {
		resp, err := client.Get("http://" + amAddr + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	type amAlert struct {
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations,omitempty"`
		EndsAt      string            `json:"endsAt,omitempty"`
	}
	fire := func(endsAt time.Time, instances ...string) {
		t.Helper()
		var batch []amAlert
		for _, in := range instances {
			a := amAlert{
				Labels:      map[string]string{"alertname": "HighErrorRate", "service": "billing", "severity": "critical", "instance": in},
				Annotations: map[string]string{"summary": "Billing 5xx above 5%", "description": "5xx on " + in},
			}
			if !endsAt.IsZero() {
				a.EndsAt = endsAt.UTC().Format(time.RFC3339Nano)
			}
			batch = append(batch, a)
		}
		body, err := json.Marshal(batch)
		require.NoError(t, err)
		resp, err := client.Post("http://"+amAddr+"/api/v2/alerts", "application/json", bytes.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}

	// What warroom's store holds, through its API.
	type incident struct {
		Fault struct {
			ID      int64
			Title   string
			Level   string
			Status  string
			Service string
			Kind    string
		}
		Timeline []struct {
			Type  string
			Actor string
			Via   string
		}
	}
	incidents := func() []incident {
		resp, err := client.Get("http://" + addr + "/api/incidents")
		require.NoError(t, err)
		defer resp.Body.Close()
		var list struct{ Incidents []struct{ ID int64 } }
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))
		var out []incident
		for _, i := range list.Incidents {
			resp, err := client.Get(fmt.Sprintf("http://%s/api/incidents/%d", addr, i.ID))
			require.NoError(t, err)
			var inc incident
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&inc))
			resp.Body.Close()
			out = append(out, inc)
		}
		return out
	}
	count := func(inc incident, typ bot.EventType) int {
		n := 0
		for _, e := range inc.Timeline {
			if e.Type == string(typ) {
				n++
			}
		}
		return n
	}

	fire(time.Time{}, "web-1", "web-2")
	waitFor(t, 30*time.Second, "a fault with both alerts firing", func() bool {
		all := incidents()
		return len(all) == 1 && count(all[0], bot.EventAlertFiring) == 2
	})
	f := incidents()[0]
	assert.Equal(t, "Billing 5xx above 5%", f.Fault.Title)
	assert.Equal(t, "P1", f.Fault.Level, "severity critical")
	assert.Equal(t, "billing", f.Fault.Service)
	assert.Equal(t, "HighErrorRate", f.Fault.Kind)
	assert.Equal(t, "open", f.Fault.Status)
	assert.Equal(t, "alertmanager", f.Timeline[0].Actor)

	// The same alerts again, and a third of the group: one fault.
	fire(time.Time{}, "web-1", "web-2", "web-3")
	waitFor(t, 30*time.Second, "the third alert joins the fault", func() bool {
		all := incidents()
		return len(all) == 1 && count(all[0], bot.EventAlertFiring) == 3
	})

	// Resolved: Alertmanager sends the group resolved.
	fire(time.Now(), "web-1", "web-2", "web-3")
	waitFor(t, 30*time.Second, "every alert resolved", func() bool {
		all := incidents()
		return len(all) == 1 && count(all[0], bot.EventAlertResolved) == 3
	})
	f = incidents()[0]
	assert.Equal(t, "open", f.Fault.Status, "a person resolves it")
	assert.Equal(t, 3, count(f, bot.EventAlertFiring), "nothing fired twice")
	assert.True(t, strings.Contains(out.String(), "🔔 declared by alertmanager"), "the war room heard: %s", out.String())
}
