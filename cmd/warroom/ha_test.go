package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store/postgres"
	"github.com/warroom/warroom/store/postgres/pgtest"
)

// The HA tests run warroom as separate processes (the test binary itself,
// re-executed with childEnv set, so no second build is needed): SIGKILL
// must really kill a process, and the database must see its sessions end.

const childEnv = "WARROOM_TEST_RUN_AS_WARROOM"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, os.Args[1:], env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, clock: bot.SystemClock{}})
		stop()
		os.Exit(code)
	}
	pgtest.Main(m)
}

const haToken = "ha-test-token-1234567890"

// haConfig: a reminder falls due every minute; nobody is chased in the
// time the test covers, so reminders are the only timed work.
const haConfig = `
command: fault
adapter: console
api_tokens:
  ops: {token: "${WARROOM_HA_TOKEN}", person: nadia}
people:
  nadia: {name: Nadia Haddad}
  omar:  {name: Omar Said}
services:
  billing: {contacts: [nadia, omar], stability: omar}
levels:
  P1: {commander: stability, checkin_within: 24h, remind: "* * * * *"}
  P2: {commander: stability, checkin_within: 24h, remind: "* * * * *"}
  P3: {commander: stability, checkin_within: 24h, remind: "0 * * * *"}
  P4: {commander: stability, checkin_within: 24h, remind: "0 */4 * * *"}
`

// replica is one warroom process of the pair under test.
type replica struct {
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *syncBuffer
	errb  *syncBuffer
	addr  string
	done  chan struct{}
}

var httpAt = regexp.MustCompile(`HTTP http://(127\.0\.0\.1:\d+)`)

func startReplica(t *testing.T, name, dir, url string) *replica {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-config", filepath.Join(dir, "warroom.yaml"), "-db", url,
		"-http", "127.0.0.1:0", "-demo-clock", "-log-level", "info")
	cmd.Env = append(os.Environ(), childEnv+"=1", "WARROOM_HA_TOKEN="+haToken)
	r := &replica{name: name, cmd: cmd, out: &syncBuffer{}, errb: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = r.out, r.errb
	var err error
	r.stdin, err = cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	go func() { _ = cmd.Wait(); close(r.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-r.done
		if t.Failed() {
			t.Logf("%s stdout:\n%s\n%s stderr:\n%s", name, r.out.String(), name, r.errb.String())
		}
	})
	eventually(t, 30*time.Second, name+" listening", func() bool {
		m := httpAt.FindStringSubmatch(r.out.String())
		if m != nil {
			r.addr = m[1]
		}
		return m != nil
	})
	return r
}

// say types a console line into the replica ("~ 1m" moves its demo clock).
func (r *replica) say(t *testing.T, line string) {
	t.Helper()
	_, err := io.WriteString(r.stdin, line+"\n")
	require.NoError(t, err, r.name)
}

// role is what /healthz says: "leader", "follower", or "" when the process
// does not answer.
func (r *replica) role() string {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + r.addr + "/healthz")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.TrimPrefix(strings.TrimSpace(string(b)), "ok ")
}

func (r *replica) declare(t *testing.T, title string) int64 {
	t.Helper()
	body := fmt.Sprintf(`{"level":"P2","title":%q,"service":"billing"}`, title)
	req, err := http.NewRequest(http.MethodPost, "http://"+r.addr+"/api/incidents", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+haToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(b))
	var got struct {
		Incident struct{ Fault struct{ ID int64 } }
	}
	require.NoError(t, json.Unmarshal(b, &got), string(b))
	require.NotZero(t, got.Incident.Fault.ID, string(b))
	return got.Incident.Fault.ID
}

// eventually polls cond (the processes under test are outside this one:
// there is nothing to wait on but what they show) until it holds or d has
// passed.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// haPair starts two replicas on a new database, waits for one to lead,
// declares a fault through the follower's API (every process serves
// writes) and has the leader fire its first reminder.
type haPair struct {
	pg      *postgres.DB
	id      int64
	leader  *replica
	standby *replica
}

