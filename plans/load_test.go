package plans_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/plans"
)

const okScript = "#!/bin/sh\necho ok\n"

func TestParseDefaults(t *testing.T) {
	t.Parallel()
	dir := planDir(t, map[string]string{"scripts/restart.sh": okScript})
	src := `name: restart-web
title: Restart the web tier
faults: [server-down]
services: [web]
impact: p3
params:
  - {name: host, pattern: 'web-[0-9]+', required: true, help: the host}
steps:
  - name: restart
    script: [scripts/restart.sh, "{{host}}", --fast]
  - name: restore
    job: {method: post, url: "${JOBS_URL}/api/job/restore/run", body: '{"host": "{{host}}"}'}
    timeout: 90s
    on_failure: continue
  - name: verify
    manual: Error rate is back under 1%
rollback:
  - {name: undo, script: [./scripts/restart.sh, undo]}
`
	p, probs := plans.Parse([]byte(src), "restart-web.yaml", dir)
	require.Empty(t, probs)
	assert.Equal(t, "restart-web", p.Name)
	assert.Equal(t, "Restart the web tier", p.Title)
	assert.Equal(t, []string{"server-down"}, p.Faults)
	assert.Equal(t, []string{"web"}, p.Services)
	assert.Equal(t, bot.P3, p.Impact)
	assert.Equal(t, bot.Approval{Roles: []bot.Role{bot.RoleCommander}, Count: 1, Self: false, Expires: 15 * time.Minute}, p.Approval)
	require.Len(t, p.Params, 1)
	prm := p.Params[0]
	assert.Equal(t, "host", prm.Name)
	assert.True(t, prm.Required)
	assert.Equal(t, "the host", prm.Help)
	require.NotNil(t, prm.Re)
	assert.True(t, prm.Re.MatchString("web-12"))
	assert.False(t, prm.Re.MatchString("xweb-1"), "anchored at the start")
	assert.False(t, prm.Re.MatchString("web-1\n; rm -rf /"), "anchored at the end")

	require.Len(t, p.Steps, 3)
	assert.Equal(t, bot.Step{Name: "restart", Script: []string{"scripts/restart.sh", "{{host}}", "--fast"}, Timeout: 10 * time.Minute, OnFailure: "stop"}, p.Steps[0])
	assert.Equal(t, bot.StepJob, p.Steps[1].Kind())
	assert.Equal(t, "POST", p.Steps[1].Job.Method)
	assert.Equal(t, 90*time.Second, p.Steps[1].Timeout)
	assert.Equal(t, "continue", p.Steps[1].OnFailure)
	assert.Equal(t, bot.Step{Name: "verify", Manual: "Error rate is back under 1%", OnFailure: "stop"}, p.Steps[2])
	require.Len(t, p.Rollback, 1)
	assert.Equal(t, "undo", p.Rollback[0].Name)

	assert.Regexp(t, `^sha256:[0-9a-f]{12}$`, p.Version)
	assert.Equal(t, plans.Version([]byte(src), p.Scripts), p.Version)
	assert.NotEqual(t, plans.Version([]byte(src+"\n"), p.Scripts), p.Version)
	assert.Equal(t, src, string(p.Source))
	assert.Equal(t, dir, p.Dir)
	assert.True(t, filepath.IsAbs(p.Dir))
	assert.Equal(t, "restart-web.yaml", p.File)
}

func TestParseApproval(t *testing.T) {
	t.Parallel()
	p := mustParse(t, "", "name: a\ntitle: A\nimpact: P1\napproval: {roles: [Commander, handler, commander], count: 2, self: yes, expires: 1h}\nsteps: [{name: x, manual: do it}]\n")
	assert.Equal(t, bot.Approval{Roles: []bot.Role{bot.RoleCommander, bot.RoleHandler}, Count: 2, Self: true, Expires: time.Hour}, p.Approval)
}

