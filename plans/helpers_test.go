package plans_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/plans"
)

// planDir writes files (name -> content) into a new directory; names
// under scripts/ and ending in .sh are made executable. Modes are set
// whatever the umask: a group-writable file is refused at load.
func planDir(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, files)
	return dir
}

func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		for d := filepath.Dir(p); d != dir && strings.HasPrefix(d, dir); d = filepath.Dir(d) {
			require.NoError(t, os.Chmod(d, 0o755))
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, ".sh") {
			mode = 0o755
		}
		require.NoError(t, os.WriteFile(p, []byte(content), mode))
		require.NoError(t, os.Chmod(p, mode))
	}
}

// mustParse parses a plan file that must be valid.
func mustParse(t testing.TB, dir, yaml string) *bot.Plan {
	t.Helper()
	p, probs := plans.Parse([]byte(yaml), "test.yaml", dir)
	require.Empty(t, probs)
	require.NotNil(t, p)
	return p
}

// scriptPlan is a plan with one script step running argv, in a directory
// holding the given scripts.
func scriptPlan(t testing.TB, scripts map[string]string, params, argv string) *bot.Plan {
	t.Helper()
	dir := planDir(t, scripts)
	return mustParse(t, dir, "name: t\ntitle: T\nimpact: P4\n"+params+"steps:\n  - name: s\n    script: "+argv+"\n")
}

// collector gathers out chunks; safe to read after Run returns.
type collector struct {
	mu     sync.Mutex
	chunks []string
}

func (c *collector) out(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.chunks = append(c.chunks, s)
}

func (c *collector) text() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.chunks, "")
}

func run(t testing.TB, r *plans.Runner, p *bot.Plan, params map[string]string) (bot.StepResult, *collector) {
	t.Helper()
	return runStep(t, r, p, p.Steps[0], params)
}

func runStep(t testing.TB, r *plans.Runner, p *bot.Plan, st bot.Step, params map[string]string) (bot.StepResult, *collector) {
	t.Helper()
	c := &collector{}
	res := r.Run(context.Background(), bot.StepRequest{Plan: p, Step: st, Params: params, FaultID: 7, Run: 2}, c.out)
	return res, c
}

// gone reports whether a process has exited: no longer there, or a
// zombie nobody has reaped yet.
func gone(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// pid (comm) state ...: comm may hold spaces and parentheses.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return false
	}
	state := s[i+2]
	return state == 'Z' || state == 'X'
}

// noEnv is a Getenv with only a PATH, so tests do not depend on the
// environment they run in.
func noEnv(k string) string {
	if k == "PATH" {
		return "/usr/bin:/bin"
	}
	return ""
}

func envOf(m map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := m[k]; ok {
			return v
		}
		return noEnv(k)
	}
}
