package plans

import (
	"crypto/sha256"
	"encoding/hex"
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