func newHAPair(t *testing.T) *haPair {
	url := pgtest.Get(t).NewDatabase(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "warroom.yaml"), []byte(haConfig), 0o600))
	a := startReplica(t, "a", dir, url)
	b := startReplica(t, "b", dir, url)
	p := &haPair{}
	eventually(t, 15*time.Second, "one of the two leads", func() bool {
		ra, rb := a.role(), b.role()
		switch {
		case ra == "leader" && rb == "follower":
			p.leader, p.standby = a, b
		case rb == "leader" && ra == "follower":
			p.leader, p.standby = b, a
		}
		return p.leader != nil
	})
	var err error
	p.pg, err = postgres.Open(context.Background(), url, bot.SystemClock{})
	require.NoError(t, err)
	t.Cleanup(func() { p.pg.Close() })
	p.id = p.standby.declare(t, "Ledger down")
	p.advance(t, "~ 1m")
	p.waitReminders(t, 1, 10*time.Second)
	return p
}

// advance moves both replicas' demo clocks alike; only the leader's
// moving ticks.
func (p *haPair) advance(t *testing.T, line string) {
	for _, r := range []*replica{p.leader, p.standby} {
		if r == nil {
			continue
		}
		select {
		case <-r.done:
		default:
			r.say(t, line)
		}
	}
}

func (p *haPair) reminders(t *testing.T) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	evs, err := p.pg.Events(ctx, p.id)
	if err != nil {
		return -1 // the database is restarting
	}
	n := 0
	for _, e := range evs {
		if e.Type == bot.EventReminded {
			n++
		}
	}
	return n
}

func (p *haPair) waitReminders(t *testing.T, n int, d time.Duration) {
	t.Helper()
	eventually(t, d, fmt.Sprintf("%d reminders recorded", n), func() bool {
		got := p.reminders(t)
		require.LessOrEqual(t, got, n, "a reminder fired twice")
		return got == n
	})
}

// TestHAFailoverOnKill: the leader is killed with SIGKILL; the follower
// takes over and fires the reminder that fell due, once, within 10 s of
// the kill. Not parallel: the next test restarts the shared server.
func TestHAFailoverOnKill(t *testing.T) {
	p := newHAPair(t)
	require.NoError(t, p.leader.cmd.Process.Signal(syscall.SIGKILL))
	killed := time.Now()
	<-p.leader.done
	p.advance(t, "~ 1m") // the survivor's clock passes the next reminder, while it still follows
	p.waitReminders(t, 2, 10*time.Second-time.Since(killed))
	t.Logf("the reminder fired %s after the kill", time.Since(killed).Round(time.Millisecond))
	assert.Equal(t, "leader", p.standby.role())
	assert.Contains(t, p.standby.errb.String(), "this process leads now")

	// The new leader keeps the schedule: one more minute, one more reminder.
	p.leader, p.standby = p.standby, nil
	p.advance(t, "~ 1m")
	p.waitReminders(t, 3, 10*time.Second)
}

// TestHAFailoverOnDatabaseRestart: the server restarts under both
// processes. The leader finds its session gone and stops leading; they
// reconnect, one leads again, and the next reminder fires once, within
// 10 s of the server being back.
func TestHAFailoverOnDatabaseRestart(t *testing.T) {
	p := newHAPair(t)
	require.NoError(t, pgtest.Get(t).Restart())
	back := time.Now()
	eventually(t, 5*time.Second, "the leader noticed that its session ended", func() bool {
		return strings.Contains(p.leader.errb.String(), "leads no more")
	})
	eventually(t, 10*time.Second-time.Since(back), "exactly one leader after the restart", func() bool {
		a, b := p.leader.role(), p.standby.role()
		return a != "" && b != "" && (a == "leader") != (b == "leader")
	})
	t.Logf("a leader again %s after the server was back", time.Since(back).Round(time.Millisecond))
	p.advance(t, "~ 1m")
	p.waitReminders(t, 2, 10*time.Second-time.Since(back))

	// Both serve writes again on the restarted server, and the schedule
	// goes on: one more minute, one more reminder.
	assert.Greater(t, p.standby.declare(t, "Second fault"), p.id)
	assert.Greater(t, p.leader.declare(t, "Third fault"), p.id)
	p.advance(t, "~ 1m")
	p.waitReminders(t, 3, 10*time.Second)
}