// TestParseProblems: each broken plan yields exactly the problems listed,
// as "line: field: message".
func TestParseProblems(t *testing.T) {
	t.Parallel()
	dir := planDir(t, map[string]string{
		"p/scripts/ok.sh":     okScript,
		"p/scripts/noexec.sh": okScript,
		"outside/evil.sh":     okScript,
	})
	plansDir := filepath.Join(dir, "p")
	require.NoError(t, os.Chmod(filepath.Join(plansDir, "scripts/noexec.sh"), 0o644))
	require.NoError(t, os.Symlink(filepath.Join(dir, "outside/evil.sh"), filepath.Join(plansDir, "escape.sh")))

	head := "name: a\ntitle: A\nimpact: P2\n" // lines 1-3
	cases := []struct {
		name, src string
		want      []string
	}{
		{"empty", "", []string{"0: empty file: a plan needs at least name, title, impact and steps"}},
		{"not a mapping", "- a\n", []string{"1: expected a plan: a mapping of name, title, steps..., got a list"}},
		{"bad yaml", "name: [a\n", []string{`1: not valid YAML: did not find expected ',' or ']'`}},
		{"two documents", head + "steps: [{name: x, manual: y}]\n---\nname: b\n", []string{"6: a second YAML document (after ---): one plan per file"}},
		{"missing keys", "faults: [x]\n", []string{
			"1: name: missing; the plan's name, e.g. name: restart-web",
			"1: title: missing; one line saying what the plan does",
			"1: impact: missing; the worst disruption the plan itself may cause, P1 (worst) to P4",
			"1: steps: missing; a list of script, job and manual steps",
		}},
		{"unknown key", head + "step: []\n", []string{
			"1: steps: missing; a list of script, job and manual steps",
			`4: unknown key "step"; did you mean steps?`,
		}},
		{"duplicate key", head + "title: B\nsteps: [{name: x, manual: y}]\n", []string{"4: title: duplicate key (first on line 2)"}},
		{"bad name", "name: Restart_Web\ntitle: A\nimpact: P2\nsteps: [{name: x, manual: y}]\n", []string{
			`1: name: "Restart_Web" is not a plan name: a-z, 0-9 and -, starting with a letter or digit (e.g. restart-web)`,
		}},
		{"bad impact", "name: a\ntitle: A\nimpact: P5\nsteps: [{name: x, manual: y}]\n", []string{
			`3: impact: "P5" is not a level: P1, P2, P3 or P4 (P1 is the worst)`,
		}},
		{"bad kinds", head + "faults: [Server Down]\nservices: [\"we b\"]\nsteps: [{name: x, manual: y}]\n", []string{
			`4: faults: "Server Down" is not a kind of fault: a-z, 0-9 and - (e.g. server-down)`,
			`5: services: "we b" is not a service name: a-z, 0-9, ., _ and -`,
		}},
		{"approval", head + "approval: {roles: [comander], count: 0, self: maybe, expires: 10, when: now}\nsteps: [{name: x, manual: y}]\n", []string{
			`4: approval: unknown key "when"; known: roles, count, self, expires`,
			`4: approval.roles: unknown role "comander"; did you mean commander?`,
			`4: approval.count: "0" is not a number of approvers from 1 to 10`,
			`4: approval.self: "maybe" is not true or false`,
			`4: approval.expires: "10" has no unit; write e.g. 10s or 10m`,
		}},
		{"params", head + `params:
  - {name: host, pattern: '([a-z'}
  - {name: zone}
  - {name: mode, enum: [a, b, a], default: c}
  - {name: size, pattern: '[0-9]+', enum: [1, x]}
  - {name: req, pattern: '[0-9]+', required: true, default: "1"}
  - {name: Bad}
  - {pattern: x}
steps: [{name: x, manual: y}]
`, []string{
			"5: params.host.pattern: \"([a-z\" is not a regular expression: missing closing ]: `[a-z)$`",
			`6: params.zone: needs a pattern or an enum: the values it accepts`,
			`7: params.mode.enum: "a" is listed twice`,
			`7: params.mode.default: mode="c" is not one of a, b`,
			`8: params.size.enum: "x" does not match the pattern [0-9]+`,
			`9: params.req.default: a required parameter never uses its default; drop one of required and default`,
			`10: params[6].name: "Bad" is not a parameter name: a-z, 0-9, _ and -, starting with a letter`,
			`11: params[7]: name: missing; the key a run gives it, e.g. name: host`,
		}},
		{"step kinds", head + `steps:
  - {name: none}
  - {name: both, manual: x, job: {method: GET, url: "https://x/"}}
  - {manual: x}
  - {name: dup, manual: x}
  - {name: dup, manual: y}
  - {name: t, manual: x, timeout: 1d, on_failure: contnue, retry: 3}
`, []string{
			`5: steps.none: needs one of script (an argv), job (an HTTP call) or manual (a checklist item)`,
			`6: steps.both: has job and manual; a step is exactly one of script, job and manual: make them separate steps`,
			`7: steps[3]: name: missing; a short name for the step, e.g. name: restart`,
			`9: steps.dup.name: "dup" is already a step (line 8); step names are unique in a plan, rollback included`,
			`10: steps.t: unknown key "retry"; known: name, script, job, manual, timeout, on_failure`,
			`10: steps.t.timeout: "1d" is not a duration (e.g. 90s, 2m, 1h30m)`,
			`10: steps.t.on_failure: "contnue" is not stop or continue; did you mean continue?`,
		}},
		{"empty steps", head + "steps: []\n", []string{"4: steps: empty; a plan needs at least one step"}},
		{"scripts", head + `params: [{name: host, pattern: 'web-[0-9]+'}]
steps:
  - {name: a, script: "scripts/ok.sh {{host}}"}
  - {name: b, script: [../scripts/ok.sh]}
  - {name: c, script: [scripts/missing.sh]}
  - {name: d, script: [scripts/noexec.sh]}
  - {name: e, script: [escape.sh]}
  - {name: f, script: ["{{host}}"]}
  - {name: g, script: [scripts/ok.sh, "--host={{host}}", "{{hots}}", "{{ host }}", "a{{b", "x{{host}}y"]}
  - {name: h, script: [/bin/sh, -c, "rm -rf /"]}
  - {name: i, script: []}
`, []string{
			`6: steps.a.script: an argv list, not a command line: no shell runs it; write [scripts/ok.sh, "{{host}}"]`,
			`7: steps.b.script: "../scripts/ok.sh": a script path may not contain ..; scripts live in the plan's directory`,
			`8: steps.c.script: "scripts/missing.sh" does not exist in the plan's directory ` + plansDir + ` (a script step runs a file there, with no shell)`,
			`9: steps.d.script: "scripts/noexec.sh" is not executable (chmod +x scripts/noexec.sh)`,
			`10: steps.e.script: "escape.sh" resolves to ` + evalSymlinks(t, filepath.Join(dir, "outside/evil.sh")) + `, outside the plan's directory ` + plansDir,
			`11: steps.f.script: "{{host}}": the program cannot be a parameter; name a script in the plan's directory`,
			`12: steps.g.script: "--host={{host}}": a parameter must be a whole argument; write "--host", "{{host}}"`,
			`12: steps.g.script: {{hots}} is not a parameter of this plan; did you mean host?`,
			`12: steps.g.script: {{ host }}: write {{host}} without spaces`,
			`12: steps.g.script: "a{{b" has a {{ that is not a whole {{parameter}} argument`,
			`12: steps.g.script: "x{{host}}y": a parameter must be a whole argument, "{{host}}", so a value can never be spliced into another`,
			`13: steps.h.script: "/bin/sh" resolves to ` + evalSymlinks(t, "/bin/sh") + `, outside the plan's directory ` + plansDir,
			`14: steps.i.script: empty; the script to run and its arguments, e.g. [scripts/restart.sh, "{{host}}"]`,
		}},
		{"jobs", head + `params: [{name: host, pattern: 'web-[0-9]+'}]
steps:
  - {name: a, job: {method: FETCH, url: "https://jobs.example.com/run"}}
  - {name: b, job: {url: "ftp://jobs.example.com/{{host}}"}}
  - {name: c, job: {method: GET, url: "https://{{host}}.example.com/run"}}
  - {name: d, job: {method: GET, url: "${JOBS_URL}{{host}}"}}
  - {name: e, job: {method: GET, url: "${JOBS URL}/x"}}
  - {name: f, job: {method: GET, url: "https://u:pw@jobs.example.com/x"}}
  - {name: g, job: {method: POST, url: "${JOBS_URL}/x", headers: {X-Host: "{{host}}", "Bad Header": x, Auth: "${TOKEN"}}}
  - {name: h, job: {method: POST, url: "${JOBS_URL}/x", body: '{"host": {{host}}}'}}
  - {name: i, job: {method: POST, url: "${JOBS_URL}/x", body: '{"host": "{{host}}",}'}}
  - {name: j, job: {method: POST, url: "${JOBS_URL}/x/{{hots}}"}}
  - {name: k, job: {method: POST, url: "jobs.example.com/x"}}
  - {name: l, job: {method: POST, uri: "${JOBS_URL}/x"}}
`, []string{
			`6: steps.a.job.method: "FETCH" is not GET, POST, PUT, PATCH or DELETE; did you mean PATCH?`,
			`7: steps.b.job: method: missing; GET, POST, PUT, PATCH or DELETE`,
			`7: steps.b.job.url: "ftp://jobs.example.com/{{host}}" is not an http(s) URL`,
			`8: steps.c.job.url: "https://{{host}}.example.com/run": a {{parameter}} may be in the URL's path or query, not its host`,
			`9: steps.d.job.url: "${JOBS_URL}{{host}}": a {{parameter}} right after a ${VAR} could change the host; put it after a /`,
			`10: steps.e.job.url: ${JOBS URL} is not an environment variable name (letters, digits, _)`,
			`11: steps.f.job.url: "https://u:xxxxx@jobs.example.com/x" has credentials in it; send them in a header from a ${VAR}`,
			`12: steps.g.job.headers.X-Host: parameters are not allowed in headers; headers come from the file and ${VAR}s`,
			`12: steps.g.job.headers: "Bad Header" is not a header name`,
			`12: steps.g.job.headers.Auth: "${TOKEN" has a ${ without its closing }`,
			`13: steps.h.job.body: {{host}} must be inside a JSON string, "{{host}}": values are inserted as string content`,
			`14: steps.i.job.body: is not valid JSON: invalid character '}' looking for beginning of object key string`,
			`15: steps.j.job.url: {{hots}} is not a parameter of this plan; did you mean host?`,
			`16: steps.k.job.url: "jobs.example.com/x" is not an http(s) URL`,
			`17: steps.l.job: unknown key "uri"; did you mean url?`,
			`17: steps.l.job: url: missing; the job's URL, e.g. "${JOBS_URL}/api/job/restore/run"`,
		}},
		{"rollback", head + "steps: [{name: x, manual: y}]\nrollback: [{name: x, manual: z}, {name: u}]\n", []string{
			`5: rollback.x.name: "x" is already a step (line 4); step names are unique in a plan, rollback included`,
			`5: rollback.u: needs one of script (an argv), job (an HTTP call) or manual (a checklist item)`,
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p, probs := plans.Parse([]byte(c.src), "f.yaml", plansDir)
			assert.Nil(t, p)
			var got []string
			for _, pr := range probs {
				assert.Equal(t, "f.yaml", pr.File)
				s := strings.TrimPrefix(pr.String(), "f.yaml:")
				if pr.Line == 0 {
					s = "0" + strings.TrimPrefix(pr.String(), "f.yaml")
				}
				got = append(got, s)
			}
			assert.Equal(t, c.want, got)
		})
	}
}

