package plans_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/plans"
)

// Plan integrity (issue 15, finding 2): the version covers the plan file and
// every script it runs, a script is run only with the content that version
// was made of, and nothing others than its owner may write is loaded.

const integrityPlan = "name: fix\ntitle: Fix\nimpact: P4\nsteps:\n  - {name: go, script: [scripts/go.sh]}\nrollback:\n  - {name: undo, script: [scripts/undo.sh]}\n"

func integrityDir(t *testing.T) string {
	return planDir(t, map[string]string{
		"fix.yaml":        integrityPlan,
		"scripts/go.sh":   "#!/bin/sh\necho approved\n",
		"scripts/undo.sh": "#!/bin/sh\necho undone\n",
	})
}

func loadOne(t *testing.T, dir string) *bot.Plan {
	t.Helper()
	set, probs := plans.Load(dir)
	require.Empty(t, probs)
	require.Len(t, set.Plans, 1)
	return set.Plans[0]
}

func TestVersionCoversScripts(t *testing.T) {
	t.Parallel()
	dir := integrityDir(t)
	p := loadOne(t, dir)
	require.Len(t, p.Scripts, 2)
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, p.Scripts["scripts/go.sh"])
	assert.NotEqual(t, plans.Version(p.Source, nil), p.Version, "the scripts are part of the version")

	// The same plan file with another script is another version.
	writeFiles(t, dir, map[string]string{"scripts/undo.sh": "#!/bin/sh\necho undone differently\n"})
	q := loadOne(t, dir)
	assert.Equal(t, p.Source, q.Source)
	assert.NotEqual(t, p.Version, q.Version)

	// A plan without scripts keeps the hash of its file alone.
	m := mustParse(t, "", "name: m\ntitle: M\nimpact: P4\nsteps: [{name: x, manual: y}]\n")
	assert.Equal(t, plans.Version(m.Source, nil), m.Version)
}

// TestScriptReplacedAfterLoadIsNotRun: a script changed on disk after its
// plan was loaded (and so after a run was asked for and approved on that
// version) does not run: the step fails saying why, in place or replaced
// by a new file alike, and CheckPlan says so before anything runs.
func TestScriptReplacedAfterLoadIsNotRun(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"rewritten", "renamed over"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			dir := integrityDir(t)
			p := loadOne(t, dir)
			r := &plans.Runner{Getenv: noEnv}
			require.NoError(t, r.CheckPlan(p))
			res, _ := run(t, r, p, nil)
			require.Equal(t, bot.StepOK, res.Status, res.Detail)
			assert.Equal(t, "approved\n", res.Output)

			evil := "#!/bin/sh\necho evil\ntouch pwned\n"
			script := filepath.Join(dir, "scripts/go.sh")
			if how == "rewritten" {
				require.NoError(t, os.WriteFile(script, []byte(evil), 0o755))
			} else {
				tmp := filepath.Join(dir, "scripts/.go.sh.new")
				require.NoError(t, os.WriteFile(tmp, []byte(evil), 0o755))
				require.NoError(t, os.Chmod(tmp, 0o755))
				require.NoError(t, os.Rename(tmp, script))
			}
			err := r.CheckPlan(p)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "scripts/go.sh changed since plan fix version "+p.Version+" was loaded (its content is now sha256:")

			res, c := run(t, r, p, nil)
			assert.Equal(t, bot.StepFailed, res.Status)
			assert.Contains(t, res.Detail, "scripts/go.sh changed since plan fix version "+p.Version+" was loaded")
			assert.Contains(t, res.Detail, "it is not run; if the new script is meant, reload the plans (warroom plans reload) and ask for a new run")
			assert.Empty(t, res.Output+c.text())
			assert.NoFileExists(t, filepath.Join(dir, "pwned"), "the new content never ran")

			// Reloaded, it is a new version, which runs.
			q := loadOne(t, dir)
			assert.NotEqual(t, p.Version, q.Version)
			res, _ = run(t, r, q, nil)
			assert.Equal(t, bot.StepOK, res.Status, res.Detail)
			assert.Equal(t, "evil\n", res.Output)
		})
	}
}

