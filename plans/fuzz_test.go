package plans_test

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/plans"
)

// FuzzParamValue: whatever a run is asked with, each value is refused by
// its parameter (bot.Plan.Bind) or reaches the script as exactly one
// argument, byte for byte. The seed corpus in testdata/fuzz holds the
// classic injections: ;, $(...), backticks, newlines, leading --, ../,
// unicode quotes.
//
// A job step gets the same value escaped for where it goes: one path
// segment, one query value, one JSON string.
func FuzzParamValue(f *testing.F) {
	p := argvPlan(f)
	r := &plans.Runner{Getenv: noEnv}
	var n atomic.Int64

	type got struct{ segment, query, body string }
	calls := make(chan got, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ V string }
		data, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(data, &body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		seg, _ := url.PathUnescape(strings.TrimPrefix(r.URL.EscapedPath(), "/x/"))
		calls <- got{seg, r.URL.Query().Get("q"), body.V}
	}))
	f.Cleanup(srv.Close)
	jp := jobPlan(f, `{method: POST, url: "${JOBS_URL}/x/{{host}}?q={{host}}", body: '{"v": "{{host}}"}'}`)
	jr := jobRunner(srv)

	f.Fuzz(func(t *testing.T, value string) {
		if len(value) > 64<<10 {
			t.Skip("longer than an argument may be")
		}
		if value != "" && value != "." && value != ".." {
			res, _ := run(t, jr, jp, map[string]string{"host": value})
			require.Equal(t, bot.StepOK, res.Status, res.Detail)
			g := <-calls
			require.Equal(t, value, g.segment)
			require.Equal(t, value, g.query)
			require.Equal(t, string([]rune(value)), g.body, "JSON carries text: each invalid byte is U+FFFD")
		}
		for _, name := range []string{"strict", "loose"} {
			out := "f" + strconv.FormatInt(n.Add(1), 10)
			args, err := p.Bind(map[string]string{"out": out, name: value})
			if err != nil {
				// Refused: only ever because the value does not fit.
				require.Error(t, p.Params[slices.IndexFunc(p.Params, func(prm bot.Param) bool { return prm.Name == name })].Check(value))
				continue
			}
			if value == "" {
				continue // unset: nothing to pass
			}
			res, _ := run(t, r, p, args)
			if strings.ContainsRune(value, 0) {
				require.Equal(t, bot.StepFailed, res.Status)
				require.Equal(t, "parameter "+name+" has a NUL byte, which no argument can carry", res.Detail)
				continue
			}
			require.Equal(t, bot.StepOK, res.Status, res.Detail)
			want := []string{"--", "", "", "end"}
			if name == "loose" {
				want[1] = value
			} else {
				want[2] = value
			}
			require.Equal(t, want, readArgv(t, p.Dir, out))
			require.NoError(t, os.Remove(filepath.Join(p.Dir, out)))
		}
	})
}

var problemRe = regexp.MustCompile(`^f\.yaml(:[1-9][0-9]*)?: [^\n]+$`)

// FuzzParse: no plan file makes the parser panic; what it accepts keeps
// every rule, and what it refuses it explains as file:line: message.
func FuzzParse(f *testing.F) {
	err := fs.WalkDir(plans.Examples, ".", func(name string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(name, ".yaml") {
			data, _ := fs.ReadFile(plans.Examples, name)
			f.Add(data)
		}
		return err
	})
	require.NoError(f, err)
	nameRe := regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, probs := plans.Parse(data, "f.yaml", "")
		if p == nil {
			require.NotEmpty(t, probs)
			lines := yamlLines(data)
			for _, pr := range probs {
				require.Regexp(t, problemRe, pr.String())
				require.LessOrEqual(t, pr.Line, lines)
			}
			return
		}
		require.Empty(t, probs)
		require.Regexp(t, nameRe, p.Name)
		require.NotEmpty(t, p.Title)
		require.Contains(t, bot.Levels, p.Impact)
		require.NotEmpty(t, p.Approval.Roles)
		require.GreaterOrEqual(t, p.Approval.Count, 1)
		require.Positive(t, p.Approval.Expires)
		require.Regexp(t, `^sha256:[0-9a-f]{12}$`, p.Version)
		require.Equal(t, data, p.Source)
		declared := map[string]bool{}
		for _, prm := range p.Params {
			require.True(t, prm.Re != nil || len(prm.Enum) > 0, prm.Name)
			if prm.Default != "" {
				require.NoError(t, prm.Check(prm.Default))
			}
			declared[prm.Name] = true
		}
		require.NotEmpty(t, p.Steps)
		names := map[string]bool{}
		for _, st := range append(append([]bot.Step{}, p.Steps...), p.Rollback...) {
			require.False(t, names[st.Name], "step %q twice", st.Name)
			names[st.Name] = true
			kinds := 0
			if len(st.Script) > 0 {
				kinds++
				for _, a := range st.Script[1:] {
					if strings.Contains(a, "{{") {
						require.True(t, strings.HasPrefix(a, "{{") && strings.HasSuffix(a, "}}"), a)
						require.True(t, declared[a[2:len(a)-2]], a)
					}
				}
			}
			if st.Job != nil {
				kinds++
				require.Contains(t, []string{"GET", "POST", "PUT", "PATCH", "DELETE"}, st.Job.Method)
			}
			if st.Manual != "" {
				kinds++
			} else {
				require.Positive(t, st.Timeout)
			}
			require.Equal(t, 1, kinds, "step %q", st.Name)
			require.Contains(t, []string{"stop", "continue"}, st.OnFailure)
		}
	})
}

// yamlLines counts lines as YAML does: \r\n, \r and \n end a line, and
// so do NEL, LS and PS.
func yamlLines(data []byte) int {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	n := 1
	for _, b := range []string{"\n", "\r", "\u0085", "\u2028", "\u2029"} {
		n += strings.Count(s, b)
	}
	return n
}

// TestFuzzCorpus: the committed corpus covers what the fuzz targets
// promise to try, so a pruned corpus does not silently test less.
func TestFuzzCorpus(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "fuzz", "FuzzParamValue")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var all strings.Builder
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		all.Write(data)
	}
	for _, s := range []string{";", "$(", "`", `\n`, `"--`, "../", "“"} {
		assert.Contains(t, all.String(), s)
	}
}
