package web_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// headlessShell is Debian's chromium-headless-shell, which .ci/run installs.
const headlessShell = "/usr/bin/chromium-headless-shell"

// TestBrowserIncidentPage loads /incidents/1 in a real headless Chromium:
// the rendered DOM has the title, roles, check-ins and timeline; an update
// posted through the core appears without a reload (htmx polls the live
// fragment); and a screenshot is saved to $WARROOM_ARTIFACTS (or a temp
// dir). It skips without the browser, except under CI=true.
func TestBrowserIncidentPage(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath(headlessShell); err != nil {
		msg := "chromium-headless-shell is not installed (apt-get install -y --no-install-recommends chromium-headless-shell); the browser test needs it"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	r := newRig(t, false)
	r.fixture()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(headlessShell), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(1200, 900), chromedp.UserDataDir(t.TempDir()))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	// The first Run starts the browser; deadlines go on later runs only,
	// since one on the first would stop the browser with it.
	require.NoError(t, chromedp.Do(ctx))
	within := func(d time.Duration) context.Context {
		c, stop := context.WithTimeout(ctx, d)
		t.Cleanup(stop)
		return c
	}

	require.NoError(t, chromedp.Do(within(30*time.Second), chromedp.Navigate(r.url+"/incidents/1"), chromedp.WaitVisible(chromedp.CSS("#timeline"))))
	title, err := chromedp.Run(within(5*time.Second), chromedp.Title())
	require.NoError(t, err)
	assert.Equal(t, "fault 1 Ledger down · warroom", title)
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(within(5*time.Second), chromedp.Text(chromedp.CSS(sel)))
		require.NoError(t, err, sel)
		return s
	}
	assert.Contains(t, text("#title"), "Fault 1: Ledger down")
	roles := text("#roles")
	assert.Contains(t, roles, "Commander\t@dee")
	assert.Contains(t, roles, "Handler\t@ana")
	checkins := text("#checkins")
	assert.Contains(t, checkins, "checked in 14:02:00 +2m0s (command)", "ben")
	assert.Contains(t, checkins, "not checked in", "cy")
	assert.Contains(t, text("#timeline"), "node 3 drained, errors falling")

	// Mark the document: a reload would lose the mark.
	_, err = chromedp.Run(within(5*time.Second), chromedp.Evaluate[bool](`window.warroomMark = true`))
	require.NoError(t, err)
	_, err = r.bot.Update(r.ctx, as("dee"), 1, "failover to the standby done")
	require.NoError(t, err)
	// Wait for the update by polling the DOM, up to a deadline.
	shown, err := chromedp.Run(within(30*time.Second), chromedp.Poll[bool](
		`document.querySelector('#timeline').innerText.includes('failover to the standby done') && window.warroomMark === true`,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second)))
	require.NoError(t, err, "the update did not appear within 20s of being posted")
	assert.True(t, shown)
	assert.Contains(t, text("#header"), "failover to the standby done", "the last update in the header too")

	shot, err := chromedp.Run(within(20*time.Second), chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(shot), "\x89PNG"), "a PNG")
	dir := os.Getenv("WARROOM_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	path := filepath.Join(dir, "incident-page.png")
	require.NoError(t, os.WriteFile(path, shot, 0o644))
	t.Logf("screenshot: %s (%d bytes)", path, len(shot))
}
