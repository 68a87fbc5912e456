// Package plans reads contingency plan files and runs their steps
// (PRODUCT.md, "Contingency plan files").
//
// A plans directory holds one YAML file per plan (*.yaml or *.yml, read only
// directly in the directory; names starting with "." are skipped) and the
// scripts they run. Load reads them all into a Set and returns every problem
// it finds as "file:line: field: message"; a file with any problem is left
// out, and never stops the others from loading.
//
//	name: restart-web               # ^[a-z0-9][a-z0-9-]*$, unique in the directory
//	title: Restart the web tier     # required: the approval card shows it
//	faults: [server-down]           # kinds of fault it fits
//	services: [web]
//	impact: P3                      # required: P1..P4, the worst the plan itself may cause
//	approval: {roles: [commander], count: 1, self: false, expires: 15m}
//	params:
//	  - {name: host, pattern: 'web-[0-9]+', required: true, help: the host to restart}
//	steps:
//	  - name: restart
//	    script: [scripts/restart.sh, "{{host}}"]
//	    timeout: 2m
//	  - name: restore
//	    job: {method: POST, url: "${JOBS_URL}/api/job/restore/run",
//	          headers: {Authorization: "Bearer ${JOBS_TOKEN}"}, body: '{"host": "{{host}}"}'}
//	    on_failure: continue
//	  - name: verify
//	    manual: Error rate is back under 1%
//	rollback:                       # run when a step fails and stops the run
//	  - {name: undo, script: [scripts/undo.sh, "{{host}}"]}
//	on_restart: kill                # or leave: a script step's processes still
//	                                # running when warroom restarts
//
// Defaults: approval roles [commander], count 1, self false, expires 15m;
// a step's timeout 10m and on_failure stop; on_restart leave (the war room
// is told which processes are still running, and they are left: stopping
// a step half-way may do more harm than letting it finish). Durations are at most 24h and
// count at most 10.
//
// Rules beyond the list of keys:
//   - A parameter must have a pattern or an enum: a value nobody constrained
//     is never handed to a script or a job. The pattern must match the whole
//     value (it is compiled as ^(?:pattern)$); enum values and the default
//     must be acceptable values; required with a default is a contradiction.
//   - A step has exactly one of script, job and manual, and a name unique in
//     the plan (steps and rollback together).
//   - script is an argv run without a shell. Its first item is a file inside
//     the plan's directory (no "..", no symlink out of it), executable. A
//     parameter is only ever a whole argument, "{{name}}", naming a declared
//     parameter; "{{" anywhere else is an error, so a value can never be
//     spliced into a flag or a path.
//   - job is an HTTP call: method GET, POST, PUT, PATCH or DELETE; url
//     http(s), with ${VAR} from warroom's environment (for the host:
//     "${JOBS_URL}/api/...") and {{param}} only in its path or query;
//     headers may use ${VAR} but no {{param}}; a JSON body (it starts with {
//     or [, or a Content-Type header says json) must be valid JSON with each
//     {{param}} inside a string.
//
// Runner implements bot.Runner: see its documentation for how steps run.
package plans
