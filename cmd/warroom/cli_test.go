package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

// cli runs the binary's run function with args and no input, and returns
// its stdout, stderr and exit code.
func cli(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, clock: bot.NewFakeClock(start)})
	return out.String(), errb.String(), code
}

// writeConfig writes a config file into a new directory and returns its
// path.
func writeConfig(t *testing.T, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "warroom.yaml")
	require.NoError(t, os.WriteFile(path, []byte(data), 0o600))
	return path
}

// TestCheckUnsetVariables: an unset ${VAR} fails `warroom check`, naming
// the key, the line and the variable; ${VAR:-default} does not. (The
// variable names are ones no environment sets.)
func TestCheckUnsetVariables(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, "bridge: \"${WARROOM_TEST_UNSET_BRIDGE_URL}/room-{id}\"\nhttp: off\ndatabase: ${WARROOM_TEST_UNSET_DB_PATH}\n")
	_, stderr, code := cli(t, "check", "-config", cfg)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, cfg+":1: bridge: ${WARROOM_TEST_UNSET_BRIDGE_URL} is not set: set WARROOM_TEST_UNSET_BRIDGE_URL in the environment, or write ${WARROOM_TEST_UNSET_BRIDGE_URL:-default} if it is optional")
	assert.Contains(t, stderr, cfg+":3: database: ${WARROOM_TEST_UNSET_DB_PATH} is not set")

	_, stderr, code = cli(t, "-config", cfg, "-db", filepath.Join(t.TempDir(), "w.db"))
	assert.Equal(t, 1, code, "nor does warroom start on it")
	assert.Contains(t, stderr, "WARROOM_TEST_UNSET_BRIDGE_URL")

	cfg = writeConfig(t, "bridge: \"${WARROOM_TEST_UNSET_BRIDGE_URL:-https://meet.example.com}/room-{id}\"\ndatabase: ${WARROOM_TEST_UNSET_DB_PATH:-}\n")
	stdout, stderr, code := cli(t, "check", "-config", cfg)
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, ": ok")
}
