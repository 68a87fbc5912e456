package bot_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/plans"
)

// The tests here run plans for real: files in a directory, read by the
// plans package, run by its Runner as processes.

// realPlan writes a plan directory (plan.yaml and files, scripts made
// executable) and loads it; the plan must load without a problem.
func realPlan(t *testing.T, yaml string, files map[string]string) (*bot.Plan, string) {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		path := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.Chmod(filepath.Dir(path), 0o755)) // whatever the umask
		require.NoError(t, os.WriteFile(path, []byte(body), 0o700))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "plan.yaml"), []byte(yaml), 0o600))
	set, probs := plans.Load(dir)
	require.Empty(t, probs)
	require.Len(t, set.Plans, 1)
	return set.Plans[0], dir
}

// runPlan declares a P2 fault on the ledger (dee commands it), has ana ask
// for the plan's run and dee approve it.
func (r *rig) runPlan(p *bot.Plan, params string) string {
	r.t.Helper()
	require.NoError(r.t, r.bot.SetPlans(r.ctx, []*bot.Plan{p}))
	ch := r.declare("/fault declare P2 Ledger stuck service=ledger").Channel
	r.say(ch, "ana", strings.TrimSpace("/fault run "+p.Name+" "+params))
	r.say(ch, "dee", "/fault approve 1")
	return ch
}

// within waits until cond holds, checking often; it fails the test after
// d. Tests wait on conditions, never for a fixed time.
func within(t *testing.T, d time.Duration, what string, cond func() bool) bool {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Errorf("%s: not within %s", what, d)
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// TestCoreRedactsWhatARunnerLetsThrough (issue 15, finding 4): whatever
// the Runner, secrets in a step's output and detail reach neither the chat
// nor the store (which the API serves) nor the timeline.
func TestCoreRedactsWhatARunnerLetsThrough(t *testing.T) {
	t.Parallel()
	const (
		ghp = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
		sk  = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
		pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END PRIVATE KEY-----\n"
	)
	r := newRig(t)
	p := testPlan()
	p.Steps = p.Steps[:1]
	p.Rollback = nil
	fr := r.withPlans(p)
	leak := "cloning with " + ghp + "\n" + pem + "done\n"
	fr.output["drain"] = leak
	fr.results["drain"] = bot.StepResult{Status: bot.StepFailed, Detail: "HTTP 401: key " + sk + " refused", Output: leak}
	ch := r.runPlan(p, "node=ledger-1")
	r.bot.Wait()

	texts := strings.Join(r.chat.Texts(ch), "\n")
	out, err := r.db.Output(r.ctx, 1, 1, 1)
	require.NoError(t, err)
	events, err := r.db.Events(r.ctx, 1)
	require.NoError(t, err)
	var timeline strings.Builder
	for _, e := range events {
		timeline.WriteString(e.Text + "\n")
	}
	for where, s := range map[string]string{"chat": texts, "store": out, "timeline": timeline.String()} {
		for _, secret := range []string{ghp, sk, "MIIEvQIBADAN"} {
			assert.NotContains(t, s, secret, "%s shows a secret", where)
		}
	}
	assert.Contains(t, texts, "cloning with [redacted]")
	assert.Contains(t, texts, "HTTP 401: key [redacted] refused")
	assert.Equal(t, "cloning with [redacted]\n-----BEGIN PRIVATE KEY-----\n[redacted]\n-----END PRIVATE KEY-----\ndone\n", out)
}