func evalSymlinks(t *testing.T, p string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(p)
	require.NoError(t, err)
	return r
}

func TestProblemString(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "p/a.yaml:3: steps.x.timeout: bad", plans.Problem{File: "p/a.yaml", Line: 3, Field: "steps.x.timeout", Message: "bad"}.String())
	assert.Equal(t, "p/a.yaml:3: bad", plans.Problem{File: "p/a.yaml", Line: 3, Message: "bad"}.String())
	assert.Equal(t, "p/a.yaml: name: bad", plans.Problem{File: "p/a.yaml", Field: "name", Message: "bad"}.String())
}

// TestLoadBrokenAndGood is `warroom plans check` over a directory with one
// broken and two good plans: the good ones load, the broken one is
// reported precisely, and nothing else in the directory is read.
func TestLoadBrokenAndGood(t *testing.T) {
	t.Parallel()
	dir := planDir(t, map[string]string{
		"restart.yaml":  "name: restart\ntitle: Restart\nimpact: P3\nfaults: [server-down]\nsteps:\n  - {name: go, script: [scripts/go.sh]}\n",
		"cleanse.yml":   "name: cleanse\ntitle: Cleanse\nimpact: P2\nservices: [web]\nsteps: [{name: look, manual: look}]\n",
		"broken.yaml":   "name: broken\ntitle: Broken\nimpact: P3\nsteps:\n  - name: go\n    script: [scripts/go.sh]\n    timeout: 5\n",
		"scripts/go.sh": okScript,
		"README.md":     "not a plan",
		"sub/x.yaml":    "not: [valid",
		".hidden.yaml":  "not: [valid",
	})
	set, probs := plans.Load(dir)
	require.Equal(t, []string{"cleanse", "restart"}, set.Names())
	want := []plans.Problem{{File: filepath.Join(dir, "broken.yaml"), Line: 7, Field: "steps.go.timeout", Message: `"5" has no unit; write e.g. 5s or 5m`}}
	assert.Equal(t, want, probs)
	assert.Equal(t, filepath.Join(dir, "broken.yaml")+`:7: steps.go.timeout: "5" has no unit; write e.g. 5s or 5m`, probs[0].String())

	p, ok := set.Get("restart")
	require.True(t, ok)
	assert.Equal(t, filepath.Join(dir, "restart.yaml"), p.File)
	assert.Equal(t, dir, p.Dir)
	_, ok = set.Get("broken")
	assert.False(t, ok)

	fits := set.Fitting(&bot.Fault{Kind: "server-down", Service: "web"})
	require.Len(t, fits, 2)
	assert.Equal(t, "restart", fits[0].Name, "a kind match outranks a service match")
	assert.Empty(t, set.Fitting(&bot.Fault{Kind: "network-attack", Service: "db"}))

	var out bytes.Buffer
	err := plans.Check(&out, dir)
	require.EqualError(t, err, "1 problem in 1 file")
	assert.Equal(t, want[0].String()+"\n"+dir+": 2 plans ok: cleanse, restart\n", out.String())
}

