package bot

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// DefaultApprovalExpiry is how long a run request waits for approval when
// its plan does not say.
const DefaultApprovalExpiry = 15 * time.Minute

// planBook is the set of plans warroom knows now. A reload replaces it whole,
// so a command sees one consistent set.
type planBook struct {
	list   []*Plan // by name
	byName map[string]*Plan
}

type plansState struct {
	book   atomic.Pointer[planBook]
	runner Runner
	// runCtx is the process's lifetime (Start's ctx): runs stop with it.
	runCtx context.Context
}

// SetPlans replaces the plans warroom knows (at start and on every reload),
// keeping each version in the store when it can.
func (b *Bot) SetPlans(ctx context.Context, plans []*Plan) error {
	book := &planBook{byName: make(map[string]*Plan, len(plans))}
	for _, p := range plans {
		if _, dup := book.byName[p.Name]; dup {
			return Errorf(EINVALID, "two plans are named %s", p.Name)
		}
		book.byName[p.Name] = p
		book.list = append(book.list, p)
	}
	sort.Slice(book.list, func(i, j int) bool { return book.list[i].Name < book.list[j].Name })
	if pv, ok := b.store.(PlanVersions); ok {
		for _, p := range book.list {
			if err := pv.SavePlan(ctx, p); err != nil {
				return fmt.Errorf("keeping plan %s version %s: %w", p.Name, p.Version, err)
			}
		}
	}
	b.plans.book.Store(book)
	return nil
}

// Plans returns the plans warroom knows, by name.
func (b *Bot) Plans() []*Plan {
	if book := b.plans.book.Load(); book != nil {
		return book.list
	}
	return nil
}

// UseRunner sets what runs the script and job steps of plans.
func (b *Bot) UseRunner(r Runner) { b.plans.runner = r }

func (b *Bot) plan(name string) (*Plan, error) {
	book := b.plans.book.Load()
	if book == nil || len(book.list) == 0 {
		return nil, Errorf(ENOTFOUND, "no contingency plans are loaded; put plan files in the plans directory (check them with: warroom plans check)")
	}
	if p, ok := book.byName[name]; ok {
		return p, nil
	}
	names := make([]string, len(book.list))
	for i, p := range book.list {
		names[i] = p.Name
	}
	return nil, Errorf(ENOTFOUND, "there is no plan %q%s; /%s plans lists them", name, suggest(name, names), b.opts.Command)
}

func planVerbs() []Verb {
	runNum := Arg{Name: "run", Kind: ArgNumber, Required: true, Desc: "The run number"}
	return []Verb{
		{Name: "plans", Summary: "contingency plans, those that fit this fault first", Scope: WarRoom, WhenResolved: true, Run: verbPlans},
		{Name: "run", Args: []Arg{
			{Name: "plan", Kind: ArgWord, Required: true, Desc: "The plan's name"},
			{Name: "params", Kind: ArgKeyValue, Many: true, Desc: "key=value parameters, space-separated"},
			{Name: "reason", Key: "override", Kind: ArgText, Desc: "Why a plan worse than the fault's level must run (commander's override)"},
		}, Summary: "ask for approval to run a plan", Scope: WarRoom, Run: verbRun},
		{Name: "approve", Args: []Arg{runNum}, Summary: "approve a plan run (or click Approve)", Scope: WarRoom, Run: verbApprove},
		{Name: "deny", Args: []Arg{runNum, {Name: "reason", Kind: ArgText, Desc: "Why"}}, Summary: "refuse a plan run", Scope: WarRoom, Run: verbDeny},
		{Name: "runs", Summary: "the plan runs of this fault and how they went", Scope: WarRoom, WhenResolved: true, Run: verbRuns},
	}
}

func verbPlans(ctx context.Context, b *Bot, r *Request) error {
	plans := b.Plans()
	if len(plans) == 0 {
		_, err := b.plan("")
		return err
	}
	return b.read(ctx, r, func(f *Fault) (string, error) { return b.plansText(f, plans), nil })
}

