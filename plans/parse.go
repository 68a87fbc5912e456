package plans

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/bot/yamlnode"
)

// Defaults a plan file may leave out.
const (
	DefaultTimeout = 10 * time.Minute // a script or job step's timeout
	DefaultExpires = 15 * time.Minute // how long an approval request stands
	DefaultCount   = 1                // approvers needed

	// MaxFileSize bounds a plan file: a plan is a page of YAML, and the
	// store keeps every version of it.
	MaxFileSize = 1 << 20

	maxDuration = 24 * time.Hour
	maxCount    = 10
)

var (
	planKeys     = []string{"name", "title", "faults", "services", "impact", "approval", "params", "steps", "rollback", "on_restart"}
	approvalKeys = []string{"roles", "count", "self", "expires"}
	paramKeys    = []string{"name", "pattern", "required", "enum", "default", "help"}
	stepKeys     = []string{"name", "script", "job", "manual", "timeout", "on_failure"}
	jobKeys      = []string{"method", "url", "headers", "body"}
	methods      = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
	onFailures   = []string{"stop", "continue"}
	onRestarts   = []string{bot.OnRestartLeave, bot.OnRestartKill}

	nameRe      = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	kindRe      = nameRe
	serviceRe   = regexp.MustCompile(`^[a-z0-9._-]+$`)
	paramRe     = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
	stepNameRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	headerRe    = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
	envNameRe   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	placeholder = regexp.MustCompile(`\{\{([^{}]*)\}\}`)
)

// Parse reads one plan file. file is how problems name it; dir is the
// plan's directory, where its scripts must be (they are not looked for
// when dir is ""). On any problem the plan is nil.
func Parse(data []byte, file, dir string) (*bot.Plan, []Problem) {
	plan, _, probs := parse(data, file, dir)
	return plan, probs
}

// parse is Parse, also returning the line of the plan's name.
func parse(data []byte, file, dir string) (*bot.Plan, int, []Problem) {
	p := newParser(file, data)
	if len(data) > MaxFileSize {
		p.errorf(nil, "", "%d bytes is too large for a plan file (at most %d)", len(data), MaxFileSize)
		return nil, 0, p.problems()
	}
	if dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			p.errorf(nil, "", "the plan's directory: %v", err)
			return nil, 0, p.problems()
		}
		dir = abs
	}
	root := p.Document()
	if len(p.Problems) > 0 {
		return nil, 0, p.problems() // not YAML: nothing more to say about it
	}
	plan := p.plan(root, dir)
	if len(p.Problems) > 0 {
		return nil, 0, p.problems()
	}
	plan.File = file
	plan.Dir = dir
	plan.Source = slices.Clone(data)
	plan.Version = Version(data, plan.Scripts)
	return plan, p.nameLine, nil
}

// Version is a plan's short content hash, what a run records it ran: of the
// plan file, and of the content of every script it runs (scripts maps each
// as the plan names it to its hash; see Plan.Scripts). A plan without
// scripts has the hash of its file alone.
func Version(data []byte, scripts map[string]string) string {
	h := sha256.New()
	h.Write(data)
	names := make([]string, 0, len(scripts))
	for name := range scripts {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(h, "\x00script\x00%s\x00%s", name, scripts[name])
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)[:6])
}

func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].File != ps[j].File {
			return ps[i].File < ps[j].File
		}
		return ps[i].Line < ps[j].Line
	})
}

// scope is what the steps of a plan are checked against.
type scope struct {
	dir     string
	scripts map[string]string // script as written -> content hash
	params  map[string]bot.Param
	names   []string       // parameter names, for suggestions
	steps   map[string]int // step names (steps and rollback) -> line
}

