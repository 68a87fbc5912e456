package plans

import (
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/bot/yamlnode"
)

// This file checks plans against what lies outside their directory: the
// config's catalog of services and warroom's environment. A plan that
// names a service the catalog lacks, or a ${VAR} the environment does not
// set, still loads (it is valid, and may be meant for another config), but
// `warroom plans check` says so, plan by plan, and the approval card warns
// of a step that cannot run.
//
// Kinds are not checked: the catalog has no list of them. A fault's kind is
// whatever its declarer wrote (kind=...) or its alert's kind label held;
// plans check lists the kinds the plans fit, so that people know what to
// write.

// Against is what Gaps checks plans against.
type Against struct {
	// Services are the catalog's service names; nil checks none.
	Services []string
	// Getenv is warroom's environment (an empty value is unset, as the
	// runner reads it); nil checks none.
	Getenv func(string) string
}

// StepEnv is a ${VAR} one of a plan's job steps uses.
type StepEnv struct {
	Step  string // the step's name
	Field string // "steps.restore-data.job.url", "...job.headers.Authorization"
	Var   string // JOBS_URL
}

// EnvVars lists the ${VAR}s a plan's job steps use (steps, then rollback),
// in the order they appear.
func EnvVars(p *bot.Plan) []StepEnv {
	var out []StepEnv
	add := func(section string, steps []bot.Step) {
		for _, s := range steps {
			if s.Job == nil {
				continue
			}
			path := yamlnode.Join(yamlnode.Join(section, s.Name), "job")
			refs, _ := envRefs(s.Job.URL)
			for _, v := range refs {
				out = append(out, StepEnv{Step: s.Name, Field: yamlnode.Join(path, "url"), Var: v})
			}
			for _, k := range slices.Sorted(maps.Keys(s.Job.Headers)) {
				refs, _ := envRefs(s.Job.Headers[k])
				for _, v := range refs {
					out = append(out, StepEnv{Step: s.Name, Field: yamlnode.Join(yamlnode.Join(path, "headers"), k), Var: v})
				}
			}
		}
	}
	add("steps", p.Steps)
	add("rollback", p.Rollback)
	return out
}

// Unset says, one line per step, which ${VAR}s keep the plan's steps from
// running in this environment: "step restore-data (${JOBS_URL},
// ${JOBS_TOKEN} not set in warroom's environment)". It is what the loader
// puts in bot.Plan.Missing, for the approval card.
func Unset(p *bot.Plan, getenv func(string) string) []string {
	var (
		order []string
		vars  = map[string][]string{}
	)
	for _, e := range EnvVars(p) {
		if getenv(e.Var) != "" || slices.Contains(vars[e.Step], e.Var) {
			continue
		}
		if vars[e.Step] == nil {
			order = append(order, e.Step)
		}
		vars[e.Step] = append(vars[e.Step], e.Var)
	}
	out := make([]string, len(order))
	for i, step := range order {
		out[i] = fmt.Sprintf("step %s (%s not set in warroom's environment)", step, refList(vars[step]))
	}
	return out
}

// refList is "${A}" or "${A}, ${B}".
func refList(names []string) string {
	refs := make([]string, len(names))
	for i, n := range names {
		refs[i] = "${" + n + "}"
	}
	return strings.Join(refs, ", ")
}

// Gaps returns what a loaded plan lacks here: each service it names that
// the catalog does not know, and each ${VAR} its steps use that the
// environment does not set, as problems with the plan's file, line and
// field. file is how problems name the plan's file.
func Gaps(p *bot.Plan, file string, a Against) []Problem {
	lines := sourceLines(p.Source)
	var out []Problem
	if a.Services != nil {
		for i, s := range p.Services {
			if slices.Contains(a.Services, s) {
				continue
			}
			msg := fmt.Sprintf("%q is not a service in the config", s)
			if len(a.Services) == 0 {
				msg += "; its services: list none"
			} else {
				msg += yamlnode.Suggest(s, slices.Sorted(slices.Values(a.Services)), 12)
			}
			out = append(out, Problem{File: file, Line: lines.services[i], Field: "services", Message: msg + "; the plan is never offered as fitting a fault there"})
		}
	}
	if a.Getenv != nil {
		seen := map[string]bool{}
		for _, e := range EnvVars(p) {
			if a.Getenv(e.Var) != "" || seen[e.Field+e.Var] {
				continue
			}
			seen[e.Field+e.Var] = true
			out = append(out, Problem{File: file, Line: lines.fields[e.Field], Field: e.Field,
				Message: fmt.Sprintf("${%s} is not set in this environment: step %s cannot run without it", e.Var, e.Step)})
		}
	}
	sortProblems(out)
	return out
}

// lines are where a plan's services and job fields are in its file.
type lines struct {
	services []int          // line of each item of services:
	fields   map[string]int // "steps.restore-data.job.url" -> line
}