func (b *Bot) plansText(f *Fault, plans []*Plan) string {
	fit := ByFit(plans, f)
	var lines []string
	if fit[0].Fits(f) > 0 {
		lines = append(lines, fmt.Sprintf("Plans that fit %s (%s):", f.Ref(), b.services(f)))
	} else {
		lines = append(lines, fmt.Sprintf("No plan names this fault's kind or services (%s); all plans:", b.services(f)))
	}
	for i, p := range fit {
		if i > 0 && p.Fits(f) == 0 && fit[i-1].Fits(f) > 0 {
			lines = append(lines, "Other plans:")
		}
		lines = append(lines, "  "+b.planLine(p, f))
	}
	lines = append(lines, fmt.Sprintf("Ask to run one: /%s run <plan> key=value...", b.opts.Command))
	return strings.Join(lines, "\n")
}

func (b *Bot) planLine(p *Plan, f *Fault) string {
	s := fmt.Sprintf("%s — %s (impact %s", p.Name, p.Title, p.Impact)
	if MoreSevere(p.Impact, f.Level) {
		s += fmt.Sprintf(", worse than this %s: commander's override", f.Level)
	}
	s += "; " + approvalText(p.Approval) + ")"
	var ps []string
	for _, prm := range p.Params {
		v := prm.Name + "=" + "<" + prm.Name + ">"
		if !prm.Required || prm.Default != "" {
			v = "[" + v + "]"
		}
		ps = append(ps, v)
	}
	if len(ps) > 0 {
		s += " " + strings.Join(ps, " ")
	}
	return s
}

func approvalText(a Approval) string {
	roles := make([]string, len(a.Roles))
	for i, r := range a.Roles {
		roles[i] = string(r)
	}
	s := fmt.Sprintf("approval: %d of %s", max(a.Count, 1), strings.Join(roles, "/"))
	if !a.Self {
		s += ", not the requester"
	}
	return s
}

func unionRoles(have []Role, add ...Role) []Role {
	out := append([]Role(nil), have...)
	for _, r := range add {
		found := false
		for _, h := range out {
			found = found || h == r
		}
		if !found {
			out = append(out, r)
		}
	}
	return out
}

// approvers lists who may approve a run now: holders of its roles, less the
// requester where the plan says so and those who approved already.
func (b *Bot) approvers(f *Fault, run *Run) []string {
	var out []string
	seen := map[string]bool{}
	for _, role := range run.Approval.Roles {
		var holders []string
		switch role {
		case RoleCommander:
			holders = []string{f.Commander}
		case RoleHandler:
			holders = []string{f.Handler}
		case RoleResponder:
			holders = f.Responders
		}
		for _, h := range holders {
			if h == "" || seen[h] || run.Approved(h) || (!run.Approval.Self && h == run.RequestedBy) {
				continue
			}
			seen[h] = true
			out = append(out, h)
		}
	}
	return out
}

func (b *Bot) mayApprove(f *Fault, run *Run, person string) bool {
	for _, role := range run.Approval.Roles {
		if f.HasRole(person, role) {
			return true
		}
	}
	return false
}

func rolesText(roles []Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, " or ")
}