func (p *parser) plan(root *yaml.Node, dir string) *bot.Plan {
	if yamlnode.IsNull(root) {
		p.errorf(nil, "", "empty file: a plan needs at least name, title, impact and steps")
		return nil
	}
	plan := &bot.Plan{Approval: bot.Approval{Roles: []bot.Role{bot.RoleCommander}, Count: DefaultCount, Expires: DefaultExpires}}
	fields := p.Fields("", nil, root, planKeys)
	if yamlnode.Deref(root).Kind != yaml.MappingNode {
		return nil
	}
	missing := func(key, hint string) {
		if _, ok := fields[key]; !ok {
			p.errorf(root, key, "missing; %s", hint)
		}
	}
	missing("name", "the plan's name, e.g. name: restart-web")
	missing("title", "one line saying what the plan does")
	missing("impact", "the worst disruption the plan itself may cause, P1 (worst) to P4")
	missing("steps", "a list of script, job and manual steps")

	if f, ok := fields["name"]; ok {
		if s, ok := p.Scalar("name", f.K, f.V); ok {
			if nameRe.MatchString(s) {
				plan.Name, p.nameLine = s, f.K.Line
			} else {
				p.errorf(f.K, "name", "%q is not a plan name: a-z, 0-9 and -, starting with a letter or digit (e.g. restart-web)", yamlnode.Clip(s))
			}
		} else if yamlnode.IsNull(f.V) {
			p.errorf(f.K, "name", "empty; the plan's name, e.g. restart-web")
		}
	}
	if f, ok := fields["title"]; ok {
		s, _ := p.Scalar("title", f.K, f.V)
		s = strings.TrimSpace(s)
		switch {
		case s == "" && !p.hasProblemAt(f.K):
			p.errorf(f.K, "title", "empty; one line saying what the plan does")
		case strings.ContainsAny(s, "\r\n"):
			p.errorf(f.K, "title", "must be one line")
		default:
			plan.Title = s
		}
	}
	if f, ok := fields["faults"]; ok {
		plan.Faults = p.names("faults", f, "[server-down]", kindRe, "is not a kind of fault: a-z, 0-9 and - (e.g. server-down)")
	}
	if f, ok := fields["services"]; ok {
		plan.Services = p.names("services", f, "[web, payments-db]", serviceRe, "is not a service name: a-z, 0-9, ., _ and -")
	}
	if f, ok := fields["impact"]; ok {
		if s, ok := p.Scalar("impact", f.K, f.V); ok {
			if l, err := bot.ParseLevel(s); err == nil {
				plan.Impact = l
			} else {
				p.errorf(f.K, "impact", "%q is not a level: P1, P2, P3 or P4 (P1 is the worst)", yamlnode.Clip(s))
			}
		} else if yamlnode.IsNull(f.V) {
			p.errorf(f.K, "impact", "empty; P1, P2, P3 or P4")
		}
	}
	if f, ok := fields["approval"]; ok {
		p.approval(&plan.Approval, f)
	}
	sc := &scope{dir: dir, scripts: map[string]string{}, params: map[string]bot.Param{}, steps: map[string]int{}}
	if f, ok := fields["params"]; ok {
		plan.Params = p.params(f, sc)
	}
	if f, ok := fields["steps"]; ok {
		plan.Steps = p.steps("steps", f, sc)
		if n := yamlnode.Deref(f.V); (yamlnode.IsNull(n) || n.Kind == yaml.SequenceNode && len(n.Content) == 0) && !p.hasProblemAt(f.K) {
			p.errorf(f.K, "steps", "empty; a plan needs at least one step")
		}
	}
	if f, ok := fields["rollback"]; ok {
		plan.Rollback = p.steps("rollback", f, sc)
	}
	plan.OnRestart = bot.OnRestartLeave
	if f, ok := fields["on_restart"]; ok {
		if s, ok := p.Scalar("on_restart", f.K, f.V); ok {
			if slices.Contains(onRestarts, s) {
				plan.OnRestart = s
			} else {
				p.errorf(f.K, "on_restart", "%q is not leave or kill%s", yamlnode.Clip(s), yamlnode.Suggest(s, onRestarts, 0))
			}
		}
	}
	if len(sc.scripts) > 0 {
		plan.Scripts = sc.scripts
	}
	return plan
}

func (p *parser) hasProblemAt(n *yaml.Node) bool {
	for _, pr := range p.Problems {
		if n != nil && pr.Line == n.Line {
			return true
		}
	}
	return false
}

