package plans_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/warroom/warroom/plans"
)

const jobsPlan = `name: jobs
title: Two jobs and a rollback
services: [web, queue]
impact: P4
steps:
  - name: first
    job: {method: POST, url: "${JOBS_URL}/a", headers: {X-Token: "${JOBS_TOKEN}", Accept: "application/json"}}
  - {name: look, manual: look at it}
rollback:
  - name: undo
    job:
      method: POST
      url: "https://jobs.example.com/${JOBS_PATH}/undo"
      headers:
        Authorization: "Bearer ${JOBS_TOKEN}"
`

func TestEnvVarsAndUnset(t *testing.T) {
	t.Parallel()
	p := mustParse(t, "", jobsPlan)
	assert.Equal(t, []plans.StepEnv{
		{Step: "first", Field: "steps.first.job.url", Var: "JOBS_URL"},
		{Step: "first", Field: "steps.first.job.headers.X-Token", Var: "JOBS_TOKEN"},
		{Step: "undo", Field: "rollback.undo.job.url", Var: "JOBS_PATH"},
		{Step: "undo", Field: "rollback.undo.job.headers.Authorization", Var: "JOBS_TOKEN"},
	}, plans.EnvVars(p))

	env := map[string]string{"JOBS_URL": "http://127.0.0.1:9", "JOBS_PATH": ""}
	getenv := func(k string) string { return env[k] }
	assert.Equal(t, []string{
		"step first (${JOBS_TOKEN} not set in warroom's environment)",
		"step undo (${JOBS_PATH}, ${JOBS_TOKEN} not set in warroom's environment)",
	}, plans.Unset(p, getenv), "an empty variable is unset, as the runner reads it")
	env["JOBS_TOKEN"], env["JOBS_PATH"] = "t", "p"
	assert.Empty(t, plans.Unset(p, getenv))
	assert.Empty(t, plans.Unset(mustParse(t, "", "name: m\ntitle: M\nimpact: P4\nsteps:\n  - {name: a, manual: b}\n"), getenv))
}

func TestGaps(t *testing.T) {
	t.Parallel()
	p := mustParse(t, "", jobsPlan)
	none := func(string) string { return "" }
	assert.Empty(t, plans.Gaps(p, "jobs.yaml", plans.Against{}), "nothing to check against")

	got := plans.Gaps(p, "jobs.yaml", plans.Against{Services: []string{"web", "queues"}, Getenv: none})
	var lines []string
	for _, g := range got {
		lines = append(lines, g.String())
	}
	assert.Equal(t, []string{
		`jobs.yaml:3: services: "queue" is not a service in the config; did you mean queues?; the plan is never offered as fitting a fault there`,
		`jobs.yaml:7: steps.first.job.url: ${JOBS_URL} is not set in this environment: step first cannot run without it`,
		`jobs.yaml:7: steps.first.job.headers.X-Token: ${JOBS_TOKEN} is not set in this environment: step first cannot run without it`,
		`jobs.yaml:13: rollback.undo.job.url: ${JOBS_PATH} is not set in this environment: step undo cannot run without it`,
		`jobs.yaml:15: rollback.undo.job.headers.Authorization: ${JOBS_TOKEN} is not set in this environment: step undo cannot run without it`,
	}, lines)

	got = plans.Gaps(p, "jobs.yaml", plans.Against{Services: []string{}})
	assert.Len(t, got, 2)
	assert.Contains(t, got[0].Message, `"web" is not a service in the config; its services: list none`)
}