// TestScriptRunsAsCopy: what runs is a private copy of the checked
// content, never the file in the plan's directory; the copy is gone after.
func TestScriptRunsAsCopy(t *testing.T) {
	t.Parallel()
	dir := planDir(t, map[string]string{"scripts/where.sh": "#!/bin/sh\necho \"$0\"\npwd\n"})
	p := mustParse(t, dir, "name: t\ntitle: T\nimpact: P4\nsteps: [{name: s, script: [scripts/where.sh]}]\n")
	tmp := t.TempDir()
	res, _ := run(t, &plans.Runner{Getenv: noEnv, ScriptDir: tmp}, p, nil)
	require.Equal(t, bot.StepOK, res.Status, res.Detail)
	lines := bytes.Split(bytes.TrimSpace([]byte(res.Output)), []byte("\n"))
	require.Len(t, lines, 2)
	assert.Equal(t, tmp, filepath.Dir(filepath.Dir(string(lines[0]))), "$0 is the copy")
	assert.Equal(t, "where.sh", filepath.Base(string(lines[0])))
	assert.Equal(t, evalSymlinks(t, dir), evalSymlinks(t, string(lines[1])), "it runs in the plan's directory")
	left, err := os.ReadDir(tmp)
	require.NoError(t, err)
	assert.Empty(t, left, "the copy is removed")
}

// TestWritableByOthersRefused: a plans directory, plan file, script or a
// directory between a script and the plans directory that someone other
// than its owner may write is refused at load, naming the path, its mode
// and the fix.
func TestWritableByOthersRefused(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		chmod string // relative to the plans directory; "." is the directory
		mode  os.FileMode
		want  string
	}{
		{"world-writable script", "scripts/go.sh", 0o777, "scripts/go.sh has mode 0777 (writable by its group and everyone)"},
		{"group-writable script", "scripts/undo.sh", 0o775, "scripts/undo.sh has mode 0775 (writable by its group)"},
		{"world-writable plan file", "fix.yaml", 0o666, "fix.yaml has mode 0666 (writable by its group and everyone)"},
		{"group-writable scripts directory", "scripts", 0o775, "scripts has mode 0775 (writable by its group)"},
		{"world-writable nested directory", "scripts/lib", 0o757, "scripts/lib has mode 0757 (writable by everyone)"},
		{"world-writable plans directory", ".", 0o777, "has mode 0777 (writable by its group and everyone)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := planDir(t, map[string]string{
				"fix.yaml":            "name: fix\ntitle: Fix\nimpact: P4\nsteps:\n  - {name: go, script: [scripts/go.sh]}\n  - {name: lib, script: [scripts/lib/x.sh]}\nrollback:\n  - {name: undo, script: [scripts/undo.sh]}\n",
				"scripts/go.sh":       okScript,
				"scripts/undo.sh":     okScript,
				"scripts/lib/x.sh":    okScript,
				"other.yaml":          "name: other\ntitle: Other\nimpact: P4\nsteps: [{name: x, manual: y}]\n",
				"scripts/lib/ok.yaml": "not read",
			})
			path := filepath.Join(dir, c.chmod)
			require.NoError(t, os.Chmod(path, c.mode))
			defer os.Chmod(path, 0o755) // so that t.TempDir can remove it
			set, probs := plans.Load(dir)
			require.NotEmpty(t, probs)
			var all bytes.Buffer
			for _, pr := range probs {
				all.WriteString(pr.String() + "\n")
			}
			assert.Contains(t, all.String(), c.want)
			assert.Contains(t, all.String(), "someone other than the owner could change what an approved run does, so it is refused (fix: chmod go-w ")
			assert.Contains(t, all.String(), "chmod go-w "+filepath.Clean(path))
			switch c.chmod {
			case ".":
				assert.Empty(t, set.Plans, "nothing is loaded from a directory others may write")
				assert.Contains(t, all.String(), "no plan is loaded from it")
			default:
				assert.Equal(t, []string{"other"}, set.Names(), "the plan is refused, the others load")
			}
			if c.chmod != "." && c.chmod != "fix.yaml" {
				for _, pr := range probs { // one per step whose script is below it
					assert.Equal(t, filepath.Join(dir, "fix.yaml"), pr.File)
					assert.NotZero(t, pr.Line, "at the step that runs it")
				}
			}

			var out bytes.Buffer
			assert.Error(t, plans.Check(&out, dir), "plans check reports it")
			assert.Contains(t, out.String(), c.want)
		})
	}
}