func (p *parser) approval(a *bot.Approval, f field) {
	for _, g := range p.Mapping("approval", f.K, f.V, approvalKeys) {
		path := yamlnode.Join("approval", g.Key)
		switch g.Key {
		case "roles":
			items, nodes := p.strs(path, g.K, g.V, "[commander]")
			var roles []bot.Role
			names := make([]string, len(bot.Roles))
			for i, r := range bot.Roles {
				names[i] = string(r)
			}
			for i, s := range items {
				r := bot.Role(strings.ToLower(s))
				if !slices.Contains(bot.Roles, r) {
					p.errorf(nodes[i], path, "unknown role %q%s", yamlnode.Clip(s), yamlnode.Suggest(s, names, 0))
					continue
				}
				if !slices.Contains(roles, r) {
					roles = append(roles, r)
				}
			}
			if len(items) == 0 && !p.hasProblemAt(g.K) {
				p.errorf(g.K, path, "empty; who may approve: commander, handler and/or responder")
			}
			if len(roles) > 0 {
				a.Roles = roles
			}
		case "count":
			if s, ok := p.Scalar(path, g.K, g.V); ok {
				n, err := strconv.Atoi(s)
				if err != nil || n < 1 || n > maxCount {
					p.errorf(g.K, path, "%q is not a number of approvers from 1 to %d", yamlnode.Clip(s), maxCount)
				} else {
					a.Count = n
				}
			}
		case "self":
			if b, ok := p.boolean(path, g.K, g.V); ok {
				a.Self = b
			}
		case "expires":
			if d, ok := p.duration(path, g.K, g.V); ok {
				a.Expires = d
			}
		}
	}
}

// duration reads a positive duration of at most a day.
func (p *parser) duration(path string, k, v *yaml.Node) (time.Duration, bool) {
	s, ok := p.Scalar(path, k, v)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil && isDigits(s):
		p.errorf(k, path, "%q has no unit; write e.g. %ss or %sm", yamlnode.Clip(s), s, s)
	case err != nil:
		p.errorf(k, path, "%q is not a duration (e.g. 90s, 2m, 1h30m)", yamlnode.Clip(s))
	case d <= 0:
		p.errorf(k, path, "%q must be more than 0", yamlnode.Clip(s))
	case d > maxDuration:
		p.errorf(k, path, "%q is more than %s", yamlnode.Clip(s), "24h")
	default:
		return d, true
	}
	return 0, false
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

func (p *parser) params(f field, sc *scope) []bot.Param {
	var out []bot.Param
	for i, n := range p.List("params", f.K, f.V, "[{name: host, pattern: 'web-[0-9]+'}]") {
		if prm, ok := p.param(fmt.Sprintf("params[%d]", i+1), n, sc); ok {
			out = append(out, prm)
		}
	}
	return out
}

// nameOf is the name: of a list item when it is a valid one: problems with
// the item are then reported under it ("steps.restart") rather than its
// position ("steps[2]").
func nameOf(n *yaml.Node, re *regexp.Regexp) string {
	n = yamlnode.Deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k, v := yamlnode.Deref(n.Content[i]), yamlnode.Deref(n.Content[i+1]); k != nil && v != nil && k.Value == "name" && v.Kind == yaml.ScalarNode && re.MatchString(v.Value) {
			return v.Value
		}
	}
	return ""
}