// approvalCard is the message that asks for a decision: what will run, how
// bad it may be, who may approve and until when.
func (b *Bot) approvalCard(f *Fault, p *Plan, run *Run) Message {
	now := b.clock.Now()
	cmd := "/" + b.opts.Command
	var steps []string
	for i, s := range p.Steps {
		steps = append(steps, fmt.Sprintf("%d. %s", i+1, b.showStep(s, run.Params)))
	}
	for i, s := range p.Rollback {
		steps = append(steps, fmt.Sprintf("%d. (rollback, if a step fails) %s", len(p.Steps)+i+1, b.showStep(s, run.Params)))
	}
	params := FormatParams(run.Params)
	if params == "" {
		params = "none"
	}
	impact := fmt.Sprintf("%s (the fault is %s)", p.Impact, f.Level)
	if run.Override != "" {
		impact += "; commander's override: " + run.Override
	}
	who := b.approvers(f, run)
	rule := fmt.Sprintf("%d of: %s", run.Approval.Count, rolesText(run.Approval.Roles))
	if !run.Approval.Self {
		rule += " (not the requester)"
	}
	rule += " — now " + b.mentions(who)
	if len(who) < run.Approval.Count {
		rule += fmt.Sprintf("; too few can approve: give the role with %s role <role> @person", cmd)
	}
	expires := fmt.Sprintf("%s (in %s)", ClockTime(run.ExpiresAt, now), Dur(run.ExpiresAt.Sub(now)))
	title := fmt.Sprintf("Run #%d: plan %s — %s", run.Num, p.Name, p.Title)
	fields := []Field{
		{"Requested by", b.mention(run.RequestedBy)},
		{"Plan version", p.Version},
		{"Parameters", params},
		{"Steps", strings.Join(steps, "\n")},
		{"Impact", impact},
		{"Approval", rule},
		{"Expires", expires},
	}
	if len(p.Missing) > 0 {
		fields = append(fields, Field{"⚠️ Cannot run", strings.Join(p.Missing, "\n")})
	}
	var text strings.Builder
	fmt.Fprintf(&text, "🔐 %s\n", title)
	for _, fl := range fields {
		if strings.Contains(fl.Value, "\n") {
			fmt.Fprintf(&text, "%s:\n  %s\n", fl.Label, strings.ReplaceAll(fl.Value, "\n", "\n  "))
		} else {
			fmt.Fprintf(&text, "%s: %s\n", fl.Label, fl.Value)
		}
	}
	fmt.Fprintf(&text, "Approve: %s approve %d · deny: %s deny %d <reason>", cmd, run.Num, cmd, run.Num)
	return Message{Kind: KindApproval, Title: title, Text: text.String(), Fields: fields, Buttons: []Button{
		{Label: "Approve", Command: fmt.Sprintf("%s approve %d", cmd, run.Num), Style: "primary"},
		{Label: "Deny", Command: fmt.Sprintf("%s deny %d", cmd, run.Num), Style: "danger"},
	}}
}

// showStep renders a step with the run's parameters in place.
func (b *Bot) showStep(s Step, params map[string]string) string {
	return s.Name + ": " + stepAction(s, params)
}

// stepAction is what a step does, with the run's parameters in place.
func stepAction(s Step, params map[string]string) string {
	switch s.Kind() {
	case StepScript:
		argv := make([]string, len(s.Script))
		for i, a := range s.Script {
			argv[i] = substituteWhole(a, params)
			if strings.ContainsAny(argv[i], " \t\n\"'") || argv[i] == "" {
				argv[i] = strconv.Quote(argv[i])
			}
		}
		return "run " + strings.Join(argv, " ")
	case StepJob:
		return s.Job.Method + " " + s.Job.URL
	default:
		return "manual — " + s.Manual
	}
}

// colon appends ": detail" when there is one.
func colon(detail string) string {
	if detail == "" {
		return ""
	}
	return ": " + detail
}

// substituteWhole replaces an argument that is exactly {{name}} with the
// parameter's value; anything else is left as written.
func substituteWhole(arg string, params map[string]string) string {
	if strings.HasPrefix(arg, "{{") && strings.HasSuffix(arg, "}}") {
		if v, ok := params[strings.TrimSpace(arg[2:len(arg)-2])]; ok {
			return v
		}
	}
	return arg
}

// runArg reads a run number (`3` or `#3`) and what follows it.
func (b *Bot) runArg(ctx context.Context, verb string, r *Request) (int, string, error) {
	arg, rest := SplitFirst(r.Cmd.Rest)
	n, err := strconv.Atoi(strings.TrimPrefix(arg, "#"))
	if err != nil || n <= 0 {
		return 0, "", b.usageErr(verb, "a run number is needed, such as 1 or #1"+pendingRunsHint(b.peek(ctx, r.FaultID)))
	}
	return n, rest, nil
}

func verbRun(ctx context.Context, b *Bot, r *Request) error {
	a, err := Tokenize(r.Cmd.Rest)
	if err != nil {
		return b.usageErr("run", ErrorMessage(err))
	}
	if len(a.Words) != 1 {
		if len(a.Words) == 0 {
			return b.usageErr("run", "a plan name is needed (/"+b.opts.Command+" plans lists them)")
		}
		return b.usageErr("run", fmt.Sprintf("one plan name, then parameters as key=value; %q is neither", a.Words[1]))
	}
	override, overridden := a.Options["override"]
	delete(a.Options, "override")
	if overridden && strings.TrimSpace(override) == "" {
		return b.usageErr("run", "override= needs the reason, in quotes")
	}
	_, err = b.RequestRun(ctx, r.as(), r.FaultID, RunRequest{Plan: a.Words[0], Params: a.Options, Override: override})
	return err
}