// sourceLines finds the lines Gaps names in a plan's source. A plan that
// loaded parses; should it not, every line is 0 (unknown).
func sourceLines(src []byte) (l lines) {
	l.fields = map[string]int{}
	defer func() { _ = recover() }() // yaml.v3 on what already parsed once: never expected
	root, _, err := yamlnode.Decode(src)
	if err != nil || root == nil || root.Kind != yaml.MappingNode {
		return l
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], yamlnode.Deref(root.Content[i+1])
		switch k.Value {
		case "services":
			if v.Kind == yaml.SequenceNode {
				for _, item := range v.Content {
					l.services = append(l.services, item.Line)
				}
			}
		case "steps", "rollback":
			if v.Kind == yaml.SequenceNode {
				for _, step := range v.Content {
					stepLines(k.Value, yamlnode.Deref(step), l.fields)
				}
			}
		}
	}
	return l
}

// stepLines notes the lines of a job step's url and headers.
func stepLines(section string, step *yaml.Node, into map[string]int) {
	if step.Kind != yaml.MappingNode {
		return
	}
	var name string
	var job *yaml.Node
	for i := 0; i+1 < len(step.Content); i += 2 {
		switch step.Content[i].Value {
		case "name":
			name = step.Content[i+1].Value
		case "job":
			job = yamlnode.Deref(step.Content[i+1])
		}
	}
	if job == nil || job.Kind != yaml.MappingNode {
		return
	}
	path := yamlnode.Join(yamlnode.Join(section, name), "job")
	for i := 0; i+1 < len(job.Content); i += 2 {
		k, v := job.Content[i], yamlnode.Deref(job.Content[i+1])
		switch k.Value {
		case "url":
			into[yamlnode.Join(path, "url")] = v.Line
		case "headers":
			if v.Kind == yaml.MappingNode {
				for j := 0; j+1 < len(v.Content); j += 2 {
					into[yamlnode.Join(yamlnode.Join(path, "headers"), v.Content[j].Value)] = v.Content[j+1].Line
				}
			}
		}
	}
}

// CheckAgainst is `warroom plans check`: it loads dir, checks each plan
// that loads against a (Gaps), and writes each problem on a line, then a
// summary: the plans ok, those that load but lack something here (and
// what, plan by plan), and the kinds the plans fit. The error is non-nil
// when there was any problem or gap.
func CheckAgainst(w io.Writer, dir string, a Against) error {
	set, probs := Load(dir)
	var (
		ok, short []string
		all       = probs
		kinds     []string
	)
	for _, p := range set.Plans {
		for _, k := range p.Faults {
			if !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		}
		gaps := Gaps(p, filepath.Join(dir, filepath.Base(p.File)), a)
		if len(gaps) == 0 {
			ok = append(ok, p.Name)
			continue
		}
		all = append(all, gaps...)
		short = append(short, fmt.Sprintf("%s (%s)", p.Name, gapSummary(p, a)))
	}
	sortProblems(all)
	for _, p := range all {
		fmt.Fprintln(w, p.String())
	}
	switch {
	case len(set.Plans) == 0:
		fmt.Fprintf(w, "%s: no valid plans\n", dir)
	case len(ok) > 0:
		fmt.Fprintf(w, "%s: %d %s ok: %s\n", dir, len(ok), plural(len(ok), "plan", "plans"), strings.Join(ok, ", "))
	}
	if len(short) > 0 {
		fmt.Fprintf(w, "%s: %d %s but cannot work fully here: %s\n", dir, len(short), plural(len(short), "plan loads", "plans load"), strings.Join(short, "; "))
	}
	if len(kinds) > 0 {
		slices.Sort(kinds)
		fmt.Fprintf(w, "%s: kinds of fault the plans fit: %s (declare with kind=<kind>; an alert's kind label gives it)\n", dir, strings.Join(kinds, ", "))
	}
	files := map[string]bool{}
	for _, p := range all {
		files[p.File] = true
	}
	if len(all) > 0 {
		return fmt.Errorf("%d %s in %d %s", len(all), plural(len(all), "problem", "problems"), len(files), plural(len(files), "file", "files"))
	}
	return nil
}

// gapSummary is what a plan lacks, in a few words: "no service web in the
// config; ${JOBS_URL}, ${JOBS_TOKEN} not set".
func gapSummary(p *bot.Plan, a Against) string {
	var parts []string
	if a.Services != nil {
		var unknown []string
		for _, s := range p.Services {
			if !slices.Contains(a.Services, s) {
				unknown = append(unknown, s)
			}
		}
		if len(unknown) > 0 {
			parts = append(parts, fmt.Sprintf("%s %s not in the config", plural(len(unknown), "service", "services"), strings.Join(unknown, ", ")))
		}
	}
	if a.Getenv != nil {
		var unset []string
		for _, e := range EnvVars(p) {
			if a.Getenv(e.Var) == "" && !slices.Contains(unset, e.Var) {
				unset = append(unset, e.Var)
			}
		}
		if len(unset) > 0 {
			parts = append(parts, refList(unset)+" not set")
		}
	}
	return strings.Join(parts, "; ")
}