func (p *parser) param(path string, n *yaml.Node, sc *scope) (bot.Param, bool) {
	var prm bot.Param
	if yamlnode.IsNull(n) {
		p.errorf(n, path, "empty item; a parameter is {name: ..., pattern: ...}")
		return prm, false
	}
	if name := nameOf(n, paramRe); name != "" {
		path = "params." + name
	}
	fields := p.Fields(path, n, n, paramKeys)
	before := len(p.Problems)
	if f, ok := fields["name"]; ok {
		s := p.name(path, f, paramRe, "the key a run gives it, e.g. host", "is not a parameter name: a-z, 0-9, _ and -, starting with a letter")
		switch {
		case s == "":
		case sc.params[s].Name != "" || slices.Contains(sc.names, s):
			p.errorf(f.K, yamlnode.Join(path, "name"), "%q is declared twice", s)
		default:
			prm.Name = s
		}
	} else if yamlnode.Deref(n) != nil && yamlnode.Deref(n).Kind == yaml.MappingNode {
		p.errorf(n, path, "name: missing; the key a run gives it, e.g. name: host")
	}
	if prm.Name != "" {
		sc.names = append(sc.names, prm.Name)
	}
	badPattern := false
	if f, ok := fields["pattern"]; ok {
		badPattern = true
		if s, ok := p.Scalar(yamlnode.Join(path, "pattern"), f.K, f.V); ok && s != "" {
			re, err := regexp.Compile(`^(?:` + s + `)$`)
			if err != nil {
				msg := strings.TrimPrefix(err.Error(), "error parsing regexp: ")
				p.errorf(f.K, yamlnode.Join(path, "pattern"), "%q is not a regular expression: %s", yamlnode.Clip(s), msg)
			} else {
				prm.Pattern, prm.Re, badPattern = s, re, false
			}
		} else if ok || yamlnode.IsNull(f.V) {
			p.errorf(f.K, yamlnode.Join(path, "pattern"), "empty; the pattern the whole value must match")
		}
	}
	if f, ok := fields["enum"]; ok {
		items, nodes := p.strs(yamlnode.Join(path, "enum"), f.K, f.V, "[syn-flood, udp-flood]")
		for i, s := range items {
			switch {
			case slices.Contains(prm.Enum, s):
				p.errorf(nodes[i], yamlnode.Join(path, "enum"), "%q is listed twice", yamlnode.Clip(s))
			case prm.Re != nil && !prm.Re.MatchString(s):
				p.errorf(nodes[i], yamlnode.Join(path, "enum"), "%q does not match the pattern %s", yamlnode.Clip(s), prm.Pattern)
			default:
				prm.Enum = append(prm.Enum, s)
			}
		}
		if len(items) == 0 && !p.hasProblemAt(f.K) {
			p.errorf(f.K, yamlnode.Join(path, "enum"), "empty; list the values it may take")
		}
	}
	if _, ok := fields["pattern"]; !ok {
		if _, ok := fields["enum"]; !ok && prm.Name != "" {
			// Every value handed to a script or a job is one somebody
			// constrained; '.*' is still possible, but written down.
			p.errorf(n, path, "needs a pattern or an enum: the values it accepts")
		}
	}
	if f, ok := fields["required"]; ok {
		prm.Required, _ = p.boolean(yamlnode.Join(path, "required"), f.K, f.V)
	}
	if f, ok := fields["help"]; ok {
		s, _ := p.Scalar(yamlnode.Join(path, "help"), f.K, f.V)
		prm.Help = strings.TrimSpace(s)
	}
	if f, ok := fields["default"]; ok {
		if s, ok := p.Scalar(yamlnode.Join(path, "default"), f.K, f.V); ok && s != "" {
			prm.Default = s
			if !badPattern {
				if err := prm.Check(s); err != nil {
					p.errorf(f.K, yamlnode.Join(path, "default"), "%v", err)
				}
			}
			if prm.Required {
				p.errorf(f.K, yamlnode.Join(path, "default"), "a required parameter never uses its default; drop one of required and default")
			}
		}
	}
	if len(p.Problems) > before || prm.Name == "" {
		return prm, false
	}
	sc.params[prm.Name] = prm
	return prm, true
}

func (p *parser) steps(section string, f field, sc *scope) []bot.Step {
	var out []bot.Step
	for i, n := range p.List(section, f.K, f.V, "[{name: restart, script: [scripts/restart.sh]}]") {
		if s, ok := p.step(fmt.Sprintf("%s[%d]", section, i+1), section, n, sc); ok {
			out = append(out, s)
		}
	}
	return out
}