func verbApprove(ctx context.Context, b *Bot, r *Request) error {
	n, rest, err := b.runArg(ctx, "approve", r)
	if err != nil {
		return err
	}
	if rest != "" {
		return b.usageErr("approve", "only a run number is needed")
	}
	_, err = b.Approve(ctx, r.as(), r.FaultID, n)
	return err
}

func verbDeny(ctx context.Context, b *Bot, r *Request) error {
	n, reason, err := b.runArg(ctx, "deny", r)
	if err != nil {
		return err
	}
	_, err = b.Deny(ctx, r.as(), r.FaultID, n, reason)
	return err
}

func pendingRunsHint(f *Fault) string {
	if f == nil {
		return ""
	}
	var p []string
	for _, r := range f.Runs {
		if r.Status == RunPending {
			p = append(p, fmt.Sprintf("#%d (%s)", r.Num, r.Plan))
		}
	}
	if len(p) == 0 {
		return "; no run is waiting for approval"
	}
	return "; waiting for approval: " + strings.Join(p, ", ")
}

// notPending explains why a run can no longer be decided on.
func (b *Bot) notPending(run *Run) error {
	now := b.clock.Now()
	switch run.Status {
	case RunRunning:
		return Errorf(ECONFLICT, "run #%d was approved (by %s) and is running", run.Num, b.mentions(run.Approvers))
	case RunDenied:
		return Errorf(EINVALID, "run #%d was denied by %s at %s%s", run.Num, b.mention(run.DeniedBy), ClockTime(run.EndedAt, now), colon(run.Detail))
	case RunExpired:
		return Errorf(EINVALID, "run #%d expired unapproved at %s; ask again: %s", run.Num, ClockTime(run.ExpiresAt, now), b.runCommand(run))
	default:
		return Errorf(EINVALID, "run #%d is over: %s%s", run.Num, run.Status, colon(run.Detail))
	}
}

func (b *Bot) runCommand(run *Run) string {
	s := fmt.Sprintf("/%s run %s", b.opts.Command, run.Plan)
	if p := FormatParams(run.Params); p != "" {
		s += " " + p
	}
	return s
}

func verbRuns(ctx context.Context, b *Bot, r *Request) error {
	return b.read(ctx, r, func(f *Fault) (string, error) {
		if len(f.Runs) == 0 {
			return fmt.Sprintf("no plan has been run in %s; /%s plans lists those that fit", f.Ref(), b.opts.Command), nil
		}
		return strings.Join(b.runLines(f), "\n"), nil
	})
}

// runLines describes each run in a line: plan, outcome, duration.
func (b *Bot) runLines(f *Fault) []string {
	now := b.clock.Now()
	var out []string
	for i := range f.Runs {
		run := &f.Runs[i]
		s := fmt.Sprintf("#%d %s %s", run.Num, run.Plan, FormatParams(run.Params))
		s = strings.TrimSpace(s) + " — " + string(run.Status)
		switch {
		case run.Status == RunPending:
			s += fmt.Sprintf(" (approvals %d of %d, expires %s)", len(run.Approvers), run.Approval.Count, ClockTime(run.ExpiresAt, now))
		case !run.StartedAt.IsZero():
			end := run.EndedAt
			if end.IsZero() {
				end = now
			}
			ok := 0
			for _, st := range run.Steps {
				if st.Status == StepOK {
					ok++
				}
			}
			s += fmt.Sprintf(" in %s, %d of %s run ok", Dur(end.Sub(run.StartedAt)), ok, Plural(len(run.Steps), "step"))
			if run.Detail != "" {
				s += ": " + run.Detail
			}
		case run.Detail != "":
			s += ": " + run.Detail
		}
		out = append(out, s)
	}
	return out
}
