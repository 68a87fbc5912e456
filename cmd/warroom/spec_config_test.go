package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/cmd/warroom/config"
)

// The configuration block of the product spec (PRODUCT.md, copied verbatim
// into testdata/product-config.yaml) is what new users start from: it is
// valid with each adapter it lists, every section's keys as written there.
func TestProductSpecConfigIsValidForEveryAdapter(t *testing.T) {
	t.Parallel()
	spec, err := os.ReadFile(filepath.Join("testdata", "product-config.yaml"))
	require.NoError(t, err)
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_APP_TOKEN": "xapp-1-A1-2-abc", "DISCORD_TOKEN": "abc.def.ghi",
		"MATRIX_TOKEN": "syt_abc", "LARK_APP_SECRET": "secret", "DINGTALK_SECRET": "secret", "WARROOM_CI_TOKEN": "ci-token-0123456789abcdef"}
	for _, adapter := range []string{"console", "slack", "discord", "matrix", "lark", "dingtalk"} {
		t.Run(adapter, func(t *testing.T) {
			t.Parallel()
			text := strings.Replace(string(spec), "adapter: console ", "adapter: "+adapter+" ", 1)
			require.Contains(t, text, "adapter: "+adapter+" ")
			path := filepath.Join(t.TempDir(), "warroom.yaml")
			require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
			cfg, err := config.LoadWith(path, func(k string) string { return env[k] })
			require.NoError(t, err)
			require.Equal(t, adapter, cfg.Adapter)
		})
	}
}