func (p *parser) step(path, section string, n *yaml.Node, sc *scope) (bot.Step, bool) {
	st := bot.Step{OnFailure: "stop"}
	if yamlnode.IsNull(n) {
		p.errorf(n, path, "empty item; a step is {name: ..., script|job|manual: ...}")
		return st, false
	}
	if name := nameOf(n, stepNameRe); name != "" {
		path = section + "." + name
	}
	before := len(p.Problems)
	fields := p.Fields(path, n, n, stepKeys)
	if yamlnode.Deref(n) == nil || yamlnode.Deref(n).Kind != yaml.MappingNode {
		return st, false
	}
	if f, ok := fields["name"]; ok {
		s := p.name(path, f, stepNameRe, "a short name for the step, e.g. restart", "is not a step name: a-z, 0-9, _ and -")
		switch {
		case s == "":
		case sc.steps[s] != 0:
			p.errorf(f.K, yamlnode.Join(path, "name"), "%q is already a step (line %d); step names are unique in a plan, rollback included", s, sc.steps[s])
		default:
			st.Name = s
			sc.steps[s] = f.K.Line
		}
	} else {
		p.errorf(n, path, "name: missing; a short name for the step, e.g. name: restart")
	}

	var kinds []string
	for _, k := range []string{"script", "job", "manual"} {
		if _, ok := fields[k]; ok {
			kinds = append(kinds, k)
		}
	}
	switch len(kinds) {
	case 0:
		p.errorf(n, path, "needs one of script (an argv), job (an HTTP call) or manual (a checklist item)")
	case 1:
	default:
		p.errorf(fields[kinds[1]].K, path, "has %s; a step is exactly one of script, job and manual: make them separate steps", strings.Join(kinds, " and "))
	}
	if f, ok := fields["script"]; ok {
		st.Script = p.script(yamlnode.Join(path, "script"), f, sc)
	}
	if f, ok := fields["job"]; ok {
		st.Job = p.job(yamlnode.Join(path, "job"), f, sc)
	}
	if f, ok := fields["manual"]; ok {
		s, _ := p.Scalar(yamlnode.Join(path, "manual"), f.K, f.V)
		st.Manual = strings.TrimSpace(s)
		if st.Manual == "" && !p.hasProblemAt(f.K) {
			p.errorf(f.K, yamlnode.Join(path, "manual"), "empty; what a person must do or check")
		}
	}
	if _, ok := fields["manual"]; !ok {
		st.Timeout = DefaultTimeout
	}
	if f, ok := fields["timeout"]; ok {
		if d, ok := p.duration(yamlnode.Join(path, "timeout"), f.K, f.V); ok {
			st.Timeout = d
		}
	}
	if f, ok := fields["on_failure"]; ok {
		if s, ok := p.Scalar(yamlnode.Join(path, "on_failure"), f.K, f.V); ok {
			if slices.Contains(onFailures, s) {
				st.OnFailure = s
			} else {
				p.errorf(f.K, yamlnode.Join(path, "on_failure"), "%q is not stop or continue%s", yamlnode.Clip(s), yamlnode.Suggest(s, onFailures, 0))
			}
		}
	}
	return st, len(p.Problems) == before
}

// script checks an argv: a file in the plan's directory, then literal
// arguments and whole-argument parameters.
func (p *parser) script(path string, f field, sc *scope) []string {
	if n := yamlnode.Deref(f.V); n != nil && n.Kind == yaml.ScalarNode && !yamlnode.IsNull(n) {
		var args []string
		for _, a := range strings.Fields(n.Value) {
			if strings.ContainsAny(a, "{}[],:#'\"&*!|>%@`") {
				a = strconv.Quote(a)
			}
			args = append(args, a)
		}
		p.errorf(f.K, path, "an argv list, not a command line: no shell runs it; write [%s]", yamlnode.Clip(strings.Join(args, ", ")))
		return nil
	}
	items := p.List(path, f.K, f.V, `[scripts/restart.sh, "{{host}}"]`)
	if len(items) == 0 {
		if !p.hasProblemAt(f.K) {
			p.errorf(f.K, path, "empty; the script to run and its arguments, e.g. [scripts/restart.sh, \"{{host}}\"]")
		}
		return nil
	}
	var argv []string
	for i, n := range items {
		s, ok := p.Scalar(path, n, n)
		if !ok && yamlnode.IsNull(n) {
			p.errorf(n, path, "empty item; write \"\" for an empty argument")
		}
		if !ok {
			continue
		}
		if i == 0 {
			if _, isParam := wholeParam(s); isParam {
				p.errorf(n, path, "%q: the program cannot be a parameter; name a script in the plan's directory", yamlnode.Clip(s))
				continue
			}
			if hash, err := checkScriptPath(sc.dir, s); err != nil {
				p.errorf(n, path, "%v", err)
			} else if hash != "" {
				sc.scripts[s] = hash
			}
		} else if err := checkArg(s, sc); err != nil {
			p.errorf(n, path, "%v", err)
		}
		argv = append(argv, s)
	}
	return argv
}

