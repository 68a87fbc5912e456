package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestExportFormats: export prints JSON by default and the postmortem
// draft with -format md, its links from base_url; any other format is a
// one-line usage error naming both.
func TestExportFormats(t *testing.T) {
	t.Parallel()
	s := newScenario(t)
	_, code := s.play(t, []step{
		{0, "sam: /fault declare P2 Invoices *stuck* | pending service=billing"},
		{0, "#fault-1-invoices-stuck-pending"},
		{45 * time.Second, "omar: +✅"},
		{5 * time.Minute, "rui: /fault task @omar drain the lag"},
		{20 * time.Minute, "sam: /fault resolve backlog cleared"},
	})
	require.Equal(t, 0, code)
	cfg, db := filepath.Join(s.dir, "warroom.yaml"), filepath.Join(s.dir, "w.db")

	stdout, stderr, code := cli(t, "export", "1", "-db", db, "-config", cfg)
	require.Equal(t, 0, code, stderr)
	assert.True(t, strings.HasPrefix(stdout, "{\n"), "JSON stays the default")
	jsonOut, _, _ := cli(t, "export", "1", "-db", db, "-config", cfg, "-format", "json")
	assert.Equal(t, stdout, jsonOut)

	md, stderr, code := cli(t, "export", "-format", "md", "1", "-db", db, "-config", cfg)
	require.Equal(t, 0, code, stderr)
	for _, want := range []string{
		"# Postmortem draft: fault 1 — Invoices \\*stuck\\* \\| pending\n",
		"- **Duration:** 20m0s\n",
		"| Time to first check-in (MTTA) | 45s (Omar Said (@omar)) |\n",
		"| 1 | drain the lag | Omar Said (@omar) |",
		"- [ ] Task #1 for Omar Said (@omar) is still open: drain the lag\n",
		"Nadia Haddad (@nadia) never checked in",
	} {
		assert.Contains(t, md, want)
	}
	assert.NotContains(t, md, "War room: <", "the test config sets no base_url")

	withURL := filepath.Join(s.dir, "with-url.yaml")
	data, err := os.ReadFile(cfg)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(withURL, append(data, "base_url: https://warroom.corp.test/\n"...), 0o600))
	md, stderr, code = cli(t, "export", "-format", "md", "1", "-db", db, "-config", withURL)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, md, "War room: <https://warroom.corp.test/incidents/1>")

	stdout, stderr, code = cli(t, "export", "1", "-db", db, "-config", cfg, "-format", "markdown")
	assert.Equal(t, 2, code)
	assert.Empty(t, stdout)
	assert.Equal(t, "warroom export: -format \"markdown\": use json or md\n", stderr)

	_, stderr, code = cli(t, "export", "-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, stderr, "-format json|md")
}