func TestLoadDuplicateNames(t *testing.T) {
	t.Parallel()
	dir := planDir(t, map[string]string{
		"a.yaml": "name: same\ntitle: A\nimpact: P3\nsteps: [{name: x, manual: y}]\n",
		"b.yaml": "# the second\nname: same\ntitle: B\nimpact: P3\nsteps: [{name: x, manual: y}]\n",
	})
	set, probs := plans.Load(dir)
	require.Len(t, set.Plans, 1)
	assert.Equal(t, "A", set.Plans[0].Title)
	assert.Equal(t, []plans.Problem{{File: filepath.Join(dir, "b.yaml"), Line: 2, Field: "name",
		Message: `"same" is already the name of the plan in ` + filepath.Join(dir, "a.yaml") + `:1; plan names are unique`}}, probs)
}

func TestLoadMissingDir(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "nope")
	set, probs := plans.Load(dir)
	require.NotNil(t, set)
	assert.Empty(t, set.Plans)
	require.Len(t, probs, 1)
	assert.Equal(t, dir, probs[0].File)
	assert.Contains(t, probs[0].Message, "cannot read the plans directory")

	var out bytes.Buffer
	assert.Error(t, plans.Check(&out, dir))
}

func TestLoadTooLarge(t *testing.T) {
	t.Parallel()
	dir := planDir(t, map[string]string{"big.yaml": "# " + strings.Repeat("x", plans.MaxFileSize) + "\n"})
	_, probs := plans.Load(dir)
	require.Len(t, probs, 1)
	assert.Contains(t, probs[0].Message, "too large for a plan file")
}