// wholeParam reports whether an argument is exactly "{{name}}".
func wholeParam(arg string) (string, bool) {
	m := placeholder.FindStringSubmatchIndex(arg)
	if m == nil || m[0] != 0 || m[1] != len(arg) {
		return "", false
	}
	return arg[m[2]:m[3]], true
}

// checkArg: "{{" may only be a whole argument naming a declared parameter.
func checkArg(arg string, sc *scope) error {
	if name, ok := wholeParam(arg); ok {
		return checkParamRef(name, sc)
	}
	if !strings.Contains(arg, "{{") {
		return nil
	}
	if m := placeholder.FindStringSubmatch(arg); m != nil {
		pre, _, _ := strings.Cut(arg, m[0])
		if strings.TrimSpace(m[1]) != m[1] {
			return fmt.Errorf("%q: write {{%s}} without spaces", yamlnode.Clip(arg), strings.TrimSpace(m[1]))
		}
		if pre != "" && strings.HasSuffix(pre, "=") {
			return fmt.Errorf("%q: a parameter must be a whole argument; write %q, %q", yamlnode.Clip(arg), strings.TrimSuffix(pre, "="), m[0])
		}
		return fmt.Errorf("%q: a parameter must be a whole argument, %q, so a value can never be spliced into another", yamlnode.Clip(arg), m[0])
	}
	return fmt.Errorf("%q has a {{ that is not a whole {{parameter}} argument", yamlnode.Clip(arg))
}

func checkParamRef(name string, sc *scope) error {
	if strings.TrimSpace(name) != name {
		return fmt.Errorf("{{%s}}: write {{%s}} without spaces", name, strings.TrimSpace(name))
	}
	if _, ok := sc.params[name]; ok {
		return nil
	}
	if slices.Contains(sc.names, name) {
		return nil // declared, with its own problem reported there
	}
	if len(sc.names) == 0 {
		return fmt.Errorf("{{%s}}: the plan declares no parameters; add it under params", yamlnode.Clip(name))
	}
	return fmt.Errorf("{{%s}} is not a parameter of this plan%s", yamlnode.Clip(name), yamlnode.Suggest(name, sc.names, 0))
}

// checkRefs checks every {{name}} in a job's url or body.
func checkRefs(s string, sc *scope) error {
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		if err := checkParamRef(m[1], sc); err != nil {
			return err
		}
	}
	if rest := placeholder.ReplaceAllString(s, ""); strings.Contains(rest, "{{") {
		return fmt.Errorf("%q has a {{ that is not a {{parameter}}", yamlnode.Clip(s))
	}
	return nil
}

