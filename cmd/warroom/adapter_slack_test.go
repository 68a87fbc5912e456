package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warroom/warroom/bot"
)

// A rejected bot token stops warroom at start: exit 1, and the error names
// the key to fix. (Not parallel: the tokens come from the environment.)
func TestSlackInvalidAuthExits(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":false,"error":"invalid_auth"}`))
	}))
	defer api.Close()
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-revoked")
	t.Setenv("SLACK_APP_TOKEN", "xapp-x")
	dir := t.TempDir()
	cfg := "adapter: slack\nslack: {bot_token: \"${SLACK_BOT_TOKEN}\", app_token: \"${SLACK_APP_TOKEN}\", api_url: \"" + api.URL + "/\"}\n"
	if err := os.WriteFile(filepath.Join(dir, "warroom.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"-config", filepath.Join(dir, "warroom.yaml"), "-db", filepath.Join(dir, "w.db"), "-http", "off"},
		env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, clock: bot.NewFakeClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))})
	if code == 0 || !strings.Contains(errb.String(), "slack.bot_token") || !strings.Contains(errb.String(), "invalid_auth") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}
