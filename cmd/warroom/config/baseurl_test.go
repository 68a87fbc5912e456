package config_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/cmd/warroom/config"
)

// TestBaseURL: base_url is an absolute http(s) URL, kept without its
// trailing slash; anything else is a one-line problem naming the key and
// its line.
func TestBaseURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"base_url: https://warroom.example.com\n":        "https://warroom.example.com",
		"base_url: https://warroom.example.com/\n":       "https://warroom.example.com",
		"base_url: http://10.0.0.5:8080/warroom/\n":      "http://10.0.0.5:8080/warroom",
		"base_url: ${WARROOM_TEST_UNSET_BASE_URL:-}\n":   "",
		"base_url: \"${BASE:-https://w.example.com}\"\n": "https://w.example.com",
		"command: fault\n":                               "",
	} {
		cfg, err := config.Parse([]byte(in), "t.yaml", func(string) string { return "" })
		require.NoError(t, err, in)
		assert.Equal(t, want, cfg.BaseURL, in)
	}
	assert.Equal(t, "http://127.0.0.1:8080", config.Default().BaseURL, "the example links to the demo's own server")

	for in, want := range map[string]string{
		"http: off\nbase_url: warroom.example.com\n":            `t.yaml:2: base_url: "warroom.example.com" is not an absolute http(s) URL; give where people reach warroom's pages, such as https://warroom.example.com`,
		"base_url: /incidents\n":                                `t.yaml:1: base_url: "/incidents" is not an absolute http(s) URL`,
		"base_url: ftp://warroom.example.com\n":                 `t.yaml:1: base_url: "ftp://warroom.example.com" is not an absolute http(s) URL`,
		"base_url: \"https://w.example.com/?a=1\"\n":            `t.yaml:1: base_url: "https://w.example.com/?a=1" has a query or fragment; give the base URL only`,
		"base_url: \"https://w.example.com/#x\"\n":              `t.yaml:1: base_url: "https://w.example.com/#x" has a query or fragment`,
		"base_url: \"https://me:pw@w.example.com\"\n":           `t.yaml:1: base_url: "https://me:pw@w.example.com" has a user name or password`,
		"base_url: [https://w.example.com]\n":                   `t.yaml:1: base_url:`,
		"base_url: ${WARROOM_TEST_UNSET_BASE_URL}\n":            `t.yaml:1: base_url: ${WARROOM_TEST_UNSET_BASE_URL} is not set`,
		"base_url: https://w.example.com\nbase_url: http://x\n": `t.yaml:2:`,
	} {
		_, err := config.Parse([]byte(in), "t.yaml", func(string) string { return "" })
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want, in)
		assert.NotContains(t, err.Error(), "\n", "one line: %s", err)
	}
}