func (p *parser) job(path string, f field, sc *scope) *bot.Job {
	job := &bot.Job{}
	fields := p.Fields(path, f.K, f.V, jobKeys)
	if yamlnode.IsNull(f.V) {
		p.errorf(f.K, path, "empty; an HTTP call: method, url, and optionally headers and body")
		return job
	}
	if yamlnode.Deref(f.V).Kind != yaml.MappingNode {
		return job
	}
	if g, ok := fields["method"]; ok {
		if s, ok := p.Scalar(yamlnode.Join(path, "method"), g.K, g.V); ok {
			m := strings.ToUpper(s)
			if slices.Contains(methods, m) {
				job.Method = m
			} else {
				p.errorf(g.K, yamlnode.Join(path, "method"), "%q is not GET, POST, PUT, PATCH or DELETE%s", yamlnode.Clip(s), yamlnode.Suggest(m, methods, 0))
			}
		}
	} else {
		p.errorf(f.K, path, "method: missing; GET, POST, PUT, PATCH or DELETE")
	}
	if g, ok := fields["url"]; ok {
		if s, ok := p.Scalar(yamlnode.Join(path, "url"), g.K, g.V); ok && s != "" {
			job.URL = s
			if err := checkRefs(s, sc); err != nil {
				p.errorf(g.K, yamlnode.Join(path, "url"), "%v", err)
			} else if _, err := envRefs(s); err != nil {
				p.errorf(g.K, yamlnode.Join(path, "url"), "%v", err)
			} else if err := checkURL(s, false); err != nil {
				p.errorf(g.K, yamlnode.Join(path, "url"), "%v", err)
			}
		} else if !p.hasProblemAt(g.K) {
			p.errorf(g.K, yamlnode.Join(path, "url"), "empty; the job's URL, e.g. \"${JOBS_URL}/api/job/restore/run\"")
		}
	} else {
		p.errorf(f.K, path, "url: missing; the job's URL, e.g. \"${JOBS_URL}/api/job/restore/run\"")
	}
	if g, ok := fields["headers"]; ok {
		hpath := yamlnode.Join(path, "headers")
		seen := map[string]bool{}
		for _, h := range p.Mapping(hpath, g.K, g.V, nil) {
			v, ok := p.Scalar(yamlnode.Join(hpath, yamlnode.KeyName(h.Key)), h.K, h.V)
			switch {
			case !headerRe.MatchString(h.Key):
				p.errorf(h.K, hpath, "%q is not a header name", yamlnode.Clip(h.Key))
			case seen[strings.ToLower(h.Key)]:
				p.errorf(h.K, hpath, "%q is given twice (header names ignore case)", yamlnode.Clip(h.Key))
			case !ok && !p.hasProblemAt(h.K):
				p.errorf(h.K, yamlnode.Join(hpath, h.Key), "empty")
			case !ok:
			case strings.Contains(v, "{{"):
				p.errorf(h.K, yamlnode.Join(hpath, h.Key), "parameters are not allowed in headers; headers come from the file and ${VAR}s")
			default:
				if _, err := envRefs(v); err != nil {
					p.errorf(h.K, yamlnode.Join(hpath, h.Key), "%v", err)
					continue
				}
				seen[strings.ToLower(h.Key)] = true
				if job.Headers == nil {
					job.Headers = map[string]string{}
				}
				job.Headers[h.Key] = v
			}
		}
	}
	if g, ok := fields["body"]; ok {
		if s, ok := p.Scalar(yamlnode.Join(path, "body"), g.K, g.V); ok {
			job.Body = s
			if err := checkRefs(s, sc); err != nil {
				p.errorf(g.K, yamlnode.Join(path, "body"), "%v", err)
			} else if isJSON(s, job.Headers) {
				if err := checkJSONBody(s); err != nil {
					p.errorf(g.K, yamlnode.Join(path, "body"), "%v", err)
				}
			}
		}
	}
	return job
}

// isJSON decides how {{param}}s in a body are escaped: as JSON string
// content when the body is JSON.
func isJSON(body string, headers map[string]string) bool {
	for k, v := range headers {
		if strings.EqualFold(k, "Content-Type") {
			return strings.Contains(strings.ToLower(v), "json")
		}
	}
	t := strings.TrimSpace(body)
	return strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")
}

// checkJSONBody makes sure the substituted body is always valid JSON: each
// {{param}} sits inside a string, where its escaped value cannot end it.
func checkJSONBody(body string) error {
	if json.Valid([]byte(placeholder.ReplaceAllString(body, "x"))) {
		return nil
	}
	if m := placeholder.FindString(body); m != "" && json.Valid([]byte(placeholder.ReplaceAllString(body, "0"))) {
		return fmt.Errorf("%s must be inside a JSON string, \"%s\": values are inserted as string content", m, m)
	}
	var v any
	err := json.Unmarshal([]byte(placeholder.ReplaceAllString(body, "x")), &v)
	return fmt.Errorf("is not valid JSON: %v", err)
}

// names reads a list of names that must match re, each once, in order; bad
// says what a name that does not match is.
func (p *parser) names(key string, f field, example string, re *regexp.Regexp, bad string) []string {
	var out []string
	items, nodes := p.strs(key, f.K, f.V, example)
	for i, s := range items {
		if !re.MatchString(s) {
			p.errorf(nodes[i], key, "%q %s", yamlnode.Clip(s), bad)
			continue
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// name reads the name key of a param or step at path: "" after saying it
// is empty (what it is for) or that it does not match re (bad).
func (p *parser) name(path string, f field, re *regexp.Regexp, what, bad string) string {
	kp := yamlnode.Join(path, "name")
	s, _ := p.Scalar(kp, f.K, f.V)
	switch {
	case s == "" && !p.hasProblemAt(f.K):
		p.errorf(f.K, kp, "empty; %s", what)
	case s == "":
	case !re.MatchString(s):
		p.errorf(f.K, kp, "%q %s", yamlnode.Clip(s), bad)
		return ""
	}
	return s
}