// TestScriptSymlinkInside: a symlink that stays inside the directory is
// fine; the program that runs is where it points.
func TestScriptSymlinkInside(t *testing.T) {
	t.Parallel()
	dir := planDir(t, map[string]string{"scripts/real.sh": "#!/bin/sh\necho real\n"})
	require.NoError(t, os.Symlink("real.sh", filepath.Join(dir, "scripts/link.sh")))
	p := mustParse(t, dir, "name: t\ntitle: T\nimpact: P4\nsteps: [{name: s, script: [scripts/link.sh]}]\n")
	res, _ := run(t, &plans.Runner{Getenv: noEnv}, p, nil)
	assert.Equal(t, bot.StepOK, res.Status, res.Detail)
	assert.Equal(t, "real\n", res.Output)
}

func TestExamplesLoad(t *testing.T) {
	t.Parallel()
	// As shipped in the source tree...
	set, probs := plans.Load(".")
	require.Empty(t, probs)
	assert.Equal(t, []string{"db-data-exception", "network-attack", "server-breakdown"}, set.Names())

	// ...and as written out by the binary.
	dir := filepath.Join(t.TempDir(), "plans")
	require.NoError(t, plans.WriteExamples(dir))
	require.NoError(t, plans.WriteExamples(dir), "writing them again is harmless")
	set, probs = plans.Load(dir)
	require.Empty(t, probs)
	assert.Equal(t, []string{"db-data-exception", "network-attack", "server-breakdown"}, set.Names())
	err := fs.WalkDir(plans.Examples, "scripts", func(name string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		if !d.IsDir() {
			fi, err := os.Stat(filepath.Join(dir, name))
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm(), name)
		}
		return nil
	})
	require.NoError(t, err)

	// An edited copy is not overwritten.
	edited := filepath.Join(dir, "network-attack.yaml")
	require.NoError(t, os.WriteFile(edited, []byte("# mine\n"), 0o644))
	err = plans.WriteExamples(dir)
	require.ErrorContains(t, err, "network-attack.yaml exists and differs")
	data, _ := os.ReadFile(edited)
	assert.Equal(t, "# mine\n", string(data))
}

// TestExamplesAreSafe: the example scripts only print; nothing in them
// could change a system, whatever arguments they get.
func TestExamplesAreSafe(t *testing.T) {
	t.Parallel()
	dangerous := regexp.MustCompile(`(?m)^[^#]*\b(rm|nft|iptables|ssh|systemctl|pg_restore|curl|wget|dd|mkfs|kill|reboot|shutdown)\b`)
	err := fs.WalkDir(plans.Examples, "scripts", func(name string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		if d.IsDir() {
			return nil
		}
		data, err := fs.ReadFile(plans.Examples, name)
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(string(data), "#!/bin/sh\n"), name)
		for _, line := range strings.Split(string(data), "\n") {
			if m := dangerous.FindString(line); m != "" {
				assert.Contains(t, line, "echo", "%s runs something: %s", name, line)
			}
		}
		return nil
	})
	require.NoError(t, err)
}
