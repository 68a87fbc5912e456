package matrix_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// The end-to-end test runs a real Dendrite (v0.15.2), built by
// testdata/dendrite.sh into a cache; .ci/run builds it and exports
// WARROOM_DENDRITE_BIN. Without it the test skips, except under CI=true.

// dendrite is a running homeserver: its client API URL and the access
// token of each account made on it.
type dendrite struct {
	url    string
	server string
	tokens map[string]string // localpart → access token
	bin    string
	config string
}

func dendriteBin(t *testing.T) string {
	bin := os.Getenv("WARROOM_DENDRITE_BIN")
	if bin == "" {
		tools := os.Getenv("WARROOM_TOOLS")
		if tools == "" {
			home, _ := os.UserHomeDir()
			tools = filepath.Join(home, ".cache", "warroom-tools")
		}
		bin = filepath.Join(tools, "dendrite-v0.15.2", "bin")
	}
	for _, exe := range []string{"dendrite", "create-account", "generate-config", "generate-keys"} {
		if _, err := os.Stat(filepath.Join(bin, exe)); err != nil {
			msg := fmt.Sprintf("Dendrite is not built (%s missing); run adapters/matrix/testdata/dendrite.sh and set WARROOM_DENDRITE_BIN to the folder it prints", filepath.Join(bin, exe))
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	return bin
}

// startDendrite runs Dendrite on a free loopback port in a temporary
// folder (SQLite, federation off, a registration secret) and makes the
// accounts; the first (the bot) alone is rate-limited.
func startDendrite(t *testing.T, accounts ...string) *dendrite {
	bin := dendriteBin(t)
	dir := t.TempDir()
	run := func(name string, args ...string) []byte {
		t.Helper()
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return out
	}
	run("generate-keys", "--private-key", filepath.Join(dir, "matrix_key.pem"))
	cfg := run("generate-config", "-dir", dir, "-server", "localhost")
	config := filepath.Join(dir, "dendrite.yaml")
	if err := os.WriteFile(config, dendriteConfig(t, cfg, accounts[1:]), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freePort(t)
	var logs bytes.Buffer
	cmd := exec.Command(filepath.Join(bin, "dendrite"), "-config", config, "-http-bind-address", addr, "-https-bind-address", "")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("dendrite's log:\n%s", tail(logs.String(), 4000))
		}
	})
	d := &dendrite{url: "http://" + addr, server: "localhost", tokens: map[string]string{}, bin: bin, config: config}
	d.waitUp(t)
	tokenRe := regexp.MustCompile(`AccessToken: ([^)\s]+)`)
	for _, name := range accounts { // none an admin: Dendrite does not rate-limit admins
		args := []string{"-config", config, "-url", d.url, "-username", name, "-password", "pw-" + name + "-0123456789"}
		m := tokenRe.FindSubmatch(run("create-account", args...))
		if m == nil {
			t.Fatalf("create-account %s printed no access token", name)
		}
		d.tokens[name] = string(m[1])
	}
	return d
}

// dendriteConfig is the generated config with federation off, no key
// servers, a registration secret and the rate limit kept for the bot (it
// must wait it out); the people, whose clients are the test's, are exempt.
func dendriteConfig(t *testing.T, generated []byte, people []string) []byte {
	var cfg map[string]any
	if err := yaml.Unmarshal(generated, &cfg); err != nil {
		t.Fatalf("generate-config's output: %v", err)
	}
	global := cfg["global"].(map[string]any)
	global["disable_federation"] = true
	global["trusted_third_party_id_servers"] = []any{}
	if fed, ok := cfg["federation_api"].(map[string]any); ok {
		fed["key_perspectives"] = []any{}
	}
	client := cfg["client_api"].(map[string]any)
	client["registration_shared_secret"] = "warroom-test-secret"
	var exempt []any
	for _, p := range people {
		exempt = append(exempt, "@"+p+":localhost")
	}
	if rl, ok := client["rate_limiting"].(map[string]any); ok {
		rl["exempt_user_ids"] = exempt
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// waitUp polls the server until it answers: it starts in a few seconds.
func (d *dendrite) waitUp(t *testing.T) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(d.url + "/_matrix/client/versions")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("dendrite did not answer on %s within 30 s: %v", d.url, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		<-ctx.Done() // a poll of another process: nothing to wait on but time
		cancel()
	}
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
