package plans

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/bot/yamlnode"
	"gopkg.in/yaml.v3"
)

// Parsing a plan's parameters, steps and scripts, and checking their {{references}}.

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
